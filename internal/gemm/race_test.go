//go:build race

package gemm

// raceEnabled says whether the race detector is on (it makes sync.Pool drop items at random).
const raceEnabled = true
