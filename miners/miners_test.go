package miners_test

import (
	"math"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

// The test points lie on a line, with an unnormalized L2 distance, so that d(i, j) = |x_i − x_j|:
//
//	x      = 0    1    2.5  4    4.5
//	labels = 0    0    1    1    0
//
// Every distance below is exact in float64.
var (
	lineX      = []float64{0, 1, 2.5, 4, 4.5}
	lineLabels = []int32{0, 0, 1, 1, 0}
	rawL2      = &distances.LpDistance{P: 2, Power: 1, NormalizeEmbeddings: false}
)

func lineEmbeddings() [][]float64 {
	e := make([][]float64, len(lineX))
	for i, x := range lineX {
		e[i] = []float64{x, 0}
	}
	return e
}

// pairs lists the nonzero entries of w as [i, j] (repeated by their count), sorted.
func pairs(w [][]float64) [][2]int {
	out := [][2]int{}
	for i, row := range w {
		for j, v := range row {
			for k := 0; k < int(v); k++ {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

func triplets(t [][][]bool) [][3]int {
	out := [][3]int{}
	for a := range t {
		for p := range t[a] {
			for n, v := range t[a][p] {
				if v {
					out = append(out, [3]int{a, p, n})
				}
			}
		}
	}
	return out
}

// mine runs m on the line points (or on emb/labels when given) and returns the selected pairs.
func mine(t *testing.T, m miners.PairMiner, emb [][]float64, labels []int32) (pos, neg [][2]int) {
	t.Helper()
	outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		p, n := m.Mine(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
		return []*graph.Node{p, n}
	}, emb)
	if err != nil {
		t.Fatal(err)
	}
	return pairs(outs[0].([][]float64)), pairs(outs[1].([][]float64))
}

func mineTriplets(t *testing.T, m miners.TripletMiner, emb [][]float64, labels []int32) [][3]int {
	t.Helper()
	outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{m.MineTriplets(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})}
	}, emb)
	if err != nil {
		t.Fatal(err)
	}
	return triplets(outs[0].([][][]bool))
}

func TestPairMiners(t *testing.T) {
	for _, tc := range []struct {
		name     string
		miner    miners.PairMiner
		pos, neg [][2]int
	}{
		{"PairMargin", &miners.PairMargin{PosMargin: 2, NegMargin: 1.6, Distance: rawL2},
			[][2]int{{0, 4}, {1, 4}, {4, 0}, {4, 1}}, [][2]int{{1, 2}, {2, 1}, {3, 4}, {4, 3}}},
		{"MultiSimilarity", &miners.MultiSimilarity{Epsilon: 0.1, Distance: rawL2},
			[][2]int{{0, 4}, {1, 4}, {2, 3}, {3, 2}, {4, 0}, {4, 1}},
			[][2]int{{0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 1}, {3, 4}, {4, 2}, {4, 3}}},
		{"BatchHard", &miners.BatchHard{Distance: rawL2},
			[][2]int{{0, 4}, {1, 4}, {2, 3}, {3, 2}, {4, 0}}, [][2]int{{0, 2}, {1, 2}, {2, 1}, {3, 4}, {4, 3}}},
		// Easy positive (closest), semihard negative (closest one strictly farther than it); anchor 4's
		// closest positive (3.5) has no negative beyond it; anchor 2's negative 1 ties with its positive.
		{"BatchEasyHard default", &miners.BatchEasyHard{PosStrategy: miners.Easy, NegStrategy: miners.Semihard, Distance: rawL2},
			[][2]int{{0, 1}, {1, 0}, {2, 3}, {3, 2}}, [][2]int{{0, 2}, {1, 2}, {2, 4}, {3, 1}}},
		{"BatchEasyHard hard/hard = BatchHard", &miners.BatchEasyHard{PosStrategy: miners.Hard, NegStrategy: miners.Hard, Distance: rawL2},
			[][2]int{{0, 4}, {1, 4}, {2, 3}, {3, 2}, {4, 0}}, [][2]int{{0, 2}, {1, 2}, {2, 1}, {3, 4}, {4, 3}}},
		{"BatchEasyHard semihard/hard", &miners.BatchEasyHard{PosStrategy: miners.Semihard, NegStrategy: miners.Hard, Distance: rawL2},
			[][2]int{{0, 1}, {1, 0}}, [][2]int{{0, 2}, {1, 2}}},
		{"BatchEasyHard all/easy", &miners.BatchEasyHard{PosStrategy: miners.All, NegStrategy: miners.Easy, Distance: rawL2},
			[][2]int{{0, 1}, {0, 4}, {1, 0}, {1, 4}, {2, 3}, {3, 2}, {4, 0}, {4, 1}}, [][2]int{{0, 3}, {1, 3}, {2, 0}, {3, 0}, {4, 2}}},
		{"BatchEasyHard hard/hard neg range [0, 2]", &miners.BatchEasyHard{PosStrategy: miners.Hard, NegStrategy: miners.Hard, NegRange: &miners.Range{Lo: 0, Hi: 2}, Distance: rawL2},
			[][2]int{{1, 4}, {2, 3}, {3, 2}, {4, 0}}, [][2]int{{1, 2}, {2, 1}, {3, 4}, {4, 3}}},
		// 8 positive pairs → keep 4 (the largest distances); 12 negative pairs → keep 6 (the smallest).
		{"HDC 0.5", &miners.HDC{FilterPercentage: 0.5, Distance: rawL2},
			[][2]int{{0, 4}, {1, 4}, {4, 0}, {4, 1}}, [][2]int{{1, 2}, {2, 1}, {2, 4}, {3, 4}, {4, 2}, {4, 3}}},
		// ceil(3) positives and ceil(4.5) = 5 negatives: the last one of each ties, lowest flat index wins.
		{"HDC 0.375 ties", &miners.HDC{FilterPercentage: 0.375, Distance: rawL2},
			[][2]int{{0, 4}, {1, 4}, {4, 0}}, [][2]int{{1, 2}, {2, 1}, {2, 4}, {3, 4}, {4, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pos, neg := mine(t, tc.miner, lineEmbeddings(), lineLabels)
			sortPairs(tc.pos)
			sortPairs(tc.neg)
			if !reflect.DeepEqual(pos, tc.pos) {
				t.Errorf("positives %v, want %v", pos, tc.pos)
			}
			if !reflect.DeepEqual(neg, tc.neg) {
				t.Errorf("negatives %v, want %v", neg, tc.neg)
			}
		})
	}
}

func sortPairs(x [][2]int) {
	sort.Slice(x, func(i, j int) bool { return x[i][0] < x[j][0] || x[i][0] == x[j][0] && x[i][1] < x[j][1] })
}

func TestTripletMiners(t *testing.T) {
	// Triplet margins t = d_an − d_ap on the line points, margin 0.75; anchor 2 has t = 0 for (3, 1).
	tm := func(typ miners.TripletType) *miners.TripletMargin {
		return &miners.TripletMargin{Margin: 0.75, Type: typ, Distance: rawL2}
	}
	square := [][]float64{{0, 0}, {2, 0}, {1, 1}, {1, 10}}
	for _, tc := range []struct {
		name   string
		miner  miners.TripletMiner
		emb    [][]float64
		labels []int32
		want   [][3]int
	}{
		{"TripletMargin all", tm(miners.AllTriplets), nil, nil, [][3]int{
			{0, 4, 2}, {0, 4, 3}, {1, 0, 2}, {1, 4, 2}, {1, 4, 3}, {2, 3, 1}, {2, 3, 4}, {3, 2, 4},
			{4, 0, 2}, {4, 0, 3}, {4, 1, 2}, {4, 1, 3}}},
		{"TripletMargin hard (t ≤ 0)", tm(miners.HardTriplets), nil, nil, [][3]int{
			{0, 4, 2}, {0, 4, 3}, {1, 4, 2}, {1, 4, 3}, {2, 3, 1}, {3, 2, 4},
			{4, 0, 2}, {4, 0, 3}, {4, 1, 2}, {4, 1, 3}}},
		{"TripletMargin semihard (0 < t ≤ m)", tm(miners.SemihardTriplets), nil, nil, [][3]int{{1, 0, 2}, {2, 3, 4}}},
		{"TripletMargin easy (t > m)", tm(miners.EasyTriplets), nil, nil, [][3]int{
			{0, 1, 2}, {0, 1, 3}, {1, 0, 3}, {2, 3, 0}, {3, 2, 0}, {3, 2, 1}}},
		{"BatchHard", &miners.BatchHard{Distance: rawL2}, nil, nil, [][3]int{{0, 4, 2}, {1, 4, 2}, {2, 3, 1}, {3, 2, 4}, {4, 0, 3}}},
		// a=(0,0), p=(2,0): negative (1,1) sees a−p under 45°, (1,10) under 5.7°; a=(1,1), p=(1,10):
		// both negatives under 38.8°.
		{"Angular 20°", miners.NewAngular(), square, []int32{0, 0, 1, 1}, [][3]int{
			{0, 1, 2}, {1, 0, 2}, {2, 3, 0}, {2, 3, 1}, {3, 2, 0}, {3, 2, 1}}},
		{"Angular 40°", &miners.Angular{Angle: 40}, square, []int32{0, 0, 1, 1}, [][3]int{{0, 1, 2}, {1, 0, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emb, labels := tc.emb, tc.labels
			if emb == nil {
				emb, labels = lineEmbeddings(), lineLabels
			}
			got := mineTriplets(t, tc.miner, emb, labels)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("triplets %v, want %v", got, tc.want)
			}
			// Mine gives the triplets' pairs, with multiplicity.
			var wantPos, wantNeg [][2]int
			for _, tr := range tc.want {
				wantPos, wantNeg = append(wantPos, [2]int{tr[0], tr[1]}), append(wantNeg, [2]int{tr[0], tr[2]})
			}
			sortPairs(wantPos)
			sortPairs(wantNeg)
			pos, neg := mine(t, tc.miner.(miners.PairMiner), emb, labels)
			if !reflect.DeepEqual(pos, wantPos) || !reflect.DeepEqual(neg, wantNeg) {
				t.Errorf("Mine: pos %v neg %v, want %v and %v", pos, neg, wantPos, wantNeg)
			}
		})
	}
}

func TestTripletPairsCounts(t *testing.T) {
	// Anchor 0: (0,1,2), (0,1,3), (0,2,3); anchor 1: (1,0,3).
	mask := make([][][]bool, 2)
	for a := range mask {
		mask[a] = make([][]bool, 4)
		for p := range mask[a] {
			mask[a][p] = make([]bool, 4)
		}
	}
	mask[0][1][2], mask[0][1][3], mask[0][2][3], mask[1][0][3] = true, true, true, true
	outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		p, n := miners.TripletPairs(in[0], in[1].DType())
		return []*graph.Node{p, n}
	}, mask, float32(0))
	if err != nil {
		t.Fatal(err)
	}
	wantPos := [][]float32{{0, 2, 1, 0}, {1, 0, 0, 0}}
	wantNeg := [][]float32{{0, 0, 1, 2}, {0, 0, 0, 1}}
	if !reflect.DeepEqual(outs[0], wantPos) || !reflect.DeepEqual(outs[1], wantNeg) {
		t.Errorf("TripletPairs = %v, %v; want %v, %v", outs[0], outs[1], wantPos, wantNeg)
	}
	// The same counts as losses.TripletWeights, the index-list form.
	tp, tn, err := losses.TripletWeights(2, 4, []int{0, 0, 0, 1}, []int{1, 1, 2, 0}, []int{2, 3, 3, 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tp.Value(), wantPos) || !reflect.DeepEqual(tn.Value(), wantNeg) {
		t.Errorf("TripletWeights = %v, %v; want %v, %v", tp.Value(), tn.Value(), wantPos, wantNeg)
	}
}

// allMiners returns every registered miner, with the unnormalized distance where it has one.
func allMiners(t *testing.T) map[string]miners.PairMiner {
	out := map[string]miners.PairMiner{}
	for _, name := range miners.Names() {
		m, err := miners.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = m
	}
	return out
}

func TestSelfComparisonsExcluded(t *testing.T) {
	// Two copies of each point: with a pair miner that keeps every positive (PairMargin with a margin
	// below every distance) the diagonal must still be absent, and present once the same points are
	// passed as Ref.
	emb := lineEmbeddings()
	pm := &miners.PairMargin{PosMargin: -1, NegMargin: 100, Distance: rawL2}
	for name, m := range map[string]miners.PairMiner{"PairMargin keep-all": pm, "MultiSimilarity": &miners.MultiSimilarity{Epsilon: 100, Distance: rawL2}} {
		for _, withRef := range []bool{false, true} {
			outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
				g := in[0].Graph()
				li := losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, lineLabels)}
				if withRef {
					li.Ref, li.RefLabels = in[1], graph.Const(g, lineLabels)
				}
				p, _ := m.Mine(li)
				return []*graph.Node{p}
			}, emb, emb)
			if err != nil {
				t.Fatal(err)
			}
			pos := outs[0].([][]float64)
			for i := range pos {
				if got := pos[i][i] != 0; got != withRef {
					t.Errorf("%s, Ref=%v: pair (%d, %d) selected = %v", name, withRef, i, i, got)
				}
			}
		}
	}
	// And no miner ever selects (i, i) without Ref, on random data (18 items: whole triplets for
	// EmbeddingsAlreadyPackagedAsTriplets).
	emb, labels := randomBatch(18, 4, 3, 1)
	for name, m := range allMiners(t) {
		pos, _ := mine(t, m, emb, labels)
		for _, pr := range pos {
			if pr[0] == pr[1] {
				t.Errorf("%s selected the self pair %v", name, pr)
			}
		}
	}
}

