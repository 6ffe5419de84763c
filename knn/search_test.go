package knn

import (
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/gometric/gometric/mat"
)

// randomMatrix returns rows x cols normal values.
func randomMatrix(rng *rand.Rand, rows, cols int) *mat.Dense {
	m := mat.New(rows, cols)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}

// bruteForce ranks every reference for every query by (value, index) through Pairwise.
func bruteForce(t *testing.T, q, r *mat.Dense, d Distance, k int, excludeSelf bool) *Result {
	t.Helper()
	all, err := d.Pairwise(q, r)
	if err != nil {
		t.Fatal(err)
	}
	self := 0
	if excludeSelf {
		self = 1
	}
	k = min(k, r.Rows-self)
	res := &Result{K: k}
	for i := 0; i < q.Rows; i++ {
		var idx []int
		for j := 0; j < r.Rows; j++ {
			if excludeSelf && i == j {
				continue
			}
			idx = append(idx, j)
		}
		row := all[i*r.Rows : (i+1)*r.Rows]
		sort.SliceStable(idx, func(a, b int) bool {
			va, vb := row[idx[a]], row[idx[b]]
			if va != vb {
				return d.Closer(va, vb)
			}
			return idx[a] < idx[b]
		})
		for _, j := range idx[:k] {
			res.Indices = append(res.Indices, j)
			res.Values = append(res.Values, row[j])
		}
	}
	return res
}

func sameResult(t *testing.T, got, want *Result) {
	t.Helper()
	if got.K != want.K || len(got.Indices) != len(want.Indices) {
		t.Fatalf("got K=%d with %d indices, want K=%d with %d", got.K, len(got.Indices), want.K, len(want.Indices))
	}
	for n := range got.Indices {
		if got.Indices[n] != want.Indices[n] || got.Values[n] != want.Values[n] {
			t.Fatalf("query %d rank %d: got (%d, %v), want (%d, %v)", n/got.K, n%got.K,
				got.Indices[n], got.Values[n], want.Indices[n], want.Values[n])
		}
	}
}

func TestSearchMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	q := randomMatrix(rng, 37, 9)
	r := randomMatrix(rng, 53, 9)
	// Duplicate rows make exact ties, which must be broken by the lower index.
	copy(r.Row(10), r.Row(3))
	copy(r.Row(40), r.Row(3))
	copy(q.Row(5), r.Row(3))
	tests := []struct {
		name string
		d    Distance
	}{
		{"cosine", Cosine()},
		{"dot", DotProduct()},
		{"dot normalized", Distance{Kind: DotProductSimilarity, Normalize: true}},
		{"euclidean", Euclidean()},
		{"lp2 normalized power 2", Lp(2, true).WithPower(2)},
		{"l1", Lp(1, false)},
		{"l3", Lp(3, false)},
		{"linf normalized", Lp(math.Inf(1), true)},
	}
	for _, tc := range tests {
		for _, block := range []int{1, 4, 7, 64} {
			for _, workers := range []int{1, 3} {
				got, err := Search(q, r, Options{Distance: tc.d, K: 6, BlockSize: block, Workers: workers})
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				sameResult(t, got, bruteForce(t, q, r, tc.d, 6, false))
			}
		}
	}
}

