package knn

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/gometric/gometric/mat"
)

// tiedMatrix returns rows x cols small integers in [-2, 2]: many rows are equal or proportional,
// so that many values tie exactly.
func tiedMatrix(rng *rand.Rand, rows, cols int) *mat.Dense {
	m := mat.New(rows, cols)
	for i := range m.Data {
		m.Data[i] = float32(rng.Intn(5) - 2)
	}
	return m
}

// TestSearchLargeKMatchesBruteForce compares Search, with and without the reference caches and
// with and without the float32 filter (and so its re-ranking), with the brute force of the tests
// on data with many exact ties, for k from 1 to more than 1,000.
func TestSearchLargeKMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	const refs, queries = 1300, 45
	distances := []struct {
		name string
		d    Distance
	}{{"cosine", Cosine()}, {"dot", DotProduct()}, {"euclidean", Euclidean()}}
	variants := []struct {
		name           string
		cache, filter  bool
		block, workers int
	}{
		{"cached", true, true, 0, 0},
		{"cached block 7", true, true, 7, 3},
		{"uncached", false, true, 0, 2},
		{"uncached block 40", false, true, 40, 1},
		{"exact kernels", true, false, 0, 2},
		{"exact kernels uncached", false, false, 0, 2},
	}
	for _, dim := range []int{3, 9} {
		r := tiedMatrix(rng, refs, dim)
		q := r.Select(seq(queries))
		for _, dist := range distances {
			for _, self := range []bool{false, true} {
				for _, k := range []int{1, 6, 100, 1100, refs} {
					want := bruteForce(t, q, r, dist.d, k, self)
					for _, v := range variants {
						name := fmt.Sprintf("D=%d/%s/self=%v/k=%d/%s", dim, dist.name, self, k, v.name)
						got := searchWith(t, v.cache, v.filter, q, r, Options{Distance: dist.d, K: k, ExcludeSelf: self, BlockSize: v.block, Workers: v.workers})
						t.Run(name, func(t *testing.T) { sameResult(t, got, want) })
					}
				}
			}
		}
	}
}

// searchWith runs Search with the reference caches and the float32 filter turned on or off.
func searchWith(t *testing.T, cache, filter bool, q, r *mat.Dense, opt Options) *Result {
	t.Helper()
	b64, b32, k32 := refCache64Budget, refCache32Budget, panelDot32
	defer func() { refCache64Budget, refCache32Budget, panelDot32 = b64, b32, k32 }()
	if !cache {
		refCache64Budget, refCache32Budget = 0, 0
	}
	if !filter {
		panelDot32 = nil
	}
	res, err := Search(q, r, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDotRows6x4 checks that dotRows6x4 (AVX2 where the CPU has it) and its portable twin compute
// exactly the values of the scalar loop, for rows anywhere in the reference.
func TestDotRows6x4(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, d := range []int{1, 2, 7, 128, 131} {
		q := make([]float64, panelRows*d)
		qp := make([]float64, panelRows*d)
		for i := range q {
			q[i] = rng.NormFloat64()
		}
		for i := 0; i < panelRows; i++ {
			packQueryRow(qp, i, q[i*d:(i+1)*d])
		}
		ref := make([]float64, 10*d)
		for i := range ref {
			ref[i] = rng.NormFloat64()
		}
		o := [4]int{9 * d, 0, 3 * d, 3 * d}
		for _, k := range []struct {
			name string
			f    func(qp, ref []float64, o *[4]int, d int, out []float64)
		}{{"go", dotRows6x4Go}, {"asm", dotRows6x4Asm}} {
			out := make([]float64, 4*panelRows)
			k.f(qp, ref, &o, d, out)
			for j, oj := range o {
				for i := 0; i < panelRows; i++ {
					if want := dot(q[i*d:(i+1)*d], ref[oj:oj+d]); out[j*panelRows+i] != want {
						t.Fatalf("%s D=%d: query %d row %d: got %v, want %v", k.name, d, i, j, out[j*panelRows+i], want)
					}
				}
			}
		}
	}
}

// TestSortCandidates checks sortCandidates against slices.SortFunc on nearly sorted input (the
// insertion sort) and on shuffled or reversed input (its fallback), with many equal keys.
func TestSortCandidates(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	tests := []struct {
		name    string
		n       int
		shuffle func(c []candidate)
	}{
		{"sorted", 500, func(c []candidate) {}},
		{"nearly sorted", 1200, func(c []candidate) {
			for i := 0; i+1 < len(c); i += 3 {
				c[i], c[i+1] = c[i+1], c[i]
			}
		}},
		{"reversed", 1200, func(c []candidate) { slices.Reverse(c) }},
		{"shuffled", 1200, func(c []candidate) { rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] }) }},
		{"one", 1, func(c []candidate) {}},
		{"empty", 0, func(c []candidate) {}},
	}
	for _, tc := range tests {
		want := make([]candidate, tc.n)
		for i := range want {
			want[i] = candidate{key: float64(rng.Intn(50)), idx: i}
		}
		slices.SortFunc(want, cmpCandidates)
		got := slices.Clone(want)
		tc.shuffle(got)
		sortCandidates(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: not sorted like slices.SortFunc", tc.name)
		}
	}
}
