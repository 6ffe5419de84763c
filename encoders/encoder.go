package encoders

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Scope is the context scope under which every encoder's variables are created, so that a
// checkpoint's encoder weights can be told apart from the optimizer's state.
const Scope = "encoder"

// Encoder maps a batch of feature vectors to embeddings inside a GoMLX graph.
//
// An Encoder holds no weights: they live in the context.Context passed to Encode, under the
// sub-scope Scope. Calling Encode twice in one graph (or in several graphs) with the same context
// reuses the same variables, which is how both sides of a pair batch share one encoder.
type Encoder interface {
	// Encode returns the embeddings [N, EmbeddingDim] of x [N, InputDim] (float32), creating or
	// reusing the encoder's variables in ctx.In(Scope).
	Encode(ctx *context.Context, x *Node) *Node
	// Spec returns the description from which New rebuilds this encoder.
	Spec() Spec
}

// New builds the encoder described by spec, after WithDefaults; an invalid spec is an error.
func New(spec Spec) (Encoder, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	switch spec.Kind {
	case KindCNN:
		return &CNN{spec: spec}, nil
	default:
		return &MLP{spec: spec}, nil
	}
}

// encoderCtx returns the context scope for an encoder's variables, reusing them when they exist.
func encoderCtx(ctx *context.Context) *context.Context {
	return ctx.In(Scope).Checked(false)
}
