package losses

import (
	"fmt"
	"testing"
)

// BenchmarkSymmetrize times the host engine's g + gᵀ in place on float32 [n, n] matrices.
func BenchmarkSymmetrize(b *testing.B) {
	for _, n := range []int{256, 1024, 2048} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			g := make([]float32, n*n)
			for i := range g {
				g[i] = float32(i%7) - 3
			}
			for b.Loop() {
				symmetrize(g, n)
			}
		})
	}
}

// TestSymmetrize: g + gᵀ, for sizes that do and do not fill the tiles and bands, on one core and
// on several.
func TestSymmetrize(t *testing.T) {
	for _, n := range []int{1, 7, 8, 17, 100, 200, 333} {
		g := make([]float64, n*n)
		for i := range g {
			g[i] = float64(i%11) - 5
		}
		want := make([]float64, n*n)
		for i := range n {
			for j := range n {
				want[i*n+j] = g[i*n+j] + g[j*n+i]
			}
		}
		symmetrize(g, n)
		for i, v := range g {
			if v != want[i] {
				t.Fatalf("n=%d: entry [%d][%d] = %v, want %v", n, i/n, i%n, v, want[i])
			}
		}
	}
}
