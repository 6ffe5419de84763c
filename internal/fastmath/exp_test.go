package fastmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

func testInputs() []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	xs := []float64{0, 1, -1, 1e-300, -1e-300, 0.5, -707.9, 708.9, math.Ln2 / 2, -math.Ln2 / 2, 88, -103,
		-708, 709, -800, 800, math.Inf(1), math.Inf(-1), math.NaN(), -708.0000001, 708.9999999}
	for range 200000 {
		xs = append(xs, (r.Float64()*2-1)*708)
	}
	for range 200000 {
		xs = append(xs, (r.Float64()*2-1)*3)
	}
	return xs
}

// TestExp: relative error below 1e-15 against math.Exp inside the limits; the limits as documented.
func TestExp(t *testing.T) {
	for _, x := range testInputs() {
		got := Exp(x)
		switch {
		case math.IsNaN(x):
			if !math.IsNaN(got) {
				t.Fatalf("Exp(NaN) = %v", got)
			}
		case x <= -708:
			if got != 0 {
				t.Fatalf("Exp(%v) = %v, want 0", x, got)
			}
		case x >= 709:
			if !math.IsInf(got, 1) {
				t.Fatalf("Exp(%v) = %v, want +Inf", x, got)
			}
		default:
			if want := math.Exp(x); math.Abs(got-want)/want > 1e-15 {
				t.Fatalf("Exp(%v) = %v, math.Exp %v (relative error %.2g)", x, got, want, math.Abs(got-want)/want)
			}
		}
	}
}

// TestExpInPlace: the vector kernel gives Exp's bits (NaN for NaN), at every length (tails included).
func TestExpInPlace(t *testing.T) {
	xs := testInputs()
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, len(xs)} {
		got := append([]float64(nil), xs[:n]...)
		ExpInPlace(got)
		for i, x := range xs[:n] {
			want := Exp(x)
			if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
				t.Fatalf("n=%d: ExpInPlace(%v) = %v (%#x), Exp %v (%#x)", n, x, got[i], math.Float64bits(got[i]), want, math.Float64bits(want))
			}
		}
	}
}

func BenchmarkExp(b *testing.B) {
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = float64(i%200) - 150
	}
	buf := make([]float64, len(xs))
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				buf[i] = math.Exp(x)
			}
		}
	})
	b.Run("scalar", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				buf[i] = Exp(x)
			}
		}
	})
	b.Run("slice", func(b *testing.B) {
		for b.Loop() {
			copy(buf, xs)
			ExpInPlace(buf)
		}
	})
}
