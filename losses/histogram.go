package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// Histogram is PML's HistogramLoss (Ustinova & Lempitsky, 2016, "Learning Deep Embeddings with
// Histogram Loss"): the similarities of the positive and of the negative pairs are turned into
// densities p⁺ and p⁻ on the NBins+1 nodes r·Δ − 1 of [−1, 1] (Δ = 2/NBins) by linear interpolation
// (each value splits its weight between the two nodes around it), normalized by the number of pairs,
// and
//
//	L = Σ_r p⁻(r) · Σ_{r' ≤ r} p⁺(r')
//
// the probability that a random negative pair is more similar than a random positive one. The pairs are
// PML's: the triplets (all of them, or from explicit pairs: every positive and negative pair of the same
// anchor) give the unordered positive pairs {a, p} and negative pairs {a, n}, each counted once. No
// triplet gives 0. The result is already reduced (the reducer does not apply).
//
// The distance must be a similarity with values in [−1, 1] (PML assumes it without checking, §5
// bug 13; gometric asserts CosineSimilarity or a normalized DotProductSimilarity with power 1). A
// similarity of exactly 1 falls into the last bin (PML indexes past its density array there).
// Ref is rejected, as in PML.
//
// Memory: the densities are scatter-adds of the N² pair values into NBins+1 nodes: O(N²) memory, one
// block (the densities are normalized over the whole batch).
//
// Defaults (NewHistogram): NBins 100 (PML: n_bins=None, delta=None → 100 bins), CosineSimilarity.
type Histogram struct {
	Options
	NBins int
}

// NewHistogram returns HistogramLoss with PML's defaults.
func NewHistogram() *Histogram {
	return &Histogram{Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}), NBins: 100}
}

func (l *Histogram) check(in Inputs) {
	ok := false
	switch d := l.Distance.(type) {
	case *distances.CosineSimilarity:
		ok = d.Power == 1
	case *distances.DotProductSimilarity:
		ok = d.Power == 1 && d.NormalizeEmbeddings
	}
	if !ok {
		exceptions.Panicf("HistogramLoss: the distance must be a similarity in [-1, 1] (CosineSimilarity, or normalized DotProductSimilarity, power 1), got %s", l.Distance)
	}
	if l.NBins < 1 {
		exceptions.Panicf("HistogramLoss: NBins must be >= 1, got %d", l.NBins)
	}
	if in.Ref != nil {
		exceptions.Panicf("HistogramLoss: Ref is not supported (as PML)")
	}
}

// Terms implements TermsLoss: the already-reduced "loss".
func (l *Histogram) Terms(in Inputs) []reducers.SubLoss {
	l.check(in)
	return l.terms(in, "HistogramLoss", l.block)
}

// Compute implements PlainLoss, in one block.
func (l *Histogram) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	l.check(in)
	return l.compute(in, "HistogramLoss", l.block)
}

func (l *Histogram) block(p queryBlock) blockResult {
	sim := l.Distance.Matrix(p.q, p.ref) // [N, N]
	g, dt := sim.Graph(), sim.DType()
	n := sim.Shape().Dimensions[0]
	posMask := graph.GreaterThan(p.pos, gmath.Zero(p.pos))
	negMask := graph.GreaterThan(p.neg, gmath.Zero(p.neg))
	hasPos := graph.InsertAxes(graph.ReduceLogicalOr(posMask, 1), -1)
	hasNeg := graph.InsertAxes(graph.ReduceLogicalOr(negMask, 1), -1)
	// Pairs that belong to a triplet, then unordered: {i, j} once, on the upper triangle (i ≤ j).
	posSel := graph.LogicalAnd(posMask, hasNeg)
	negSel := graph.LogicalAnd(negMask, hasPos)
	upper := graph.LessOrEqual(graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 0), graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 1))
	unordered := func(sel *graph.Node) *graph.Node {
		return graph.ConvertDType(graph.LogicalAnd(upper, graph.LogicalOr(sel, graph.Transpose(sel, 0, 1))), dt)
	}
	posW, negW := unordered(posSel), unordered(negSel)
	numTriplets := graph.ReduceAllSum(graph.Mul(graph.ReduceSum(graph.ConvertDType(posMask, dt), 1), graph.ReduceSum(graph.ConvertDType(negMask, dt), 1)))
	// The value used for the pair {i, j} is sim[i, j] on the upper triangle (PML's sorted index pair).
	pPos := l.density(sim, posW)
	pNeg := l.density(sim, negW)
	nodes := l.NBins + 1
	tri := graph.ConvertDType(graph.LessOrEqual(graph.Iota(g, shapes.Make(dtypes.Int32, nodes, nodes), 0), graph.Iota(g, shapes.Make(dtypes.Int32, nodes, nodes), 1)), dt)
	phi := graph.Reshape(graph.MatMul(graph.InsertAxes(pPos, 0), tri), nodes) // cumsum
	loss := graph.ReduceAllSum(graph.Mul(pNeg, phi))
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: loss}}
	return blockResult{terms: terms, gatePos: numTriplets, gateNeg: numTriplets}
}

// density returns the [NBins+1] linearly interpolated density of the values of sim selected by w (0/1),
// divided by their count.
func (l *Histogram) density(sim, w *graph.Node) *graph.Node {
	g, dt := sim.Graph(), sim.DType()
	delta := 2 / float64(l.NBins)
	flat := graph.Reshape(sim, -1)
	wf := graph.Reshape(w, -1)
	scaled := graph.DivScalar(graph.AddScalar(flat, 1), delta)
	// The bin r* = floor((s+1)/Δ), clamped to [0, NBins−1] so that s = 1 (and rounding past ±1) stays
	// in range; the interpolation weights below are exact for the clamped bin.
	rStar := graph.StopGradient(graph.Floor(scaled))
	rStar = graph.Clip(rStar, graph.Scalar(g, dt, 0.0), graph.Scalar(g, dt, float64(l.NBins-1)))
	upperW := graph.Sub(scaled, rStar)                // (s + 1 − r*Δ)/Δ → node r*+1
	lowerW := graph.Sub(graph.OnePlus(rStar), scaled) // ((r*+1)Δ − 1 − s)/Δ → node r*
	idx := graph.InsertAxes(graph.ConvertDType(rStar, dtypes.Int32), -1)
	idxUp := graph.InsertAxes(graph.AddScalar(graph.ConvertDType(rStar, dtypes.Int32), 1), -1)
	dens := graph.Zeros(g, shapes.Make(dt, l.NBins+1))
	dens = graph.ScatterSum(dens, idxUp, graph.Mul(upperW, wf), false, false)
	dens = graph.ScatterSum(dens, idx, graph.Mul(lowerW, wf), false, false)
	return gmath.SafeDiv(dens, graph.ReduceAllSum(wf))
}
