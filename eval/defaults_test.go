package eval

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

// defaultsData is a retrieval where cosine and raw L2 rank differently (a long reference vector
// along a query is far from it in L2) and where the largest label count (3 references of label 1)
// is below the number of references (6), and label 1 has two queries (avg_of_avgs differs from
// the plain mean), so that each default shows in the result.
func defaultsData(t *testing.T) (query *mat.Dense, queryLabels []int, reference *mat.Dense, referenceLabels []int) {
	t.Helper()
	q, err := mat.FromRows([][]float32{{1, 0}, {0, 1}, {1, 1}, {0.1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := mat.FromRows([][]float32{
		{10, 0.5}, // label 1: cosine's nearest to query 0, far in L2
		{1, 0.8},  // label 0: L2's nearest to query 0
		{0.2, 1},  // label 1
		{0.5, 12}, // label 0: cosine's nearest to query 1, far in L2
		{0.9, 1},  // label 2
		{-1, 3},   // label 1
	})
	if err != nil {
		t.Fatal(err)
	}
	return q, []int{0, 1, 2, 1}, r, []int{1, 0, 1, 0, 2, 1}
}

// sameMetrics reports whether a and b hold the same K and metrics (NaN equal to NaN).
func sameMetrics(a, b *RetrievalResult) bool {
	if a.K != b.K || len(a.PerClass) != len(b.PerClass) {
		return false
	}
	am, bm := a.Map(), b.Map()
	if len(am) != len(bm) {
		return false
	}
	for k, v := range am {
		w, ok := bm[k]
		if !ok || !(v == w || math.IsNaN(v) && math.IsNaN(w)) {
			return false
		}
	}
	return true
}

// TestRetrievalDefaults pins the zero RetrievalOptions: K = KMaxBinCount, cosine similarity, no
// clustering, no per-class results, plain averages; each is checked against the explicit setting
// (same result) and against PML's default (a different result on this data).
func TestRetrievalDefaults(t *testing.T) {
	q, ql, r, rl := defaultsData(t)
	run := func(opt RetrievalOptions) *RetrievalResult {
		t.Helper()
		res, err := Retrieval(q, ql, r, rl, opt)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	zero := run(RetrievalOptions{})
	if zero.K != 3 {
		t.Errorf("zero options: K = %d, want the max bin count 3", zero.K)
	}
	if !math.IsNaN(zero.NMI) || !math.IsNaN(zero.AMI) || zero.PerClass != nil {
		t.Errorf("zero options: NMI %v, AMI %v, PerClass %v; want NaN, NaN, nil", zero.NMI, zero.AMI, zero.PerClass)
	}
	tests := []struct {
		name     string
		explicit RetrievalOptions // the default spelled out: same result
		other    RetrievalOptions // the alternative (PML's default where it differs): a different result
	}{
		{"K", RetrievalOptions{K: KMaxBinCount}, RetrievalOptions{K: KAll}},
		{"Distance", RetrievalOptions{Distance: knn.Cosine()}, RetrievalOptions{Distance: knn.Euclidean()}},
		{"Clustering", RetrievalOptions{Clustering: false}, RetrievalOptions{Clustering: true}},
		{"PerClass", RetrievalOptions{PerClass: false}, RetrievalOptions{PerClass: true}},
		{"AvgOfAvgs", RetrievalOptions{AvgOfAvgs: false}, RetrievalOptions{AvgOfAvgs: true}},
	}
	for _, tc := range tests {
		if got := run(tc.explicit); !sameMetrics(got, zero) {
			t.Errorf("%s: the explicit default %+v gives %v, the zero options %v", tc.name, tc.explicit, got.Map(), zero.Map())
		}
		if got := run(tc.other); sameMetrics(got, zero) {
			t.Errorf("%s: %+v gives the zero options' result %v: the data does not tell them apart", tc.name, tc.other, got.Map())
		}
	}
}

// TestPMLRetrievalOptions pins PMLRetrievalOptions to AccuracyCalculator()'s defaults: k=None (every
// reference item), FaissKNN's raw L2, every metric including NMI and AMI (k-means of 20
// iterations), avg_of_avgs and return_per_class false.
func TestPMLRetrievalOptions(t *testing.T) {
	opt := PMLRetrievalOptions()
	fields := []struct {
		name      string
		got, want any
	}{
		{"K", opt.K, KAll},
		{"Distance", opt.Distance, knn.Euclidean()},
		{"Clustering", opt.Clustering, true},
		{"KMeans", opt.KMeans, KMeansOptions{}},
		{"AvgOfAvgs", opt.AvgOfAvgs, false},
		{"PerClass", opt.PerClass, false},
		{"RefIncludesQuery", opt.RefIncludesQuery, false},
		{"RecallAt", len(opt.RecallAt), 0},
		{"PrecisionAt", len(opt.PrecisionAt), 0},
	}
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("PMLRetrievalOptions().%s = %v, want PML's %v", f.name, f.got, f.want)
		}
	}
	q, ql, r, rl := defaultsData(t)
	res, err := Retrieval(q, ql, r, rl, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.K != r.Rows {
		t.Errorf("K = %d, want every reference item (%d)", res.K, r.Rows)
	}
	if math.IsNaN(res.NMI) || math.IsNaN(res.AMI) {
		t.Errorf("NMI %v, AMI %v: want both computed", res.NMI, res.AMI)
	}
	// Under L2 every query's nearest reference has its label (query 0: reference 1, queries 1 and 3:
	// reference 2, query 2: reference 4); under cosine queries 0, 1 and 3 find the long vectors of
	// another label first.
	if res.PrecisionAt1 != 1 {
		t.Errorf("precision_at_1 = %v under PML's L2, want 1", res.PrecisionAt1)
	}
}

// TestKMeansDefaults pins KMeansOptions' zero value: 20 iterations from seed 1234.
func TestKMeansDefaults(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	x := mat.New(60, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	zero, err := KMeans(x, 6, KMeansOptions{})
	if err != nil {
		t.Fatal(err)
	}
	explicit, err := KMeans(x, 6, KMeansOptions{Iterations: 20, Seed: 1234})
	if err != nil {
		t.Fatal(err)
	}
	for i := range zero {
		if zero[i] != explicit[i] {
			t.Fatalf("row %d: zero options give cluster %d, {20, 1234} give %d", i, zero[i], explicit[i])
		}
	}
	differs := false
	for _, o := range []KMeansOptions{{Iterations: 1, Seed: 1234}, {Iterations: 20, Seed: 99}} {
		other, err := KMeans(x, 6, o)
		if err != nil {
			t.Fatal(err)
		}
		for i := range zero {
			if zero[i] != other[i] {
				differs = true
			}
		}
	}
	if !differs {
		t.Error("the data does not tell the default iterations and seed from others")
	}
}
