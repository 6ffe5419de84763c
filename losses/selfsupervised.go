package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"
)

// SelfSupervised is PML's SelfSupervisedLoss wrapper, for batches of positive pairs with no labels:
// embeddings[i] and ref[i] are two views of one item (a positive pair), and every embeddings[i],
// ref[j≠i] is a negative.
//
// Symmetric (the default, SimCLR style) computes Inner over the 2N embeddings concat(embeddings, ref)
// with labels concat(0..N−1, 0..N−1): each of the 2N items is an anchor with exactly one positive.
// Non-symmetric uses embeddings as queries and ref as references with labels 0..N−1 on both sides.
//
// It assumes ref[i] is the only other view of embeddings[i] in the batch; for pairs whose items recur,
// use package pairs, which gives recurring items one label.
type SelfSupervised struct {
	Inner     Loss
	Symmetric bool
}

// NewSelfSupervised wraps inner, symmetric as PML's default.
func NewSelfSupervised(inner Loss) *SelfSupervised {
	return &SelfSupervised{Inner: inner, Symmetric: true}
}

// Inputs returns the inner loss's inputs for the views embeddings and ref (both [N, D]).
func (w *SelfSupervised) Inputs(embeddings, ref *graph.Node) Inputs {
	if embeddings.Rank() != 2 || !embeddings.Shape().Equal(ref.Shape()) {
		exceptions.Panicf("SelfSupervisedLoss: embeddings and ref must have the same [N, D] shape, got %s and %s", embeddings.Shape(), ref.Shape())
	}
	n := embeddings.Shape().Dimensions[0]
	ids := graph.Iota(embeddings.Graph(), shapes.Make(dtypes.Int32, n), 0)
	if w.Symmetric {
		return Inputs{
			Embeddings: graph.Concatenate([]*graph.Node{embeddings, ref}, 0),
			Labels:     graph.Concatenate([]*graph.Node{ids, ids}, 0),
		}
	}
	return Inputs{Embeddings: embeddings, Labels: ids, Ref: ref, RefLabels: ids}
}

// ComputeWithContext returns the inner loss of the two views, computed with ctx (see Loss).
func (w *SelfSupervised) ComputeWithContext(ctx *context.Context, embeddings, ref *graph.Node) *graph.Node {
	return w.Inner.ComputeWithContext(ctx, w.Inputs(embeddings, ref))
}

// Compute returns the inner loss of the two views without a context, for an Inner that keeps no
// variables or state (a PlainLoss).
func (w *SelfSupervised) Compute(embeddings, ref *graph.Node) *graph.Node {
	return w.ComputeWithContext(nil, embeddings, ref)
}
