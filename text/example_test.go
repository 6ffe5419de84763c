package text_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/text"
)

// Tokenise two strings and embed them with an untrained text encoder.
func Example() {
	enc := text.NewEncoder(128)
	fmt.Println(text.Normalize("Ｍüller  GmbH"))
	toks := enc.Tokeniser.Tokenise("Ｍüller GmbH")
	fmt.Println(len(toks.IDs), "bucket ids")
	batch, err := enc.Tokeniser.Pack([]string{"Ｍüller GmbH", "Köln"}, 0)
	if err != nil {
		panic(err)
	}
	var inputs []any
	for _, t := range batch.Tensors(dtypes.Float32) {
		inputs = append(inputs, t)
	}
	out := context.MustExecOnce(backend.MustShared(), context.New(), func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
		return enc.EncodeInputs(ctx, nodes)
	}, inputs...)
	fmt.Println("budget", batch.Budget)
	fmt.Println(enc, out.Shape())
	// Output:
	// müller gmbh
	// 44 bucket ids
	// budget 64
	// text bag 262144×64 mean → 256 → 128 (Float32)[2 128]
}
