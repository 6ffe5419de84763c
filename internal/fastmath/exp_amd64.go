//go:build amd64 && !purego

package fastmath

import (
	"math"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2 says whether ExpInPlace can use the AVX2 kernel of exp_amd64.s.
var hasAVX2 = cpu.X86.HasAVX2

// expConsts are the kernel's float64 constants, at the offsets exp_amd64.s reads them: 64/ln2,
// 0.5, ln2/64 (high and low parts), 1.5·2^52 (added to an integral k, it leaves k in the low bits
// of the mantissa), 1, the polynomial's 1/6, 1/24 and 1/120, and the limits −708, 709 and +Inf.
var expConsts = [...]float64{expInv, 0.5, expLn2Hi, expLn2Lo, 6755399441055744.0, 1, expC6, expC24, expC120, -708, 709, math.Inf(1)}

// expInts are its integer constants: the table index mask and 1023·64, which makes the exponent
// (k >> 6) + 1023 a logical shift of k + 1023·64 (k > −65472 inside the limits).
var expInts = [...]int64{63, 1023 * 64}

//go:noescape
func expAVX4(x *float64, n int, consts *float64, table *float64, ints *int64)

// expAVX2 is Exp on every element of x, in place; len(x) must be a multiple of 4.
func expAVX2(x []float64) {
	if len(x)%4 != 0 {
		panic("fastmath: expAVX2 needs a multiple of 4 values")
	}
	expAVX4(unsafe.SliceData(x), len(x)/4, &expConsts[0], &exp2Table[0], &expInts[0])
}
