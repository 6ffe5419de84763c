package encoders

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// MLP is a multi-layer perceptron encoder: for each hidden width a Dense layer with bias and a
// ReLU, then a linear Dense layer to the embedding dimension.
type MLP struct {
	spec Spec
}

// NewMLP returns an MLP from inputDim features to embeddingDim, with the given hidden widths
// (none given: DefaultMLPHidden). It panics on non-positive sizes; use New to get an error instead.
func NewMLP(inputDim, embeddingDim int, hidden ...int) *MLP {
	spec := Spec{Kind: KindMLP, InputDim: inputDim, EmbeddingDim: embeddingDim, Hidden: hidden}.WithDefaults()
	if err := spec.Validate(); err != nil {
		panic(err)
	}
	return &MLP{spec: spec}
}

// Spec implements Encoder.
func (m *MLP) Spec() Spec { return m.spec }

// Encode implements Encoder.
func (m *MLP) Encode(ctx *context.Context, x *Node) *Node {
	checkInput(x, m.spec.InputDim)
	ctx = encoderCtx(ctx)
	h := x
	for i, width := range m.spec.Hidden {
		h = layers.DenseWithBias(ctx.Inf("hidden_%d", i), h, width)
		h = activations.Relu(h)
	}
	return layers.DenseWithBias(ctx.In("output"), h, m.spec.EmbeddingDim)
}

// checkInput panics (GoMLX's way of failing while building a graph) when x is not [N, inputDim].
func checkInput(x *Node, inputDim int) {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != inputDim {
		panic(fmt.Errorf("encoder: input shape %s, want [N, %d]", x.Shape(), inputDim))
	}
}
