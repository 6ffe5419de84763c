package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// NormalizedSoftmax is PML's NormalizedSoftmaxLoss (Zhai & Wu, 2018): a softmax cross entropy over the
// C classes with logits
//
//	z_j = sim(x, W_j/‖W_j‖) / T
//
// with T = Temperature and sim the Distance (DotProductSimilarity, which normalizes the embeddings by
// default, so the logits are cosines / T); the per-sample losses are reduced by Reducer. Inputs,
// sample weights and the weight regularizer are as in LargeMarginSoftmax.
//
// Parameters: "W", shaped [EmbeddingSize, NumClasses] (one column per class), initialized N(0, 1)
// (PML's normal_), under ctx.In(Scope), Scope "normalizedsoftmax" by default.
//
// Logits(ctx, emb) is PML's get_logits: z_j above, the loss's own logits, [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewNormalizedSoftmax): Temperature 0.05, DotProductSimilarity (normalized; PML asserts a
// DotProductSimilarity, which CosineSimilarity also is), MeanReducer.
type NormalizedSoftmax struct {
	Options
	ClassOptions
	// Temperature divides every logit.
	Temperature float64
}

// NewNormalizedSoftmax returns NormalizedSoftmaxLoss with PML's defaults for numClasses classes and
// embeddings of width embeddingSize.
func NewNormalizedSoftmax(numClasses, embeddingSize int) *NormalizedSoftmax {
	return &NormalizedSoftmax{
		Options:      defaultOptions(distances.NewDotProductSimilarity(), reducers.MeanReducer{}),
		ClassOptions: defaultClassOptions("normalizedsoftmax", numClasses, embeddingSize),
		Temperature:  0.05,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *NormalizedSoftmax) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	const name = "NormalizedSoftmaxLoss"
	l.checkDistance(name)
	c := l.resolveClass(name, in, true)
	w := l.variable(ctx, name, "W", c.emb.Graph(), c.dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses)
	logits := normalizedSoftmaxLogits(l.Distance, c.emb, w, l.Temperature)
	terms := []reducers.SubLoss{c.elementTerms(crossEntropy(logits, c.oneHot))}
	return l.reduce(&l.Options, c, terms, graph.Transpose(w, 0, 1))
}
