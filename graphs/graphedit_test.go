package graphs

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// edgeSet returns the edges of es as a set of [u, v], u < v.
func edgeSet(es [][2]int) map[[2]int]bool {
	s := make(map[[2]int]bool, len(es))
	for _, e := range es {
		s[[2]int{min(e[0], e[1]), max(e[0], e[1])}] = true
	}
	return s
}

// editCounts returns how many edges of a are not in b (removed) and of b not in a (added).
func editCounts(a, b [][2]int) (removed, added int) {
	sa, sb := edgeSet(a), edgeSet(b)
	for e := range sa {
		if !sb[e] {
			removed++
		}
	}
	for e := range sb {
		if !sa[e] {
			added++
		}
	}
	return removed, added
}

// degrees returns the sorted degree sequence of a graph of n nodes.
func degrees(n int, es [][2]int) []int {
	d := make([]int, n)
	for _, e := range es {
		d[e[0]]++
		d[e[1]]++
	}
	slices.Sort(d)
	return d
}

// checkEditGraph checks that g is a valid benchmark graph of n nodes: constant node feature 1,
// no labels, edges [u, v] with u < v in increasing order.
func checkEditGraph(t *testing.T, g *Graph, n int) {
	t.Helper()
	if err := g.Validate(); err != nil {
		t.Fatalf("graph %s: %v", g.ID, err)
	}
	if g.NumNodes() != n || g.NodeLabels != nil || g.EdgeLabels != nil || g.Directed || g.Label != "" {
		t.Fatalf("graph %s: %d nodes (want %d), labels %v %v, directed %v, label %q", g.ID, g.NumNodes(), n, g.NodeLabels, g.EdgeLabels, g.Directed, g.Label)
	}
	for i, f := range g.NodeFeatures {
		if len(f) != 1 || f[0] != 1 {
			t.Fatalf("graph %s: node %d features %v, want [1]", g.ID, i, f)
		}
	}
	for i, e := range g.Edges {
		if e[0] >= e[1] || i > 0 && compareEdges(g.Edges[i-1], e) >= 0 {
			t.Fatalf("graph %s: edge %d %v not [u, v] u < v in increasing order", g.ID, i, e)
		}
	}
	if s := SchemaOf(g); s != (Schema{NodeFeatures: 1}) {
		t.Fatalf("graph %s: schema %v", g.ID, s)
	}
}

func TestGraphEditDeterministic(t *testing.T) {
	gen := func(seed uint64) ([]Pair, []Triplet) {
		ge, err := NewGraphEdit(DefaultGraphEditConfig(), seed)
		if err != nil {
			t.Fatal(err)
		}
		ps, err := ge.Pairs(20)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := ge.Triplets(20)
		if err != nil {
			t.Fatal(err)
		}
		return ps, ts
	}
	p1, t1 := gen(7)
	p2, t2 := gen(7)
	if !reflect.DeepEqual(p1, p2) || !reflect.DeepEqual(t1, t2) {
		t.Fatal("the same seed gave different graphs")
	}
	p3, t3 := gen(8)
	if reflect.DeepEqual(p1[0].A.Edges, p3[0].A.Edges) || reflect.DeepEqual(t1[0].Anchor.Edges, t3[0].Anchor.Edges) {
		t.Fatal("seeds 7 and 8 gave the same first graphs")
	}
	// The stream continues: the second pair differs from the first.
	if reflect.DeepEqual(p1[0].A.Edges, p1[2].A.Edges) {
		t.Fatal("pairs 0 and 2 have the same anchor")
	}
	// Golden: the first pair of seed 1, so that a change of the generator does not go unnoticed
	// (the benchmark's graphs must stay those that were reported).
	ge, _ := NewGraphEdit(DefaultGraphEditConfig(), 1)
	p, err := ge.NextPair()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(len(p.A.Edges), p.A.Edges[:4], p.B.Edges[:4])
	const want = "50 [[0 5] [0 6] [0 9] [0 15]] [[0 6] [0 9] [0 14] [1 2]]"
	if got != want {
		t.Errorf("seed 1 first pair = %s, want %s", got, want)
	}
}

