package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// CosFace is PML's CosFaceLoss (large margin cosine loss, Wang et al., 2018): a softmax cross entropy
// over the C classes with logits
//
//	z_j = s·cos θ_j  (j ≠ y),   z_y = s·(cos θ_y − m)
//
// where cos θ_j is the cosine between x and the class weight W_j, m = Margin and s = Scale; the
// per-sample losses are reduced by Reducer. Inputs, sample weights and the weight regularizer are as
// in LargeMarginSoftmax.
//
// Parameters: "W", shaped [EmbeddingSize, NumClasses] (one column per class), initialized N(0, 1)
// (PML's normal_), under ctx.In(Scope), Scope "cosface" by default.
//
// Logits(ctx, emb) is PML's get_logits: s·cos θ_j for every class (no margin), [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewCosFace): Margin 0.35, Scale 64, CosineSimilarity (required, as PML asserts),
// MeanReducer.
type CosFace struct {
	Options
	ClassOptions
	// Margin is subtracted from the target cosine; Scale multiplies every logit.
	Margin, Scale float64
}

// NewCosFace returns CosFaceLoss with PML's defaults for numClasses classes and embeddings of width
// embeddingSize.
func NewCosFace(numClasses, embeddingSize int) *CosFace {
	return &CosFace{
		Options:      defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		ClassOptions: defaultClassOptions("cosface", numClasses, embeddingSize),
		Margin:       0.35, Scale: 64,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *CosFace) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	const name = "CosFaceLoss"
	c := l.resolveClass(name, in, true)
	w := l.variable(ctx, name, "W", c.emb.Graph(), c.dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses)
	cos := cosineToColumns(name, l.Distance, c.emb, w)
	logits := replaceTarget(cos, c.oneHot, func(t *graph.Node) *graph.Node { return graph.AddScalar(t, -l.Margin) })
	logits = graph.MulScalar(logits, l.Scale)
	terms := []reducers.SubLoss{c.elementTerms(crossEntropy(logits, c.oneHot))}
	return l.reduce(&l.Options, c, terms, graph.Transpose(w, 0, 1))
}
