package losses

// SetSymmetrizeMaxN sets the largest batch whose gradient matrix the host engine symmetrizes (see
// symmetrizeMaxN) and returns a function that restores it: the tests take both backward paths on
// small batches.
func SetSymmetrizeMaxN(n int) (restore func()) {
	old := symmetrizeMaxN
	symmetrizeMaxN = n
	return func() { symmetrizeMaxN = old }
}

// PoisonBuffers makes the host engine's buffers arrive filled with NaN (see poisonBuffers) and
// returns a function that turns it off.
func PoisonBuffers() (restore func()) {
	poisonBuffers.Store(true)
	return func() { poisonBuffers.Store(false) }
}
