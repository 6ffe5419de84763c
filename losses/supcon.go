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
func (l *SupCon) Terms(in Inputs) []reducers.Terms { return l.terms(in, "SupConLoss", l.block) }

// Compute implements Loss.
func (l *SupCon) Compute(in Inputs) *graph.Node { return l.compute(in, "SupConLoss", l.block) }

func (l *SupCon) block(p pairsOf) blockResult {
	logits := l.Distance.Matrix(p.q, p.ref)
	if !l.Distance.IsInverted() {
		logits = graph.Neg(logits)
	}
	logits = graph.DivScalar(logits, l.Temperature)
	zero := gmath.Zero(logits)
	posMask := graph.ConvertDType(graph.GreaterThan(p.pos, zero), logits.DType())
	negMask := graph.ConvertDType(graph.GreaterThan(p.neg, zero), logits.DType())
	den, _ := weightedLogSumExp(logits, graph.Add(posMask, negMask)) // [N]
	logProb := graph.Sub(logits, graph.InsertAxes(den, -1))
	logProb = graph.Where(graph.GreaterThan(posMask, zero), logProb, zero) // No garbage from unselected entries.
	numPos := graph.ReduceSum(posMask, 1)
	sumPos := graph.ReduceSum(graph.Mul(posMask, logProb), 1)
	meanLogProbPos := gmath.SafeDiv(sumPos, numPos)
	perAnchor := graph.Neg(meanLogProbPos)

	terms := []reducers.Terms{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, AnchorLabels: p.anchorLabels}}
	// PML returns a zero loss unless the batch has at least one positive and one negative pair.
	return blockResult{terms: terms, gatePos: graph.ReduceAllSum(posMask), gateNeg: graph.ReduceAllSum(negMask)}
}
