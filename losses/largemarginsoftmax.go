package losses

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// LargeMarginSoftmax is PML's LargeMarginSoftmaxLoss (L-Softmax, Liu et al., 2016): a softmax cross
// entropy over the C classes whose logits are
//
//	z_j = s·‖W_j‖·‖x‖·cos θ_j  (j ≠ y),   z_y = s·‖W_y‖·‖x‖·ψ(θ_y),   ψ(θ) = (−1)^k·cos(mθ) − 2k
//
// with θ_j the angle between x and the class weight W_j, m = Margin (an integer), s = Scale and
// k = ⌊θ·m/π⌋. cos(mθ) is computed from cos θ with the multiple-angle formula
// Σ_n (−1)^n·C(m, 2n)·cos^{m−2n}θ·(1 − cos²θ)^n, as in PML, and k from comparisons of cos θ with
// cos(jπ/m) (no gradient through k, as in PML). The per-sample losses are reduced by Reducer.
//
// Parameters: "W", shaped [EmbeddingSize, NumClasses] (PML's layout: one column per class), initialized
// N(0, 1) (PML's normal_), under ctx.In(Scope), Scope "largemarginsoftmax" by default.
//
// Inputs: Labels are required (class ids in [0, NumClasses)); Ref is not supported; Pos and Neg, when
// given, weigh each sample by how often it appears in them, relative to the most frequent (PML's
// convert_to_weights). The weight regularizer gets Wᵀ (one row per class). Options.BlockRows is not
// used. Distance must be CosineSimilarity (PML asserts it).
//
// Logits(ctx, emb) is PML's get_logits: s·‖W_j‖·‖x‖·cos θ_j for every class (the logits above without ψ), [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewLargeMarginSoftmax): Margin 4, Scale 1, CosineSimilarity, MeanReducer.
type LargeMarginSoftmax struct {
	Options
	ClassOptions
	// Margin is the integer angle multiplier m (PML truncates a fractional margin with int()).
	Margin float64
	// Scale multiplies every logit.
	Scale float64
}

// NewLargeMarginSoftmax returns LargeMarginSoftmaxLoss with PML's defaults for numClasses classes and
// embeddings of width embeddingSize.
func NewLargeMarginSoftmax(numClasses, embeddingSize int) *LargeMarginSoftmax {
	return &LargeMarginSoftmax{
		Options:      defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		ClassOptions: defaultClassOptions("largemarginsoftmax", numClasses, embeddingSize),
		Margin:       4, Scale: 1,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *LargeMarginSoftmax) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	return lmsCompute(ctx, in, "LargeMarginSoftmaxLoss", &l.Options, &l.ClassOptions, l.Margin, l.Scale, true)
}

// lmsCompute is LargeMarginSoftmax (weightNorms true) and SphereFace (false, logits scaled by ‖x‖ only).
func lmsCompute(ctx *context.Context, in Inputs, name string, opts *Options, co *ClassOptions, margin, scale float64, weightNorms bool) *graph.Node {
	c := co.resolveClass(name, in, true)
	w := co.variable(ctx, name, "W", c.emb.Graph(), c.dt, normalInit(ctx), co.EmbeddingSize, co.NumClasses)
	cos := cosineToColumns(name, opts.Distance, c.emb, w)
	m := int(margin)
	if m < 1 {
		exceptions.Panicf("%s: Margin must be at least 1, got %g", name, margin)
	}
	logits := replaceTarget(cos, c.oneHot, func(t *graph.Node) *graph.Node { return psiMultipleAngle(t, m) })
	logits = graph.MulScalar(graph.Mul(logits, lmsMagnitudes(c.emb, w, weightNorms)), scale)
	terms := []reducers.SubLoss{c.elementTerms(crossEntropy(logits, c.oneHot))}
	return co.reduce(opts, c, terms, graph.Transpose(w, 0, 1))
}

// psiMultipleAngle returns ψ(θ) = (−1)^k·cos(mθ) − 2k for cosines c, with cos(mθ) from the
// multiple-angle formula and k = ⌊θm/π⌋ = #{j ∈ 1..m : cos θ ≤ cos(jπ/m)}.
func psiMultipleAngle(c *graph.Node, m int) *graph.Node {
	g, dt := c.Graph(), c.DType()
	sin2 := graph.OneMinus(graph.Square(c))
	var cosM *graph.Node
	for n := 0; 2*n <= m; n++ {
		term := graph.MulScalar(graph.Mul(intPow(c, m-2*n), intPow(sin2, n)), math.Pow(-1, float64(n))*binomial(m, 2*n))
		if cosM == nil {
			cosM = term
		} else {
			cosM = graph.Add(cosM, term)
		}
	}
	k := graph.ZerosLike(c)
	sign := graph.OnesLike(c)
	for j := 1; j <= m; j++ {
		past := graph.LessOrEqual(c, graph.Scalar(g, dt, math.Cos(float64(j)*math.Pi/float64(m))))
		k = graph.Add(k, graph.ConvertDType(past, dt))
		sign = graph.Where(past, graph.Neg(sign), sign)
	}
	k, sign = graph.StopGradient(k), graph.StopGradient(sign)
	return graph.Sub(graph.Mul(sign, cosM), graph.MulScalar(k, 2))
}

// intPow returns x^p for an integer p >= 0 by repeated multiplication (exact gradient, also at 0).
func intPow(x *graph.Node, p int) *graph.Node {
	if p == 0 {
		return graph.OnesLike(x)
	}
	out := x
	for range p - 1 {
		out = graph.Mul(out, x)
	}
	return out
}

// binomial returns C(n, k).
func binomial(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}
