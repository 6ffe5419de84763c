package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// SupCon is PML's SupConLoss (Khosla et al., 2020): for each anchor i with positives P(i) and
// negatives N(i),
//
//	−(1/|P(i)|) Σ_{p∈P(i)} [ s_ip/τ − log Σ_{k∈P(i)∪N(i)} e^{s_ik/τ} ]
//
// (with a distance, s = −d). Anchors without positives give 0; the whole loss is 0 when the batch has
// no positive or no negative pair. Selections count once each (PML turns them into 0/1 masks).
//
// Defaults (NewSupCon): Temperature 0.1, CosineSimilarity, AvgNonZeroReducer (over anchors).
type SupCon struct {
	Options
	Temperature float64
}

// NewSupCon returns SupConLoss with PML's defaults.
func NewSupCon() *SupCon {
	return &SupCon{Options: defaultOptions(distances.NewCosineSimilarity(), reducers.AvgNonZeroReducer{}), Temperature: 0.1}
}

// Terms implements TermsLoss: one "loss" element term per anchor.
func (l *SupCon) Terms(in Inputs) []reducers.SubLoss { return l.terms(in, "SupConLoss", l.block) }

// Compute implements PlainLoss.
func (l *SupCon) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "SupConLoss", l.block)
}

func (l *SupCon) block(p queryBlock) blockResult {
	logits := l.Distance.Matrix(p.q, p.ref)
	if !l.Distance.IsInverted() {
		logits = graph.Neg(logits)
	}
	logits = graph.DivScalar(logits, l.Temperature)
	perAnchor, numPos := supConAnchors(logits, p.posSel, p.negSel)
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, AnchorLabels: p.anchorLabels}}
	// PML returns a zero loss unless the batch has at least one positive and one negative pair.
	gateNeg := graph.ReduceAllSum(graph.ConvertDType(p.negSel, logits.DType()))
	return blockResult{terms: terms, gatePos: graph.ReduceAllSum(numPos), gateNeg: gateNeg}
}

// supConAnchors returns each anchor's −mean_{p∈P(i)} log softmax_{P(i)∪N(i)}(x_i·)_p (0 without
// positives) and its number of positives, with a hand-written gradient: for an anchor with positives,
// d/dx[i,j] = softmax[i,j] − [j∈P(i)]/|P(i)|. The mean of the log-probabilities is computed as
// (Σ_{p} (x_ip − rowMax_i))/|P(i)| − log Σ_k e^{x_ik − rowMax_i}, both terms of the same sign.
func supConAnchors(x, posSel, negSel *graph.Node) (perAnchor, numPos *graph.Node) {
	dt := x.DType()
	xs := graph.StopGradient(x)
	me := newMaskedExp(xs, graph.LogicalOr(posSel, negSel), nil)
	m := x.Shape().Dimensions[1]
	numPos = gmath.RowSum(graph.ConvertDType(posSel, dt)) // [N]
	sumPos := gmath.RowSum(graph.Where(posSel, me.shifted, gmath.Zero(me.shifted)))
	hasPos := graph.GreaterThan(numPos, gmath.Zero(numPos))
	value := graph.Where(hasPos, graph.Sub(me.logS, gmath.SafeDiv(sumPos, numPos)), gmath.Zero(numPos))
	perAnchor = withGradient(value, x, func(v *graph.Node) *graph.Node {
		zero := gmath.Zero(v)
		alpha := gmath.RowBroadcast(graph.Where(hasPos, gmath.SafeDiv(v, me.s), zero), m)
		beta := gmath.RowBroadcast(gmath.SafeDiv(v, numPos), m)
		t := graph.Mul(me.e, alpha)
		return graph.Where(posSel, graph.Sub(t, beta), t)
	})
	return perAnchor, numPos
}

// Validate reports a temperature that is not a positive finite number (see NTXent.Validate).
func (l *SupCon) Validate() error { return checkTemperature("SupConLoss", l.Temperature) }
