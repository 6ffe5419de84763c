package distances_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/distances"
)

func Example() {
	queries := [][]float64{{1, 0}, {0, 2}}
	refs := [][]float64{{3, 0}, {1, 1}}
	for _, d := range []distances.Distance{distances.NewLpDistance(), distances.NewCosineSimilarity(), &distances.LpDistance{P: 2, Power: 2}} {
		out := graph.MustExecOnce(backend.MustShared(), func(in []*graph.Node) *graph.Node {
			return d.Matrix(in[0], in[1])
		}, queries, refs)
		fmt.Printf("%s: %.4f\n", d, out.Value())
	}
	// Output:
	// LpDistance(p=2, power=1, normalize_embeddings=true): [[0.0000 0.7654] [1.4142 0.7654]]
	// CosineSimilarity(power=1): [[1.0000 0.7071] [0.0000 0.7071]]
	// LpDistance(p=2, power=2, normalize_embeddings=false): [[4.0000 1.0000] [13.0000 2.0000]]
}
