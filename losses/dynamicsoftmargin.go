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
// Computation: a value enters the loss only through its bin's class and, within the class, linearly,
// so the loss is a function of each class's total weight and weighted sum of values (see weigh). With
// labels these are reduced from the N·M² triplets without materializing them: a pivot loop takes in
// each anchor row the smaller of its positive and negative sides as pivots and reduces each pivot's
// values against the whole other side class by class, and a second loop gives the gradient with
// respect to the distances (see tripletClassSums): O(N·M·K·NumBins) time, K = max_i min(|P(i)|,
// |N(i)|) (1 for two samples per class), and O(N·M) memory, where PML materializes the triplets and
// their index lists. The histogram needs every triplet before any weight is known, so the rows are
// one block (Options.BlockRows is ignored). Without labels it is O(N·M). Explicit pair weights are
// multiplicities: entries ≤ 0 select nothing, and the weights get no gradient.
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

// Compute implements PlainLoss, starting from PML's initial (all-zero) histogram: one call of a fresh PML
// object. Use ComputeWithContext to keep the running histogram across training steps.
func (l *DynamicSoftMargin) Compute(in Inputs) *graph.Node {
	loss, _ := l.ComputeWithHistogram(in, nil)
	return loss
}

// ComputeWithContext returns the loss with the running histogram read from ctx's variable "histogram"
// under Scope (created all zeros, non-trainable), and updates the variable inside the graph.
func (l *DynamicSoftMargin) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	l.check()
	if ctx == nil {
		exceptions.Panicf("%s: ComputeWithContext needs a non-nil context (the running histogram lives in it; Compute starts from the initial one)", dsmlName)
	}
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
	var cw, cx, count, emb *graph.Node
	if in.Labels == nil && in.Pos == nil && in.Neg == nil {
		emb = in.Embeddings
		x, w := l.pairedValues(in)
		cw, cx, count = l.classSums(x, w)
	} else {
		r := in.resolve(dsmlName)
		emb = r.emb
		cw, cx, count = l.tripletClassSums(r.all())
	}
	g, dt := cw.Graph(), cw.DType()
	if hist == nil {
		hist = graph.Zeros(g, shapes.Make(dt, l.NumBins))
	} else {
		if !hist.Shape().Equal(shapes.Make(hist.DType(), l.NumBins)) {
			exceptions.Panicf("%s: the histogram must be [%d], got %s", dsmlName, l.NumBins, hist.Shape())
		}
		hist = graph.StopGradient(graph.ConvertDType(hist, dt))
	}
	loss, newHist = l.weigh(cw, cx, count, hist)
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: loss}}
	loss = reducers.ReduceAll(l.Reducer, l.withRegularization(terms, emb))
	return loss, newHist
}