func TestSearchTieBreakByIndex(t *testing.T) {
	// Every reference is the same point: the order must be 0, 1, 2, ...
	r := mat.New(9, 3)
	for i := range r.Data {
		r.Data[i] = 1
	}
	q, _ := mat.FromRows([][]float32{{1, 2, 3}})
	res, err := Search(q, r, Options{Distance: Euclidean(), K: 9, BlockSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	for n, idx := range res.Indices {
		if idx != n {
			t.Fatalf("ties: got order %v, want 0..8", res.Indices)
		}
	}
}

func TestSearchExcludeSelf(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	r := randomMatrix(rng, 40, 5)
	// Duplicates of row 2 at 7 and 30: with ExcludeSelf, query 7's best neighbour is row 2.
	copy(r.Row(7), r.Row(2))
	copy(r.Row(30), r.Row(2))
	q := r.Select(seq(25))
	for _, d := range []Distance{Cosine(), Euclidean(), DotProduct()} {
		got, err := Search(q, r, Options{Distance: d, K: 5, ExcludeSelf: true, BlockSize: 8})
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, got, bruteForce(t, q, r, d, 5, true))
		sameResult(t, got, pmlDropSelf(t, q, r, d, 5))
		for i := 0; i < q.Rows; i++ {
			idx, _ := got.Row(i)
			for _, j := range idx {
				if j == i {
					t.Fatalf("%v: query %d has itself as a neighbour", d, i)
				}
			}
		}
		if idx, _ := got.Row(7); d.Kind != DotProductSimilarity && idx[0] != 2 {
			t.Fatalf("%v: query 7's nearest is %d, want its duplicate 2", d, idx[0])
		}
	}
}

// pmlDropSelf is PML's leave-one-out: K+1 neighbours, then drop the query's own index, or the
// last column when the self match is not among them.
func pmlDropSelf(t *testing.T, q, r *mat.Dense, d Distance, k int) *Result {
	full := bruteForce(t, q, r, d, k+1, false)
	res := &Result{K: k}
	for i := 0; i < q.Rows; i++ {
		idx, val := full.Row(i)
		drop := len(idx) - 1
		for n, j := range idx {
			if j == i {
				drop = n
				break
			}
		}
		for n := range idx {
			if n != drop {
				res.Indices = append(res.Indices, idx[n])
				res.Values = append(res.Values, val[n])
			}
		}
	}
	return res
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestSearchClampsK(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	r := randomMatrix(rng, 4, 3)
	res, err := Search(r, r, Options{K: 10, ExcludeSelf: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.K != 3 || res.Queries() != 4 {
		t.Fatalf("got K=%d, %d queries; want K=3, 4 queries", res.K, res.Queries())
	}
	empty, err := Search(mat.New(0, 3), r, Options{K: 2})
	if err != nil || empty.Queries() != 0 {
		t.Fatalf("no queries: got %v, %v", empty, err)
	}
}

func TestSearchErrors(t *testing.T) {
	ok := mat.New(3, 2)
	nan := mat.New(2, 2)
	nan.Data[3] = float32(math.NaN())
	tests := []struct {
		name string
		q, r *mat.Dense
		opt  Options
		want string
	}{
		{"nil", nil, ok, Options{K: 1}, "nil"},
		{"k zero", ok, ok, Options{}, "K must be"},
		{"dims", ok, mat.New(3, 4), Options{K: 1}, "same dimension"},
		{"nan", nan, ok, Options{K: 1}, "finite"},
		{"bad shape", &mat.Dense{Rows: 2, Cols: 2, Data: make([]float32, 3)}, ok, Options{K: 1}, "holds 3 values"},
		{"self too many queries", mat.New(4, 2), ok, Options{K: 1, ExcludeSelf: true}, "ExcludeSelf"},
		{"empty reference", ok, mat.New(0, 2), Options{K: 1}, "no reference"},
		{"only self", mat.New(1, 2), mat.New(1, 2), Options{K: 1, ExcludeSelf: true}, "no reference"},
		{"bad p", ok, ok, Options{K: 1, Distance: Lp(0.5, false)}, "P >= 1"},
		{"bad power", ok, ok, Options{K: 1, Distance: Cosine().WithPower(2)}, "Power"},
		{"bad kind", ok, ok, Options{K: 1, Distance: Distance{Kind: 9}}, "unknown"},
		{"negative block", ok, ok, Options{K: 1, BlockSize: -1}, "negative"},
	}
	for _, tc := range tests {
		_, err := Search(tc.q, tc.r, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestDistanceValues(t *testing.T) {
	x, _ := mat.FromRows([][]float32{{3, 4}, {1, 0}, {0, 0}})
	y, _ := mat.FromRows([][]float32{{0, 1}, {1, 0}, {2, 0}})
	tests := []struct {
		d    Distance
		want []float64
	}{
		{Cosine(), []float64{0.8, 1, 0}},
		{DotProduct(), []float64{4, 1, 0}},
		{Euclidean(), []float64{math.Sqrt(9 + 9), 0, 2}},
		{Lp(2, true), []float64{math.Sqrt(0.36 + 0.04), 0, 1}},
		{Euclidean().WithPower(2), []float64{18, 0, 4}},
		{Lp(1, false), []float64{6, 0, 2}},
		{Lp(math.Inf(1), false), []float64{3, 0, 2}},
		{Lp(3, false), []float64{math.Cbrt(27 + 27), 0, 2}},
	}
	for _, tc := range tests {
		got, err := tc.d.Rowwise(x, y)
		if err != nil {
			t.Fatal(err)
		}
		all, err := tc.d.Pairwise(x, y)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range tc.want {
			if math.Abs(got[i]-w) > 1e-12 {
				t.Errorf("%v row %d: got %v, want %v", tc.d, i, got[i], w)
			}
			if got[i] != all[i*3+i] {
				t.Errorf("%v row %d: Rowwise %v differs from Pairwise %v", tc.d, i, got[i], all[i*3+i])
			}
		}
	}
}

func TestRowwiseMatchesPairwiseBitwise(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	x := randomMatrix(rng, 23, 17)
	y := randomMatrix(rng, 23, 17)
	for _, d := range []Distance{Cosine(), Euclidean(), Lp(2, true), DotProduct()} {
		rw, err := d.Rowwise(x, y)
		if err != nil {
			t.Fatal(err)
		}
		pw, _ := d.Pairwise(x, y)
		for i := range rw {
			if rw[i] != pw[i*y.Rows+i] {
				t.Fatalf("%v row %d: Rowwise %v != Pairwise %v", d, i, rw[i], pw[i*y.Rows+i])
			}
		}
	}
	if _, err := Cosine().Rowwise(x, mat.New(3, 17)); err == nil {
		t.Fatal("Rowwise with different row counts: want an error")
	}
}

func TestDistanceString(t *testing.T) {
	tests := map[string]Distance{
		"CosineSimilarity":                          Cosine(),
		"DotProductSimilarity(normalize=false)":     DotProduct(),
		"LpDistance(p=2, normalize=true, power=1)":  Lp(2, true),
		"LpDistance(p=2, normalize=false, power=2)": Euclidean().WithPower(2),
	}
	for want, d := range tests {
		if d.String() != want {
			t.Errorf("got %q, want %q", d.String(), want)
		}
	}
	if LpDistance.String() != "LpDistance" || Kind(7).String() != "Kind(7)" {
		t.Error("Kind.String")
	}
}
