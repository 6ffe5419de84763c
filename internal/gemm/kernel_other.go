//go:build !amd64 || purego

package gemm

// hasAsm is false: there are no assembly kernels for this architecture or build.
const hasAsm = false

func kernel32Asm(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	panic("gemm: no assembly kernel")
}

func kernel64Asm(k int, a, b, c []float64, ldc int, alpha, beta float64) {
	panic("gemm: no assembly kernel")
}
