package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are [m, k, n] products of the training models (batch 1).
var benchShapes = [][3]int{
	{128, 64, 256}, {128, 256, 256}, {128, 256, 128}, {1024, 128, 1024}, {1024, 1024, 128},
	{256, 784, 256}, {10000, 784, 256},
}

// BenchmarkMatMul32 measures MatMul32 with each kernel on benchShapes, in GFLOP/s (2·m·n·k
// flops per product):
//
//	go test -run '^$' -bench MatMul32 ./internal/gemm
func BenchmarkMatMul32(b *testing.B) {
	benchKernels(b, func(b *testing.B, m, k, n int) {
		r := rand.New(rand.NewPCG(1, 2))
		x, y, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
		for i := range x {
			x[i] = r.Float32()
		}
		for i := range y {
			y[i] = r.Float32()
		}
		b.ResetTimer()
		for b.Loop() {
			MatMul32(1, 0, x, y, 1, m, n, k, c)
		}
		b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// BenchmarkMatMul64 is BenchmarkMatMul32 for MatMul64.
func BenchmarkMatMul64(b *testing.B) {
	benchKernels(b, func(b *testing.B, m, k, n int) {
		r := rand.New(rand.NewPCG(1, 2))
		x, y, c := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
		for i := range x {
			x[i] = r.Float64()
		}
		for i := range y {
			y[i] = r.Float64()
		}
		b.ResetTimer()
		for b.Loop() {
			MatMul64(1, 0, x, y, 1, m, n, k, c)
		}
		b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

func benchKernels(b *testing.B, f func(b *testing.B, m, k, n int)) {
	old := useAsm
	defer func() { useAsm = old }()
	ks := []bool{false}
	if hasAsm {
		ks = []bool{true, false}
	}
	for _, asm := range ks {
		for _, s := range benchShapes {
			useAsm = asm
			b.Run(fmt.Sprintf("%s/%dx%dx%d", kernelName(asm), s[0], s[1], s[2]), func(b *testing.B) {
				useAsm = asm
				f(b, s[0], s[1], s[2])
			})
		}
	}
}

// BenchmarkKernel32 measures the float32 micro-kernel alone on one packed 6×kc by kc×16 pair of
// panels (in L1), in GFLOP/s.
func BenchmarkKernel32(b *testing.B) {
	a, p, c := make([]float32, kc*mr), make([]float32, kc*nr32), make([]float32, mr*nr32)
	kern := kernel32Portable
	if hasAsm {
		kern = kernel32Asm
	}
	for b.Loop() {
		kern(kc, a, p, c, nr32, 1, 1)
	}
	b.ReportMetric(2*float64(kc*mr*nr32)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkClassLossProducts measures MatMulT32 (assembly kernel where there is one) on the three
// products of a class loss's host-engine step at N = 1,024, M = 512 classes, D = 128: the logits
// x̂·p̂ ([N, D]·[D, M]), the embeddings' gradient grad·p̂ᵀ (p̂ read transposed) and the class
// vectors' gradient x̂ᵀ·grad (x̂ read transposed), in GFLOP/s. GOMAXPROCS=1 measures one core:
//
//	GOMAXPROCS=1 go test -run '^$' -bench ClassLossProducts -count 3 ./internal/gemm
func BenchmarkClassLossProducts(b *testing.B) {
	const n, m, d = 1024, 512, 128
	for _, p := range []struct {
		name          string
		transA, trans bool
		rows, cols, k int
	}{
		{"logits", false, false, n, m, d},
		{"grad·pT", false, true, n, d, m},
		{"xT·grad", true, false, d, m, n},
	} {
		r := rand.New(rand.NewPCG(1, 2))
		x, y, c := make([]float32, p.rows*p.k), make([]float32, p.k*p.cols), make([]float32, p.rows*p.cols)
		for i := range x {
			x[i] = r.Float32()
		}
		for i := range y {
			y[i] = r.Float32()
		}
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				MatMulT32(p.transA, p.trans, 1, 0, x, y, 1, p.rows, p.cols, p.k, c)
			}
			b.ReportMetric(2*float64(p.rows*p.cols*p.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
