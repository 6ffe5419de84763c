package losses

// PoisonBuffers makes the host engine's buffers arrive filled with NaN (see poisonBuffers) and
// returns a function that turns it off.
func PoisonBuffers() (restore func()) {
	poisonBuffers.Store(true)
	return func() { poisonBuffers.Store(false) }
}
