package backend

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// BenchmarkMatMul times one float32 product through a graph, on gometric's default pure-Go
// configuration (its GEMM kernels) and on GoMLX's own blocked loops, and reports GFLOP/s
// (2·m·n·k flops): go test -run '^$' -bench MatMul ./backend
func BenchmarkMatMul(b *testing.B) {
	for _, cfg := range []struct{ name, config string }{
		{"gometric-gemm", "go"},
		{"gomlx-loops", "go:dotgeneral_blocked"},
	} {
		be, err := New(cfg.config)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range [][3]int{{128, 256, 256}, {1024, 128, 1024}, {256, 784, 256}} {
			m, k, n := s[0], s[1], s[2]
			b.Run(fmt.Sprintf("%s/%dx%dx%d", cfg.name, m, k, n), func(b *testing.B) {
				x := tensors.FromFlatDataAndDimensions(make([]float32, m*k), m, k)
				y := tensors.FromFlatDataAndDimensions(make([]float32, k*n), k, n)
				exec := graph.MustNewExec(be, func(x, y *graph.Node) *graph.Node { return graph.MatMul(x, y) })
				exec.MustExec(x, y)[0].FinalizeAll()
				b.ResetTimer()
				for b.Loop() {
					exec.MustExec(x, y)[0].FinalizeAll()
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
