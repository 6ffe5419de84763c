package losses

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// ProxyAnchor is PML's ProxyAnchorLoss (Kim et al., 2020): with one learnable proxy P_c per class and
// s_ic the similarity of sample i to proxy c, two sub-losses over the proxies,
//
//	pos_loss_c = log(1 + Σ_{i: y_i = c} e^{−α·(s_ic − δ)}),   neg_loss_c = log(1 + Σ_{i: y_i ≠ c} e^{α·(s_ic + δ)})
//
// (a proxy without such samples gives 0), α = Alpha, δ = Margin. With a distance instead of a
// similarity the exponents use distances.Margin (α·(d − δ) and α·(−δ − d)), as PML does. The default
// DivisorReducer divides Σ_c pos_loss_c by the number of proxies with a positive in the batch and
// Σ_c neg_loss_c by NumClasses, and adds the two.
//
// Inputs: Labels are required (class ids in [0, NumClasses)); Ref is not supported. Deliberate
// difference from PML (pitfall 14): sample weights from Pos and Neg (see LargeMarginSoftmax) multiply
// each sample's exponential, w_i·e^{…} (a sample outside the selection drops out); PML adds w_i − 1 to
// the exponent, so a sample outside the selection still counts, scaled by e^{−1}. Without Pos and Neg
// both are the formula above. The weight regularizer gets the proxies. The "element" terms are over the
// proxies; their AnchorLabels are the proxies' classes 0..C−1.
//
// Parameters: "proxies", shaped [NumClasses, EmbeddingSize] (PML's layout), initialized like PML's
// kaiming_normal_(mode="fan_out"): N(0, 2/NumClasses); under ctx.In(Scope), Scope "proxyanchor" by
// default.
//
// Logits(ctx, emb) is PML's get_logits: the similarities s_ic [N, C] (the Distance matrix to the proxies), without α or δ, [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewProxyAnchor): Margin 0.1, Alpha 32, CosineSimilarity, DivisorReducer.
type ProxyAnchor struct {
	Options
	ClassOptions
	// Margin is δ, Alpha is α.
	Margin, Alpha float64
}

// NewProxyAnchor returns ProxyAnchorLoss with PML's defaults for numClasses classes and embeddings of
// width embeddingSize.
func NewProxyAnchor(numClasses, embeddingSize int) *ProxyAnchor {
	return &ProxyAnchor{
		Options:      defaultOptions(distances.NewCosineSimilarity(), reducers.DivisorReducer{}),
		ClassOptions: defaultClassOptions("proxyanchor", numClasses, embeddingSize),
		Margin:       0.1, Alpha: 32,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *ProxyAnchor) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	const name = "ProxyAnchorLoss"
	c := l.resolveClass(name, in, true)
	g, dt := c.emb.Graph(), c.dt
	proxies := l.variable(ctx, name, "proxies", g, dt, kaimingNormalFanOutInit(ctx), l.NumClasses, l.EmbeddingSize)
	sim := graph.Transpose(l.Distance.Matrix(c.emb, proxies), 0, 1) // [C, N]
	margin := graph.Scalar(g, dt, l.Margin)
	posExp := graph.MulScalar(distances.Margin(l.Distance, sim, margin), l.Alpha)
	negExp := graph.MulScalar(distances.Margin(l.Distance, graph.Neg(margin), sim), l.Alpha)
	posMask := graph.Transpose(c.oneHot, 0, 1) // [C, N]; all zero for a sample with an invalid label.
	negMask := graph.OneMinus(posMask)
	posW, negW := posMask, negMask
	if c.weights != nil {
		w := graph.InsertAxes(c.weights, 0)
		posW, negW = graph.Mul(posW, w), graph.Mul(negW, w)
	}
	posLSE, _ := weightedLogSumExp(posExp, posW)
	negLSE, _ := weightedLogSumExp(negExp, negW)
	posLoss, negLoss := softplus(posLSE), softplus(negLSE) // log(1 + Σ …); 0 for an empty row.

	// An out-of-range label makes the loss NaN, as elementTerms does for the per-sample losses.
	allValid := graph.ReduceAllMin(graph.ConvertDType(c.valid, dt))
	nan := graph.Scalar(g, dt, math.NaN())
	posLoss = graph.Where(graph.GreaterThan(allValid, gmath.Zero(allValid)), posLoss, nan)
	negLoss = graph.Where(graph.GreaterThan(allValid, gmath.Zero(allValid)), negLoss, nan)

	withPos := graph.ReduceSum(graph.ConvertDType(graph.GreaterThan(graph.ReduceSum(posMask, 1), gmath.Zero(posMask)), dt), 0)
	proxyLabels := graph.Iota(g, shapes.Make(dtypes.Int32, l.NumClasses), 0)
	terms := []reducers.SubLoss{
		{Name: "pos_loss", Kind: reducers.Element, Losses: posLoss, AnchorLabels: proxyLabels, Divisor: withPos},
		{Name: "neg_loss", Kind: reducers.Element, Losses: negLoss, AnchorLabels: proxyLabels, Divisor: graph.Scalar(g, dt, float64(l.NumClasses))},
	}
	return l.reduce(&l.Options, c, terms, proxies)
}
