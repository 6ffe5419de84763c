package losses

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// DynamicSoftMargin is PML's DynamicSoftMarginLoss (Zhang & Rusinkiewicz, 2019, "Learning Local
// Descriptors with a CDF-Based Dynamic Soft Margin"). For each value x = d_ap − d_an it weighs x by
// the empirical CDF of x, kept as a histogram that is a running average over the batches:
//
//	loss = mean_k CDF(x_k) · x_k
//
// The values x_k are, with labels (or explicit pairs), every triplet (a, p, n) of a positive pair and
// a negative pair of the same anchor (PML's convert_to_triplets with t_per_anchor="all"; with Pos/Neg,
// a triplet counts with the product of its two pairs' multiplicities). Without labels and pairs, they
// are PML's "paired" values: for k < K = max(N, M), x_k = d(emb_k, ref_k) − min(min_i d(emb_i, ref_k),
// min_j d(emb_k, ref_j)), where the row and column minima include the pair (k, k) itself and entries
// past N or M are padded with 0, exactly as PML computes them (its find_hard_negatives, which would
// exclude the diagonal, is never called); Ref nil then means the embeddings themselves.
//
// The histogram has NumBins bins of width Δ = 2·|MinVal|/NumBins starting at MinVal. A value x with
// t = (x − MinVal)/Δ, i = floor(t), α = t − i adds (1 − α) to bin i and α to bin i+1 (linear
// interpolation; α keeps its gradient, as torch.frac does, so the CDF is differentiated too). The
// batch histogram H_b is merged into the running one as
//
//	H ← normalize((1 − μ)·H + μ·H_b),    μ = Momentum, or 1 while H is all zeros (the first batch)
//
// and the CDF is the cumulative sum of the updated H, read at bin i. A batch without any value (no
// triplet) gives 0 and leaves H unchanged, as PML's zero_losses. The result is already reduced (the
// Reducer does not apply); the embedding regularizer is added as usual.
//
// State: Compute starts from PML's initial histogram (all zeros), so it is one call of a fresh PML
// object. ComputeWithContext keeps H in a GoMLX context as the non-trainable variable "histogram"
// ([NumBins], the embeddings' dtype) under Scope, read and updated inside the graph, so that running
// the training step again continues the running average; Reset zeroes it. ComputeWithHistogram takes H
// and returns the updated one, for callers that keep the state themselves. The previous histogram
// carries no gradient (PML keeps autograd history in its stored histogram across calls).
//
// Deliberate difference from PML (§5 bug 11): PML indexes bin i+1 (and the CDF at i) without bounds,
// which fails when x ≥ MinVal + (NumBins−1)·Δ (x ≥ 1.6 with the defaults) or x < MinVal. gometric
// clamps both bins to [0, NumBins−1]: the last bin collects everything from MinVal + (NumBins−1)·Δ up,
// the first everything below MinVal. Where PML does not fail, the two agree.
//
// Memory: with labels the values are all N·M² triplets, an [N, M, M] tensor (about 10 intermediates of
// that size with the gradient), computed in one block: O(N·M²), M = N without Ref (PML materializes the
// same triplets and their index lists). The histogram needs every triplet before any weight is known,
// so Options.BlockRows is ignored. Without labels it is O(N·M).
//
// Defaults (NewDynamicSoftMargin): MinVal −2, NumBins 10, Momentum 0.01, LpDistance (normalized, p=2;
// the only distance accepted, as PML asserts).
type DynamicSoftMargin struct {
	Options
	MinVal   float64
	NumBins  int
	Momentum float64
	// Scope is the context scope of the histogram variable (default "dynamic_soft_margin"); losses used
	// side by side need different scopes.
	Scope string
}

// NewDynamicSoftMargin returns DynamicSoftMarginLoss with PML's defaults.
func NewDynamicSoftMargin() *DynamicSoftMargin {
	return &DynamicSoftMargin{
		Options: defaultOptions(distances.NewLpDistance(), reducers.MeanReducer{}),
		MinVal:  -2, NumBins: 10, Momentum: 0.01, Scope: "dynamic_soft_margin",
	}
}

const dsmlName = "DynamicSoftMarginLoss"

func (l *DynamicSoftMargin) check() {
	d, ok := l.Distance.(*distances.LpDistance)
	if !ok || d.P != 2 || !d.NormalizeEmbeddings {
		exceptions.Panicf("%s: the distance must be a normalized LpDistance with p=2 (as PML asserts), got %v", dsmlName, l.Distance)
	}
	if l.NumBins < 1 {
		exceptions.Panicf("%s: NumBins must be >= 1, got %d", dsmlName, l.NumBins)
	}
	if l.MinVal == 0 || math.IsNaN(l.MinVal) || math.IsInf(l.MinVal, 0) {
		exceptions.Panicf("%s: MinVal must be finite and non-zero (the bin width is 2·|MinVal|/NumBins), got %g", dsmlName, l.MinVal)
	}
	if !(l.Momentum >= 0 && l.Momentum <= 1) {
		exceptions.Panicf("%s: Momentum must be in [0, 1], got %g", dsmlName, l.Momentum)
	}
}