// tripletClassSums returns the class totals (see classSums) of the values x = d_ap − d_an of every
// triplet of the block, and their total weight, without materializing the triplets: a pivot loop (see
// pivotLoop) takes in each row the smaller of its positive and negative sides as pivots and reduces,
// per pivot, the values against the whole other side, class by class. The class sums cx carry a
// hand-written gradient with respect to the distance matrix, by a second loop: a value of class c
// gets the gradient g_c of cx[c] times its weight, to d_ap, and minus that to d_an. O(N·M·K·NumBins)
// time, K = max_i min(|P(i)|, |N(i)|), and O(N·M) memory.
func (l *DynamicSoftMargin) tripletClassSums(p queryBlock) (cw, cx, count *graph.Node) {
	d := l.Distance.Matrix(p.q, p.ref) // [N, M]
	g, dt := d.Graph(), d.DType()
	n, m := d.Shape().Dimensions[0], d.Shape().Dimensions[1]
	nc := l.NumBins + 1
	zero, one := graph.ScalarZero(g, dt), graph.ScalarOne(g, dt)
	negMinVal, deltaNode := graph.Scalar(g, dt, -l.MinVal), graph.Scalar(g, dt, l.delta())
	consts := l.classConsts(g, dt)
	ds := graph.StopGradient(d)
	posSel, negSel := p.posSel, p.negSel
	var posW, negW *graph.Node
	if p.weighted {
		posW = graph.Where(posSel, graph.StopGradient(p.pos), zero)
		negW = graph.Where(negSel, graph.StopGradient(p.neg), zero)
	}
	sd := chooseSides(posSel, negSel, dt)
	var pivotW, otherW *graph.Node
	if p.weighted {
		pivotW = graph.Where(sd.flip, negW, posW)
		otherW = graph.Where(sd.flip, posW, negW)
		count = graph.ReduceAllSum(graph.Mul(graph.ReduceSum(posW, 1), graph.ReduceSum(negW, 1)))
	} else {
		count = graph.ReduceAllSum(graph.Mul(sd.nPos, sd.nNeg))
	}
	// With e = sign·d, a triplet's value is x = e_pivot − e_other whichever side the pivots are.
	e := graph.Mul(ds, gmath.RowBroadcast(sd.sign, m))
	// values returns one pivot's values against the other side, their t and floor(t), and their
	// weights (0 outside the other side and in a row without a pivot).
	values := func(it pivotIter) (x, t, floor, w *graph.Node) {
		x = graph.Sub(gmath.RowBroadcast(it.at(e), m), e)
		t = graph.Div(graph.Add(x, negMinVal), deltaNode)
		floor = graph.Floor(t)
		others := graph.LogicalAnd(sd.otherSel, gmath.RowBroadcast(it.has, m))
		if otherW != nil {
			w = graph.Where(others, graph.Mul(otherW, gmath.RowBroadcast(it.at(pivotW), m)), zero)
		} else {
			w = graph.Where(others, one, zero)
		}
		return x, t, floor, w
	}
	state := []*graph.Node{graph.Zeros(g, shapes.Make(dt, nc)), graph.Zeros(g, shapes.Make(dt, nc))}
	minClass, maxClass := graph.Scalar(g, dt, -1), consts[nc-2]
	out := pivotLoop(sd.pivotSel, state, func(it pivotIter, st []*graph.Node) []*graph.Node {
		x, _, floor, w := values(it)
		wx := graph.Mul(w, x)
		// One scatter of (w, w·x) into the classes: class floor(t) clamped to [−1, NumBins−1], the same
		// classes as classMasks; stored at class+1.
		cls := graph.Add(graph.Min(graph.Max(floor, minClass), maxClass), one)
		cls = graph.Reshape(graph.ConvertDType(cls, dtypes.Int32), n*m, 1)
		upd := graph.Reshape(graph.Stack([]*graph.Node{w, wx}, -1), n*m, 2)
		sums := graph.ScatterSum(graph.Zeros(g, shapes.Make(dt, nc, 2)), cls, upd, false, false)
		return []*graph.Node{
			graph.Add(st[0], graph.Reshape(graph.Slice(sums, graph.AxisRange(), graph.AxisElem(0)), nc)),
			graph.Add(st[1], graph.Reshape(graph.Slice(sums, graph.AxisRange(), graph.AxisElem(1)), nc)),
		}
	})
	cw = out[0]
	cx = withGradientFlat(out[1], d, func(v *graph.Node) *graph.Node {
		// v[c] is the gradient of cx[c]: a value of class c gets v[c]·w (dx/dd_ap = 1, dx/dd_an = −1).
		v = graph.StopGradient(v)
		gc := make([]*graph.Node, nc)
		for c := range gc {
			gc[c] = graph.Reshape(graph.Slice(v, graph.AxisRange(c, c+1)))
		}
		res := pivotLoop(sd.pivotSel, []*graph.Node{graph.Zeros(g, shapeNM(dt, n, m))}, func(it pivotIter, st []*graph.Node) []*graph.Node {
			_, t, _, w := values(it)
			phi := gc[0] // below MinVal
			for c := 0; c < nc-1; c++ {
				phi = graph.Where(graph.GreaterOrEqual(t, consts[c]), gc[c+1], phi)
			}
			gx := graph.Mul(w, phi)
			// dx/de_other = −1, dx/de_pivot = +1.
			gE := graph.Sub(st[0], gx)
			gE = it.addAt(gE, graph.ReduceSum(gx, 1)) // 0 in a row without a pivot (w = 0 there).
			return []*graph.Node{gE}
		})
		return graph.Mul(res[0], gmath.RowBroadcast(sd.sign, m))
	})
	return cw, cx, count
}

