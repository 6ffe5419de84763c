package miners

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// DistanceWeighted is PML's DistanceWeightedMiner (Wu et al., 2017, "Sampling Matters"), a random
// triplet miner. With d the embedding width and D_ij the L2 distance of the normalized embeddings,
// clamped below at Cutoff, a negative j of anchor i is drawn with probability proportional to
//
//	w_ij = D_ij^(2−d) · (1 − D_ij²/4)^(−(d−3)/2)    (the inverse density of distances on the sphere)
//
// for the negatives with D_ij < NonzeroLossCutoff (and a finite log-weight); others are never drawn.
// As in PML's get_random_triplet_indices, each anchor whose class has n_p members among the references
// gets n_p triplets (a, p, n): each positive drawn uniformly from its positives (never itself when there
// is no Ref), each negative drawn from the weights, all with replacement. An anchor without a positive,
// or whose weights are all zero, gets no triplet. Mine returns the triplets as pair counts (PML's
// convert_to_pairs: a pair used by k triplets counts k times).
//
// Defaults (NewDistanceWeighted): Cutoff 0.5, NonzeroLossCutoff 1.4, Seed 0. The distance is PML's
// required LpDistance(p=2, power=1, normalize_embeddings=True); there is no distance option. Seed is
// gometric's (see RandomMiner for how draws are made).
//
// Differences from PML: the weights are normalized per anchor after subtracting that anchor's largest
// log-weight, where PML subtracts the batch's largest: the same distribution, without PML's underflow,
// which in float32 can leave an anchor whose weights are all far below the batch's largest without
// triplets. With explicit candidates (Inputs.Pos/Neg) the anchor's n_p is its number of positive
// candidates (plus one without Ref, for itself). Memory is O(N·M²) (the draws of every anchor), for
// batches of up to a few hundred.
type DistanceWeighted struct {
	Cutoff, NonzeroLossCutoff float64
	// Seed seeds Mine's draws (with the embeddings' bits) and MineWithContext's state.
	Seed int64
}

// NewDistanceWeighted returns DistanceWeightedMiner with PML's defaults.
func NewDistanceWeighted() *DistanceWeighted {
	return &DistanceWeighted{Cutoff: 0.5, NonzeroLossCutoff: 1.4}
}

// Validate reports cutoffs that select nothing sensible: Cutoff must be in [0, 2) and below
// NonzeroLossCutoff.
func (m *DistanceWeighted) Validate() error {
	if !(m.Cutoff >= 0 && m.Cutoff < 2) {
		return fmt.Errorf("cutoff %g out of range [0, 2)", m.Cutoff)
	}
	if !(m.NonzeroLossCutoff > m.Cutoff) {
		return fmt.Errorf("nonzero_loss_cutoff %g must be greater than cutoff %g", m.NonzeroLossCutoff, m.Cutoff)
	}
	return nil
}

// Mine implements PairMiner: counts of the drawn triplets' positive and negative pairs.
func (m *DistanceWeighted) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	_, pos, neg = m.MineRandom(seededState(m.Seed, embeddingsOf(in)), in)
	return pos, neg
}

// MineRandom implements RandomMiner.
func (m *DistanceWeighted) MineRandom(rng *graph.Node, in losses.Inputs) (newRNG, pos, neg *graph.Node) {
	newRNG, p, n, valid := m.DrawTriplets(rng, in)
	dt := in.Embeddings.DType()
	mm := p.Shape().Dimensions[1]
	// Miners contribute no gradient (PML mines under no_grad); stopping here also keeps autodiff out of
	// the boolean masks that feed both counts.
	return newRNG, graph.StopGradient(drawCounts(p, valid, mm, dt)), graph.StopGradient(drawCounts(n, valid, mm, dt))
}

// MineTriplets implements TripletMiner with Mine's draws: true at (a, p, n) when the triplet was drawn
// at least once (the multiplicities are in Mine's counts). O(N·M³) work.
func (m *DistanceWeighted) MineTriplets(in losses.Inputs) *graph.Node {
	_, p, n, valid := m.DrawTriplets(seededState(m.Seed, embeddingsOf(in)), in)
	dt := in.Embeddings.DType()
	mm := p.Shape().Dimensions[1]
	v := graph.InsertAxes(graph.ConvertDType(valid, dt), -1)
	ph := graph.Mul(graph.OneHot(p, mm, dt), v) // [N, T, M]
	nh := graph.OneHot(n, mm, dt)
	return graph.GreaterThan(graph.Einsum("atp,atn->apn", ph, nh), graph.ScalarZero(ph.Graph(), dt))
}

// DrawTriplets draws the triplets from rng: for anchor a and draw t < M, the positive p[a, t] and the
// negative n[a, t] (int32 indices of the references), kept where valid[a, t] is true (t < n_p of the
// anchor, and the anchor can have triplets).
func (m *DistanceWeighted) DrawTriplets(rng *graph.Node, in losses.Inputs) (newRNG, p, n, valid *graph.Node) {
	const name = "DistanceWeightedMiner"
	c := resolve(name, in)
	if err := m.Validate(); err != nil {
		exceptions.Panicf("%s: %v", name, err)
	}
	g, dt := c.emb.Graph(), c.emb.DType()
	d := float64(c.emb.Shape().Dimensions[1])
	mat := graph.MaxScalar(distances.NewLpDistance().Matrix(c.emb, c.ref), m.Cutoff)
	logW := graph.Sub(
		graph.MulScalar(graph.Log(mat), 2-d),
		graph.MulScalar(graph.Log(graph.OneMinus(graph.MulScalar(graph.Square(mat), 0.25))), (d-3)/2))
	ok := graph.LogicalAnd(graph.LogicalAnd(graph.IsFinite(logW), c.neg), graph.LessThan(mat, graph.Scalar(g, dt, m.NonzeroLossCutoff)))
	rowMax := graph.ReduceAndKeep(graph.Where(ok, logW, graph.Scalar(g, dt, math.Inf(-1))), graph.ReduceMax, 1)
	rowMax = graph.Where(graph.IsFinite(rowMax), rowMax, graph.ZerosLike(rowMax)) // Rows without a negative.
	w := graph.Where(ok, graph.Exp(graph.Sub(logW, rowMax)), graph.ZerosLike(logW))

	posW := graph.ConvertDType(c.pos, dt)
	posCount := graph.ReduceSum(graph.ConvertDType(c.pos, dtypes.Int32), 1) // [N]
	k := posCount
	if in.Ref == nil {
		k = graph.AddScalar(posCount, 1) // PML's n_p counts the anchor itself.
	}
	anchorOK := graph.LogicalAnd(graph.GreaterThan(posCount, graph.ScalarZero(g, dtypes.Int32)), graph.ReduceLogicalOr(ok, 1))
	t := c.m // n_p ≤ M draws per anchor.
	p = drawIndices(posW, uniform(&rng, dt, c.n, t))
	n = drawIndices(w, uniform(&rng, dt, c.n, t))
	draw := graph.Iota(g, shapes.Make(dtypes.Int32, c.n, t), 1)
	valid = graph.LogicalAnd(graph.InsertAxes(anchorOK, -1), graph.LessThan(draw, graph.InsertAxes(k, -1)))
	return rng, p, n, valid
}

// embeddingsOf returns in.Embeddings, panicking with the miners' message when nil.
func embeddingsOf(in losses.Inputs) *graph.Node {
	if in.Embeddings == nil {
		exceptions.Panicf("miners: Inputs.Embeddings is nil")
	}
	return in.Embeddings
}
