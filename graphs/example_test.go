package graphs_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/graphs"
)

// Read the example graphs, pack the first 8 into static shapes and encode them with a GIN.
func Example() {
	set, _, err := graphs.ReadGraphsFile("../examples/data/graphs.jsonl", nil)
	if err != nil {
		panic(err)
	}
	vocab := graphs.NewVocab(set.Graphs)
	batch, err := graphs.NewPacker(set.Schema, vocab, 8).Pack(set.Graphs[:8])
	if err != nil {
		panic(err)
	}
	gin := graphs.NewGIN(set.Schema, vocab, 16)
	var inputs []any
	for _, t := range batch.Tensors(dtypes.Float32) {
		inputs = append(inputs, t)
	}
	out := context.MustExecOnce(backend.MustShared(), context.New(), func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
		return gin.Encode(ctx, graphs.NewInputs(set.Schema, nodes))
	}, inputs...)
	fmt.Println(len(set.Graphs), "graphs:", set.Schema)
	fmt.Println("budget:", batch.Budget)
	fmt.Println(gin, out.Shape())
	// Output:
	// 30 graphs: node labels, edge labels
	// budget: 8 graphs, 56 nodes, 112 edges
	// gin 3×64→16 (node labels, edge labels) (Float32)[8 16]
}
