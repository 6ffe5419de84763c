package miners

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// TripletType selects which triplets TripletMargin keeps.
type TripletType string

// The triplet types of TripletMargin (PML's type_of_triplets).
const (
	// AllTriplets keeps every triplet that violates the margin: t ≤ margin.
	AllTriplets TripletType = "all"
	// HardTriplets keeps those whose negative is not farther than the positive: t ≤ 0.
	HardTriplets TripletType = "hard"
	// SemihardTriplets keeps those whose negative is farther, but within the margin: 0 < t ≤ margin.
	SemihardTriplets TripletType = "semihard"
	// EasyTriplets keeps those that satisfy the margin: t > margin.
	EasyTriplets TripletType = "easy"
)

// TripletMargin is PML's TripletMarginMiner: of all triplets (a, p, n) with p a positive and n a
// negative of a, it keeps those whose margin t = d_an − d_ap (for a similarity: s_ap − s_an) is in the
// range of Type (see TripletType).
//
// Defaults (NewTripletMargin): Margin 0.2, Type "all", LpDistance (p=2, normalized).
//
// The selection is a [N, M, M] mask (see TripletMiner for its memory); Mine returns it as pair counts.
type TripletMargin struct {
	// Margin is PML's margin.
	Margin float64
	// Type is PML's type_of_triplets: all (also when empty), hard, semihard or easy.
	Type TripletType
	// Distance compares the embeddings; nil means LpDistance.
	Distance distances.Distance
}

// NewTripletMargin returns TripletMarginMiner with PML's defaults.
func NewTripletMargin() *TripletMargin { return &TripletMargin{Margin: 0.2, Type: AllTriplets} }

// MineTriplets implements TripletMiner.
func (tm *TripletMargin) MineTriplets(in losses.Inputs) *graph.Node {
	c := resolve("TripletMarginMiner", in)
	d := defaultDistance(tm.Distance)
	mat := d.Matrix(c.emb, c.ref)
	g, dt := mat.Graph(), mat.DType()
	ap, an := graph.InsertAxes(mat, -1), graph.InsertAxes(mat, 1) // [N, M, 1] and [N, 1, M].
	t := distances.Margin(d, an, ap)                              // d_an − d_ap, or s_ap − s_an.
	margin, zero := graph.Scalar(g, dt, tm.Margin), graph.ScalarZero(g, dt)
	var keep *graph.Node
	switch tm.Type {
	case AllTriplets, "":
		keep = graph.LessOrEqual(t, margin)
	case HardTriplets:
		keep = graph.LogicalAnd(graph.LessOrEqual(t, margin), graph.LessOrEqual(t, zero))
	case SemihardTriplets:
		keep = graph.LogicalAnd(graph.LessOrEqual(t, margin), graph.GreaterThan(t, zero))
	case EasyTriplets:
		keep = graph.GreaterThan(t, margin)
	default:
		exceptions.Panicf("TripletMarginMiner: unknown Type %q (want all, hard, semihard or easy)", tm.Type)
	}
	return graph.LogicalAnd(keep, tripletCandidates(c))
}

// Mine implements PairMiner: TripletPairs of MineTriplets.
func (tm *TripletMargin) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	return TripletPairs(tm.MineTriplets(in), in.Embeddings.DType())
}

// tripletCandidates is the [N, M, M] mask of all triplets: p a positive and n a negative of a.
func tripletCandidates(c candidates) *graph.Node {
	return graph.LogicalAnd(graph.InsertAxes(c.pos, -1), graph.InsertAxes(c.neg, 1))
}
