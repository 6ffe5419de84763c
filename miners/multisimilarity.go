package miners

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// MultiSimilarity is PML's MultiSimilarityMiner (Wang et al., 2019): it keeps the positive pairs that
// are harder than the anchor's hardest negative, and the negative pairs harder than its hardest
// positive, each up to Epsilon. With a similarity s:
//
//	positive (a, p) kept iff s_ap − ε < max_n s_an,    negative (a, n) kept iff s_an + ε > min_p s_ap
//
// and mirrored for a distance d: d_ap + ε > min_n d_an, d_an − ε < max_p d_ap. An anchor without
// negatives keeps no positive, and one without positives keeps no negative (so a batch without
// positives, or without negatives, selects nothing, like PML).
//
// Defaults (NewMultiSimilarity): Epsilon 0.1, CosineSimilarity.
type MultiSimilarity struct {
	// Epsilon is the slack ε (PML's epsilon).
	Epsilon float64
	// Distance compares the embeddings; nil means CosineSimilarity.
	Distance distances.Distance
}

// NewMultiSimilarity returns MultiSimilarityMiner with PML's defaults.
func NewMultiSimilarity() *MultiSimilarity {
	return &MultiSimilarity{Epsilon: 0.1, Distance: distances.NewCosineSimilarity()}
}

// Mine implements PairMiner: 0/1 weights.
func (ms *MultiSimilarity) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	c := resolve("MultiSimilarityMiner", in)
	d := ms.Distance
	if d == nil {
		d = distances.NewCosineSimilarity()
	}
	mat := d.Matrix(c.emb, c.ref)
	g, dt := mat.Graph(), mat.DType()
	eps := graph.Scalar(g, dt, ms.Epsilon)
	var posKeep, negKeep *graph.Node
	if d.IsInverted() {
		hardestNeg, _, _ := pickPerRow(mat, c.neg, true)  // max_n s_an, −inf without negatives.
		hardestPos, _, _ := pickPerRow(mat, c.pos, false) // min_p s_ap, +inf without positives.
		posKeep = graph.LessThan(graph.Sub(mat, eps), graph.InsertAxes(hardestNeg, -1))
		negKeep = graph.GreaterThan(graph.Add(mat, eps), graph.InsertAxes(hardestPos, -1))
	} else {
		hardestNeg, _, _ := pickPerRow(mat, c.neg, false) // min_n d_an.
		hardestPos, _, _ := pickPerRow(mat, c.pos, true)  // max_p d_ap.
		posKeep = graph.GreaterThan(graph.Add(mat, eps), graph.InsertAxes(hardestNeg, -1))
		negKeep = graph.LessThan(graph.Sub(mat, eps), graph.InsertAxes(hardestPos, -1))
	}
	return weights(graph.LogicalAnd(c.pos, posKeep), dt), weights(graph.LogicalAnd(c.neg, negKeep), dt)
}