// Compute implements Loss, starting from PML's initial (all-zero) histogram: one call of a fresh PML
// object. Use ComputeWithContext to keep the running histogram across training steps.
func (l *DynamicSoftMargin) Compute(in Inputs) *graph.Node {
	loss, _ := l.ComputeWithHistogram(in, nil)
	return loss
}

// ComputeWithContext returns the loss with the running histogram read from ctx's variable "histogram"
// under Scope (created all zeros, non-trainable), and updates the variable inside the graph.
func (l *DynamicSoftMargin) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	l.check()
	if in.Embeddings == nil {
		exceptions.Panicf("%s: Inputs.Embeddings is nil", dsmlName)
	}
	g, dt := in.Embeddings.Graph(), in.Embeddings.DType()
	v := ctx.In(l.scope()).VariableWithValue("histogram", tensors.FromShape(shapes.Make(dt, l.NumBins)))
	v.SetTrainable(false)
	if v.DType() != dt || !v.Shape().Equal(shapes.Make(dt, l.NumBins)) {
		exceptions.Panicf("%s: the histogram variable is %s, want %s (dtype of the embeddings, NumBins)", dsmlName, v.Shape(), shapes.Make(dt, l.NumBins))
	}
	loss, hist := l.ComputeWithHistogram(in, v.ValueGraph(g))
	v.SetValueGraph(hist)
	return loss
}

// Reset zeroes the running histogram kept in ctx (a fresh PML object): the next step starts over. It
// does nothing if the variable was never created.
func (l *DynamicSoftMargin) Reset(ctx *context.Context) error {
	v := ctx.In(l.scope()).InspectVariableInScope("histogram")
	if v == nil {
		return nil
	}
	if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
		return fmt.Errorf("%s.Reset: %w", dsmlName, err)
	}
	return nil
}

func (l *DynamicSoftMargin) scope() string {
	if l.Scope == "" {
		return "dynamic_soft_margin"
	}
	return l.Scope
}

// ComputeWithHistogram returns the loss computed with the running histogram hist ([NumBins], nil for
// all zeros) and the updated histogram (hist itself when the batch has no value).
func (l *DynamicSoftMargin) ComputeWithHistogram(in Inputs, hist *graph.Node) (loss, newHist *graph.Node) {
	l.check()
	var x, w, emb *graph.Node
	if in.Labels == nil && in.Pos == nil && in.Neg == nil {
		emb = in.Embeddings
		x, w = l.pairedValues(in)
	} else {
		r := in.resolve(dsmlName)
		emb = r.emb
		x, w = l.tripletValues(r.all())
	}
	g, dt := x.Graph(), x.DType()
	if hist == nil {
		hist = graph.Zeros(g, shapes.Make(dt, l.NumBins))
	} else {
		if !hist.Shape().Equal(shapes.Make(hist.DType(), l.NumBins)) {
			exceptions.Panicf("%s: the histogram must be [%d], got %s", dsmlName, l.NumBins, hist.Shape())
		}
		hist = graph.StopGradient(graph.ConvertDType(hist, dt))
	}
	loss, newHist = l.weigh(x, w, hist)
	terms := []reducers.Terms{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: loss}}
	loss = reducers.ReduceAll(l.Reducer, l.withRegularization(terms, emb))
	return loss, newHist
}

// tripletValues returns x = d_ap − d_an for every (anchor, positive, negative) of the block, flattened
// to [N·M·M], with the triplets' multiplicities w (0 for the combinations that are not triplets).
func (l *DynamicSoftMargin) tripletValues(p pairsOf) (x, w *graph.Node) {
	mat := l.Distance.Matrix(p.q, p.ref) // [N, M]
	n, m := mat.Shape().Dimensions[0], mat.Shape().Dimensions[1]
	x = graph.Sub(graph.InsertAxes(mat, -1), graph.InsertAxes(mat, 1)) // [N, M(p), M(n)]
	w = graph.Mul(graph.InsertAxes(p.pos, -1), graph.InsertAxes(p.neg, 1))
	return graph.Reshape(x, n*m*m), graph.Reshape(w, n*m*m)
}

