package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// NCA is PML's NCALoss (Goldberger et al., 2004, Neighbourhood Components Analysis): for each anchor
// i, with logits z_ij = −SoftmaxScale·d_ij (SoftmaxScale·s_ij for a similarity),
//
//	−log Σ_{j∈P(i)} softmax_j(z_i·)   over the references j ≠ i
//
// computed as LSE_{j∈P(i)∪N(i)}(z_ij) − LSE_{j∈P(i)}(z_ij): a log-softmax. With labels, P(i) ∪ N(i) is
// every reference but the query itself, PML's softmax. Anchors without positives are dropped from the
// mean, as in PML. O(N·M) memory, row-separable.
//
// Deliberate differences from PML:
//   - Stability: PML computes the probability Σ softmax and drops the anchors where it underflows to
//     exactly 0 (a hard example then costs nothing); gometric's log-softmax gives those anchors their
//     large, finite loss. Elsewhere the values agree.
//   - Explicit pairs (Inputs.Pos/Neg): PML requires labels and uses an indices_tuple only as per-anchor
//     weights; gometric has no labels then, so it takes P(i) from Pos and the softmax over the selected
//     pairs P(i) ∪ N(i) (each counted once), the reading that equals PML's on label-derived pairs.
//
// Defaults (NewNCA): SoftmaxScale 1, LpDistance with power 2 (squared Euclidean, normalized), MeanReducer
// (over anchors with a positive).
type NCA struct {
	Options
	SoftmaxScale float64
}

// NewNCA returns NCALoss with PML's defaults.
func NewNCA() *NCA {
	d := distances.NewLpDistance()
	d.Power = 2
	return &NCA{Options: defaultOptions(d, reducers.MeanReducer{}), SoftmaxScale: 1}
}

// Terms implements TermsLoss: one "loss" element term per anchor, weighted 0 for anchors without
// positives.
func (l *NCA) Terms(in Inputs) []reducers.SubLoss { return l.terms(in, "NCALoss", l.block) }

// Compute implements PlainLoss.
func (l *NCA) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "NCALoss", l.block)
}

func (l *NCA) block(p queryBlock) blockResult {
	logits := l.Distance.Matrix(p.q, p.ref)
	if !l.Distance.IsInverted() {
		logits = graph.Neg(logits)
	}
	logits = graph.MulScalar(logits, l.SoftmaxScale)
	posMask, negMask := selectedMask(p.pos), selectedMask(p.neg)
	all, _ := weightedLogSumExp(logits, graph.Max(posMask, negMask))
	pos, hasPos := weightedLogSumExp(logits, posMask)
	zero := graph.ScalarZero(logits.Graph(), logits.DType())
	perAnchor := graph.Where(hasPos, graph.Sub(graph.Where(hasPos, all, zero), graph.Where(hasPos, pos, zero)), zero)
	keep := graph.ConvertDType(hasPos, logits.DType())
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, Weights: keep, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms}
}