func TestGraphEditTriplets(t *testing.T) {
	tests := []struct {
		name string
		cfg  GraphEditConfig
	}{
		{"paper n=20 p=0.2", DefaultGraphEditConfig()},
		{"kept order", GraphEditConfig{Nodes: 20, EdgeProb: 0.2, PositiveEdits: 1, NegativeEdits: 2, KeepNodeOrder: true}},
		{"n=50 p=0.5", GraphEditConfig{Nodes: 50, EdgeProb: 0.5, PositiveEdits: 1, NegativeEdits: 2}},
		{"kp=2 kn=3", GraphEditConfig{Nodes: 20, EdgeProb: 0.2, PositiveEdits: 2, NegativeEdits: 3}},
		{"kp=0 kn=1", GraphEditConfig{Nodes: 5, EdgeProb: 0.5, PositiveEdits: 0, NegativeEdits: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ge, err := NewGraphEdit(tc.cfg, 3)
			if err != nil {
				t.Fatal(err)
			}
			n, kp, kn := tc.cfg.Nodes, tc.cfg.PositiveEdits, tc.cfg.NegativeEdits
			permuted := 0
			for i := range 200 {
				tr, g, err := ge.nextTriplet()
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range []*Graph{tr.Anchor, tr.Positive, tr.Negative} {
					checkEditGraph(t, h, n)
					if len(h.Edges) != len(g) {
						t.Fatalf("triplet %d: %s has %d edges, G has %d", i, h.ID, len(h.Edges), len(g))
					}
				}
				if !connected(n, g) || !connected(n, tr.Anchor.Edges) {
					t.Fatalf("triplet %d: G is not connected", i)
				}
				if r, a := editCounts(g, tr.Positive.Edges); r != kp || a != kp {
					t.Fatalf("triplet %d: positive removes %d and adds %d edges, want %d and %d", i, r, a, kp, kp)
				}
				if r, a := editCounts(g, tr.Negative.Edges); r != kn || a != kn {
					t.Fatalf("triplet %d: negative removes %d and adds %d edges, want %d and %d", i, r, a, kn, kn)
				}
				// The anchor is G, its nodes renamed (or not, with KeepNodeOrder).
				if !slices.Equal(degrees(n, tr.Anchor.Edges), degrees(n, g)) {
					t.Fatalf("triplet %d: anchor degrees %v, G's %v", i, degrees(n, tr.Anchor.Edges), degrees(n, g))
				}
				if !slices.Equal(tr.Anchor.Edges, g) {
					permuted++
				}
				wantIDs := fmt.Sprintf("t%d t%d+%d t%d+%d", i, i, kp, i, kn)
				if got := tr.Anchor.ID + " " + tr.Positive.ID + " " + tr.Negative.ID; got != wantIDs {
					t.Fatalf("ids %q, want %q", got, wantIDs)
				}
			}
			if tc.cfg.KeepNodeOrder && permuted != 0 {
				t.Errorf("KeepNodeOrder: %d anchors differ from G", permuted)
			}
			if !tc.cfg.KeepNodeOrder && permuted < 190 {
				t.Errorf("only %d of 200 anchors were permuted", permuted)
			}
		})
	}
}

func TestGraphEditPairs(t *testing.T) {
	cfg := DefaultGraphEditConfig()
	cfg.KeepNodeOrder = true // so that A is G and B can be compared edge by edge
	ge, err := NewGraphEdit(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ge.Pairs(100)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		checkEditGraph(t, p.A, 20)
		checkEditGraph(t, p.B, 20)
		wantLabel, k := 1, 1
		if i%2 == 1 {
			wantLabel, k = 0, 2
		}
		if p.Label != wantLabel {
			t.Fatalf("pair %d label %d, want %d", i, p.Label, wantLabel)
		}
		if r, a := editCounts(p.A.Edges, p.B.Edges); r != k || a != k {
			t.Fatalf("pair %d (label %d): %d edges removed and %d added, want %d", i, p.Label, r, a, k)
		}
		if !connected(20, p.A.Edges) {
			t.Fatalf("pair %d: G is not connected", i)
		}
		if want := fmt.Sprintf("p%d p%d+%d", i, i, k); p.A.ID+" "+p.B.ID != want {
			t.Fatalf("pair %d ids %s %s, want %s", i, p.A.ID, p.B.ID, want)
		}
	}
	// The mean edge count is about p·n(n−1)/2 = 38, a little more since G is connected.
	total := 0
	for _, p := range ps {
		total += len(p.A.Edges)
	}
	if mean := float64(total) / float64(len(ps)); mean < 36 || mean > 44 {
		t.Errorf("mean edges per graph %.1f, want about 38-40", mean)
	}
}