// pairedValues returns PML's values without labels (see the type's documentation), [max(N, M)], with
// unit weights.
func (l *DynamicSoftMargin) pairedValues(in Inputs) (x, w *graph.Node) {
	emb, ref := in.Embeddings, in.Ref
	if emb == nil {
		exceptions.Panicf("%s: Inputs.Embeddings is nil", dsmlName)
	}
	if emb.Rank() != 2 || !emb.DType().IsFloat() {
		exceptions.Panicf("%s: embeddings must be [N, D] floats, got %s", dsmlName, emb.Shape())
	}
	if in.RefLabels != nil {
		exceptions.Panicf("%s: RefLabels given without Labels", dsmlName)
	}
	if ref == nil {
		ref = emb
	} else if ref.Rank() != 2 || ref.Shape().Dimensions[1] != emb.Shape().Dimensions[1] || ref.DType() != emb.DType() {
		exceptions.Panicf("%s: Ref must be [M, %d] %s like the embeddings, got %s", dsmlName, emb.Shape().Dimensions[1], emb.DType(), ref.Shape())
	}
	mat := l.Distance.Matrix(emb, ref) // [R, C]
	g, dt := mat.Graph(), mat.DType()
	r, c := mat.Shape().Dimensions[0], mat.Shape().Dimensions[1]
	k := max(r, c)
	pad := func(v *graph.Node) *graph.Node { // zero-pads a vector to [k], as PML's torch.zeros(max(r, c)).
		if size := v.Shape().Dimensions[0]; size < k {
			return graph.Concatenate([]*graph.Node{v, graph.Zeros(g, shapes.Make(dt, k-size))}, 0)
		}
		return v
	}
	eye := graph.Equal(graph.Iota(g, shapes.Make(dtypes.Int32, r, c), 0), graph.Iota(g, shapes.Make(dtypes.Int32, r, c), 1))
	dPos := pad(graph.ReduceSum(graph.Where(eye, mat, gmath.Zero(mat)), 1)) // diag, 0 past min(r, c)
	minA := pad(graph.ReduceMin(mat, 0))                                    // column minima
	minP := pad(graph.ReduceMin(mat, 1))                                    // row minima
	x = graph.Sub(dPos, graph.Min(minA, minP))
	return x, graph.OnesLike(x)
}

// weigh updates hist with the values x (weights w) and returns mean(CDF(x)·x) with the updated
// histogram, both 0 / unchanged when there is no value.
func (l *DynamicSoftMargin) weigh(x, w, hist *graph.Node) (loss, newHist *graph.Node) {
	g, dt := x.Graph(), x.DType()
	nb := l.NumBins
	delta := 2 * math.Abs(l.MinVal) / float64(nb)
	count := graph.ReduceAllSum(w)
	hasValues := graph.GreaterThan(count, gmath.Zero(count))

	t := graph.DivScalar(graph.AddScalar(x, -l.MinVal), delta)
	i := graph.StopGradient(graph.Floor(t))
	alpha := graph.Sub(t, i) // torch.frac for t >= 0, with its gradient.
	// Bug 11: both bins clamped to the histogram (PML indexes past it).
	lo := graph.Clip(i, graph.Scalar(g, dt, 0.0), graph.Scalar(g, dt, float64(nb-1)))
	hi := graph.Clip(graph.OnePlus(i), graph.Scalar(g, dt, 0.0), graph.Scalar(g, dt, float64(nb-1)))
	loIdx := graph.InsertAxes(graph.ConvertDType(lo, dtypes.Int32), -1) // [K, 1]
	hiIdx := graph.InsertAxes(graph.ConvertDType(hi, dtypes.Int32), -1)
	batch := graph.Zeros(g, shapes.Make(dt, nb))
	batch = graph.ScatterSum(batch, loIdx, graph.Mul(w, graph.OneMinus(alpha)), false, false)
	batch = graph.ScatterSum(batch, hiIdx, graph.Mul(w, alpha), false, false)

	// PML: momentum if hist.sum() != 0 else 1.
	started := graph.NotEqual(graph.ReduceAllSum(hist), gmath.Zero(hist))
	mu := graph.Where(started, graph.Scalar(g, dt, l.Momentum), gmath.One(hist))
	updated := graph.Add(graph.Mul(graph.OneMinus(mu), hist), graph.Mul(mu, batch))
	updated = gmath.SafeDiv(updated, graph.ReduceAllSum(updated))
	newHist = graph.Where(hasValues, updated, hist)

	// CDF = cumsum(hist), as a product with the upper-triangular ones (NumBins is small).
	tri := graph.ConvertDType(graph.LessOrEqual(graph.Iota(g, shapes.Make(dtypes.Int32, nb, nb), 0), graph.Iota(g, shapes.Make(dtypes.Int32, nb, nb), 1)), dt)
	cdf := graph.Reshape(graph.MatMul(graph.InsertAxes(newHist, 0), tri), nb)
	weight := graph.Gather(cdf, loIdx) // [K]
	loss = gmath.SafeDiv(graph.ReduceAllSum(graph.Mul(w, graph.Mul(weight, x))), count)
	return loss, newHist
}
