package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// Instance is PML's InstanceLoss (Zheng et al., 2020, "Dual-Path Convolutional Image-Text Embeddings
// with Instance Loss"): a cross-entropy over the batch's scaled similarity matrix,
//
//	CE(Gamma·s(x_i, x_·), target = rank(y_i))
//
// where s is the N×N similarity of the batch with itself and rank(y_i) is the position of y_i among the
// batch's distinct labels in increasing order (0 for the smallest). PML copies the original code,
// which uses that class rank as a *column index* of the similarity matrix (§5 bug 12): the target of
// row i is the column of whichever sample happens to sit at position rank(y_i) of the batch. This
// is only meaningful when every sample has its own label (instance discrimination, labels 0..N−1 in
// batch order); gometric keeps PML's semantics so that values match, and documents it rather than
// guessing another one.
//
// Labels are required; explicit pairs (Pos/Neg) and references (Ref) are rejected, as in PML. The
// loss is not row-separable (the ranks depend on the whole batch) and runs in one block; O(N²) memory.
//
// Defaults (NewInstance): Gamma 64, CosineSimilarity, MeanReducer (over samples).
type Instance struct {
	Options
	Gamma float64
}

// NewInstance returns InstanceLoss with PML's defaults.
func NewInstance() *Instance {
	return &Instance{Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}), Gamma: 64}
}

func (l *Instance) check(in Inputs) {
	if in.Labels == nil || in.Pos != nil || in.Ref != nil {
		exceptions.Panicf("InstanceLoss: needs Labels, and supports neither explicit pairs (Pos/Neg) nor Ref (as PML)")
	}
}

// Terms implements TermsLoss: one "loss" element term per sample.
func (l *Instance) Terms(in Inputs) []reducers.SubLoss {
	l.check(in)
	return l.terms(in, "InstanceLoss", l.blockFor(in))
}

// Compute implements PlainLoss, in one block.
func (l *Instance) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	l.check(in)
	return l.compute(in, "InstanceLoss", l.blockFor(in))
}

func (l *Instance) blockFor(in Inputs) blockFn {
	return func(p queryBlock) blockResult {
		logits := graph.MulScalar(l.Distance.Matrix(p.q, p.ref), l.Gamma) // [N, N]
		g := logits.Graph()
		n := logits.Shape().Dimensions[0]
		labels := graph.ConvertDType(in.Labels, dtypes.Int64)
		col := graph.InsertAxes(labels, 0) // labels[j] along columns
		row := graph.InsertAxes(labels, -1)
		// First occurrence of each label: no earlier sample has it.
		idx := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 0)
		jdx := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 1)
		earlierSame := graph.LogicalAnd(graph.Equal(row, col), graph.LessThan(jdx, idx)) // [i, j]: j < i, same label
		isFirst := graph.LogicalNot(graph.ReduceLogicalOr(earlierSame, 1))               // [N]
		// rank(y_i) = number of distinct labels smaller than y_i.
		smaller := graph.LogicalAnd(graph.LessThan(col, row), graph.InsertAxes(isFirst, 0))
		rank := graph.ReduceSum(graph.ConvertDType(smaller, dtypes.Int32), 1) // [N]
		target := graph.Equal(jdx, graph.InsertAxes(rank, -1))                // [N, N] one-hot
		top := graph.StopGradient(graph.ReduceMax(logits, 1))
		lse := graph.Add(top, graph.Log(graph.ReduceSum(graph.Exp(graph.Sub(logits, graph.InsertAxes(top, -1))), 1)))
		picked := graph.ReduceSum(graph.Where(target, logits, graph.ZerosLike(logits)), 1)
		terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: graph.Sub(lse, picked), AnchorLabels: p.anchorLabels}}
		return blockResult{terms: terms}
	}
}
