package losses_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
)

// dsmlRef is a plain-Go transcription of PML's DynamicSoftMarginLoss (compute_loss, update_histogram,
// weigh_loss), with gometric's bin clamp: the oracle of the tests below. labels nil means PML's
// unlabeled path; refLabels nil (with labels) means the embeddings are their own references.
type dsmlRef struct {
	minVal   float64
	numBins  int
	momentum float64
	hist     []float64
}

func newDSMLRef() *dsmlRef {
	return &dsmlRef{minVal: -2, numBins: 10, momentum: 0.01, hist: make([]float64, 10)}
}

func unitL2(emb, ref [][]float64) [][]float64 {
	norm := func(v []float64) []float64 {
		s := 0.0
		for _, x := range v {
			s += x * x
		}
		s = math.Sqrt(s)
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = x / s
		}
		return out
	}
	d := make([][]float64, len(emb))
	for i := range emb {
		a := norm(emb[i])
		d[i] = make([]float64, len(ref))
		for j := range ref {
			b := norm(ref[j])
			s := 0.0
			for k := range a {
				s += (a[k] - b[k]) * (a[k] - b[k])
			}
			d[i][j] = math.Sqrt(s)
		}
	}
	return d
}

func (r *dsmlRef) step(emb, ref [][]float64, labels, refLabels []int) float64 {
	selfRef := ref == nil
	if selfRef {
		ref, refLabels = emb, labels
	}
	d := unitL2(emb, ref)
	var xs []float64
	if labels != nil {
		for a := range emb {
			for p := range ref {
				if labels[a] != refLabels[p] || (selfRef && a == p) {
					continue
				}
				for n := range ref {
					if labels[a] != refLabels[n] {
						xs = append(xs, d[a][p]-d[a][n])
					}
				}
			}
		}
	} else {
		rows, cols := len(emb), len(ref)
		k := max(rows, cols)
		minA, minP, pos := make([]float64, k), make([]float64, k), make([]float64, k)
		for j := 0; j < cols; j++ {
			minA[j] = math.Inf(1)
			for i := 0; i < rows; i++ {
				minA[j] = math.Min(minA[j], d[i][j])
			}
		}
		for i := 0; i < rows; i++ {
			minP[i] = math.Inf(1)
			for j := 0; j < cols; j++ {
				minP[i] = math.Min(minP[i], d[i][j])
			}
			if i < cols {
				pos[i] = d[i][i]
			}
		}
		for i := range k {
			xs = append(xs, pos[i]-math.Min(minA[i], minP[i]))
		}
	}
	if len(xs) == 0 {
		return 0
	}
	delta := 2 * math.Abs(r.minVal) / float64(r.numBins)
	clamp := func(i int) int { return min(max(i, 0), r.numBins-1) }
	sum := 0.0
	for _, h := range r.hist {
		sum += h
	}
	m := r.momentum
	if sum == 0 {
		m = 1
	}
	for b := range r.hist {
		r.hist[b] *= 1 - m
	}
	for _, x := range xs {
		t := (x - r.minVal) / delta
		i := int(math.Floor(t))
		alpha := t - math.Floor(t)
		r.hist[clamp(i)] += m * (1 - alpha)
		r.hist[clamp(i+1)] += m * alpha
	}
	sum = 0
	for _, h := range r.hist {
		sum += h
	}
	cdf := make([]float64, r.numBins)
	acc := 0.0
	for b := range r.hist {
		r.hist[b] /= sum
		acc += r.hist[b]
		cdf[b] = acc
	}
	loss := 0.0
	for _, x := range xs {
		loss += cdf[clamp(int(math.Floor((x-r.minVal)/delta)))] * x
	}
	return loss / float64(len(xs))
}

// dsmlStepper compiles one training step, ComputeWithContext on a batch with the given labels (nil:
// none), and returns a function that runs it on a batch and returns the loss, the gradient with
// respect to the embeddings and the histogram kept in ctx afterwards. Every run continues the state.
func dsmlStepper(t *testing.T, ctx *context.Context, l *losses.DynamicSoftMargin, labels []int32) func(emb any) (float64, any, []float64) {
	t.Helper()
	exec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, emb *graph.Node) []*graph.Node {
		li := losses.Inputs{Embeddings: emb}
		if labels != nil {
			li.Labels = graph.Const(emb.Graph(), labels)
		}
		loss := l.ComputeWithContext(ctx, li)
		return []*graph.Node{graph.ConvertDType(loss, dtypes.Float64), graph.Gradient(loss, emb)[0]}
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(emb any) (float64, any, []float64) {
		t.Helper()
		outs, err := exec.Exec(emb)
		if err != nil {
			t.Fatal(err)
		}
		v := ctx.In(l.Scope).InspectVariableInScope("histogram")
		if v == nil {
			t.Fatal("no histogram variable in the context")
		}
		var h []float64
		switch x := v.MustValue().Value().(type) {
		case []float64:
			h = x
		case []float32:
			for _, y := range x {
				h = append(h, float64(y))
			}
		}
		return outs[0].Value().(float64), outs[1].Value(), h
	}
}

