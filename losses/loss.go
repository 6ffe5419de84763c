package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
	"github.com/gometric/gometric/regularizers"
)

// Inputs are what a loss is computed from: PyTorch Metric Learning's (embeddings, labels,
// indices_tuple, ref_emb, ref_labels), with static shapes. Explicit pair selections are weights
// over [N, M] instead of index lists, so a training loop compiles once whatever it selects.
type Inputs struct {
	// Embeddings are the N queries (anchors), shaped [N, D].
	Embeddings *graph.Node
	// Labels are the N integer class labels, shaped [N]. They may be nil when Pos and Neg are given.
	Labels *graph.Node
	// Ref are the M reference embeddings, shaped [M, D]. Nil means Embeddings, and then a query is
	// never paired with itself (the diagonal is excluded from the label-derived positives).
	Ref *graph.Node
	// RefLabels are the M reference labels, shaped [M]. Required when Ref and Labels are both set:
	// unlike PML, gometric never silently reuses Labels for the reference side.
	RefLabels *graph.Node
	// Pos and Neg, when set, replace the label-derived pairs (PML's indices_tuple): Pos[i, j] is how
	// many times the positive pair (query i, reference j) was selected, Neg[i, j] the same for
	// negative pairs. Shaped [N, M], any numeric dtype; both must be set together. PairWeights and
	// TripletWeights build them from index lists.
	Pos, Neg *graph.Node
}

// Loss is a metric-learning loss: every loss of this package, and what every caller (train.Fit,
// MultipleLosses, CrossBatchMemory, the CLI) computes. GoMLX's rule applies: whatever may own
// variables or state takes a context, so every loss is computed the same way, with one:
//
//	v := loss.ComputeWithContext(ctx, losses.Inputs{Embeddings: emb, Labels: labels})
//
// The losses with learnable parameters (ParametricLoss) create and reuse their variables in ctx, the
// stateful ones (DynamicSoftMargin's histogram, CrossBatchMemory's queue, Margin's learned β) keep
// their state there; the others ignore ctx, which may then be nil. Lookup(name) says which is which
// (Info.KeepsState, Info.NeedsClasses) without trying.
type Loss interface {
	// ComputeWithContext returns the scalar loss: the reduced sub-losses plus any regularization,
	// with the loss's variables or state, if it has any, in ctx.
	ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node
}

// PlainLoss is a Loss that can also be computed without a context: Compute(in) is
// ComputeWithContext(nil, in). Every loss without variables is one; so are DynamicSoftMargin (one
// call from its initial state, as a fresh PML object) and Margin (with its fixed β).
type PlainLoss interface {
	Loss
	// Compute returns the scalar loss, as ComputeWithContext with no context.
	Compute(in Inputs) *graph.Node
}

// TermsLoss is a Loss that can also return its sub-losses before reduction (PML's loss dict), for
// custom reductions such as chunking a large batch (use reducers.DoNothingReducer to say so).
type TermsLoss interface {
	Loss
	// Terms returns the sub-losses of the loss, unreduced, including the embedding regularization as
	// an already-reduced term when a regularizer is set.
	Terms(in Inputs) []reducers.SubLoss
}

// Options are the settings every loss shares, PML's BaseMetricLossFunction arguments. Each loss's
// constructor fills in PML's defaults for that loss.
type Options struct {
	// Distance compares embeddings; each loss documents its default.
	Distance distances.Distance
	// Reducer reduces each sub-loss; each loss documents its default.
	Reducer reducers.Reducer
	// EmbeddingRegularizer, when set, adds EmbeddingRegWeight · regularizer(Embeddings) to the loss.
	EmbeddingRegularizer regularizers.Regularizer
	// EmbeddingRegWeight weights the embedding regularizer (PML's embedding_reg_weight, default 1).
	EmbeddingRegWeight float64
	// BlockRows sets how many query rows Compute processes at a time. 0 (the default) chooses: one
	// block while N·M ≤ 4M entries, else blocks of about 4M entries; a negative value forces one
	// block. Blocks bound memory by O(BlockRows·M) instead of O(N·M), with the same value and gradient
	// (up to float rounding); reducers that cannot add up block results (DivisorReducer,
	// DoNothingReducer) always get one block. Terms always returns one block.
	BlockRows int
}

func defaultOptions(d distances.Distance, r reducers.Reducer) Options {
	return Options{Distance: d, Reducer: r, EmbeddingRegWeight: 1}
}

// withRegularization appends the embedding regularization term (PML adds it as an already-reduced
// sub-loss "embedding_reg_loss", computed on the query embeddings only).
func (o *Options) withRegularization(terms []reducers.SubLoss, emb *graph.Node) []reducers.SubLoss {
	if o.EmbeddingRegularizer == nil {
		return terms
	}
	reg := o.EmbeddingRegularizer.Compute(emb)
	if o.EmbeddingRegWeight != 1 {
		reg = graph.MulScalar(reg, o.EmbeddingRegWeight)
	}
	return append(terms, reducers.SubLoss{Name: "embedding_reg_loss", Kind: reducers.AlreadyReduced, Losses: reg})
}
