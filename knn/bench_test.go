package knn

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkTile measures the inner kernels on one 256x256 tile of D=128 (multiply-adds per second).
func BenchmarkTile(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	const n, d = 256, 128
	q, r := make([]float64, n*d), make([]float64, n*d)
	for i := range q {
		q[i], r[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	out := make([]float64, n*n)
	for _, red := range []reduction{reduceDot, reduceSqL2} {
		b.Run(fmt.Sprint(map[reduction]string{reduceDot: "dot", reduceSqL2: "sqL2"}[red]), func(b *testing.B) {
			for b.Loop() {
				computeTile(red, 2, q, n, r, n, d, out)
			}
			b.ReportMetric(float64(n*n*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}

// BenchmarkSearch10k is a 10,000 x 10,000, D=128, k=100 cosine search on all cores. The
// 100,000 x 100,000 figure of docs/PERFORMANCE.md comes from ./knn/internal/bench.
func BenchmarkSearch10k(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	q := randomMatrix(rng, 10000, 128)
	r := randomMatrix(rng, 10000, 128)
	for b.Loop() {
		if _, err := Search(q, r, Options{Distance: Cosine(), K: 100}); err != nil {
			b.Fatal(err)
		}
	}
}
