package losses_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/pairs"
	"github.com/gometric/gometric/regularizers"
)

func allLosses() map[string]losses.TermsLoss {
	return map[string]losses.TermsLoss{
		"contrastive": losses.NewContrastive(),
		"ntxent":      losses.NewNTXent(),
		"supcon":      losses.NewSupCon(),
		"snr":         losses.NewSNRContrastive(),
	}
}

// PML's indices_tuple recipe for pairs, (P, P+B, Nn, Nn+B) over cat(x1, x2) built with PairWeights,
// and the pairs package's explicit mode (x1 as queries, x2 as references) are the same loss.
func TestPairWeightsMatchesExplicitPairs(t *testing.T) {
	const b = 6
	y := []int32{1, 0, 1, 1, 0, 0}
	var a1, p, a2, n []int
	for i, v := range y {
		if v == 1 {
			a1, p = append(a1, i), append(p, i+b)
		} else {
			a2, n = append(a2, i), append(n, i+b)
		}
	}
	pos, neg, err := losses.PairWeights(2*b, 2*b, a1, p, a2, n)
	if err != nil {
		t.Fatal(err)
	}
	emb := randEmb(1, 2*b, 5)
	for name, l := range allLosses() {
		viaWeights, g1, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			return l.ComputeWithContext(nil, losses.Inputs{Embeddings: in[0], Pos: graph.Const(in[0].Graph(), pos), Neg: graph.Const(in[0].Graph(), neg)})
		}, emb)
		if err != nil {
			t.Fatal(err)
		}
		viaPairs, g2, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			e1 := graph.Slice(in[0], graph.AxisRange(0, b))
			e2 := graph.Slice(in[0], graph.AxisRange(b, 2*b))
			return pairs.Loss(l, pairs.Explicit, e1, e2, graph.Const(in[0].Graph(), y), nil)
		}, emb)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(viaWeights-viaPairs) > 1e-12 {
			t.Errorf("%s: PairWeights loss %.15g, pairs.Explicit %.15g", name, viaWeights, viaPairs)
		}
		gw, gp := g1[0].([][]float64), g2[0].([][]float64)
		if i, j, ok := firstDiff(gw, gp, 1e-12); ok {
			t.Fatalf("%s: gradients differ at %d,%d: %g vs %g", name, i, j, gw[i][j], gp[i][j])
		}
	}
}

// With explicit pairs each anchor has a positive or a negative, never both: NT-Xent and SupCon have
// nothing to contrast and give 0 (PML issue 705), while Contrastive does not.
func TestExplicitPairsGiveZeroForPerAnchorLosses(t *testing.T) {
	emb := randEmb(2, 8, 4)
	y := []int32{1, 0, 1, 0}
	for name, l := range allLosses() {
		loss, _, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			e1, e2 := graph.Slice(in[0], graph.AxisRange(0, 4)), graph.Slice(in[0], graph.AxisRange(4, 8))
			return pairs.Loss(l, pairs.Explicit, e1, e2, graph.Const(in[0].Graph(), y), nil)
		}, emb)
		if err != nil {
			t.Fatal(err)
		}
		isZero := loss == 0
		if wantZero := name == "ntxent" || name == "supcon"; isZero != wantZero {
			t.Errorf("%s: loss %g, want zero=%v", name, loss, wantZero)
		}
	}
}

// No positive pair at all (every label distinct): every loss is 0 or only its negative part, and no
// gradient is NaN.
func TestNoPositivesIsFinite(t *testing.T) {
	emb := randEmb(3, 6, 4)
	labels := []int32{0, 1, 2, 3, 4, 5}
	for name, l := range allLosses() {
		for dt, in := range bothPrecisions(emb) {
			loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
				return l.ComputeWithContext(nil, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
			}, in)
			if err != nil {
				t.Fatal(err)
			}
			if math.IsNaN(loss) || !testutil.Finite(grads[0]) {
				t.Errorf("%s/%s: loss %g, NaN or Inf in gradient", name, dt, loss)
			}
			if (name == "ntxent" || name == "supcon") && loss != 0 {
				t.Errorf("%s/%s: loss %g without positives, want 0", name, dt, loss)
			}
		}
	}
}

