package knn

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkTile measures Pairwise's tiles (computeTile: packing and the panel kernel) on one
// 256x256 tile of D=128, in multiply-adds per second.
func BenchmarkTile(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	const n, d = 256, 128
	q, r := make([]float64, n*d), make([]float64, n*d)
	for i := range q {
		q[i], r[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	out := make([]float64, n*n)
	for _, red := range []reduction{reduceDot, reduceSqL2} {
		b.Run(map[reduction]string{reduceDot: "dot", reduceSqL2: "sqL2"}[red], func(b *testing.B) {
			for b.Loop() {
				computeTile(red, 2, q, n, r, n, d, out)
			}
			b.ReportMetric(float64(n*n*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}

// BenchmarkPanel measures the panel kernels as Search runs them: 32 query panels (192 queries,
// D=128) against 16 reference panels, one core, in multiply-adds per second. dot and sqL2 are the
// float64 kernels (AVX2 where the CPU has it), dot32 the float32 filter.
func BenchmarkPanel(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	const np, nr, d = 32, 16, 128
	qp := make([]float64, np*panelRows*d)
	rp := make([]float64, nr*panelCols*d)
	for i := range qp {
		qp[i] = rng.NormFloat64()
	}
	for i := range rp {
		rp[i] = rng.NormFloat64()
	}
	thr := make([]float64, np*panelRows)
	out := make([]float64, np*panelSize)
	masks := make([]uint8, np*8)
	for _, k := range []struct {
		name string
		f    panelKernel
	}{{"dot", panelDot}, {"sqL2", panelSqL2}} {
		b.Run(k.name, func(b *testing.B) {
			for b.Loop() {
				for j := 0; j < nr; j++ {
					k.f(qp, np, rp[j*panelCols*d:], d, thr, out, masks)
				}
			}
			b.ReportMetric(float64(np*panelRows*nr*panelCols*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
	if panelDot32 == nil {
		return
	}
	qp32 := make([]float32, len(qp))
	rp32 := make([]float32, nr*panelCols32*d)
	for i := range qp32 {
		qp32[i] = float32(qp[i])
	}
	for i := range rp32 {
		rp32[i] = float32(rng.NormFloat64())
	}
	thr32 := make([]float32, np*panelRows)
	out32 := make([]float32, np*panelSize32)
	masks16 := make([]uint16, np*8)
	b.Run("dot32", func(b *testing.B) {
		for b.Loop() {
			for j := 0; j < nr; j++ {
				panelDot32(qp32, np, rp32[j*panelCols32*d:], d, thr32, out32, masks16)
			}
		}
		b.ReportMetric(float64(np*panelRows*nr*panelCols32*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
	})
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

// BenchmarkSearchLargeK is the retrieval of the training report: 10,000 leave-one-out cosine
// queries with k = 1,135 (MNIST's largest class) among 10,000 references, at D = 784 (raw
// pixels) and D = 128 (embeddings), on all cores. Most of the work is the float64 re-ranking of
// the float32 filter's candidates and their ordering.
func BenchmarkSearchLargeK(b *testing.B) {
	for _, d := range []int{784, 128} {
		b.Run(fmt.Sprintf("D=%d", d), func(b *testing.B) {
			rng := rand.New(rand.NewSource(1))
			r := randomMatrix(rng, 10000, d)
			for b.Loop() {
				if _, err := Search(r, r, Options{Distance: Cosine(), K: 1135, ExcludeSelf: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