// dsmlStep runs one step in a fresh compilation (see dsmlStepper).
func dsmlStep(t *testing.T, ctx *context.Context, l *losses.DynamicSoftMargin, emb any, labels []int32) (float64, any, []float64) {
	t.Helper()
	return dsmlStepper(t, ctx, l, labels)(emb)
}

func closeSlices(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

func to32Labels(l []int) []int32 {
	out := make([]int32, len(l))
	for i, v := range l {
		out[i] = int32(v)
	}
	return out
}

// TestDynamicSoftMarginStateAcrossCalls: two calls with the histogram kept in a context follow PML's
// momentum rule (μ = 1 on the first call, Momentum after), loss and histogram, and Reset starts over.
func TestDynamicSoftMarginStateAcrossCalls(t *testing.T) {
	labels := []int{0, 1, 0, 2, 1, 2, 0, 1}
	batches := [][][]float64{randEmb(1, 8, 5), randEmb(2, 8, 5)}
	l := losses.NewDynamicSoftMargin()
	ctx := context.New()
	step := dsmlStepper(t, ctx, l, to32Labels(labels))
	ref := newDSMLRef()
	for i, emb := range batches {
		want := ref.step(emb, nil, labels, nil)
		got, _, hist := step(emb)
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("step %d: loss %.15g, want %.15g", i, got, want)
		}
		if !closeSlices(hist, ref.hist, 1e-12) {
			t.Errorf("step %d: histogram %v, want %v", i, hist, ref.hist)
		}
	}
	// The second histogram is 0.99·H1 + 0.01·H2 (normalized), not H2: the state was used.
	fresh := newDSMLRef()
	fresh.step(batches[1], nil, labels, nil)
	if closeSlices(ref.hist, fresh.hist, 1e-6) {
		t.Fatal("test is vacuous: the second histogram does not depend on the first")
	}
	if err := l.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	got, _, hist := step(batches[1])
	want := newDSMLRef().step(batches[1], nil, labels, nil)
	if math.Abs(got-want) > 1e-12 || !closeSlices(hist, fresh.hist, 1e-12) {
		t.Errorf("after Reset: loss %.15g (want %.15g), histogram %v (want %v)", got, want, hist, fresh.hist)
	}
	// Compute is one call from the initial state.
	loss, _, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
		return l.Compute(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), to32Labels(labels))})
	}, batches[1])
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(loss-want) > 1e-12 {
		t.Errorf("Compute: %.15g, want %.15g", loss, want)
	}
}

// TestDynamicSoftMarginUnlabeledAndRef checks PML's unlabeled path (emb[i] ↔ ref[i], with N ≠ M) and
// labels with references against the transcription.
func TestDynamicSoftMarginUnlabeledAndRef(t *testing.T) {
	l := losses.NewDynamicSoftMargin()
	emb, ref := randEmb(3, 5, 4), randEmb(4, 7, 4)
	for _, c := range []struct {
		name      string
		emb, ref  [][]float64
		labels    []int
		refLabels []int
	}{
		{"unlabeled N<M", emb, ref, nil, nil},
		{"unlabeled N>M", ref, emb, nil, nil},
		{"unlabeled self", emb, nil, nil, nil},
		{"ref", emb, ref, []int{0, 1, 2, 0, 1}, []int{1, 0, 2, 2, 0, 1, 3}},
	} {
		want := newDSMLRef().step(c.emb, c.ref, c.labels, c.refLabels)
		args := []any{c.emb}
		if c.ref != nil {
			args = append(args, c.ref)
		}
		got, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			li := losses.Inputs{Embeddings: in[0]}
			if len(in) > 1 {
				li.Ref = in[1]
			}
			if c.labels != nil {
				g := in[0].Graph()
				li.Labels, li.RefLabels = graph.Const(g, to32Labels(c.labels)), graph.Const(g, to32Labels(c.refLabels))
			}
			return l.Compute(li)
		}, args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: loss %.15g, want %.15g", c.name, got, want)
		}
		for k, g := range grads {
			if !testutil.Finite(g) {
				t.Errorf("%s: gradient %d not finite", c.name, k)
			}
		}
	}
}

// TestDynamicSoftMarginNoPositives: no triplet gives 0 with a finite, zero gradient, and leaves the
// histogram as it was (PML returns zero_losses before updating it).
func TestDynamicSoftMarginNoPositives(t *testing.T) {
	l := losses.NewDynamicSoftMargin()
	for name, emb := range bothPrecisions(randEmb(5, 6, 3)) {
		ctx := context.New()
		loss, grad, hist := dsmlStep(t, ctx, l, emb, []int32{0, 1, 2, 3, 4, 5})
		finite, nonZero := finiteNonZero(grad)
		if loss != 0 || !finite || nonZero {
			t.Errorf("%s: loss %g, gradient finite=%v nonzero=%v; want 0, finite, zero", name, loss, finite, nonZero)
		}
		for _, h := range hist {
			if h != 0 {
				t.Errorf("%s: histogram %v changed, want all zeros", name, hist)
				break
			}
		}
	}
}

