package miners

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// PairMargin is PML's PairMarginMiner: it keeps the positive pairs farther than PosMargin and the
// negative pairs closer than NegMargin. With a distance d: positive kept iff d > PosMargin, negative
// kept iff d < NegMargin; with a similarity s: s < PosMargin and s > NegMargin.
//
// Defaults (NewPairMargin): PosMargin 0.2, NegMargin 0.8, LpDistance (p=2, normalized).
type PairMargin struct {
	// PosMargin and NegMargin are PML's pos_margin and neg_margin.
	PosMargin, NegMargin float64
	// Distance compares the embeddings; nil means LpDistance.
	Distance distances.Distance
}

// NewPairMargin returns PairMarginMiner with PML's defaults.
func NewPairMargin() *PairMargin { return &PairMargin{PosMargin: 0.2, NegMargin: 0.8} }

// Mine implements PairMiner: 0/1 weights.
func (pm *PairMargin) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	c := resolve("PairMarginMiner", in)
	d := defaultDistance(pm.Distance)
	mat := d.Matrix(c.emb, c.ref)
	g, dt := mat.Graph(), mat.DType()
	posKeep := farther(d, mat, graph.Scalar(g, dt, pm.PosMargin))
	negKeep := distances.Closer(d, mat, graph.Scalar(g, dt, pm.NegMargin))
	return weights(graph.LogicalAnd(c.pos, posKeep), dt), weights(graph.LogicalAnd(c.neg, negKeep), dt)
}
