package miners_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

// Mine the hardest positive and negative of each anchor, and train on them with a contrastive loss.
func Example() {
	embeddings := [][]float64{{1, 0}, {0.6, 0.8}, {0, 1}, {0.8, 0.6}}
	labels := []int32{0, 0, 1, 1}

	out := values(graph.MustExecOnceN(backend.MustShared(), func(in []*graph.Node) []*graph.Node {
		inputs := losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)}
		inputs = miners.Apply(miners.NewBatchHard(), inputs)
		loss := losses.NewContrastive().Compute(inputs)
		return []*graph.Node{inputs.Pos, inputs.Neg, loss}
	}, embeddings))
	fmt.Println("positives", out[0])
	fmt.Println("negatives", out[1])
	fmt.Printf("loss %.4f\n", out[2])
	// Output:
	// positives [[0 1 0 0] [1 0 0 0] [0 0 0 1] [0 0 1 0]]
	// negatives [[0 0 0 1] [0 0 0 1] [0 1 0 0] [0 1 0 0]]
	// loss 1.4368
}

// values returns the Go values of tensors.
func values(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t.Value()
	}
	return out
}
