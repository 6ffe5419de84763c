package losses

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// Angular is PML's AngularLoss (Wang et al., 2017, "Deep Metric Learning with Angular Loss"): for each
// positive pair (a, p), with t = tan²(Alpha) and x the L2-normalized embeddings,
//
//	log(1 + Σ_{n: y_n ≠ y_a} exp(4t·(x_a + x_p)ᵀx_n − 2(1 + t)·x_aᵀx_p))
//
// The negatives are every reference whose label differs from the anchor's (as PML: with explicit
// pairs, Neg only decides whether the loss is zero, and labels are still required). The loss is 0
// when the selection has no positive or no negative pair.
//
// PML does not normalize the negatives x_n (§5 bug 7: it uses the raw reference embeddings in the
// exponent, so the loss depends on their norms). gometric normalizes them by default;
// RawNegatives reproduces PML exactly (the golden tests set it: their embeddings are not unit
// length, so the difference is visible).
//
// Computation: the exponent separates into a term of (a, n) and a term of (p, n), so the sum over the
// negatives is a matrix product: with A = 4t·x_a·x_n (restricted to the negatives of a) and
// B = 4t·x_p·x_n, each shifted by its row's maximum,
//
//	Σ_n e^{A_an + B_pn} = e^{maxA_a + maxB_p} · (e^{A − maxA} · (e^{B − maxB})ᵀ)_ap
//
// O(N·M·(M + D)) time in matrix products and O(N·M + M²) memory, where PML builds all N·M² triples
// (Compute still goes block by block for large inputs, see Options.BlockRows). Value and gradient
// (GoMLX's autodiff of the products) are exact as long as e^{A+B−maxA−maxB} does not underflow for
// every negative of a pair: the exponent spread is at most 16t = 11.3 with normalized negatives; with
// RawNegatives it grows with the negatives' norms, and the product is then computed in float64
// (exact while those norms stay below about 60).
//
// Defaults (NewAngular): Alpha 40 (degrees), RawNegatives false, LpDistance (p=2, power 1, normalized:
// asserted, as PML), MeanReducer (over positive pairs).
type Angular struct {
	Options
	// Alpha is the angle in degrees.
	Alpha float64
	// RawNegatives uses the negatives' embeddings without normalization, PML's behaviour.
	RawNegatives bool
}

// NewAngular returns AngularLoss with PML's defaults (and normalized negatives).
func NewAngular() *Angular {
	return &Angular{Options: defaultOptions(distances.NewLpDistance(), reducers.MeanReducer{}), Alpha: 40}
}

// inputs checks in and, with explicit pairs, replaces Neg by the label-derived negatives (kept only if
// Neg selects any pair).
func (l *Angular) inputs(in Inputs) Inputs {
	d, ok := l.Distance.(*distances.LpDistance)
	if !ok || d.P != 2 || d.Power != 1 || !d.NormalizeEmbeddings {
		exceptions.Panicf("AngularLoss: the distance must be LpDistance(p=2, power=1, normalized), got %s", l.Distance)
	}
	if in.Labels == nil {
		exceptions.Panicf("AngularLoss: needs Labels (the negatives are all references of another label)")
	}
	if in.Pos == nil || in.Neg == nil {
		return in
	}
	refLabels := in.RefLabels
	if in.Ref == nil {
		refLabels = in.Labels
	}
	if refLabels == nil {
		exceptions.Panicf("AngularLoss: Ref given without RefLabels")
	}
	diff := graph.NotEqual(graph.InsertAxes(graph.ConvertDType(in.Labels, dtypes.Int64), -1), graph.InsertAxes(graph.ConvertDType(refLabels, dtypes.Int64), 0))
	negF := graph.ConvertDType(in.Neg, in.Embeddings.DType())
	anyNeg := graph.ReduceAllMax(graph.ConvertDType(graph.GreaterThan(negF, gmath.Zero(negF)), negF.DType()))
	out := in
	out.Neg = graph.Mul(graph.ConvertDType(diff, negF.DType()), anyNeg)
	return out
}

// Terms implements TermsLoss: one "loss" pair term per positive pair.
func (l *Angular) Terms(in Inputs) []reducers.Terms {
	return l.terms(l.inputs(in), "AngularLoss", l.block)
}

// Compute implements Loss, block by block for large inputs (see the type's documentation).
func (l *Angular) Compute(in Inputs) *graph.Node {
	return l.compute(l.inputs(in), "AngularLoss", l.block)
}

