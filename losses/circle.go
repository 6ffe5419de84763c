package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// Circle is PML's CircleLoss (Sun et al., 2020): for each anchor i with positives P(i) and negatives
// N(i),
//
//	softplus( LSE_{p∈P(i)}(−γ·[1 + m − s_p]₊·(s_p − (1 − m))) + LSE_{n∈N(i)}(γ·[s_n + m]₊·(s_n − m)) )
//
// where the weights [·]₊ = max(·, 0) are computed from detached similarities (no gradient flows
// through them, as in PML). Anchors without a positive or without a negative give 0 (and so drop out
// of AvgNonZeroReducer's mean). Selections count once each (PML turns them into 0/1 masks).
//
// Circle needs a similarity in [−1, 1]: PML asserts CosineSimilarity; gometric accepts any similarity
// (a Distance whose IsInverted is true, such as the normalizing DotProductSimilarity) and panics on a
// distance. O(N·M) memory, row-separable.
//
// Defaults (NewCircle): M 0.4, Gamma 80, CosineSimilarity, AvgNonZeroReducer (over anchors).
type Circle struct {
	Options
	// M is the relaxation margin m, Gamma the scale γ.
	M, Gamma float64
}

// NewCircle returns CircleLoss with PML's defaults.
func NewCircle() *Circle {
	return &Circle{Options: defaultOptions(distances.NewCosineSimilarity(), reducers.AvgNonZeroReducer{}), M: 0.4, Gamma: 80}
}

// Terms implements TermsLoss: one "loss" element term per anchor.
func (l *Circle) Terms(in Inputs) []reducers.SubLoss { return l.terms(in, "CircleLoss", l.block) }

// Compute implements PlainLoss.
func (l *Circle) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "CircleLoss", l.block)
}

func (l *Circle) block(p queryBlock) blockResult {
	if !l.Distance.IsInverted() {
		exceptions.Panicf("CircleLoss: needs a similarity (CosineSimilarity), got the distance %s", l.Distance)
	}
	s := l.Distance.Matrix(p.q, p.ref)
	g, dt := s.Graph(), s.DType()
	c := func(v float64) *graph.Node { return graph.Scalar(g, dt, v) }
	detached := graph.StopGradient(s)
	alphaP := relu(graph.Sub(c(1+l.M), detached))
	alphaN := relu(graph.Add(detached, c(l.M)))
	logitP := graph.Mul(graph.MulScalar(alphaP, -l.Gamma), graph.Sub(s, c(1-l.M)))
	logitN := graph.Mul(graph.MulScalar(alphaN, l.Gamma), graph.Sub(s, c(l.M)))
	lseP, hasP := weightedLogSumExp(logitP, selectedMask(p.pos))
	lseN, hasN := weightedLogSumExp(logitN, selectedMask(p.neg))
	both := graph.LogicalAnd(hasP, hasN)
	perAnchor := softplus(graph.Add(graph.Where(both, lseP, c(0)), graph.Where(both, lseN, c(0))))
	perAnchor = graph.Where(both, perAnchor, c(0))
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms}
}