// TestDynamicSoftMarginFloat32: float32 agrees with float64.
func TestDynamicSoftMarginFloat32(t *testing.T) {
	emb := randEmb(6, 10, 6)
	labels := to32Labels([]int{0, 0, 1, 1, 2, 2, 3, 3, 0, 1})
	l := losses.NewDynamicSoftMargin()
	var loss64 float64
	var grad64 [][]float64
	for name, e := range bothPrecisions(emb) {
		loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			return l.Compute(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
		}, e)
		if err != nil {
			t.Fatal(err)
		}
		if name == "float64" {
			loss64, grad64 = loss, grads[0].([][]float64)
			continue
		}
		if math.Abs(loss-loss64) > 1e-5*math.Max(1, math.Abs(loss64)) {
			t.Errorf("float32 loss %.9g, float64 %.15g", loss, loss64)
		}
		diff, norm := diffNorms(grad64, grads[0].([][]float32))
		if diff > 1e-4*norm {
			t.Errorf("float32 gradient: relative difference %.3g", diff/norm)
		}
	}
}

// TestDynamicSoftMarginBinClamp (PML bug 11): x = d_ap − d_an ≥ MinVal + (NumBins−1)·Δ (1.6 by
// default) sends PML's bin i+1 past the histogram; gometric keeps the mass in the last bin.
func TestDynamicSoftMarginBinClamp(t *testing.T) {
	l := losses.NewDynamicSoftMargin()
	// Anchor 0 and its positive 1 are opposite (d_ap = 2), the negative 2 is the anchor (d_an = 0): x =
	// 2 (t = 10). Anchor 1: d_ap = 2, d_an = 2, x = 0 (t = 5). Histogram: bins 5 and 9, ½ each; loss =
	// (CDF[9]·2 + CDF[5]·0)/2 = 1.
	emb := [][]float64{{1, 0}, {-1, 0}, {1, 0}}
	labels := []int32{0, 0, 1}
	ctx := context.New()
	loss, grad, hist := dsmlStep(t, ctx, l, emb, labels)
	want := make([]float64, 10)
	want[5], want[9] = 0.5, 0.5
	if math.Abs(loss-1) > 1e-12 || !closeSlices(hist, want, 1e-12) {
		t.Errorf("x = 2: loss %.15g (want 1), histogram %v (want %v)", loss, hist, want)
	}
	if !testutil.Finite(grad) {
		t.Error("x = 2: gradient not finite")
	}
	// 1.6 ≤ x < 2 (the first value PML cannot place): the whole value goes to the last bin, matching
	// the transcription, and the loss is finite.
	emb = [][]float64{{1, 0}, {-1, 0.3}, {1, 0.25}, {0, 1}}
	labels = []int32{0, 0, 1, 2}
	ref := newDSMLRef()
	wantLoss := ref.step(emb, nil, []int{0, 0, 1, 2}, nil)
	if d := unitL2(emb, emb); d[0][1]-d[0][2] < 1.6 {
		t.Fatalf("test is vacuous: x = %g < 1.6", d[0][1]-d[0][2])
	}
	loss, grad, hist = dsmlStep(t, context.New(), l, emb, labels)
	if math.Abs(loss-wantLoss) > 1e-12 || !closeSlices(hist, ref.hist, 1e-12) || !testutil.Finite(grad) {
		t.Errorf("1.6 <= x < 2: loss %.15g (want %.15g), histogram %v (want %v)", loss, wantLoss, hist, ref.hist)
	}
}

// TestDynamicSoftMarginExplicitPairs: Pos/Neg equal to the label masks give the labels' loss (the
// triplets are every positive times every negative pair of an anchor, PML's convert_to_triplets).
func TestDynamicSoftMarginExplicitPairs(t *testing.T) {
	labels := []int{0, 1, 0, 2, 1, 2, 0}
	n := len(labels)
	pos, neg := make([][]float64, n), make([][]float64, n)
	for i := range n {
		pos[i], neg[i] = make([]float64, n), make([]float64, n)
		for j := range n {
			if labels[i] == labels[j] && i != j {
				pos[i][j] = 1
			}
			if labels[i] != labels[j] {
				neg[i][j] = 1
			}
		}
	}
	emb := randEmb(7, n, 4)
	want := newDSMLRef().step(emb, nil, labels, nil)
	l := losses.NewDynamicSoftMargin()
	got, _, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
		g := in[0].Graph()
		return l.Compute(losses.Inputs{Embeddings: in[0], Pos: graph.Const(g, pos), Neg: graph.Const(g, neg)})
	}, emb)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
		t.Errorf("explicit pairs: %.15g, labels %.15g", got, want)
	}
}
