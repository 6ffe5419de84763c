package losses_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// Four embeddings of two classes, the loss and its gradient.
func Example() {
	embeddings := [][]float64{{1, 0}, {0.6, 0.8}, {0, 1}, {0.7, 0.7}}
	labels := []int32{0, 0, 1, 1}

	loss := losses.NewContrastive()
	loss.Distance = distances.NewCosineSimilarity()
	loss.PosMargin, loss.NegMargin = 0.9, 0.4 // Margins for a similarity.

	out := values(graph.MustExecOnceN(backend.MustShared(), func(in []*graph.Node) []*graph.Node {
		l := loss.Compute(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
		return []*graph.Node{l, graph.Gradient(l, in[0])[0]}
	}, embeddings))
	fmt.Printf("loss %.4f\n", out[0])
	fmt.Printf("gradient of the first embedding %.4f\n", out[1].([][]float64)[0])
	// Output:
	// loss 0.6788
	// gradient of the first embedding [0.0000 -0.1643]
}

// Explicit selections, PML's indices_tuple: positive pairs (0,1) and negative pairs (0,2), (1,3).
func ExamplePairWeights() {
	pos, neg, err := losses.PairWeights(4, 4, []int{0}, []int{1}, []int{0, 1}, []int{2, 3})
	if err != nil {
		panic(err)
	}
	embeddings := [][]float64{{1, 0}, {0.6, 0.8}, {0, 1}, {0.7, 0.7}}
	out := values(graph.MustExecOnceN(backend.MustShared(), func(in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		return []*graph.Node{losses.NewNTXent().Compute(losses.Inputs{Embeddings: in[0], Pos: graph.Const(g, pos), Neg: graph.Const(g, neg)})}
	}, embeddings))
	fmt.Printf("NT-Xent over the selection: %.6f\n", out[0])
	// Output: NT-Xent over the selection: 0.000189
}

// values returns the Go values of tensors.
func values(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t.Value()
	}
	return out
}