func TestGraphEditConfigErrors(t *testing.T) {
	def := DefaultGraphEditConfig()
	with := func(f func(*GraphEditConfig)) GraphEditConfig { c := def; f(&c); return c }
	tests := []struct {
		name string
		cfg  GraphEditConfig
		want string
	}{
		{"zero value", GraphEditConfig{}, "0 nodes"},
		{"one node", with(func(c *GraphEditConfig) { c.Nodes = 1 }), "1 nodes, want at least 2"},
		{"p zero", with(func(c *GraphEditConfig) { c.EdgeProb = 0 }), "edge probability 0"},
		{"p NaN", with(func(c *GraphEditConfig) { c.EdgeProb = math.NaN() }), "edge probability NaN"},
		{"p above 1", with(func(c *GraphEditConfig) { c.EdgeProb = 1.5 }), "edge probability 1.5"},
		{"kp negative", with(func(c *GraphEditConfig) { c.PositiveEdits = -1 }), "-1 positive edits"},
		{"kn not above kp", with(func(c *GraphEditConfig) { c.NegativeEdits = 1 }), "1 negative edits, want more than the 1"},
		{"no room", GraphEditConfig{Nodes: 3, EdgeProb: 0.5, PositiveEdits: 1, NegativeEdits: 2}, "more than the 3 possible edges"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewGraphEdit(tc.cfg, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// A valid configuration whose graphs cannot be drawn: complete graphs have no non-edge.
	ge, err := NewGraphEdit(GraphEditConfig{Nodes: 6, EdgeProb: 1, PositiveEdits: 1, NegativeEdits: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ge.NextPair(); err == nil || !strings.Contains(err.Error(), "in 100 tries") {
		t.Errorf("complete graphs: err = %v", err)
	}
}

func TestPairAUC(t *testing.T) {
	tests := []struct {
		name    string
		scores  []float64
		labels  []int
		want    float64
		wantErr string
	}{
		{"perfect", []float64{0.9, 0.8, 0.2, 0.1}, []int{1, 1, 0, 0}, 1, ""},
		{"reversed", []float64{0.1, 0.2, 0.8, 0.9}, []int{1, 1, 0, 0}, 0, ""},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []int{1, 0, 1, 0}, 0.5, ""},
		{"one of four swapped", []float64{0.9, 0.3, 0.4, 0.1}, []int{1, 1, 0, 0}, 0.75, ""},
		{"one tie across classes", []float64{0.9, 0.5, 0.5, 0.1}, []int{1, 1, 0, 0}, 0.875, ""},
		{"one class", []float64{0.9, 0.8}, []int{1, 1}, 0, "only one class"},
		{"lengths", []float64{0.9}, []int{1, 0}, 0, "1 scores but 2 labels"},
		{"NaN", []float64{math.NaN(), 0}, []int{1, 0}, 0, "must be finite"},
		{"label 2", []float64{1, 0}, []int{2, 0}, 0, "label 0 is 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PairAUC(tc.scores, tc.labels)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("PairAUC = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestTripletAccuracy(t *testing.T) {
	tests := []struct {
		name     string
		pos, neg []float64
		want     float64
		wantErr  string
	}{
		{"all right", []float64{0.9, 0.5}, []float64{0.1, 0.4}, 1, ""},
		{"all wrong", []float64{0.1, 0.4}, []float64{0.9, 0.5}, 0, ""},
		{"ties miss", []float64{0.5, 0.5, 0.7, 0.2}, []float64{0.5, 0.4, 0.7, 0.3}, 0.25, ""},
		{"three of four", []float64{3, 2, 1, 0}, []float64{2, 1, 0, 1}, 0.75, ""},
		{"negative similarities", []float64{-1, -2}, []float64{-3, -1}, 0.5, ""},
		{"empty", nil, nil, 0, "no triplets"},
		{"lengths", []float64{1}, []float64{1, 2}, 0, "1 positive but 2 negative"},
		{"NaN", []float64{1, math.NaN()}, []float64{0, 0}, 0, "triplet 1 has a NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TripletAccuracy(tc.pos, tc.neg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("TripletAccuracy = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// degreeHistogram returns the histogram of the degrees of g (degrees 0..n−1).
func degreeHistogram(g *Graph) []float64 {
	n := g.NumNodes()
	deg := make([]int, n)
	for _, e := range g.Edges {
		deg[e[0]]++
		deg[e[1]]++
	}
	h := make([]float64, n)
	for _, d := range deg {
		h[d]++
	}
	return h
}

// wlFeatures returns the Weisfeiler–Lehman subtree features of g after t iterations, starting
// from the degrees (as in the paper's baseline, appendix B.1): the counts of every node colour of
// every iteration, colours named by their refinement history. The kernel is their normalized dot
// product (cosine): the raw dot product scales with each graph's own WL self-similarity, which
// varies from pair to pair, and gives a pair AUC of only 0.65.
func wlFeatures(g *Graph, iterations int) map[string]float64 {
	n := g.NumNodes()
	adj := make([][]int, n)
	for _, e := range g.Edges {
		adj[e[0]] = append(adj[e[0]], e[1])
		adj[e[1]] = append(adj[e[1]], e[0])
	}
	colour := make([]string, n)
	for i := range n {
		colour[i] = fmt.Sprint(len(adj[i]))
	}
	f := map[string]float64{}
	for it := 0; ; it++ {
		for _, c := range colour {
			f[fmt.Sprintf("%d:%s", it, c)]++
		}
		if it == iterations {
			return f
		}
		next := make([]string, n)
		for i := range n {
			nb := make([]string, len(adj[i]))
			for k, j := range adj[i] {
				nb[k] = colour[j]
			}
			slices.Sort(nb)
			next[i] = colour[i] + "(" + strings.Join(nb, ",") + ")"
		}
		colour = next
	}
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func dot(a, b map[string]float64) float64 {
	s := 0.0
	for k, v := range a {
		s += v * b[k]
	}
	return s
}

// TestGraphEditBaselines scores the paper's evaluation sets (1,000 pairs, 1,000 triplets) with
// structure-only baselines that need no training: the cosine of degree histograms, which must be
// far from solving the task (a single edge substitution changes at most four degrees), and the
// Weisfeiler–Lehman subtree kernel, the paper's baseline, which must land near the paper's
// 80.8 / 83.2 (it also checks that the generated data has the paper's difficulty).
func TestGraphEditBaselines(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 pairs and triplets")
	}
	ge, err := NewGraphEdit(DefaultGraphEditConfig(), 2019)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := ge.Pairs(GraphEditEvalSize)
	if err != nil {
		t.Fatal(err)
	}
	triplets, err := ge.Triplets(GraphEditEvalSize)
	if err != nil {
		t.Fatal(err)
	}
	type baseline struct {
		name string
		sim  func(a, b *Graph) float64
	}
	baselines := []baseline{{"degree histogram cosine", func(a, b *Graph) float64 { return cosine(degreeHistogram(a), degreeHistogram(b)) }}}
	for it := 1; it <= 5; it++ {
		baselines = append(baselines, baseline{fmt.Sprintf("WL kernel T=%d", it), func(a, b *Graph) float64 {
			fa, fb := wlFeatures(a, it), wlFeatures(b, it)
			return dot(fa, fb) / math.Sqrt(dot(fa, fa)*dot(fb, fb))
		}})
	}
	bestAUC, bestAcc := 0.0, 0.0
	for _, b := range baselines {
		scores, labels := make([]float64, len(pairs)), make([]int, len(pairs))
		for i, p := range pairs {
			scores[i], labels[i] = b.sim(p.A, p.B), p.Label
		}
		auc, err := PairAUC(scores, labels)
		if err != nil {
			t.Fatal(err)
		}
		pos, neg := make([]float64, len(triplets)), make([]float64, len(triplets))
		for i, tr := range triplets {
			pos[i], neg[i] = b.sim(tr.Anchor, tr.Positive), b.sim(tr.Anchor, tr.Negative)
		}
		acc, err := TripletAccuracy(pos, neg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-24s pair AUC %.3f, triplet accuracy %.3f", b.name, auc, acc)
		if b.name == "degree histogram cosine" {
			if auc < 0.5 || auc > 0.8 || acc > 0.8 {
				t.Errorf("%s: pair AUC %.3f, triplet accuracy %.3f; want AUC in [0.5, 0.8] and accuracy ≤ 0.8", b.name, auc, acc)
			}
			continue
		}
		bestAUC, bestAcc = max(bestAUC, auc), max(bestAcc, acc)
	}
	// The paper: WL kernel (best T ≤ 5) 80.8 / 83.2. Measured here (seed 2019): T = 1,
	// 0.796 / 0.830.
	if bestAUC < 0.77 || bestAUC > 0.85 || bestAcc < 0.79 || bestAcc > 0.87 {
		t.Errorf("WL kernel, best T: pair AUC %.3f, triplet accuracy %.3f; the paper has 0.808 / 0.832", bestAUC, bestAcc)
	}
}
