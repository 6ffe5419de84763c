package gemm

// Register block of the micro-kernels: mr rows of A times nr32 (float32) or nr64 (float64)
// columns of B.
const (
	mr   = 6
	nr32 = 16
	nr64 = 8
)

// useAsm says whether MatMul32 and MatMul64 use the assembly kernels; it starts as hasAsm and
// tests flip it to compare both kernels.
var useAsm = hasAsm

// Kernel names the micro-kernel in use: "avx2-fma" (amd64 with AVX2 and FMA, built without the
// purego tag) or "portable" (pure Go, with the same packing and blocking).
func Kernel() string {
	if useAsm {
		return "avx2-fma"
	}
	return "portable"
}

// kernelPortable is the pure-Go micro-kernel: c[i*ldc+j] = alpha·Σ_p a[p*mr+i]·b[p*nr+j] +
// beta·c[i*ldc+j] for the full mr×nr tile, c not read when beta == 0. It walks the tile in 2×4
// sub-blocks, so that the eight accumulators and six operands stay in the sixteen floating-point
// registers of amd64 (3×4 spills; measured about 2× slower).
func kernelPortable[T float](k int, a, b, c []T, ldc int, alpha, beta T, nr int) {
	a = a[:k*mr]
	b = b[:k*nr]
	_ = c[(mr-1)*ldc+nr-1]
	for i0 := 0; i0 < mr; i0 += 2 {
		for j0 := 0; j0 < nr; j0 += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 T
			ai, bi := i0, j0
			for range k {
				av := a[ai : ai+2 : ai+2]
				bv := b[bi : bi+4 : bi+4]
				a0, a1 := av[0], av[1]
				b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
				ai += mr
				bi += nr
			}
			r0 := c[i0*ldc+j0 : i0*ldc+j0+4 : i0*ldc+j0+4]
			r1 := c[(i0+1)*ldc+j0 : (i0+1)*ldc+j0+4 : (i0+1)*ldc+j0+4]
			if beta == 0 {
				r0[0], r0[1], r0[2], r0[3] = alpha*c00, alpha*c01, alpha*c02, alpha*c03
				r1[0], r1[1], r1[2], r1[3] = alpha*c10, alpha*c11, alpha*c12, alpha*c13
			} else {
				r0[0], r0[1], r0[2], r0[3] = alpha*c00+beta*r0[0], alpha*c01+beta*r0[1], alpha*c02+beta*r0[2], alpha*c03+beta*r0[3]
				r1[0], r1[1], r1[2], r1[3] = alpha*c10+beta*r1[0], alpha*c11+beta*r1[1], alpha*c12+beta*r1[2], alpha*c13+beta*r1[3]
			}
		}
	}
}

func kernel32Portable(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	kernelPortable(k, a, b, c, ldc, alpha, beta, nr32)
}

func kernel64Portable(k int, a, b, c []float64, ldc int, alpha, beta float64) {
	kernelPortable(k, a, b, c, ldc, alpha, beta, nr64)
}