func TestRef(t *testing.T) {
	// Two queries against the five line points as references.
	queries := [][]float64{{0.5, 0}, {3, 0}}
	qLabels := []int32{1, 0}
	outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		li := losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, qLabels), Ref: in[1], RefLabels: graph.Const(g, lineLabels)}
		p, n := (&miners.BatchHard{Distance: rawL2}).Mine(li)
		tri := (&miners.TripletMargin{Margin: 0.75, Type: miners.AllTriplets, Distance: rawL2}).MineTriplets(li)
		return []*graph.Node{p, n, tri}
	}, queries, lineEmbeddings())
	if err != nil {
		t.Fatal(err)
	}
	// Query 0 (x=0.5, label 1): positives 2 (2), 3 (3.5) → 3; negatives 0 (.5), 1 (.5), 4 (4) → 0 (tie, lowest index).
	// Query 1 (x=3, label 0): positives 0 (3), 1 (2), 4 (1.5) → 0; negatives 2 (.5), 3 (1) → 2.
	if got, want := pairs(outs[0].([][]float64)), [][2]int{{0, 3}, {1, 0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("BatchHard with Ref: positives %v, want %v", got, want)
	}
	if got, want := pairs(outs[1].([][]float64)), [][2]int{{0, 0}, {1, 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("BatchHard with Ref: negatives %v, want %v", got, want)
	}
	// t = d_an − d_ap ≤ 0.75. Query 0: (2,0) −1.5, (2,1) −1.5, (2,4) 2 no, (3,*) all ≤ .5 → 5 triplets.
	// Query 1: (0,2) −2.5, (0,3) −2, (1,2) −1.5, (1,3) −1, (4,2) −1, (4,3) −.5 → 6 triplets.
	want := [][3]int{{0, 2, 0}, {0, 2, 1}, {0, 3, 0}, {0, 3, 1}, {0, 3, 4}, {1, 0, 2}, {1, 0, 3}, {1, 1, 2}, {1, 1, 3}, {1, 4, 2}, {1, 4, 3}}
	if got := triplets(outs[2].([][][]bool)); !reflect.DeepEqual(got, want) {
		t.Errorf("TripletMargin with Ref: %v, want %v", got, want)
	}
}

func TestCandidatesFromPosNeg(t *testing.T) {
	// A cascade: HDC within BatchHard's selection keeps ceil(0.5·5) = 3 of its positives.
	outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		li := losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), lineLabels)}
		li = miners.Apply(&miners.BatchHard{Distance: rawL2}, li)
		p, n := (&miners.HDC{FilterPercentage: 0.5, Distance: rawL2}).Mine(li)
		return []*graph.Node{p, n}
	}, lineEmbeddings())
	if err != nil {
		t.Fatal(err)
	}
	// BatchHard positives: (0,4) 4.5, (1,4) 3.5, (2,3) 1.5, (3,2) 1.5, (4,0) 4.5 → keep 4.5, 4.5, 3.5.
	if got, want := pairs(outs[0].([][]float64)), [][2]int{{0, 4}, {1, 4}, {4, 0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("positives %v, want %v", got, want)
	}
	// BatchHard negatives: (0,2) 2.5, (1,2) 1.5, (2,1) 1.5, (3,4) .5, (4,3) .5 → keep .5, .5, 1.5 (lowest index).
	if got, want := pairs(outs[1].([][]float64)), [][2]int{{1, 2}, {3, 4}, {4, 3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("negatives %v, want %v", got, want)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		miner miners.PairMiner
		in    func(g *graph.Graph, e *graph.Node) losses.Inputs
		want  string
	}{
		{"no labels", miners.NewBatchHard(), func(g *graph.Graph, e *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e}
		}, "need Labels"},
		{"ref without ref labels", miners.NewPairMargin(), func(g *graph.Graph, e *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Labels: graph.Const(g, lineLabels), Ref: e}
		}, "without RefLabels"},
		{"semihard twice", &miners.BatchEasyHard{PosStrategy: miners.Semihard, NegStrategy: miners.Semihard}, func(g *graph.Graph, e *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Labels: graph.Const(g, lineLabels)}
		}, "both be semihard"},
		{"semihard with all", &miners.BatchEasyHard{PosStrategy: miners.All, NegStrategy: miners.Semihard}, func(g *graph.Graph, e *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Labels: graph.Const(g, lineLabels)}
		}, "combined with all"},
		{"unknown triplet type", &miners.TripletMargin{Margin: 0.2, Type: "medium"}, func(g *graph.Graph, e *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Labels: graph.Const(g, lineLabels)}
		}, "unknown Type"},
		{"HDC percentage", &miners.HDC{FilterPercentage: 0}, func(g *graph.Graph, e *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Labels: graph.Const(g, lineLabels)}
		}, "FilterPercentage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
				p, n := tc.miner.Mine(tc.in(in[0].Graph(), in[0]))
				return []*graph.Node{p, n}
			}, lineEmbeddings())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestRegistry checks every entry of the miner registry against what it claims: its names (gometric's
// and PML's class name), its constructor, the spec registry, Triplets (a TripletMiner) and
// KeepsState (a RandomMiner).
func TestRegistry(t *testing.T) {
	// PML 2.8.1's miners (pytorch_metric_learning/miners/__init__.py, without BaseMiner): each is in
	// the registry once.
	pmlMiners := map[string]bool{}
	for _, c := range []string{"AngularMiner", "BatchEasyHardMiner", "BatchHardMiner", "DistanceWeightedMiner",
		"EmbeddingsAlreadyPackagedAsTriplets", "HDCMiner", "MultiSimilarityMiner", "PairMarginMiner",
		"TripletMarginMiner", "UniformHistogramMiner"} {
		pmlMiners[c] = true
	}
	defer func() {
		if len(pmlMiners) > 0 {
			t.Errorf("PML's miners missing from the registry: %v", pmlMiners)
		}
	}()
	names := miners.Names()
	infos := miners.Infos()
	if len(names) != len(infos) || !sort.StringsAreSorted(names) {
		t.Fatalf("Names() = %v: want the %d registry names, sorted", names, len(infos))
	}
	for i, e := range infos {
		if e.Name != names[i] {
			t.Errorf("Infos()[%d] = %q, Names()[%d] = %q", i, e.Name, i, names[i])
		}
		for _, name := range []string{e.Name, e.PMLName} {
			got, err := miners.Lookup(name)
			if err != nil || got.Name != e.Name {
				t.Errorf("Lookup(%q) = %q, %v; want %q", name, got.Name, err, e.Name)
			}
			if _, err := miners.Specs.Lookup(name); err != nil {
				t.Errorf("Specs.Lookup(%q): %v", name, err)
			}
		}
		if !pmlMiners[e.PMLName] {
			t.Errorf("%s: PMLName %q is not a PML miner class name", e.Name, e.PMLName)
		}
		delete(pmlMiners, e.PMLName)
		m, err := miners.ByName(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if reflect.TypeOf(m) != reflect.TypeOf(e.New()) {
			t.Errorf("%s: ByName gives %T, Info.New %T", e.Name, m, e.New())
		}
		if _, ok := m.(miners.TripletMiner); ok != e.Triplets {
			t.Errorf("%s: TripletMiner = %v, Info.Triplets %v", e.Name, ok, e.Triplets)
		}
		if _, ok := m.(miners.RandomMiner); ok != e.KeepsState {
			t.Errorf("%s: RandomMiner = %v, Info.KeepsState %v", e.Name, ok, e.KeepsState)
		}
	}
	for _, alias := range []string{"BatchHardMiner", "multi_similarity", "HDCMiner", "Triplet-Margin"} {
		if _, err := miners.ByName(alias); err != nil {
			t.Errorf("ByName(%q): %v", alias, err)
		}
	}
	if _, err := miners.ByName("nosuchminer"); err == nil || !strings.Contains(err.Error(), "known: angular") {
		t.Errorf("ByName(unknown) error = %v", err)
	}
}

func randomBatch(n, d, classes int, seed int64) ([][]float64, []int32) {
	rng := rand.New(rand.NewSource(seed))
	emb := testutil.RandMatrix(rng.NormFloat64, n, d)
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % classes)
	}
	return emb, labels
}

