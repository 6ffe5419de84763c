package losses

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// TupletMargin is PML's TupletMarginLoss (Yu & Tao, 2019): for each positive pair (a, p), with
// θ_ap = acos(s_ap) and the negatives N(a) of the same anchor,
//
//	log(1 + Σ_{n∈N(a)} e^{k·(s_an − cos(θ_ap − m))})
//
// with k = Scale and m = Margin (given in degrees, as in PML). An anchor without negatives gives 0 for
// its positive pairs (which still count in the mean); the whole loss is 0 when the selection has no
// positive or no negative pair, as in PML. Selections count with their multiplicity, as PML's pair
// lists do.
//
// gometric computes softplus(LSE_{n∈N(a)}(k·s_an) − k·cos(θ_ap − m)) on the [N, M] similarity matrix
// (O(N·M) memory, row-separable; PML builds a positives × negatives matrix), with
// cos(θ − m) = s·cos m + √(1 − s²)·sin m. Deliberate difference from PML (its bug: acos without a
// clamp): s_ap is clamped to ±(1 − ε) first (ε = 1e-12 in float64, 1e-6 in float32, 1e-3 in 16-bit
// floats), so a similarity that rounds past ±1 gives neither NaN nor an infinite gradient; inside that
// range the value is PML's.
//
// Tuplet needs a similarity in [−1, 1]: PML asserts CosineSimilarity; gometric accepts any similarity
// (IsInverted true) and panics on a distance.
//
// Defaults (NewTupletMargin): Margin 5.73 (degrees), Scale 64, CosineSimilarity, MeanReducer (over
// positive pairs).
type TupletMargin struct {
	Options
	// Margin is the angular margin in degrees; Scale is k.
	Margin, Scale float64
}

// NewTupletMargin returns TupletMarginLoss with PML's defaults.
func NewTupletMargin() *TupletMargin {
	return &TupletMargin{Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}), Margin: 5.73, Scale: 64}
}

// Terms implements TermsLoss: one "loss" pair term per positive pair.
func (l *TupletMargin) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "TupletMarginLoss", l.block)
}

// Compute implements PlainLoss.
func (l *TupletMargin) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "TupletMarginLoss", l.block)
}

// acosClampEps is how far below 1 a cosine is clamped before taking its angle.
func acosClampEps(dt dtypes.DType) float64 {
	switch dt {
	case dtypes.Float64:
		return 1e-12
	case dtypes.Float16, dtypes.BFloat16:
		return 1e-3
	}
	return 1e-6
}

func (l *TupletMargin) block(p queryBlock) blockResult {
	if !l.Distance.IsInverted() {
		exceptions.Panicf("TupletMarginLoss: needs a similarity (CosineSimilarity), got the distance %s", l.Distance)
	}
	s := l.Distance.Matrix(p.q, p.ref)
	g, dt := s.Graph(), s.DType()
	eps := acosClampEps(dt)
	lo, hi := graph.Scalar(g, dt, -1+eps), graph.Scalar(g, dt, 1-eps)
	c := graph.Where(graph.GreaterThan(s, hi), hi, graph.Where(graph.LessThan(s, lo), lo, s)) // Zero gradient outside.
	m := l.Margin * math.Pi / 180
	sinTheta := graph.Sqrt(graph.OneMinus(graph.Square(c))) // > 0 after the clamp.
	cosShifted := graph.Add(graph.MulScalar(c, math.Cos(m)), graph.MulScalar(sinTheta, math.Sin(m)))
	negLSE, _ := weightedLogSumExp(graph.MulScalar(s, l.Scale), p.neg) // [N]
	perPair := softplus(graph.Sub(graph.InsertAxes(negLSE, -1), graph.MulScalar(cosShifted, l.Scale)))
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.PosPair, Losses: perPair, Weights: p.pos, AnchorLabels: p.anchorLabels}}
	// PML returns a zero loss unless the selection has at least one positive and one negative pair.
	return blockResult{terms: terms, gatePos: countSelected(p.pos), gateNeg: countSelected(p.neg)}
}

// countSelected returns the scalar number of selected entries of w.
func countSelected(w *graph.Node) *graph.Node {
	return graph.ReduceAllSum(graph.Where(graph.GreaterThan(w, gmath.Zero(w)), gmath.One(w), gmath.Zero(w)))
}
