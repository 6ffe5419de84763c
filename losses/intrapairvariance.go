package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// IntraPairVariance is PML's IntraPairVarianceLoss (Yu & Tao, 2019): with μ⁺ the mean similarity over
// all positive pairs and μ⁻ over all negative pairs of the batch (means not detached),
//
//	pos_loss per positive pair: relu((1 − PosEps)·μ⁺ − s_ap)²
//	neg_loss per negative pair: relu(s_an − (1 + NegEps)·μ⁻)²
//
// (with a distance the roles flip, as in PML: relu(d_ap − (1 + PosEps)·μ⁺)² and
// relu((1 − NegEps)·μ⁻ − d_an)²). The two sub-losses are reduced separately and added. Selections count
// with their multiplicity, in the means as in the reduction (PML's pair lists). A sub-loss with no
// pair is 0.
//
// The means are over the whole batch, not per row, so the loss is not row-separable: Compute always
// works in one block (Options.BlockRows is ignored), O(N·M) memory.
//
// Defaults (NewIntraPairVariance): PosEps 0.01, NegEps 0.01, CosineSimilarity, MeanReducer (each
// sub-loss over its pairs).
type IntraPairVariance struct {
	Options
	PosEps, NegEps float64
}

// NewIntraPairVariance returns IntraPairVarianceLoss with PML's defaults.
func NewIntraPairVariance() *IntraPairVariance {
	return &IntraPairVariance{
		Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		PosEps:  0.01, NegEps: 0.01,
	}
}

// Terms implements TermsLoss: "pos_loss" and "neg_loss" as [N, M] pair terms.
func (l *IntraPairVariance) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "IntraPairVarianceLoss", l.block)
}

// Compute implements PlainLoss, in one block (the means are global).
func (l *IntraPairVariance) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "IntraPairVarianceLoss", l.block)
}

// weightedMean returns Σ w·x / Σ w over the entries with w > 0 (0 when there is none).
func weightedMean(x, w *graph.Node) *graph.Node {
	sel := graph.GreaterThan(w, gmath.Zero(w))
	sum := graph.ReduceAllSum(graph.Where(sel, graph.Mul(w, x), gmath.Zero(x)))
	return gmath.SafeDiv(sum, graph.ReduceAllSum(graph.Where(sel, w, gmath.Zero(w))))
}

func (l *IntraPairVariance) block(p queryBlock) blockResult {
	mat := l.Distance.Matrix(p.q, p.ref)
	inverted := l.Distance.IsInverted()
	// PML's variance_with_eps: (1 − ε)·μ − x when the pairs should grow, x − (1 + ε)·μ otherwise.
	variance := func(mean *graph.Node, eps float64, increase bool) *graph.Node {
		if increase {
			return graph.Sub(graph.MulScalar(mean, 1-eps), mat)
		}
		return graph.Sub(mat, graph.MulScalar(mean, 1+eps))
	}
	posLoss := graph.Square(relu(variance(weightedMean(mat, p.pos), l.PosEps, inverted)))
	negLoss := graph.Square(relu(variance(weightedMean(mat, p.neg), l.NegEps, !inverted)))
	terms := []reducers.SubLoss{
		{Name: "pos_loss", Kind: reducers.PosPair, Losses: posLoss, Weights: p.pos, AnchorLabels: p.anchorLabels},
		{Name: "neg_loss", Kind: reducers.NegPair, Losses: negLoss, Weights: p.neg, AnchorLabels: p.anchorLabels},
	}
	return blockResult{terms: terms}
}