// Every miner's selection feeds Contrastive and NT-Xent through Inputs{Pos, Neg}, in float32 and
// float64, with finite losses and gradients; the miners themselves contribute no gradient.
func TestMinedSelectionTrainsALoss(t *testing.T) {
	emb64, labels := randomBatch(12, 4, 3, 7)
	emb32 := testutil.To32(emb64)
	for name, m := range allMiners(t) {
		for lossName, loss := range map[string]losses.Loss{"contrastive": losses.NewContrastive(), "ntxent": losses.NewNTXent()} {
			for _, emb := range []any{emb64, emb32} {
				l, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
					li := miners.Apply(m, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
					return loss.ComputeWithContext(nil, li)
				}, emb)
				if err != nil {
					t.Fatalf("%s → %s: %v", name, lossName, err)
				}
				if math.IsNaN(l) || math.IsInf(l, 0) {
					t.Errorf("%s → %s: loss %v", name, lossName, l)
				}
				if !testutil.Finite(grads[0]) {
					t.Errorf("%s → %s: gradient not finite: %v", name, lossName, grads[0])
				}
			}
		}
		if pos, neg := mine(t, m, emb64, labels); len(pos) == 0 || len(neg) == 0 {
			t.Errorf("%s selects %d positive and %d negative pairs on the random batch: the test proves little", name, len(pos), len(neg))
		}
		// The selection itself has a zero gradient (mined under StopGradient).
		_, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			p, n := m.Mine(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
			return graph.Add(graph.ReduceAllSum(p), graph.ReduceAllSum(n))
		}, emb64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, row := range grads[0].([][]float64) {
			for _, v := range row {
				if v != 0 {
					t.Fatalf("%s: selection has a nonzero gradient %v", name, v)
				}
			}
		}
	}
}

