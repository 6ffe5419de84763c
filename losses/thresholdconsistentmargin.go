package losses

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// ThresholdConsistentMargin is PML's ThresholdConsistentMarginLoss (Zhang et al., 2023, "Threshold-
// Consistent Margin Loss for Open-World Deep Metric Learning"), a regularizer usually added to another
// loss. With s the cosine similarity of a pair,
//
//	LambdaPlus · mean_{positive pairs with s ≤ MarginPlus} (MarginPlus − s)
//	+ LambdaMinus · mean_{negative pairs with s ≥ MarginMinus} (s − MarginMinus)
//
// each mean being 0 when no pair qualifies; with explicit pairs (Inputs.Pos/Neg) a pair counts as
// often as it is selected, like PML's indices_tuple. The result is one already-reduced sub-loss
// "loss", which every reducer passes through (as in PML).
//
// Defaults (NewThresholdConsistentMargin): LambdaPlus 1, LambdaMinus 1, MarginPlus 0.9,
// MarginMinus 0.5, CosineSimilarity (required, as PML asserts; its power is ignored, as PML uses
// F.cosine_similarity), MeanReducer.
//
// Difference: PML 2.8.1 raises an index error when given ref_emb (it indexes the queries with the
// references' indices); gometric pairs the queries with the references (Inputs.Ref), the meaning the
// arguments have in every other loss. One block: O(N·M) memory.
type ThresholdConsistentMargin struct {
	Options
	LambdaPlus, LambdaMinus float64
	MarginPlus, MarginMinus float64
}

// NewThresholdConsistentMargin returns ThresholdConsistentMarginLoss with PML's defaults.
func NewThresholdConsistentMargin() *ThresholdConsistentMargin {
	return &ThresholdConsistentMargin{
		Options:    defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		LambdaPlus: 1, LambdaMinus: 1, MarginPlus: 0.9, MarginMinus: 0.5,
	}
}

// Validate reports a distance other than CosineSimilarity (PML asserts it).
func (l *ThresholdConsistentMargin) Validate() error {
	if _, ok := l.Distance.(*distances.CosineSimilarity); !ok {
		return fmt.Errorf("ThresholdConsistentMarginLoss: the distance must be CosineSimilarity, got %T", l.Distance)
	}
	return nil
}

// Terms implements TermsLoss: the already-reduced sub-loss "loss".
func (l *ThresholdConsistentMargin) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "ThresholdConsistentMarginLoss", l.block)
}

// Compute implements PlainLoss, in one block.
func (l *ThresholdConsistentMargin) Compute(in Inputs) *graph.Node {
	return l.compute(in, "ThresholdConsistentMarginLoss", l.block)
}

func (l *ThresholdConsistentMargin) block(p queryBlock) blockResult {
	if err := l.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	s := distances.NewCosineSimilarity().Matrix(p.q, p.ref)
	g, dt := s.Graph(), s.DType()
	// part returns Σ w·[cond]·x / Σ w·[cond], 0 when nothing qualifies.
	part := func(w, cond, x *graph.Node) *graph.Node {
		wc := graph.Where(cond, w, gmath.Zero(w))
		num := graph.ReduceAllSum(graph.Mul(wc, x))
		return gmath.SafeDiv(num, graph.ReduceAllSum(wc))
	}
	mp, mm := graph.Scalar(g, dt, l.MarginPlus), graph.Scalar(g, dt, l.MarginMinus)
	pos := part(p.pos, graph.LessOrEqual(s, mp), graph.Sub(mp, s))
	neg := part(p.neg, graph.GreaterOrEqual(s, mm), graph.Sub(s, mm))
	loss := graph.Add(graph.MulScalar(pos, l.LambdaPlus), graph.MulScalar(neg, l.LambdaMinus))
	return blockResult{terms: []reducers.SubLoss{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: loss}}}
}
