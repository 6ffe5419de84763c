package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// LiftedStructure is PML's LiftedStructureLoss (Oh Song et al., 2016): for each positive pair (a, p),
//
//	½·relu( LSE_{(x,n) ∈ N(a) ∪ N(p)}(NegMargin − d_xn) + d_ap − PosMargin )²
//
// where N(a) and N(p) are the negative pairs anchored at a and at p (with a similarity, PML's margin()
// flips the signs: s_xn − NegMargin inside the LSE, PosMargin − s_ap outside). A pair whose anchors have no negative gets relu(d_ap − PosMargin)²/2; the
// whole loss is 0 when the selection has no positive or no negative pair, as in PML. Selections count
// with their multiplicity, as PML's pair lists do.
//
// gometric computes each anchor's negative log-sum-exp once on the [N, M] matrix and combines the
// two anchors' with a log-add-exp: O(N·M) memory, where PML builds a positives × negatives matrix.
// Because a pair also needs the negatives of p, a row of the loss depends on other rows: Compute
// always works in one block (Options.BlockRows is ignored).
//
// Deliberate difference from PML: with references (Inputs.Ref) the references are not anchors, so N(p)
// is empty and only the negatives of a count. PML compares negative-pair anchors (query indices) with
// p (a reference index), mixing the two index spaces. Without Ref, the two agree.
//
// Defaults (NewLiftedStructure): NegMargin 1, PosMargin 0, LpDistance (normalized, p=2), MeanReducer
// (over positive pairs).
type LiftedStructure struct {
	Options
	NegMargin, PosMargin float64
}

// NewLiftedStructure returns LiftedStructureLoss with PML's defaults.
func NewLiftedStructure() *LiftedStructure {
	return &LiftedStructure{Options: defaultOptions(distances.NewLpDistance(), reducers.MeanReducer{}), NegMargin: 1}
}

// Terms implements TermsLoss: one "loss" pair term per positive pair.
func (l *LiftedStructure) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "LiftedStructureLoss", l.block)
}

// Compute implements PlainLoss, in one block (a pair needs the negatives of both its items).
func (l *LiftedStructure) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "LiftedStructureLoss", l.block)
}

func (l *LiftedStructure) block(p queryBlock) blockResult {
	mat := l.Distance.Matrix(p.q, p.ref)
	g, dt := mat.Graph(), mat.DType()
	negTerm := distances.Margin(l.Distance, graph.Scalar(g, dt, l.NegMargin), mat)
	rowLSE, rowHas := weightedLogSumExp(negTerm, p.neg) // [N]
	n, m := mat.Shape().Dimensions[0], mat.Shape().Dimensions[1]
	lse := graph.BroadcastToDims(graph.InsertAxes(rowLSE, -1), n, m)
	has := graph.BroadcastToDims(graph.InsertAxes(rowHas, -1), n, m)
	// One block over all rows: without Ref the references are the queries themselves (the same node),
	// and column p's negatives are row p's.
	if p.q == p.ref {
		other := graph.BroadcastToDims(graph.InsertAxes(rowLSE, 0), n, m)
		otherHas := graph.BroadcastToDims(graph.InsertAxes(rowHas, 0), n, m)
		top := graph.StopGradient(graph.Max(lse, other))
		both := graph.Add(top, graph.Log(graph.Add(graph.Exp(graph.Sub(lse, top)), graph.Exp(graph.Sub(other, top)))))
		// A pair (a, a) has one anchor: PML's (a2 == a) | (a2 == p) counts its negatives once.
		notSelf := graph.NotEqual(graph.Iota(g, shapes.Make(dtypes.Int32, n, m), 0), graph.Iota(g, shapes.Make(dtypes.Int32, n, m), 1))
		lse = graph.Where(notSelf, both, lse)
		has = graph.LogicalOr(has, graph.LogicalAnd(notSelf, otherHas))
	}
	lse = graph.Where(has, lse, gmath.Zero(lse)) // No negative at all: PML's masked logsumexp gives 0.
	perPair := graph.DivScalar(graph.Square(relu(graph.Add(lse, distances.Margin(l.Distance, mat, graph.Scalar(g, dt, l.PosMargin))))), 2)
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.PosPair, Losses: perPair, Weights: p.pos, AnchorLabels: p.anchorLabels}}
	// PML returns a zero loss unless the selection has at least one positive and one negative pair.
	return blockResult{terms: terms, gatePos: countSelected(p.pos), gateNeg: countSelected(p.neg)}
}