// hdcReference is HDC's selection in plain Go: the ceil(f·#candidates) largest hardness values, ties
// to the lowest flat index.
func hdcReference(hardness [][]float64, cand [][]bool, f float64) [][2]int {
	type entry struct {
		h    float64
		i, j int
	}
	var es []entry
	for i := range hardness {
		for j, h := range hardness[i] {
			if cand[i][j] {
				es = append(es, entry{h, i, j})
			}
		}
	}
	sort.SliceStable(es, func(a, b int) bool { return es[a].h > es[b].h })
	k := int(math.Ceil(f * float64(len(es))))
	out := [][2]int{}
	for _, e := range es[:k] {
		out = append(out, [2]int{e.i, e.j})
	}
	sortPairs(out)
	return out
}

func TestHDCMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n, d    int
		f       float64
		quantum float64 // Rounds the embeddings to multiples of quantum, to create ties (0: none).
		cosine  bool
	}{
		{"random L2", 20, 3, 0.5, 0, false},
		{"ties L2", 20, 2, 0.3, 1, false},
		{"cosine (negative values)", 17, 3, 0.5, 0, true},
		{"cosine ties", 16, 2, 0.7, 1, true},
		{"keep all", 9, 2, 1, 0, false},
		{"keep one", 9, 2, 1e-9, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emb, labels := randomBatch(tc.n, tc.d, 3, 11)
			if tc.quantum > 0 {
				for _, row := range emb {
					for j := range row {
						row[j] = math.Round(row[j]/tc.quantum) * tc.quantum
					}
				}
			}
			var d distances.Distance = &distances.LpDistance{P: 2, Power: 2, NormalizeEmbeddings: false}
			if tc.cosine {
				d = &distances.DotProductSimilarity{Power: 1, NormalizeEmbeddings: false}
			}
			m := &miners.HDC{FilterPercentage: tc.f, Distance: d}
			outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
				p, n := m.Mine(losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
				return []*graph.Node{p, n, d.Matrix(in[0], in[0])}
			}, emb)
			if err != nil {
				t.Fatal(err)
			}
			mat := outs[2].([][]float64)
			far, near := make([][]float64, len(mat)), make([][]float64, len(mat))
			posCand, negCand := make([][]bool, len(mat)), make([][]bool, len(mat))
			for i := range mat {
				far[i], near[i] = make([]float64, len(mat)), make([]float64, len(mat))
				posCand[i], negCand[i] = make([]bool, len(mat)), make([]bool, len(mat))
				for j, v := range mat[i] {
					far[i][j], near[i][j] = v, -v
					if tc.cosine {
						far[i][j], near[i][j] = -v, v
					}
					posCand[i][j] = labels[i] == labels[j] && i != j
					negCand[i][j] = labels[i] != labels[j]
				}
			}
			if got, want := pairs(outs[0].([][]float64)), hdcReference(far, posCand, tc.f); !reflect.DeepEqual(got, want) {
				t.Errorf("positives %v, want %v", got, want)
			}
			if got, want := pairs(outs[1].([][]float64)), hdcReference(near, negCand, tc.f); !reflect.DeepEqual(got, want) {
				t.Errorf("negatives %v, want %v", got, want)
			}
		})
	}
}
