package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// ProxyNCA is PML's ProxyNCALoss (Movshovitz-Attias et al., 2017): NCA against one learnable proxy per
// class, proxy c having label c. With logits z_c = −SoftmaxScale·d(x, P_c) (SoftmaxScale·s(x, P_c) for
// a similarity), each sample's loss is
//
//	−log softmax_y(z) = LSE_c(z_c) − z_y
//
// reduced by Reducer. Inputs and sample weights are as in LargeMarginSoftmax; the weight regularizer
// gets the proxies.
//
// Deliberate difference from PML (as NCA): PML computes the softmax probability and drops the samples
// where it underflows to exactly 0; gometric's log-softmax gives them their large, finite loss.
// Elsewhere the values agree.
//
// Parameters: "proxies", shaped [NumClasses, EmbeddingSize] (PML's layout: one row per class),
// initialized N(0, 1) (PML's normal_), under ctx.In(Scope), Scope "proxynca" by default.
//
// Logits(ctx, emb) is PML's get_logits: the Distance matrix to the proxies as is, d(x, P_c) (squared distances by default: not negated, not scaled), [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewProxyNCA): SoftmaxScale 1, LpDistance with power 2 (squared Euclidean, normalized),
// MeanReducer.
type ProxyNCA struct {
	Options
	ClassOptions
	// SoftmaxScale multiplies the logits.
	SoftmaxScale float64
}

// NewProxyNCA returns ProxyNCALoss with PML's defaults for numClasses classes and embeddings of width
// embeddingSize.
func NewProxyNCA(numClasses, embeddingSize int) *ProxyNCA {
	d := distances.NewLpDistance()
	d.Power = 2
	return &ProxyNCA{
		Options:      defaultOptions(d, reducers.MeanReducer{}),
		ClassOptions: defaultClassOptions("proxynca", numClasses, embeddingSize),
		SoftmaxScale: 1,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *ProxyNCA) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	const name = "ProxyNCALoss"
	c := l.resolveClass(name, in, true)
	proxies := l.variable(ctx, name, "proxies", c.emb.Graph(), c.dt, normalInit(ctx), l.NumClasses, l.EmbeddingSize)
	logits := l.Distance.Matrix(c.emb, proxies)
	if !l.Distance.IsInverted() {
		logits = graph.Neg(logits)
	}
	logits = graph.MulScalar(logits, l.SoftmaxScale)
	terms := []reducers.SubLoss{c.elementTerms(crossEntropy(logits, c.oneHot))}
	return l.reduce(&l.Options, c, terms, proxies)
}
