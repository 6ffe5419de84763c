package encoders

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/datasets"
)

// ItemEncoder is an encoder of items of any kind (feature vectors, images, graphs; text to come),
// in two halves:
//
//   - Inputs, on the host, turns a batch of items (indices into a datasets.Items) into the
//     encoder's input tensors, with static shapes from a small set: feature vectors give one
//     tensor [slots, F]; graphs give the tensors of a packed budget (package graphs). Each
//     distinct set of shapes is one compilation of the training step and of the embedding graph,
//     so Inputs must keep them few;
//   - EncodeInputs, inside a GoMLX graph, maps the nodes of those tensors to the embeddings
//     [slots, D] (rows of padding slots are ignored), creating or reusing its variables in ctx,
//     conventionally under the sub-scope Scope (package train passes a ctx that allows reuse:
//     the training step, validation and embedding graphs share the variables).
//
// The built-in MLP and CNN (vectors, VectorInputs) and package graphs' Encoder (a GIN) implement
// it; so does a caller's own encoder passed to train.Fit (Options.Encoder), for example a type
// that embeds VectorInputs and defines EncodeInputs. Like Encoder, an ItemEncoder holds no weights.
type ItemEncoder interface {
	// Inputs returns the input tensors of items idx of items, padded to slots items (slots >=
	// len(idx)). Features are already normalised (train applies the model's Normalizer).
	Inputs(items *datasets.Items, idx []int, slots int) ([]*tensors.Tensor, error)
	// EncodeInputs returns the embeddings [slots, D] of a batch, given the graph nodes of the
	// tensors that Inputs returned, in that order.
	EncodeInputs(ctx *context.Context, inputs []*Node) *Node
}

// VectorInputs is the Inputs half of an ItemEncoder of feature vectors: one float32 tensor
// [slots, F], item idx[i] in row i, zero rows for padding. Embed it in an encoder of one's own to
// take feature vectors (and images, as flattened pixels).
type VectorInputs struct{}

// Inputs implements ItemEncoder for feature vectors. Items with Objects (graphs) are an error.
func (VectorInputs) Inputs(items *datasets.Items, idx []int, slots int) ([]*tensors.Tensor, error) {
	if items.Objects != nil {
		return nil, fmt.Errorf("items %q are %ss, this encoder takes feature vectors", items.Name, items.Objects.Kind())
	}
	if slots < len(idx) {
		return nil, fmt.Errorf("encoder inputs: %d items for %d slots", len(idx), slots)
	}
	f := items.Features.Cols
	buf := make([]float32, slots*f)
	for i, j := range idx {
		copy(buf[i*f:(i+1)*f], items.Features.Row(j))
	}
	return []*tensors.Tensor{tensors.FromFlatDataAndDimensions(buf, slots, f)}, nil
}

// EncodeInputs implements ItemEncoder: the embeddings of the feature vectors inputs[0].
func (m *MLP) EncodeInputs(ctx *context.Context, inputs []*Node) *Node {
	return m.Encode(ctx, one(inputs))
}

// Inputs implements ItemEncoder (VectorInputs).
func (m *MLP) Inputs(items *datasets.Items, idx []int, slots int) ([]*tensors.Tensor, error) {
	return VectorInputs{}.Inputs(items, idx, slots)
}

// EncodeInputs implements ItemEncoder: the embeddings of the images inputs[0] (flattened pixels).
func (c *CNN) EncodeInputs(ctx *context.Context, inputs []*Node) *Node {
	return c.Encode(ctx, one(inputs))
}

// Inputs implements ItemEncoder (VectorInputs).
func (c *CNN) Inputs(items *datasets.Items, idx []int, slots int) ([]*tensors.Tensor, error) {
	return VectorInputs{}.Inputs(items, idx, slots)
}

// one returns the single input of a vector encoder, panicking (GoMLX's way of failing while
// building a graph) on another count.
func one(inputs []*Node) *Node {
	if len(inputs) != 1 {
		panic(fmt.Errorf("encoder: %d inputs, a vector encoder takes one [N, F]", len(inputs)))
	}
	return inputs[0]
}
