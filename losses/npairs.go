package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// NPairs is PML's NPairsLoss (Sohn, 2016, "Improved Deep Metric Learning with Multi-class N-pair Loss
// Objective"): one positive pair (a_k, p_k) per distinct anchor label, then for each pair k
//
//	CE(s(a_k, p_·), target = k) = LSE_l s(a_k, p_l) − s(a_k, p_k)
//
// (with a distance, s = −d). The pair of a label is PML's first positive pair in row-major order
// (convert_to_pos_pairs_with_unique_labels): the first anchor of that label with a positive, and its
// first positive. With labels that is the label's first and second samples; with explicit pairs (Pos)
// it is the same rule over the selected positive pairs (Neg is ignored, as in PML). Labels are required
// (they decide which pairs share a label); Ref is rejected, as in PML.
//
// Static shapes: the pairs are a mask over the N anchors and a one-hot [N, N] choice of each anchor's
// positive, so the batch compiles once whatever its labels. O(N²·D) time (two matrix products) and
// O(N²) memory, one block.
//
// Defaults (NewNPairs): DotProductSimilarity (normalized, as PML's default), MeanReducer (over pairs).
type NPairs struct {
	Options
}

// NewNPairs returns NPairsLoss with PML's defaults.
func NewNPairs() *NPairs {
	return &NPairs{Options: defaultOptions(distances.NewDotProductSimilarity(), reducers.MeanReducer{})}
}

func (l *NPairs) check(in Inputs) {
	if in.Labels == nil || in.Ref != nil {
		exceptions.Panicf("NPairsLoss: needs Labels (also with explicit pairs) and does not support Ref (as PML)")
	}
}

// Terms implements TermsLoss: one "loss" element term per anchor, weighted 1 for the chosen anchors.
func (l *NPairs) Terms(in Inputs) []reducers.Terms {
	l.check(in)
	return l.terms(in, "NPairsLoss", l.blockFor(in))
}

// Compute implements Loss, in one block.
func (l *NPairs) Compute(in Inputs) *graph.Node {
	l.check(in)
	o := l.Options
	o.BlockRows = -1
	return o.compute(in, "NPairsLoss", l.blockFor(in))
}

func (l *NPairs) blockFor(in Inputs) blockFn {
	return func(p pairsOf) blockResult {
		g, dt := p.q.Graph(), p.q.DType()
		n := p.q.Shape().Dimensions[0]
		posMask := graph.GreaterThan(p.pos, gmath.Zero(p.pos)) // [N, N]
		rowHas := graph.ReduceLogicalOr(posMask, 1)            // [N]
		// The first positive of each row: the smallest selected column (GoMLX's CumSum would cost
		// O(N³) on the pure-Go backend, a window sum per entry).
		ii := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 0)
		kk := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 1)
		first := graph.ReduceMin(graph.Where(posMask, kk, graph.Const(g, int32(n))), 1) // n: none
		// The anchors: rows with a positive and no earlier such row of the same label.
		labels := graph.ConvertDType(in.Labels, dtypes.Int64)
		earlier := graph.LogicalAnd(graph.LogicalAnd(graph.Equal(graph.InsertAxes(labels, -1), graph.InsertAxes(labels, 0)), graph.LessThan(kk, ii)),
			graph.InsertAxes(rowHas, 0))
		anchor := graph.LogicalAnd(rowHas, graph.LogicalNot(graph.ReduceLogicalOr(earlier, 1))) // [N]
		// Row i is anchor i's positive (for a row that is no anchor, Gather clamps the index n to n−1,
		// and the row's loss is masked out below).
		positives := graph.Gather(p.ref, graph.InsertAxes(graph.Min(first, graph.Const(g, int32(n-1))), -1)) // [N, D]
		sim := l.Distance.Matrix(p.q, positives)
		if !l.Distance.IsInverted() {
			sim = graph.Neg(sim)
		}
		anchorF := graph.ConvertDType(anchor, dt)
		cols := graph.BroadcastToDims(graph.InsertAxes(anchorF, 0), n, n)
		lse, _ := weightedLogSumExp(sim, cols)
		diag := graph.Equal(ii, kk)
		own := graph.ReduceSum(graph.Where(diag, sim, gmath.Zero(sim)), 1)
		perAnchor := graph.Where(anchor, graph.Sub(graph.Where(anchor, lse, gmath.Zero(lse)), own), gmath.Zero(own))
		terms := []reducers.Terms{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, Weights: anchorF, AnchorLabels: p.anchorLabels}}
		return blockResult{terms: terms}
	}
}
