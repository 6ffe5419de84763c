package encoders_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/encoders"
)

// An MLP from 64 features to 16-dimensional embeddings, applied to a batch of 3 items.
func Example() {
	enc, err := encoders.New(encoders.Spec{Kind: encoders.KindMLP, InputDim: 64, EmbeddingDim: 16, Hidden: []int{32}})
	if err != nil {
		panic(err)
	}
	ctx := context.New()
	x := make([][]float32, 3)
	for i := range x {
		x[i] = make([]float32, 64)
	}
	out := context.MustExecOnce(backend.MustShared(), ctx, func(ctx *context.Context, x *Node) *Node {
		return enc.Encode(ctx, x)
	}, x)
	fmt.Println(enc.Spec(), out.Shape())
	// Output: mlp 64→32→16 (Float32)[3 16]
}
