package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// RankedList is PML's RankedListLoss (Wang et al., 2019, "Ranked List Loss for Deep Metric Learning"):
// for each anchor i, with α = Alpha and m = Margin,
//
//	(1−λ)·Σ_{p∈P(i), d_ip>α−m} w_p·(d_ip − (α−m)) / (Σ_p w_p + M·1e-5)
//	  + λ·Σ_{n∈N(i), 0<d_in<α} w_n·(α − d_in) / (Σ_n w_n + M·1e-5)
//
// with w_p = e^{Tp·(d_ip − (α−m))}, w_n = e^{Tn·(α − d_in)} (zero outside the conditions; the weights
// are not detached), λ = Imbalance and M the number of references. The 1e-5 added per reference to
// each weight sum (PML adds it to every element of the row before summing, §5 bug 25) is kept so that
// values match PML; it also keeps an anchor without active pairs at 0 instead of 0/0.
//
// Like PML the thresholds compare raw matrix values, so the loss assumes a distance (not a
// similarity). PML rejects an indices_tuple and ref_emb; gometric accepts both (Pos/Neg replace the
// label-derived pairs, Ref the references), an extension. O(N·M) memory, row-separable.
//
// Defaults (NewRankedList): Margin and Tn have no default in PML (required arguments); Imbalance 0.5,
// Alpha 1 + Margin/2 (set Alpha to 0 to get it), Tp 0, LpDistance (normalized, p=2), MeanReducer (over
// anchors). The registry's "rankedlist" uses Margin 0.4 and Tn 10, the paper's settings.
type RankedList struct {
	Options
	Margin    float64
	Tn        float64 `pml:"Tn"`
	Imbalance float64
	Tp        float64 `pml:"Tp"`
	// Alpha is the negatives' boundary; 0 means PML's default 1 + Margin/2.
	Alpha float64
}

// NewRankedList returns RankedListLoss with the required margin and Tn and PML's other defaults.
func NewRankedList(margin, tn float64) *RankedList {
	return &RankedList{Options: defaultOptions(distances.NewLpDistance(), reducers.MeanReducer{}), Margin: margin, Tn: tn, Imbalance: 0.5}
}

func (l *RankedList) alpha() float64 {
	if l.Alpha == 0 {
		return 1 + l.Margin/2
	}
	return l.Alpha
}

// Terms implements TermsLoss: one "loss" element term per anchor.
func (l *RankedList) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "RankedListLoss", l.block)
}

// Compute implements PlainLoss.
func (l *RankedList) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "RankedListLoss", l.block)
}

func (l *RankedList) block(p queryBlock) blockResult {
	mat := l.Distance.Matrix(p.q, p.ref)
	g, dt := mat.Graph(), mat.DType()
	m := mat.Shape().Dimensions[1]
	zero := gmath.Zero(mat)
	alpha := l.alpha()
	posBound := alpha - l.Margin
	posKeep := graph.LogicalAnd(graph.GreaterThan(p.pos, gmath.Zero(p.pos)), graph.GreaterThan(mat, graph.Scalar(g, dt, posBound)))
	negKeep := graph.LogicalAnd(graph.GreaterThan(p.neg, gmath.Zero(p.neg)),
		graph.LogicalAnd(graph.LessThan(mat, graph.Scalar(g, dt, alpha)), graph.GreaterThan(mat, zero)))
	posViol := graph.AddScalar(mat, -posBound)            // d − (α−m)
	negViol := graph.Sub(graph.Scalar(g, dt, alpha), mat) // α − d
	wp := graph.Where(posKeep, graph.Exp(graph.MulScalar(graph.Where(posKeep, posViol, zero), l.Tp)), zero)
	wn := graph.Where(negKeep, graph.Exp(graph.MulScalar(graph.Where(negKeep, negViol, zero), l.Tn)), zero)
	eps := float64(m) * 1e-5
	lossP := graph.Div(graph.ReduceSum(graph.Mul(wp, posViol), 1), graph.AddScalar(graph.ReduceSum(wp, 1), eps))
	lossN := graph.Div(graph.ReduceSum(graph.Mul(wn, negViol), 1), graph.AddScalar(graph.ReduceSum(wn, 1), eps))
	perAnchor := graph.Add(graph.MulScalar(lossP, 1-l.Imbalance), graph.MulScalar(lossN, l.Imbalance))
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms}
}
