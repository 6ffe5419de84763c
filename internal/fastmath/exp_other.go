//go:build !amd64 || purego

package fastmath

// hasAVX2 is false: no assembly kernel for this architecture or build.
const hasAVX2 = false

func expAVX2(x []float64) { panic("fastmath: no assembly kernel") }
