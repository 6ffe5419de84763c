package dotgrad_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/dotgrad"
)

// Example installs the rule once, at program start, and takes the gradient of sum(x·w) with
// respect to x and w.
func Example() {
	dotgrad.Install()
	fmt.Println("installed:", dotgrad.Installed())

	grads := graph.MustExecOnceN(backend.MustShared(), func(x, w *graph.Node) (*graph.Node, *graph.Node) {
		loss := graph.ReduceAllSum(graph.MatMul(x, w))
		g := graph.Gradient(loss, x, w)
		return g[0], g[1]
	}, [][]float64{{1, 2}, {3, 4}}, [][]float64{{5, 6, 7}, {8, 9, 10}})
	fmt.Println("d/dx:", grads[0].Value())
	fmt.Println("d/dw:", grads[1].Value())

	// Output:
	// installed: true
	// d/dx: [[18 27] [18 27]]
	// d/dw: [[4 4 4] [6 6 6]]
}
