package pairs_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/pairs"
)

// Three labeled pairs, already embedded by a shared encoder: pairs 0 and 2 are "same", pair 1 is
// "different".
var (
	side1 = [][]float32{{1, 0.1}, {0, 1}, {-1, 0.2}}
	side2 = [][]float32{{0.9, 0.2}, {0.1, -1}, {-1, -0.1}}
	y     = []int32{1, 0, 1}
)

// Explicit mode with a contrastive loss: pair classification, only the given pairs count.
func ExampleLoss_explicit() {
	loss := losses.NewContrastive() // Lp distance, margins 0 and 1.
	out := graph.MustExecOnce(backend.MustShared(), func(in []*graph.Node) *graph.Node {
		return pairs.Loss(loss, pairs.Explicit, in[0], in[1], in[2], nil)
	}, side1, side2, y)
	fmt.Printf("contrastive loss: %.4f\n", out.Value())
	// Output: contrastive loss: 0.2075
}

// LabelConstruction with NT-Xent: every other cross pair in the batch is a negative.
func ExampleLoss_labelConstruction() {
	batch := pairs.Batch{Y: []int{1, 0, 1}}
	labels, err := batch.Labels()
	if err != nil {
		panic(err)
	}
	fmt.Println("labels:", labels)
	loss := losses.NewNTXent()
	loss.Temperature = 0.5
	out := graph.MustExecOnce(backend.MustShared(), func(in []*graph.Node) *graph.Node {
		return pairs.Loss(loss, pairs.LabelConstruction, in[0], in[1], in[2], in[3])
	}, side1, side2, y, labels)
	fmt.Printf("NT-Xent loss: %.4f\n", out.Value())
	// Output:
	// labels: [0 1 2 0 3 2]
	// NT-Xent loss: 0.2926
}

// PositivesOnly: two views per item, SimCLR-style NT-Xent over the 2B embeddings.
func ExampleLoss_positivesOnly() {
	views1 := [][]float32{{1, 0.1}, {0, 1}, {-1, 0.2}}
	views2 := [][]float32{{0.9, 0.2}, {0.2, 0.9}, {-1, -0.1}}
	batch := pairs.Batch{Y: []int{1, 1, 1}}
	if err := batch.Validate(pairs.PositivesOnly); err != nil {
		panic(err)
	}
	loss := losses.NewNTXent()
	loss.Temperature = 0.5
	out := graph.MustExecOnce(backend.MustShared(), func(in []*graph.Node) *graph.Node {
		return pairs.Loss(loss, pairs.PositivesOnly, in[0], in[1], nil, nil)
	}, views1, views2)
	fmt.Printf("NT-Xent loss: %.4f\n", out.Value())
	// Output: NT-Xent loss: 0.4206
}