// l2Normalize divides each row by its L2 norm, clamped below at 1e-12 (torch's normalize).
func l2Normalize(x *graph.Node) *graph.Node {
	norm := gmath.SafeSqrt(graph.ReduceSum(graph.Square(x), -1))
	norm = graph.Max(norm, graph.Scalar(x.Graph(), x.DType(), 1e-12))
	return graph.Div(x, graph.InsertAxes(norm, -1))
}

func (l *Angular) block(p pairsOf) blockResult {
	xa, xp := l2Normalize(p.q), l2Normalize(p.ref)
	xn := xp
	if l.RawNegatives {
		xn = p.ref
	}
	t := math.Pow(math.Tan(l.Alpha*math.Pi/180), 2)
	// One product for the three dot-product matrices: [x_a; x_p]·[x_n; x_p]ᵀ, sliced into x_a·x_n
	// [rows, M], x_p·x_n [M, M] and x_a·x_p [rows, M] (with normalized negatives x_n = x_p, the left
	// half alone has all three).
	rows, m := xa.Shape().Dimensions[0], xp.Shape().Dimensions[0]
	left := graph.Concatenate([]*graph.Node{xa, xp}, 0)
	right := xn
	if l.RawNegatives {
		right = graph.Concatenate([]*graph.Node{xn, xp}, 0)
	}
	all := graph.MatMul(left, graph.Transpose(right, 0, 1))
	an := graph.Slice(all, graph.AxisRange(0, rows), graph.AxisRange(0, m))
	pn := graph.Slice(all, graph.AxisRange(rows, rows+m), graph.AxisRange(0, m))
	ap := graph.Slice(all, graph.AxisRange(0, rows), graph.AxisRange(0, m))
	if l.RawNegatives {
		ap = graph.Slice(all, graph.AxisRange(0, rows), graph.AxisRange(m, 2*m))
	}
	// lse[a, p] = LSE_{n ∈ N(a)} 4t(x_a·x_n + x_p·x_n) − 2(1+t) x_a·x_p, the sum over n as a product.
	lse := angularLSE(graph.MulScalar(an, 4*t), graph.MulScalar(pn, 4*t), selectedMask(p.neg), l.RawNegatives)
	lse = graph.Sub(lse, graph.MulScalar(ap, 2*(1+t)))
	perPair := softplus(lse) // log(1 + Σ e^x); no negative: 0.
	terms := []reducers.Terms{{Name: "loss", Kind: reducers.PosPair, Losses: perPair, Weights: p.pos, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms, gatePos: countSelected(p.pos), gateNeg: countSelected(p.neg)}
}

// angularLSE returns, for each anchor a and reference p, log Σ_n e^{A[a,n] + B[p,n]} over the n with
// neg[a, n] > 0, computed as a matrix product of the shifted exponentials (see Angular), and a very
// negative finite value (zero gradient) for an anchor without negatives. wide computes the product in
// float64 when the inputs are float32.
func angularLSE(a, b, neg *graph.Node, wide bool) *graph.Node {
	g, dt := a.Graph(), a.DType()
	if wide && dt == dtypes.Float32 {
		lse := angularLSE(graph.ConvertDType(a, dtypes.Float64), graph.ConvertDType(b, dtypes.Float64), graph.ConvertDType(neg, dtypes.Float64), false)
		return graph.ConvertDType(lse, dt)
	}
	m := b.Shape().Dimensions[0]
	keep := graph.GreaterThan(neg, gmath.Zero(neg))
	veryNegative := graph.Scalar(g, dt, lowest(dt))
	// The shifts carry no gradient: the log-sum-exp does not depend on them.
	aMax := graph.StopGradient(graph.ReduceMax(graph.Where(keep, a, veryNegative), 1)) // [N]
	aMax = graph.Where(graph.GreaterThan(aMax, veryNegative), aMax, gmath.Zero(aMax))
	bMax := graph.StopGradient(graph.ReduceMax(b, 1)) // [M]
	ea := graph.Where(keep, graph.Exp(graph.Sub(a, rowBroadcast(aMax, m))), gmath.Zero(a))
	eb := graph.Exp(graph.Sub(b, rowBroadcast(bMax, m)))
	s := graph.MatMul(ea, graph.Transpose(eb, 0, 1)) // [N, M]: Σ_n ea[a, n]·eb[p, n]
	nonEmpty := graph.GreaterThan(s, gmath.Zero(s))
	n := a.Shape().Dimensions[0]
	shift := graph.Add(rowBroadcast(aMax, m), graph.BroadcastToDims(graph.InsertAxes(bMax, 0), n, m))
	return graph.Where(nonEmpty, graph.Add(shift, graph.Log(graph.Where(nonEmpty, s, gmath.One(s)))), veryNegative)
}
