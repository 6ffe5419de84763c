package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// NTXent is PML's NTXentLoss (InfoNCE; SimCLR's NT-Xent): for each positive pair (a, p),
//
//	−log( e^{s_ap/τ} / (e^{s_ap/τ} + Σ_{n ∈ N(a)} e^{s_an/τ}) )
//
// where N(a) are the negatives of the same anchor a; other positives of a are not in the
// denominator. With a distance, s = −d.
//
// gometric computes it as softplus(LSE_{n∈N(a)}(s_an/τ) − s_ap/τ) over the [N, M] similarity matrix:
// O(N·M) memory (PML builds a positives × negatives matrix, O(N³) for a batch of N) and exact for
// any logits, where PML's log(num/den + tiny) caps the loss near 87 in float32. Anchors with no
// negative give 0, as in PML.
//
// Defaults (NewNTXent): Temperature 0.07, CosineSimilarity, MeanReducer (over positive pairs).
type NTXent struct {
	Options
	Temperature float64
}

// NewNTXent returns NTXentLoss with PML's defaults.
func NewNTXent() *NTXent {
	return &NTXent{Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}), Temperature: 0.07}
}

// Terms implements TermsLoss: one "loss" pair term per positive pair.
func (l *NTXent) Terms(in Inputs) []reducers.Terms { return l.terms(in, "NTXentLoss", l.block) }

// Compute implements Loss.
func (l *NTXent) Compute(in Inputs) *graph.Node { return l.compute(in, "NTXentLoss", l.block) }

func (l *NTXent) block(p pairsOf) blockResult {
	logits := l.Distance.Matrix(p.q, p.ref)
	if !l.Distance.IsInverted() {
		logits = graph.Neg(logits)
	}
	logits = graph.DivScalar(logits, l.Temperature)
	negLSE, _ := weightedLogSumExp(logits, p.neg) // [N]
	perPair := softplus(graph.Sub(graph.InsertAxes(negLSE, -1), logits))
	terms := []reducers.Terms{{Name: "loss", Kind: reducers.PosPair, Losses: perPair, Weights: p.pos, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms}
}
