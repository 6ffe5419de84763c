package regularizers_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/reducers"
	"github.com/gometric/gometric/regularizers"
	"github.com/gometric/gometric/spec"
)

// The golden files (pml-2.8.1.json, pml-2.8.1-parity.json) have no case of CenterInvariant, SparseCenters
// or ZeroMean. The expected values below are PML's compute_loss formulas evaluated in float64 by plain
// Go loops, independently of the graph code:
//   - CenterInvariant: s_i = ‖w_i‖², loss_i = (s_i − mean(s))² / 4, MeanReducer;
//   - SparseCenters: for each class c and centers i < j of c, sqrt(2 + tiny − min(2·cos(w_i, w_j), 2)),
//     summed and divided by 2 × (number of such pairs) (DivisorReducer);
//   - ZeroMean: loss_i = |Σ_d x_id|, MeanReducer.
// Gradients are checked against the same formulas' derivatives where they are short to write.

func rows(seed uint64, n, d int) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	return testutil.RandMatrix(r.NormFloat64, n, d)
}

func centerInvariantWant(w [][]float64) float64 {
	s := make([]float64, len(w))
	var mean float64
	for i, row := range w {
		for _, x := range row {
			s[i] += x * x
		}
		mean += s[i] / float64(len(w))
	}
	var out float64
	for _, si := range s {
		out += (si - mean) * (si - mean) / 4 / float64(len(w))
	}
	return out
}

func zeroMeanWant(x [][]float64) (float64, [][]float64) {
	var out float64
	grad := make([][]float64, len(x))
	for i, row := range x {
		var s float64
		for _, v := range row {
			s += v
		}
		out += math.Abs(s) / float64(len(x))
		grad[i] = make([]float64, len(row))
		for j := range row {
			grad[i][j] = math.Copysign(1, s) / float64(len(x))
		}
	}
	return out, grad
}

func sparseCentersWant(w [][]float64, classes, k int) float64 {
	cos := func(a, b []float64) float64 {
		var ab, aa, bb float64
		for i := range a {
			ab, aa, bb = ab+a[i]*b[i], aa+a[i]*a[i], bb+b[i]*b[i]
		}
		return ab / (math.Sqrt(aa) * math.Sqrt(bb))
	}
	var sum float64
	var pairs int
	for c := range classes {
		for i := c * k; i < (c+1)*k; i++ {
			for j := i + 1; j < (c+1)*k; j++ {
				sum += math.Sqrt(2 + 0x1p-1022 - math.Min(2*cos(w[i], w[j]), 2))
				pairs++
			}
		}
	}
	return sum / float64(2*pairs)
}

func TestMoreRegularizersMatchPMLFormulas(t *testing.T) {
	w6 := rows(1, 6, 5)
	w3 := rows(2, 3, 4)
	for _, tc := range []struct {
		name string
		reg  regularizers.Regularizer
		x    [][]float64
		want float64
	}{
		{"center_invariant 6x5", regularizers.NewCenterInvariantRegularizer(), w6, centerInvariantWant(w6)},
		{"center_invariant 3x4", regularizers.NewCenterInvariantRegularizer(), w3, centerInvariantWant(w3)},
		{"center_invariant equal norms", regularizers.NewCenterInvariantRegularizer(), [][]float64{{3, 4}, {0, 5}, {-5, 0}}, 0},
		{"zero_mean 6x5", regularizers.NewZeroMeanRegularizer(), w6, func() float64 { v, _ := zeroMeanWant(w6); return v }()},
		{"zero_mean sum reducer", &regularizers.ZeroMeanRegularizer{Reducer: reducers.SumReducer{}}, [][]float64{{1, -3}, {2, 2}}, 2 + 4},
		{"sparse_centers 3 classes x 2", regularizers.NewSparseCentersRegularizer(3, 2), w6, sparseCentersWant(w6, 3, 2)},
		{"sparse_centers 2 classes x 3", regularizers.NewSparseCentersRegularizer(2, 3), w6, sparseCentersWant(w6, 2, 3)},
		// Centers 0 and 1 are orthogonal (√2), 2 and 3 opposite (2): (√2 + 2) / (2·2).
		{"sparse_centers by hand", regularizers.NewSparseCentersRegularizer(2, 2), [][]float64{{1, 0}, {0, 3}, {1, 1}, {-2, -2}}, (math.Sqrt2 + 2) / 4},
	} {
		out := testutil.MustExec(func(in []*graph.Node) []*graph.Node { return []*graph.Node{tc.reg.Compute(in[0])} }, tc.x)
		if got := out[0].(float64); math.Abs(got-tc.want) > 1e-12*math.Max(1, math.Abs(tc.want)) {
			t.Errorf("%s: got %.17g, want %.17g", tc.name, got, tc.want)
		}
	}
}

