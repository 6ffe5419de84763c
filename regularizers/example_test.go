package regularizers_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/regularizers"
)

func Example() {
	x := [][]float64{{3, 4}, {0, 1}}
	reg := regularizers.NewLpRegularizer()
	out := graph.MustExecOnce(backend.MustShared(), func(in []*graph.Node) *graph.Node {
		return reg.Compute(in[0])
	}, x)
	fmt.Printf("mean L2 norm: %.1f\n", out.Value())
	// Output: mean L2 norm: 3.0
}
