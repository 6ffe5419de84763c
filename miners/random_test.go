package miners_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

func normalized(seed uint64, n, d int) [][]float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	x := testutil.RandMatrix(r.NormFloat64, n, d)
	for _, row := range x {
		var s float64
		for _, v := range row {
			s += v * v
		}
		for j := range row {
			row[j] /= math.Sqrt(s)
		}
	}
	return x
}

func mineCounts(t *testing.T, m miners.PairMiner, x [][]float64, labels []int) (pos, neg [][]float64) {
	t.Helper()
	out, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		p, n := m.Mine(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
		return []*graph.Node{p, n}
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	return out[0].([][]float64), out[1].([][]float64)
}

// TestRandomMinersStructure checks what every draw must satisfy: DistanceWeighted gives anchor a with
// n_p class members n_p positive and n_p negative pair counts, only on candidates, never a negative at
// or beyond nonzero_loss_cutoff; UniformHistogram draws per_bin pairs from each non-empty bin (so a
// total that is a multiple of per_bin, at most num_bins·per_bin), only on candidates. The same seed and
// inputs give the same draws, another seed other draws.
func TestRandomMinersStructure(t *testing.T) {
	x := normalized(7, 16, 4)
	labels := []int{0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 0, 1, 2, 2, 3, 4}
	classSize := map[int]int{}
	for _, l := range labels {
		classSize[l]++
	}
	dist := func(i, j int) float64 {
		var s float64
		for k := range x[i] {
			s += (x[i][k] - x[j][k]) * (x[i][k] - x[j][k])
		}
		return math.Sqrt(s)
	}
	dw := miners.NewDistanceWeighted()
	dw.NonzeroLossCutoff = 1.2
	pos, neg := mineCounts(t, dw, x, labels)
	for a := range x {
		var ps, ns float64
		for j := range x {
			if pos[a][j] > 0 && (labels[j] != labels[a] || j == a) {
				t.Errorf("distanceweighted: positive (%d, %d) is not a candidate", a, j)
			}
			if neg[a][j] > 0 && (labels[j] == labels[a] || math.Max(dist(a, j), 0.5) >= 1.2) {
				t.Errorf("distanceweighted: negative (%d, %d) at distance %.3f is not allowed", a, j, dist(a, j))
			}
			ps, ns = ps+pos[a][j], ns+neg[a][j]
		}
		want := float64(classSize[labels[a]])
		if classSize[labels[a]] < 2 {
			want = 0
		}
		if ps != want || (ns != want && ns != 0) || (ns == 0 && ps != 0) {
			t.Errorf("distanceweighted: anchor %d (class of %d) has %g positives and %g negatives, want %g", a, classSize[labels[a]], ps, ns, want)
		}
	}

	uh := &miners.UniformHistogram{NumBins: 4, PosPerBin: 3, NegPerBin: 2}
	pos, neg = mineCounts(t, uh, x, labels)
	for _, tc := range []struct {
		what    string
		w       [][]float64
		perBin  float64
		isCand  func(i, j int) bool
		numBins float64
	}{
		{"pos", pos, 3, func(i, j int) bool { return i != j && labels[i] == labels[j] }, 4},
		{"neg", neg, 2, func(i, j int) bool { return labels[i] != labels[j] }, 4},
	} {
		var total float64
		for i, row := range tc.w {
			for j, c := range row {
				if c > 0 && !tc.isCand(i, j) {
					t.Errorf("uniformhistogram %s: (%d, %d) is not a candidate", tc.what, i, j)
				}
				total += c
			}
		}
		if math.Mod(total, tc.perBin) != 0 || total < tc.perBin || total > tc.numBins*tc.perBin {
			t.Errorf("uniformhistogram %s: %g draws, want a multiple of %g up to %g", tc.what, total, tc.perBin, tc.numBins*tc.perBin)
		}
	}

	// Determinism and seeds.
	p1, _ := mineCounts(t, dw, x, labels)
	p2, _ := mineCounts(t, dw, x, labels)
	other := *dw
	other.Seed = 99
	p3, _ := mineCounts(t, &other, x, labels)
	same := func(a, b [][]float64) bool {
		for i := range a {
			for j := range a[i] {
				if a[i][j] != b[i][j] {
					return false
				}
			}
		}
		return true
	}
	if !same(p1, p2) {
		t.Error("distanceweighted: the same seed and inputs gave different draws")
	}
	if same(p1, p3) {
		t.Error("distanceweighted: seeds 0 and 99 gave the same draws")
	}
}

// TestMineWithContext checks that the context's RNG variable advances: two executions of the same
// graph on the same inputs draw differently, and the draws keep each anchor's totals.
func TestMineWithContext(t *testing.T) {
	x := normalized(11, 12, 4)
	labels := []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3}
	ctx := context.New()
	m := miners.NewDistanceWeighted()
	exec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, e *graph.Node) *graph.Node {
		p, _ := miners.MineWithContext(ctx, "dw", 1, m, losses.Inputs{Embeddings: e, Labels: graph.Const(e.Graph(), labels)})
		return p
	})
	if err != nil {
		t.Fatal(err)
	}
	var draws [2][][]float64
	for i := range draws {
		out, err := exec.Exec(x)
		if err != nil {
			t.Fatal(err)
		}
		draws[i] = out[0].Value().([][]float64)
		for a, row := range draws[i] {
			var s float64
			for _, c := range row {
				s += c
			}
			if s != 3 {
				t.Errorf("execution %d: anchor %d has %g positives, want 3", i, a, s)
			}
		}
	}
	if reflect.DeepEqual(draws[0], draws[1]) {
		t.Error("two executions drew the same positives: the RNG variable did not advance")
	}
}
