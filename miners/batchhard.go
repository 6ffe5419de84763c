package miners

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// BatchHard is PML's BatchHardMiner (Hermans et al., 2017): for each anchor, the triplet of its hardest
// positive (the farthest) and its hardest negative (the closest); anchors without a positive or without
// a negative give no triplet. Ties go to the lowest reference index (PML uses torch.max/min, whose
// index on ties depends on the device).
//
// Default (NewBatchHard): LpDistance (p=2, normalized).
//
// Unlike PML, a row's hardest pair is taken among its candidates only: PML multiplies the distance
// matrix by a 0/1 mask before torch.max, so with a similarity whose candidates are all negative (or a
// distance whose candidates are all 0) it can pick a pair that is not a candidate at all.
//
// Mine returns the one positive and one negative per anchor directly as [N, M] weights;
// MineTriplets gives the same selection as a [N, M, M] mask.
type BatchHard struct {
	// Distance compares the embeddings; nil means LpDistance.
	Distance distances.Distance
}

// NewBatchHard returns BatchHardMiner with PML's defaults.
func NewBatchHard() *BatchHard { return &BatchHard{} }

// pick returns, per anchor, the hardest positive and negative indices and whether the anchor has both.
func (bh *BatchHard) pick(in losses.Inputs) (p, n, keep *graph.Node, c candidates) {
	c = resolve("BatchHardMiner", in)
	d := defaultDistance(bh.Distance)
	mat := d.Matrix(c.emb, c.ref)
	inv := d.IsInverted()
	_, p, pOK := pickPerRow(mat, c.pos, !inv) // Farthest positive.
	_, n, nOK := pickPerRow(mat, c.neg, inv)  // Closest negative.
	return p, n, graph.LogicalAnd(pOK, nOK), c
}

// Mine implements PairMiner: at most one positive and one negative pair per anchor, 0/1 weights.
func (bh *BatchHard) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	p, n, keep, c := bh.pick(in)
	dt := c.emb.DType()
	return oneHotRows(p, keep, c.m, dt), oneHotRows(n, keep, c.m, dt)
}

// MineTriplets implements TripletMiner.
func (bh *BatchHard) MineTriplets(in losses.Inputs) *graph.Node {
	pos, neg := bh.Mine(in)
	t := graph.Mul(graph.InsertAxes(pos, -1), graph.InsertAxes(neg, 1))
	return graph.GreaterThan(t, graph.ScalarZero(t.Graph(), t.DType()))
}
