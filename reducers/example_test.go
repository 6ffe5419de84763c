package reducers_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/reducers"
)

// The same pair losses under three reducers; the pair (0, 1) was selected twice, (1, 0) not at all.
func Example() {
	pairLosses := [][]float64{{0, 0.6}, {0.9, 0.3}}
	weights := [][]float64{{1, 2}, {0, 1}}
	for _, r := range []reducers.Reducer{reducers.MeanReducer{}, reducers.AvgNonZeroReducer{}, reducers.SumReducer{}} {
		out := graph.MustExecOnce(backend.MustShared(), func(in []*graph.Node) *graph.Node {
			return r.Reduce(reducers.SubLoss{Kind: reducers.PosPair, Losses: in[0], Weights: in[1]})
		}, pairLosses, weights)
		fmt.Printf("%T: %.3f\n", r, out.Value())
	}
	// Output:
	// reducers.MeanReducer: 0.375
	// reducers.AvgNonZeroReducer: 0.500
	// reducers.SumReducer: 1.500
}