// tripletValues returns x = d_ap − d_an for every (anchor, positive, negative) of the block, flattened
// to [N·M·M], with the triplets' multiplicities w (0 for the combinations that are not triplets).
func (l *DynamicSoftMargin) tripletValues(p queryBlock) (x, w *graph.Node) {
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

// The values x enter the loss only through their bin: with t = (x − MinVal)/Δ, a value's class is
// floor(t) clamped to [−1, NumBins−1] (−1: below MinVal, NumBins−1: at or past the last bin's start),
// and within a class its histogram weights are linear in x. So the histogram and the loss are
// functions of each class's total weight W and weighted sum X of the values, [NumBins+1] vectors
// indexed by class+1 (classSums); weigh turns them into PML's histogram update and loss.

// classSums returns the class totals of the values x with weights w (any shape), and Σ w.
func (l *DynamicSoftMargin) classSums(x, w *graph.Node) (cw, cx, count *graph.Node) {
	x, w = graph.Reshape(x, x.Shape().Size()), graph.Reshape(w, w.Shape().Size())
	t := graph.DivScalar(graph.AddScalar(x, -l.MinVal), l.delta())
	floor := graph.StopGradient(graph.Floor(t))
	wx := graph.Mul(w, x)
	zero := gmath.Zero(x)
	var ws, xs []*graph.Node
	for _, mask := range l.classMasks(t, floor, nil) {
		ws = append(ws, graph.ReduceAllSum(graph.Where(mask, w, zero)))
		xs = append(xs, graph.ReduceAllSum(graph.Where(mask, wx, zero)))
	}
	return graph.StopGradient(graph.Stack(ws, 0)), graph.Stack(xs, 0), graph.StopGradient(graph.ReduceAllSum(w))
}

func (l *DynamicSoftMargin) delta() float64 { return 2 * math.Abs(l.MinVal) / float64(l.NumBins) }

// classMasks returns, for the classes −1 … NumBins−1 in order, where t = (x − MinVal)/Δ (floor its
// floor) falls in the class. consts, when given, holds the scalars 0 … NumBins−1 of t's dtype made
// outside a pivot loop (see pivotLoop); otherwise they are made here.
func (l *DynamicSoftMargin) classMasks(t, floor *graph.Node, consts []*graph.Node) []*graph.Node {
	if consts == nil {
		consts = l.classConsts(t.Graph(), t.DType())
	}
	nb := l.NumBins
	masks := []*graph.Node{graph.LessThan(t, consts[0])}
	for c := 0; c < nb-1; c++ {
		masks = append(masks, graph.Equal(floor, consts[c]))
	}
	return append(masks, graph.GreaterOrEqual(t, consts[nb-1]))
}

func (l *DynamicSoftMargin) classConsts(g *graph.Graph, dt dtypes.DType) []*graph.Node {
	consts := make([]*graph.Node, l.NumBins)
	for c := range consts {
		consts[c] = graph.Scalar(g, dt, float64(c))
	}
	return consts
}

// weigh updates hist with the class totals cw, cx (count: the total weight) and returns
// mean(CDF(x)·x) with the updated histogram, both 0 / unchanged when there is no value.
//
// A value of class c (0 ≤ c ≤ NumBins−2) adds w·(1 − α) to bin c and w·α to bin c+1, α = t − c, so the
// class adds W_c − A_c and A_c, A_c = Σ w·t − c·W_c = (X_c − MinVal·W_c)/Δ − c·W_c; the classes below
// and past the bins add W to their bin (bug 11's clamp: both halves land in the same bin). The loss
// weighs each value by the CDF at its lower bin: Σ_b CDF[b]·(X of the classes whose lower bin is b).
func (l *DynamicSoftMargin) weigh(cw, cx, count, hist *graph.Node) (loss, newHist *graph.Node) {
	g, dt := cw.Graph(), cw.DType()
	nb := l.NumBins
	hasValues := graph.GreaterThan(count, gmath.Zero(count))
	at := func(v *graph.Node, from, to int) *graph.Node { return graph.Slice(v, graph.AxisRange(from, to)) }
	var batch, xLo *graph.Node
	if nb == 1 {
		batch, xLo = graph.ReduceSum(cw, 0), graph.ReduceSum(cx, 0)
		batch, xLo = graph.Reshape(batch, 1), graph.Reshape(xLo, 1)
	} else {
		zero1 := graph.Zeros(g, shapes.Make(dt, 1))
		batch = graph.Add(graph.Concatenate([]*graph.Node{at(cw, 0, 1), graph.Zeros(g, shapes.Make(dt, nb-1))}, 0),
			graph.Concatenate([]*graph.Node{graph.Zeros(g, shapes.Make(dt, nb-1)), at(cw, nb, nb+1)}, 0))
		wi, xi := at(cw, 1, nb), at(cx, 1, nb) // classes 0 … nb−2
		ti := graph.DivScalar(graph.Sub(xi, graph.MulScalar(wi, l.MinVal)), l.delta())
		a := graph.Sub(ti, graph.Mul(graph.Iota(g, shapes.Make(dt, nb-1), 0), wi))
		batch = graph.Add(batch, graph.Concatenate([]*graph.Node{graph.Sub(wi, a), zero1}, 0))
		batch = graph.Add(batch, graph.Concatenate([]*graph.Node{zero1, a}, 0))
		// The values whose lower bin is b: classes −1 and 0 for bin 0, class b for the others.
		xLo = graph.Concatenate([]*graph.Node{graph.Add(at(cx, 0, 1), at(cx, 1, 2)), at(cx, 2, nb+1)}, 0)
	}

	// PML: momentum if hist.sum() != 0 else 1.
	started := graph.NotEqual(graph.ReduceAllSum(hist), gmath.Zero(hist))
	mu := graph.Where(started, graph.Scalar(g, dt, l.Momentum), gmath.One(hist))
	updated := graph.Add(graph.Mul(graph.OneMinus(mu), hist), graph.Mul(mu, batch))
	updated = gmath.SafeDiv(updated, graph.ReduceAllSum(updated))
	newHist = graph.Where(hasValues, updated, hist)

	// CDF = cumsum(hist), as a product with the upper-triangular ones (NumBins is small).
	tri := graph.ConvertDType(graph.LessOrEqual(graph.Iota(g, shapes.Make(dtypes.Int32, nb, nb), 0), graph.Iota(g, shapes.Make(dtypes.Int32, nb, nb), 1)), dt)
	cdf := graph.Reshape(graph.MatMul(graph.InsertAxes(newHist, 0), tri), nb)
	loss = gmath.SafeDiv(graph.ReduceAllSum(graph.Mul(cdf, xLo)), count)
	return loss, newHist
}
