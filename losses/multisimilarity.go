package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// MultiSimilarity is PML's MultiSimilarityLoss (Wang et al., 2019): for each anchor i with positives
// P(i) and negatives N(i),
//
//	(1/α)·log(1 + Σ_{p∈P(i)} e^{−α(s_ip − λ)}) + (1/β)·log(1 + Σ_{n∈N(i)} e^{β(s_in − λ)})
//
// with λ = Base (with a distance, PML's margin() flips the signs: e^{α(d_ip − λ)}, e^{β(λ − d_in)}).
// An anchor with no pair of a kind gets 0 for that part; every anchor counts in the mean, as in PML.
// Selections count once each (PML turns them into 0/1 masks).
//
// gometric computes each part as softplus of a masked log-sum-exp over the anchor's row of the [N, M]
// similarity matrix: O(N·M) memory, row-separable (block by block for large batches), exact for any
// logits.
//
// Defaults (NewMultiSimilarity): Alpha 2, Beta 50, Base 0.5, CosineSimilarity, MeanReducer (over
// anchors).
type MultiSimilarity struct {
	Options
	Alpha, Beta, Base float64
}

// NewMultiSimilarity returns MultiSimilarityLoss with PML's defaults.
func NewMultiSimilarity() *MultiSimilarity {
	return &MultiSimilarity{
		Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		Alpha:   2, Beta: 50, Base: 0.5,
	}
}

// Terms implements TermsLoss: one "loss" element term per anchor.
func (l *MultiSimilarity) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "MultiSimilarityLoss", l.block)
}

// Compute implements PlainLoss.
func (l *MultiSimilarity) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "MultiSimilarityLoss", l.block)
}

func (l *MultiSimilarity) block(p queryBlock) blockResult {
	mat := l.Distance.Matrix(p.q, p.ref)
	g, dt := mat.Graph(), mat.DType()
	base := graph.Scalar(g, dt, l.Base)
	posMask, negMask := selectedMask(p.pos), selectedMask(p.neg)
	posLSE, _ := weightedLogSumExp(graph.MulScalar(distances.Margin(l.Distance, mat, base), l.Alpha), posMask)
	negLSE, _ := weightedLogSumExp(graph.MulScalar(distances.Margin(l.Distance, base, mat), l.Beta), negMask)
	// log(1 + Σ e^x) = softplus(LSE(x)); an empty row gives softplus(−huge) = 0, PML's add_one=True.
	perAnchor := graph.Add(graph.DivScalar(softplus(posLSE), l.Alpha), graph.DivScalar(softplus(negLSE), l.Beta))
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms}
}

// selectedMask turns selection counts into a 0/1 mask of the selected entries: PML's mat-based losses
// index a zero matrix with the selected pairs (pos_mask[a1, p] = 1), so a pair selected twice counts
// once.
func selectedMask(w *graph.Node) *graph.Node {
	return graph.ConvertDType(graph.GreaterThan(w, gmath.Zero(w)), w.DType())
}

// maskedLogSumExp is PML's lmu.logsumexp(x, keep_mask, add_one=False): per row, the log-sum-exp of x
// over the entries with mask > 0 (each counted by its weight), and 0 for a row with none (with a zero
// gradient). It also returns whether each row had any entry.
func maskedLogSumExp(x, w *graph.Node) (lse, nonEmpty *graph.Node) {
	lse, nonEmpty = weightedLogSumExp(x, w)
	return graph.Where(nonEmpty, lse, gmath.Zero(lse)), nonEmpty
}
