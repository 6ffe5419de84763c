package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// Contrastive is PML's ContrastiveLoss (Hadsell et al., 2006): each positive pair costs
// relu(d − PosMargin) and each negative pair relu(NegMargin − d) (for a similarity:
// relu(PosMargin − s) and relu(s − NegMargin)); the distances are not squared. The positive and
// negative parts are reduced separately (sub-losses "pos_loss" and "neg_loss") and added.
//
// Defaults (NewContrastive): PosMargin 0, NegMargin 1, LpDistance (normalized, p=2), AvgNonZeroReducer.
// These margins suit a distance; with CosineSimilarity choose margins for similarities, for example
// PosMargin 0.9 and NegMargin 0.4 (PML keeps the distance defaults, a common pitfall).
//
// Unlike PML, a selection with exactly one positive and one negative pair is not treated as empty
// (PML's GenericPairLoss returns 0 whenever every index list has length ≤ 1).
type Contrastive struct {
	Options
	PosMargin, NegMargin float64
}

// NewContrastive returns ContrastiveLoss with PML's defaults.
func NewContrastive() *Contrastive {
	return &Contrastive{
		Options:   defaultOptions(distances.NewLpDistance(), reducers.AvgNonZeroReducer{}),
		PosMargin: 0, NegMargin: 1,
	}
}

// Terms implements TermsLoss: "pos_loss" and "neg_loss" as [N, M] pair terms.
func (l *Contrastive) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "ContrastiveLoss", l.block)
}

// Compute implements PlainLoss.
func (l *Contrastive) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "ContrastiveLoss", l.block)
}

func (l *Contrastive) block(p queryBlock) blockResult {
	d := l.Distance
	mat := d.Matrix(p.q, p.ref)
	g, dt := mat.Graph(), mat.DType()
	posLoss := relu(distances.Margin(d, mat, graph.Scalar(g, dt, l.PosMargin)))
	negLoss := relu(distances.Margin(d, graph.Scalar(g, dt, l.NegMargin), mat))
	terms := []reducers.SubLoss{
		{Name: "pos_loss", Kind: reducers.PosPair, Losses: posLoss, Weights: p.pos, AnchorLabels: p.anchorLabels},
		{Name: "neg_loss", Kind: reducers.NegPair, Losses: negLoss, Weights: p.neg, AnchorLabels: p.anchorLabels},
	}
	return blockResult{terms: terms}
}

// NewSNRContrastive returns PML's SignalToNoiseRatioContrastiveLoss: Contrastive with SNRDistance
// (Yuan et al., 2019), margins 0 and 1, AvgNonZeroReducer.
func NewSNRContrastive() *Contrastive {
	l := NewContrastive()
	l.Distance = distances.NewSNRDistance()
	return l
}
