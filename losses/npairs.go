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
// Static shapes: the anchors are compacted into N/2 slots (N with explicit pairs, where a label may
// have a single sample paired with itself), so the batch compiles once whatever its labels, and the
// cross entropy is over a [N/2, N/2] matrix as PML's over its [pairs, pairs]: O(N²·D/4) time in the
// matrix product, O(N²) memory for the pair selection, one block.
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
func (l *NPairs) Terms(in Inputs) []reducers.SubLoss {
	l.check(in)
	return l.terms(in, "NPairsLoss", l.blockFor(in))
}

// Compute implements PlainLoss, in one block.
func (l *NPairs) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	l.check(in)
	return l.compute(in, "NPairsLoss", l.blockFor(in))
}

func (l *NPairs) blockFor(in Inputs) blockFn {
	return func(p queryBlock) blockResult {
		g, dt := p.q.Graph(), p.q.DType()
		n := p.q.Shape().Dimensions[0]
		posMask := p.posSel                         // [N, N]
		rowHas := graph.ReduceLogicalOr(posMask, 1) // [N]
		// The first positive of each row: the smallest selected column (GoMLX's CumSum would cost
		// O(N³) on the pure-Go backend, a window sum per entry).
		kk := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 1)
		first := graph.ReduceMin(graph.Where(posMask, kk, graph.Const(g, int32(n))), 1) // n: none
		rowIdx := graph.Iota(g, shapes.Make(dtypes.Int32, n), 0)
		// The anchors: rows with a positive and no earlier such row of the same label.
		var anchor *graph.Node
		capacity := n
		if !p.weighted {
			// With labels, the rows of i's label before i are exactly i's positives before i, and
			// each has a positive (i): i is an anchor iff its first positive comes after it. A label
			// with an anchor has two samples at least, so there are at most N/2 anchors.
			anchor = graph.LogicalAnd(rowHas, graph.GreaterThan(first, rowIdx))
			capacity = max(1, n/2)
		} else {
			labels := graph.ConvertDType(in.Labels, dtypes.Int64)
			ii := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 0)
			earlier := graph.LogicalAnd(graph.LogicalAnd(graph.Equal(graph.InsertAxes(labels, -1), graph.InsertAxes(labels, 0)), graph.LessThan(kk, ii)),
				graph.InsertAxes(rowHas, 0))
			anchor = graph.LogicalAnd(rowHas, graph.LogicalNot(graph.ReduceLogicalOr(earlier, 1))) // [N]
		}
		// Compact the anchors into [capacity] slots (in row order; empty slots are −1): the loss is a
		// [capacity, capacity] cross entropy, a quarter of an [N, N] one with labels.
		anchorI := graph.ConvertDType(anchor, dtypes.Int32)
		slot := graph.Sub(prefixSum(anchorI), anchorI) // anchors before the row
		slot = graph.Min(slot, graph.Const(g, int32(capacity-1)))
		rows := graph.ScatterSum(graph.Zeros(g, shapes.Make(dtypes.Int32, capacity)), graph.InsertAxes(slot, -1),
			graph.Where(anchor, graph.Add(rowIdx, graph.Const(g, int32(1))), graph.Const(g, int32(0))), false, false)
		rows = graph.Sub(rows, graph.Const(g, int32(1)))
		valid := graph.GreaterOrEqual(rows, graph.Const(g, int32(0))) // [capacity]
		rowsC := graph.InsertAxes(graph.Max(rows, graph.Const(g, int32(0))), -1)
		posIdx := graph.Min(graph.Gather(first, rowsC), graph.Const(g, int32(n-1)))
		qa := graph.Gather(p.q, rowsC)                          // [capacity, D]
		pa := graph.Gather(p.ref, graph.InsertAxes(posIdx, -1)) // [capacity, D]: each anchor's positive
		sim := l.Distance.Matrix(qa, pa)
		if !l.Distance.IsInverted() {
			sim = graph.Neg(sim)
		}
		validF := graph.ConvertDType(valid, dt)
		cols := graph.BroadcastToDims(graph.InsertAxes(validF, 0), capacity, capacity)
		lse, _ := weightedLogSumExp(sim, cols)
		diag := graph.Equal(graph.Iota(g, shapes.Make(dtypes.Int32, capacity, capacity), 0), graph.Iota(g, shapes.Make(dtypes.Int32, capacity, capacity), 1))
		own := graph.ReduceSum(graph.Where(diag, sim, gmath.Zero(sim)), 1)
		perSlot := graph.Where(valid, graph.Sub(graph.Where(valid, lse, gmath.Zero(lse)), own), gmath.Zero(own))
		// Back to one term per query row (0 and weight 0 for the rows that are not anchors).
		perAnchor := graph.ScatterSum(graph.Zeros(g, shapes.Make(dt, n)), rowsC, perSlot, false, false)
		anchorF := graph.ConvertDType(anchor, dt)
		terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, Weights: anchorF, AnchorLabels: p.anchorLabels}}
		return blockResult{terms: terms}
	}
}

// prefixSum returns the inclusive prefix sums of the vector x (log₂ n shifted additions).
func prefixSum(x *graph.Node) *graph.Node {
	n := x.Shape().Dimensions[0]
	for shift := 1; shift < n; shift *= 2 {
		shifted := graph.Concatenate([]*graph.Node{graph.ZerosLike(graph.Slice(x, graph.AxisRange(0, shift))), graph.Slice(x, graph.AxisRange(0, n-shift))}, 0)
		x = graph.Add(x, shifted)
	}
	return x
}