func TestZeroMeanGradient(t *testing.T) {
	x := rows(3, 4, 3)
	want, wantGrad := zeroMeanWant(x)
	got, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
		return regularizers.NewZeroMeanRegularizer().Compute(in[0])
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-12 || !reflect.DeepEqual(grads[0], wantGrad) {
		t.Errorf("got %g %v, want %g %v", got, grads[0], want, wantGrad)
	}
}

func TestCenterInvariantGradient(t *testing.T) {
	// d/dw_i of (1/C) Σ_k (s_k − s̄)²/4 is (1/C)·(s_i − s̄)·w_i (the s̄ terms cancel: Σ_k (s_k − s̄) = 0).
	w := rows(4, 5, 3)
	_, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
		return regularizers.NewCenterInvariantRegularizer().Compute(in[0])
	}, w)
	if err != nil {
		t.Fatal(err)
	}
	s := make([]float64, len(w))
	var mean float64
	for i, row := range w {
		for _, x := range row {
			s[i] += x * x
		}
		mean += s[i] / float64(len(w))
	}
	g := grads[0].([][]float64)
	for i, row := range w {
		for j, x := range row {
			if want := (s[i] - mean) * x / float64(len(w)); math.Abs(g[i][j]-want) > 1e-12 {
				t.Errorf("grad[%d][%d] = %g, want %g", i, j, g[i][j], want)
			}
		}
	}
}

func TestSparseCentersWrongRows(t *testing.T) {
	_, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{regularizers.NewSparseCentersRegularizer(2, 2).Compute(in[0])}
	}, rows(5, 5, 3))
	if err == nil || !strings.Contains(err.Error(), "[4, D]") {
		t.Errorf("5 rows for 2x2 centers: error %v, want one naming [4, D]", err)
	}
}

// TestRegularizerSpecs checks that the new regularizers parse by their names and PML's class names,
// with PML's defaults, and that SparseCenters' required arguments are enforced.
func TestRegularizerSpecs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
		err  string
	}{
		{in: "zero_mean", want: regularizers.NewZeroMeanRegularizer()},
		{in: "ZeroMeanRegularizer()", want: regularizers.NewZeroMeanRegularizer()},
		{in: "zero_mean(reducer=sum)", want: &regularizers.ZeroMeanRegularizer{Reducer: reducers.SumReducer{}}},
		{in: "CenterInvariantRegularizer", want: regularizers.NewCenterInvariantRegularizer()},
		{in: "SparseCentersRegularizer(num_classes=10, centers_per_class=3)", want: regularizers.NewSparseCentersRegularizer(10, 3)},
		{in: "sparse_centers(num_classes=10, centers_per_class=3, reducer=mean)", want: &regularizers.SparseCentersRegularizer{NumClasses: 10, CentersPerClass: 3, Reducer: reducers.MeanReducer{}}},
		{in: "sparse_centers", err: "num_classes (0) must be at least 1"},
		{in: "sparse_centers(num_classes=10, centers_per_class=1)", err: "centers_per_class (1) must be greater than 1"},
	} {
		got, err := spec.Regularizers.Parse(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q) = %#v, %v, want %#v", tc.in, got, err, tc.want)
		}
	}
	// Defaults pinned: PML's BaseRegularizer reducer is MeanReducer, SparseCenters' DivisorReducer.
	if r := regularizers.NewSparseCentersRegularizer(1, 2).Reducer; r != (reducers.DivisorReducer{}) {
		t.Errorf("SparseCenters default reducer %T, want DivisorReducer", r)
	}
}
