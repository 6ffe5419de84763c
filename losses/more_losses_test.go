package losses_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/reducers"
)

// moreLoss is one of the pair losses of this file's tests, built fresh for each use.
type moreLoss struct {
	make func() (losses.TermsLoss, *losses.Options)
}

func moreLosses() map[string]moreLoss {
	return map[string]moreLoss{
		"multisimilarity": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewMultiSimilarity()
			return l, &l.Options
		}},
		"circle": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewCircle()
			l.Gamma = 8 // Keeps float32 rounding small enough to compare.
			return l, &l.Options
		}},
		"generalizedlifted": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewGeneralizedLiftedStructure()
			return l, &l.Options
		}},
		"tupletmargin": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewTupletMargin()
			l.Scale = 8
			return l, &l.Options
		}},
		"nca": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewNCA()
			return l, &l.Options
		}},
		"tripletmargin": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewTripletMargin()
			l.Margin = 0.3
			return l, &l.Options
		}},
		"tripletmargin_swap_smooth": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewTripletMargin()
			l.Swap, l.SmoothLoss = true, true
			return l, &l.Options
		}},
		"intrapairvariance": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewIntraPairVariance()
			return l, &l.Options
		}},
		"lifted": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewLiftedStructure()
			return l, &l.Options
		}},
	}
}

// Block by block gives the value and gradients of one block, for every row-separable loss, several
// reducers and every kind of input, with a last block smaller than the others. The losses that are
// not row-separable must give the same result too (they ignore BlockRows).
func TestMoreLossesBlockwiseMatchesOneBlock(t *testing.T) {
	const n, m, d = 10, 7, 5
	emb, ref := randEmb(31, n, d), randEmb(32, m, d)
	labels := []int32{0, 1, 2, 0, 1, 2, 3, 3, 0, 4}
	refLabels := []int32{0, 1, 2, 3, 5, 5, 0}
	pos, neg, err := losses.PairWeights(n, n, []int{0, 0, 3, 9, 3}, []int{3, 8, 8, 2, 8}, []int{0, 1, 1, 5, 0}, []int{1, 2, 2, 6, 7})
	if err != nil {
		t.Fatal(err)
	}
	low := 0.01
	thr, _ := reducers.NewThresholdReducer(&low, nil)
	reducerCases := map[string]reducers.Reducer{
		"default": nil, "mean": reducers.MeanReducer{}, "sum": reducers.SumReducer{}, "avgnonzero": reducers.AvgNonZeroReducer{},
		"threshold": thr, "per_anchor": &reducers.PerAnchorReducer{},
	}
	data := blockData{labels: labels, refLabels: refLabels, pos: pos, neg: neg, pairsOnly: true}
	for lossName, ml := range moreLosses() {
		for redName, red := range reducerCases {
			for _, kind := range []string{"labels", "ref", "explicit"} {
				t.Run(fmt.Sprintf("%s/%s/%s", lossName, redName, kind), func(t *testing.T) {
					one, blocks := oneBlockAndBlocks(t, func(rows int) losses.Loss {
						l, o := ml.make()
						if red != nil {
							o.Reducer = red
						}
						o.BlockRows = rows
						return l
					}, data.inputs(kind), emb, ref)
					if one.loss == 0 {
						t.Fatalf("loss is 0: the case tests nothing")
					}
					checkBlocksMatch(t, one, blocks)
				})
			}
		}
	}
}

// Terms (one block, unreduced) reduced with the loss's reducer gives Compute's value.
func TestMoreLossesTermsMatchCompute(t *testing.T) {
	emb := randEmb(33, 9, 4)
	labels := []int32{0, 1, 2, 0, 1, 2, 3, 3, 0}
	for name, ml := range moreLosses() {
		l, o := ml.make()
		outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
			inputs := losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)}
			return []*graph.Node{l.ComputeWithContext(nil, inputs), reducers.ReduceAll(o.Reducer, l.Terms(inputs))}
		}, emb)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c, r := outs[0].(float64), outs[1].(float64); math.Abs(c-r) > 1e-12 || c == 0 {
			t.Errorf("%s: Compute %g, reduced Terms %g", name, c, r)
		}
	}
}

// No positive pair at all (every label distinct): the loss is finite and so is every gradient; the
// losses that need positives are 0.
func TestMoreLossesNoPositivesIsFinite(t *testing.T) {
	emb := randEmb(34, 6, 4)
	labels := []int32{0, 1, 2, 3, 4, 5}
	needPositives := map[string]bool{"circle": true, "tupletmargin": true, "nca": true, "lifted": true, "tripletmargin": true, "tripletmargin_swap_smooth": true}
	for name, ml := range moreLosses() {
		for dt, in := range bothPrecisions(emb) {
			l, _ := ml.make()
			loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
				return l.ComputeWithContext(nil, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
			}, in)
			if err != nil {
				t.Fatalf("%s/%s: %v", name, dt, err)
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) || !testutil.Finite(grads[0]) {
				t.Errorf("%s/%s: loss %g, NaN or Inf in gradient", name, dt, loss)
			}
			if needPositives[name] && loss != 0 {
				t.Errorf("%s/%s: loss %g without positives, want 0", name, dt, loss)
			}
		}
	}
}

