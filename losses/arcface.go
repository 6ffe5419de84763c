package losses

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// ArcFace is PML's ArcFaceLoss (additive angular margin, Deng et al., 2019): a softmax cross entropy
// over the C classes with logits
//
//	z_j = s·cos θ_j  (j ≠ y),   z_y = s·cos(θ_y + m)  if θ_y ≤ π − m,  else s·(cos θ_y − m·sin m)
//
// where θ_j is the angle between x and the class weight W_j, m = Margin (in degrees, as in PML) and
// s = Scale; the per-sample losses are reduced by Reducer. cos(θ + m) is computed as
// cos θ·cos m − sin θ·sin m. Inputs, sample weights and the weight regularizer are as in
// LargeMarginSoftmax.
//
// Deliberate difference from PML (pitfall 4): the target cosine is clamped to ±(1 − ε) (ε = 1e-12 in
// float64, 1e-6 in float32, 1e-3 in 16-bit floats) before its angle is used, with a zero gradient
// beyond; PML clamps to ±1, where the gradient of acos is infinite, so an embedding that points exactly
// at its class weight gives NaN gradients there. Inside the clamp the values are PML's.
//
// Parameters: "W", shaped [EmbeddingSize, NumClasses] (one column per class), initialized N(0, 1)
// (PML's normal_), under ctx.In(Scope), Scope "arcface" by default.
//
// Logits(ctx, emb) is PML's get_logits: s·cos θ_j for every class (no margin), [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewArcFace): Margin 28.6 (degrees, 0.5 rad), Scale 64, CosineSimilarity (required, as PML
// asserts), MeanReducer.
type ArcFace struct {
	Options
	ClassOptions
	// Margin is the additive angular margin in degrees; Scale multiplies every logit.
	Margin, Scale float64
}

// NewArcFace returns ArcFaceLoss with PML's defaults for numClasses classes and embeddings of width
// embeddingSize.
func NewArcFace(numClasses, embeddingSize int) *ArcFace {
	return &ArcFace{
		Options:      defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		ClassOptions: defaultClassOptions("arcface", numClasses, embeddingSize),
		Margin:       28.6, Scale: 64,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *ArcFace) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	const name = "ArcFaceLoss"
	c := l.resolveClass(name, in, true)
	w := l.variable(ctx, name, "W", c.emb.Graph(), c.dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses)
	cos := cosineToColumns(name, l.Distance, c.emb, w)
	return arcFaceReduce(&l.Options, &l.ClassOptions, c, cos, w, l.Margin, l.Scale)
}

// arcFaceReduce is the rest of ArcFace (and SubCenterArcFace) from the class cosines cos [N, C].
func arcFaceReduce(opts *Options, co *ClassOptions, c classInputs, cos, w *graph.Node, marginDeg, scale float64) *graph.Node {
	m := marginDeg * math.Pi / 180
	logits := replaceTarget(cos, c.oneHot, func(t *graph.Node) *graph.Node { return arcMargin(t, m) })
	logits = graph.MulScalar(logits, scale)
	terms := []reducers.SubLoss{c.elementTerms(crossEntropy(logits, c.oneHot))}
	return co.reduce(opts, c, terms, graph.Transpose(w, 0, 1))
}

// arcMargin returns cos(θ + m) where θ ≤ π − m (cos θ ≥ −cos m), else cos θ − m·sin m, for the
// clamped cosines of t.
func arcMargin(t *graph.Node, m float64) *graph.Node {
	c := clampCos(t)
	sinTheta := graph.Sqrt(graph.OneMinus(graph.Square(c))) // > 0 after the clamp.
	shifted := graph.Sub(graph.MulScalar(c, math.Cos(m)), graph.MulScalar(sinTheta, math.Sin(m)))
	fallback := graph.AddScalar(c, -m*math.Sin(m))
	inRange := graph.GreaterOrEqual(c, graph.Scalar(c.Graph(), c.DType(), -math.Cos(m)))
	return graph.Where(inRange, shifted, fallback)
}
