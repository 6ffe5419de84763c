package eval

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// handNeighbors is a hand-made retrieval: reference labels, query labels and the ranked
// neighbours of each query.
func handNeighbors() (queryLabels, referenceLabels []int, nn *knn.Result) {
	referenceLabels = []int{0, 0, 1, 1, 1, 2}
	queryLabels = []int{0, 1, 3, 1} // Label 3 has no reference item: query 2 is lone.
	nn = &knn.Result{K: 3, Indices: []int{
		2, 0, 1, // query 0 (label 0, R=2): rel = 0 1 1
		2, 5, 3, // query 1 (label 1, R=3): rel = 1 0 1
		0, 1, 2, // query 2: lone
		0, 1, 5, // query 3 (label 1, R=3): rel = 0 0 0
	}, Values: make([]float64, 12)}
	return queryLabels, referenceLabels, nn
}

func TestRetrievalFromNeighborsByHand(t *testing.T) {
	ql, rl, nn := handNeighbors()
	// Per query: P@1, RP, MAP@R, MAP, MRR.
	q0 := []float64{0, 1.0 / 2, (1.0 / 2) / 2, (1.0/2 + 2.0/3) / 2, 1.0 / 2}
	q1 := []float64{1, 2.0 / 3, (1 + 2.0/3) / 3, (1 + 2.0/3) / 3, 1}
	q3 := []float64{0, 0, 0, 0, 0}
	mean := func(vs ...[]float64) []float64 {
		out := make([]float64, 5)
		for _, v := range vs {
			for i := range out {
				out[i] += v[i] / float64(len(vs))
			}
		}
		return out
	}
	tests := []struct {
		name string
		opt  RetrievalOptions
		want []float64
	}{
		{"mean over queries", RetrievalOptions{}, mean(q0, q1, q3)},
		{"avg of avgs", RetrievalOptions{AvgOfAvgs: true}, mean(q0, mean(q1, q3))},
		{"fixed k", RetrievalOptions{K: 3}, mean(q0, q1, q3)},
	}
	for _, tc := range tests {
		res, err := RetrievalFromNeighbors(ql, rl, nn, tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := []float64{res.PrecisionAt1, res.RPrecision, res.MAPAtR, res.MAP, res.MRR}
		for i := range got {
			if !near(got[i], tc.want[i]) {
				t.Errorf("%s: metric %d: got %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
		if res.K != 3 || res.Queries != 4 || res.LoneQueries != 1 {
			t.Errorf("%s: got K=%d queries=%d lone=%d, want 3, 4, 1", tc.name, res.K, res.Queries, res.LoneQueries)
		}
		if !math.IsNaN(res.NMI) || !math.IsNaN(res.AMI) {
			t.Errorf("%s: NMI/AMI should be NaN when not computed", tc.name)
		}
	}
}

func TestRetrievalRecallPrecisionAtK(t *testing.T) {
	ql, rl, nn := handNeighbors()
	res, err := RetrievalFromNeighbors(ql, rl, nn, RetrievalOptions{RecallAt: []int{1, 2, 3}, PrecisionAt: []int{2}, PerClass: true})
	if err != nil {
		t.Fatal(err)
	}
	wantRecall := map[int]float64{1: 1.0 / 3, 2: 2.0 / 3, 3: 2.0 / 3}
	for k, w := range wantRecall {
		if !near(res.RecallAt[k], w) {
			t.Errorf("Recall@%d: got %v, want %v", k, res.RecallAt[k], w)
		}
	}
	if w := (0.5 + 0.5 + 0) / 3; !near(res.PrecisionAt[2], w) {
		t.Errorf("Precision@2: got %v, want %v", res.PrecisionAt[2], w)
	}
	if len(res.PerClass) != 2 || res.PerClass[0].Label != 0 || res.PerClass[1].Label != 1 || res.PerClass[1].Queries != 2 {
		t.Fatalf("per class: got %+v", res.PerClass)
	}
	if !near(res.PerClass[1].PrecisionAt1, 0.5) || !near(res.PerClass[1].RecallAt[2], 0.5) {
		t.Errorf("label 1: got P@1=%v Recall@2=%v, want 0.5, 0.5", res.PerClass[1].PrecisionAt1, res.PerClass[1].RecallAt[2])
	}
	m := res.Map()
	for _, key := range []string{PrecisionAt1Key, RPrecisionKey, MAPAtRKey, MAPKey, MRRKey, "recall_at_2", "precision_at_2"} {
		if _, ok := m[key]; !ok {
			t.Errorf("Map lacks %q", key)
		}
	}
	if _, ok := m[NMIKey]; ok {
		t.Error("Map has NMI although clustering was off")
	}
}

func TestRetrievalAllLoneIsNaN(t *testing.T) {
	q, _ := mat.FromRows([][]float32{{1, 0}, {0, 1}})
	res, err := Retrieval(q, []int{1, 2}, nil, nil, RetrievalOptions{RefIncludesQuery: true, RecallAt: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(res.PrecisionAt1) || !math.IsNaN(res.MAP) || !math.IsNaN(res.RecallAt[1]) || res.LoneQueries != 2 {
		t.Fatalf("all lone: got %+v, want NaN metrics and 2 lone queries", res)
	}
}

// blobs returns n points per class around well separated centres.
func blobs(rng *rand.Rand, classes, n, dim int) (*mat.Dense, []int) {
	x := mat.New(classes*n, dim)
	labels := make([]int, classes*n)
	for c := 0; c < classes; c++ {
		for i := 0; i < n; i++ {
			row := x.Row(c*n + i)
			for j := range row {
				row[j] = float32(0.05 * rng.NormFloat64())
			}
			row[c%dim] += 10 * float32(1+c/dim)
			labels[c*n+i] = 1<<24 + c // Above 2^24: would collide as float32.
		}
	}
	return x, labels
}

func TestRetrievalSeparableData(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	x, labels := blobs(rng, 4, 6, 8)
	for _, opt := range []RetrievalOptions{
		{RefIncludesQuery: true, Clustering: true},
		{RefIncludesQuery: true, Distance: knn.Euclidean(), K: KAll, Clustering: true},
	} {
		res, err := Retrieval(x, labels, x, labels, opt)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range res.Map() {
			if !near(v, 1) {
				t.Errorf("%v: %s = %v, want 1 on separable data", opt.Distance, name, v)
			}
		}
		wantK := 5
		if opt.K == KAll {
			wantK = 23
		}
		if res.K != wantK {
			t.Errorf("K: got %d, want %d", res.K, wantK)
		}
	}
	// With separate query and reference sets, queries keep all of their class in the reference.
	res, err := Retrieval(x.Select([]int{0, 6}), []int{labels[0], labels[6]}, x, labels, RetrievalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.K != 6 || !near(res.MAPAtR, 1) {
		t.Errorf("separate sets: got K=%d MAP@R=%v, want 6 and 1", res.K, res.MAPAtR)
	}
}

func TestRetrievalErrors(t *testing.T) {
	x := mat.New(3, 2)
	other := mat.New(3, 2)
	other.Data[0] = 1
	ql, rl, nn := handNeighbors()
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"nil query", func() error { _, err := Retrieval(nil, nil, x, nil, RetrievalOptions{}); return err }, "nil"},
		{"nil reference", func() error { _, err := Retrieval(x, []int{1, 1, 1}, nil, nil, RetrievalOptions{}); return err }, "nil"},
		{"labels length", func() error { _, err := Retrieval(x, []int{1}, x, []int{1, 1, 1}, RetrievalOptions{}); return err }, "query labels"},
		{"reference labels length", func() error { _, err := Retrieval(x, []int{1, 1, 1}, x, []int{1}, RetrievalOptions{}); return err }, "reference labels"},
		{"bad K", func() error {
			_, err := Retrieval(x, []int{1, 1, 1}, x, []int{1, 1, 1}, RetrievalOptions{K: -2})
			return err
		}, "K must be"},
		{"recall beyond reference", func() error {
			_, err := Retrieval(x, []int{1, 1, 1}, x, []int{1, 1, 1}, RetrievalOptions{RecallAt: []int{4}})
			return err
		}, "Recall@k"},
		{"ref does not include query", func() error {
			_, err := Retrieval(x, []int{1, 1, 1}, other, []int{1, 1, 1}, RetrievalOptions{RefIncludesQuery: true})
			return err
		}, "differ"},
		{"bad distance", func() error {
			_, err := Retrieval(x, []int{1, 1, 1}, x, []int{1, 2, 3}, RetrievalOptions{Distance: knn.Lp(0, false).WithPower(-1)})
			return err
		}, "Power"},
		{"no queries", func() error {
			_, err := Retrieval(mat.New(0, 2), nil, x, []int{1, 1, 1}, RetrievalOptions{})
			return err
		}, "no queries"},
		{"too few neighbours", func() error {
			_, err := RetrievalFromNeighbors(ql, rl, nn, RetrievalOptions{K: KAll})
			return err
		}, "need 6 neighbours"},
		{"neighbour out of range", func() error {
			_, err := RetrievalFromNeighbors(ql, rl[:2], nn, RetrievalOptions{})
			return err
		}, "outside"},
		{"nil neighbours", func() error { _, err := RetrievalFromNeighbors(ql, rl, nil, RetrievalOptions{}); return err }, "nil"},
	}
	for _, tc := range tests {
		err := tc.run()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestKMeans(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	x, labels := blobs(rng, 5, 10, 3)
	a, err := KMeans(x, 5, KMeansOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := KMeans(x, 5, KMeansOptions{})
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("KMeans is not deterministic for a fixed seed")
		}
	}
	if nmi, _ := NMI(labels, a); !near(nmi, 1) {
		t.Errorf("NMI of k-means on separable blobs: got %v, want 1", nmi)
	}
	// Duplicate points: more clusters than distinct points must still return k valid clusters.
	dup := mat.New(6, 2)
	for i := 0; i < 3; i++ {
		dup.Row(i)[0] = 1
	}
	got, err := KMeans(dup, 4, KMeansOptions{Iterations: 3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got {
		if c < 0 || c >= 4 {
			t.Fatalf("cluster %d out of range", c)
		}
	}
	for _, tc := range []struct {
		x *mat.Dense
		k int
	}{{nil, 1}, {x, 0}, {x, 51}, {&mat.Dense{Rows: 1, Cols: 2}, 1}} {
		if _, err := KMeans(tc.x, tc.k, KMeansOptions{}); err == nil {
			t.Errorf("KMeans(k=%d): want an error", tc.k)
		}
	}
}