// float32 (training) and float64 (golden tests) agree, value and gradient.
func TestMoreLossesFloat32MatchesFloat64(t *testing.T) {
	emb := randEmb(35, 12, 8)
	labels := []int32{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}
	for name, ml := range moreLosses() {
		l, _ := ml.make()
		fn := func(in []*graph.Node) *graph.Node {
			return l.ComputeWithContext(nil, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
		}
		l64, g64, err := testutil.LossAndGrads(fn, emb)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		l32, g32, err := testutil.LossAndGrads(fn, testutil.To32(emb))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if math.Abs(l32-l64) > 1e-5*math.Max(1, math.Abs(l64)) {
			t.Errorf("%s: float32 %g, float64 %g", name, l32, l64)
		}
		diff, norm := diffNorms(g64[0].([][]float64), g32[0].([][]float32))
		if diff > 1e-4*norm || norm == 0 {
			t.Errorf("%s: gradient relative difference %g (norm %g)", name, diff/norm, norm)
		}
	}
}

// PML's acos has no clamp: a positive pair of identical embeddings (cosine 1, or a rounding above)
// gives NaN there. gometric clamps, so value and gradient stay finite, in both precisions.
func TestTupletMarginIdenticalPositivesAreFinite(t *testing.T) {
	emb := [][]float64{{0.3, 0.4, 1.2}, {0.3, 0.4, 1.2}, {-1, 0.2, 0.1}, {0.5, -0.7, 0.2}}
	labels := []int32{0, 0, 1, 2}
	for dt, in := range bothPrecisions(emb) {
		l := losses.NewTupletMargin()
		loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			return l.Compute(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
		}, in)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) || loss <= 0 || !testutil.Finite(grads[0]) {
			t.Errorf("%s: loss %g, NaN or Inf in gradient: %v", dt, loss, grads[0])
		}
	}
}

// NCA keeps the anchors whose probability of a positive underflows (PML drops them, so the hardest
// anchors cost nothing there): with a large scale the loss is large and finite.
func TestNCAIsStableForLargeScales(t *testing.T) {
	emb := [][]float64{{1, 0}, {-1, 0}, {1, 0.01}}
	labels := []int32{0, 0, 1}
	l := losses.NewNCA()
	l.SoftmaxScale = 1000
	loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
		return l.Compute(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
	}, emb)
	if err != nil {
		t.Fatal(err)
	}
	// Anchor 0: positive at squared distance 4, negative at ≈ 1e-4; anchor 1: positive at 4, negative
	// at ≈ 4 − tiny. Anchor 0 alone costs ≈ 1000·(4 − 1e-4) ≈ 4000, so the mean is above 1900.
	if math.IsNaN(loss) || math.IsInf(loss, 0) || loss < 1900 || !testutil.Finite(grads[0]) {
		t.Errorf("loss %g, gradient %v", loss, grads[0])
	}
}

// With references, LiftedStructure uses only the anchor's negatives (references are not anchors);
// without, a pair also uses its positive's negatives, which can only raise its loss.
func TestLiftedStructureRefUsesAnchorNegativesOnly(t *testing.T) {
	emb := randEmb(36, 6, 3)
	labels := []int32{0, 0, 1, 1, 2, 2}
	l := losses.NewLiftedStructure()
	outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		self := l.Compute(losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, labels)})
		// The same values as a separate reference node, with the diagonal taken out of the positives.
		var a1, p, a2, n []int
		for i := range labels {
			for j := range labels {
				if labels[i] == labels[j] && i != j {
					a1, p = append(a1, i), append(p, j)
				} else if labels[i] != labels[j] {
					a2, n = append(a2, i), append(n, j)
				}
			}
		}
		pos, neg, err := losses.PairWeights(6, 6, a1, p, a2, n)
		if err != nil {
			panic(err)
		}
		withRef := l.Compute(losses.Inputs{Embeddings: in[0], Ref: graph.Identity(in[0]), Pos: graph.Const(g, pos), Neg: graph.Const(g, neg)})
		return []*graph.Node{self, withRef}
	}, emb)
	if err != nil {
		t.Fatal(err)
	}
	self, withRef := outs[0].(float64), outs[1].(float64)
	if !(withRef > 0 && self > withRef) {
		t.Errorf("without Ref %g, with Ref %g: want 0 < with Ref < without", self, withRef)
	}
}

// Without BlockRows, TripletMargin's general path (Swap) picks blocks of about 4M triplet entries: 70
// queries against 300 references (6.3M triplets) go in two blocks, with the value and gradient of one
// block.
func TestTripletMarginAutoBlocks(t *testing.T) {
	const n, m = 70, 300
	emb, ref := randEmb(37, n, 3), randEmb(38, m, 3)
	labels, refLabels := make([]int32, n), make([]int32, m)
	for i := range labels {
		labels[i] = int32(i % 5)
	}
	for i := range refLabels {
		refLabels[i] = int32(i % 7)
	}
	var losses2 [2]float64
	var grads2 [2][]any
	for i, rows := range []int{0, -1} {
		l := losses.NewTripletMargin()
		l.Reducer = reducers.MeanReducer{}
		l.Swap = true
		l.BlockRows = rows
		loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			g := in[0].Graph()
			return l.Compute(losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, labels), Ref: in[1], RefLabels: graph.Const(g, refLabels)})
		}, testutil.To32(emb), testutil.To32(ref))
		if err != nil {
			t.Fatal(err)
		}
		losses2[i], grads2[i] = loss, grads
	}
	if losses2[0] == 0 || math.Abs(losses2[0]-losses2[1]) > 1e-5*losses2[1] {
		t.Errorf("auto blocks %g, one block %g", losses2[0], losses2[1])
	}
	for k := range grads2[0] {
		a, b := grads2[0][k].([][]float32), grads2[1][k].([][]float32)
		for i := range a {
			for j := range a[i] {
				if math.Abs(float64(a[i][j]-b[i][j])) > 1e-6 {
					t.Fatalf("gradient %d differs at %d,%d: auto blocks %g, one block %g", k, i, j, a[i][j], b[i][j])
				}
			}
		}
	}
}