// float32 (training) and float64 (golden tests) agree.
func TestFloat32MatchesFloat64(t *testing.T) {
	emb := randEmb(4, 12, 8)
	labels := []int32{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}
	for name, l := range allLosses() {
		fn := func(in []*graph.Node) *graph.Node {
			return l.ComputeWithContext(nil, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
		}
		l64, _, err := testutil.LossAndGrads(fn, emb)
		if err != nil {
			t.Fatal(err)
		}
		l32, _, err := testutil.LossAndGrads(fn, testutil.To32(emb))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(l32-l64) > 1e-5*math.Max(1, math.Abs(l64)) {
			t.Errorf("%s: float32 %g, float64 %g", name, l32, l64)
		}
	}
}

// PML's NT-Xent computes log(num/den + tiny), which saturates near 87 in float32; gometric's
// log-sum-exp form stays exact. An anchor whose positive is opposite (cos −1) and whose negative
// coincides (cos 1) at τ = 0.01 costs softplus(2/0.01) = 200.
func TestNTXentIsStableForLargeLogits(t *testing.T) {
	emb := [][]float32{{1, 0}, {-1, 0}, {1, 0}}
	l := losses.NewNTXent()
	l.Temperature = 0.01
	var a1, p, a2, n = []int{0}, []int{1}, []int{0}, []int{2}
	pos, neg, err := losses.PairWeights(3, 3, a1, p, a2, n)
	if err != nil {
		t.Fatal(err)
	}
	loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
		return l.Compute(losses.Inputs{Embeddings: in[0], Pos: graph.Const(in[0].Graph(), pos), Neg: graph.Const(in[0].Graph(), neg)})
	}, emb)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(loss-200) > 1e-3 {
		t.Errorf("loss = %g, want 200", loss)
	}
	if !testutil.Finite(grads[0]) {
		t.Errorf("gradient has NaN: %v", grads[0])
	}
}

// The embedding regularizer adds weight · mean ‖x_i‖ to the loss.
func TestEmbeddingRegularizer(t *testing.T) {
	emb := [][]float64{{3, 4}, {0, 1}, {1, 0}}
	labels := []int32{0, 1, 2} // No positives: NT-Xent is 0, only the regularizer remains.
	l := losses.NewNTXent()
	l.EmbeddingRegularizer = regularizers.NewLpRegularizer()
	l.EmbeddingRegWeight = 0.5
	loss, _, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
		return l.Compute(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
	}, emb)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.5 * (5 + 1 + 1) / 3; math.Abs(loss-want) > 1e-12 {
		t.Errorf("loss = %g, want %g", loss, want)
	}
}

func TestInvalidInputsPanicWithAClearMessage(t *testing.T) {
	emb := randEmb(5, 4, 3)
	ref := randEmb(6, 5, 3)
	tests := []struct {
		name, want string
		in         func(e, r *graph.Node) losses.Inputs
	}{
		{"no labels", "needs Labels", func(e, r *graph.Node) losses.Inputs { return losses.Inputs{Embeddings: e} }},
		{"ref without ref labels", "without RefLabels", func(e, r *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Labels: graph.Const(e.Graph(), []int32{0, 0, 1, 1}), Ref: r}
		}},
		{"pos without neg", "together", func(e, r *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Pos: graph.Zeros(e.Graph(), e.Shape())}
		}},
		{"wrong label count", "Labels must be [4]", func(e, r *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Labels: graph.Const(e.Graph(), []int32{0, 1})}
		}},
		{"float labels", "integers", func(e, r *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Labels: graph.Const(e.Graph(), []float64{0, 1, 0, 1})}
		}},
	}
	for _, tc := range tests {
		_, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
			return []*graph.Node{losses.NewNTXent().Compute(tc.in(in[0], in[1]))}
		}, emb, ref)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestSelectionErrors(t *testing.T) {
	if _, _, err := losses.PairWeights(3, 3, []int{0}, []int{3}, nil, nil); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("out-of-range index: %v", err)
	}
	if _, _, err := losses.PairWeights(3, 3, []int{0, 1}, []int{1}, nil, nil); err == nil {
		t.Error("mismatched lengths: no error")
	}
	pos, neg, err := losses.TripletWeights(3, 3, []int{0, 0}, []int{1, 1}, []int{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if pos.Value().([][]float32)[0][1] != 2 || neg.Value().([][]float32)[0][2] != 2 {
		t.Errorf("TripletWeights: a repeated triplet must count twice: %v %v", pos.Value(), neg.Value())
	}
}
