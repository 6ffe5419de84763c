package losses

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFastExp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	xs := []float64{0, 1, -1, 1e-300, -1e-300, 0.5, -707.9, 708.9, math.Ln2 / 2, -math.Ln2 / 2, 88, -103}
	for range 200000 {
		xs = append(xs, (r.Float64()*2-1)*708)
	}
	for range 200000 {
		xs = append(xs, (r.Float64()*2-1)*3)
	}
	for _, x := range xs {
		want, got := math.Exp(x), fastExp(x)
		if rel := math.Abs(got-want) / want; rel > 1e-15 {
			t.Fatalf("fastExp(%v) = %v, math.Exp %v (relative error %.2g)", x, got, want, rel)
		}
	}
	if fastExp(-800) != 0 || !math.IsInf(fastExp(800), 1) || !math.IsNaN(fastExp(math.NaN())) || fastExp(math.Inf(-1)) != 0 {
		t.Errorf("limits: %v %v %v", fastExp(-800), fastExp(800), fastExp(math.NaN()))
	}
}

func BenchmarkExp(b *testing.B) {
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = float64(i%200) - 150
	}
	var s float64
	b.Run("math", func(b *testing.B) {
		for b.Loop() {
			for _, x := range xs {
				s += math.Exp(x)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			for _, x := range xs {
				s += fastExp(x)
			}
		}
	})
	_ = s
}
