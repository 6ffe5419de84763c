package match

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

func rows(t *testing.T, r [][]float32) *mat.Dense {
	t.Helper()
	m, err := mat.FromRows(r)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMatchFinderThresholds(t *testing.T) {
	x := rows(t, [][]float32{{2, 0}, {1, 1}, {0, 3}})
	y := rows(t, [][]float32{{1, 0}, {1, 0}, {0, 1}})
	tests := []struct {
		name string
		f    MatchFinder
		want []bool
	}{
		// cos: 1, 0.7071, 1; inclusive threshold.
		{"cosine", MatchFinder{Distance: knn.Cosine(), Threshold: 1}, []bool{true, false, true}},
		{"cosine loose", MatchFinder{Distance: knn.Cosine(), Threshold: 0.7}, []bool{true, true, true}},
		// Raw L2: 1, 1, 2.
		{"euclidean", MatchFinder{Distance: knn.Euclidean(), Threshold: 1}, []bool{true, true, false}},
		// Normalised L2 (PML's LpDistance()): 0, 0.765, 0. PML's is_match would use raw L2 here.
		{"normalised L2", MatchFinder{Distance: knn.Lp(2, true), Threshold: 0.1}, []bool{true, false, true}},
		// Squared raw L2: 1, 1, 4.
		{"power", MatchFinder{Distance: knn.Euclidean().WithPower(2), Threshold: 3.9}, []bool{true, true, false}},
	}
	for _, tc := range tests {
		got, err := tc.f.IsMatch(x, y)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		m, err := tc.f.Matches(x, y)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i := range tc.want {
			if got[i] != tc.want[i] {
				t.Errorf("%s row %d: IsMatch %v, want %v", tc.name, i, got[i], tc.want[i])
			}
			if m.At(i, i) != got[i] {
				t.Errorf("%s row %d: Matches disagrees with IsMatch", tc.name, i)
			}
		}
	}
}

func TestMatchesAgreeWithRowwiseOnRandomData(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	x := mat.New(300, 5) // More than one block of queries.
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	f := MatchFinder{Distance: knn.Lp(2, true), Threshold: 0.9}
	m, err := f.Matches(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < x.Rows; i += 37 {
		ys := mat.New(x.Rows, x.Cols)
		for j := 0; j < x.Rows; j++ {
			copy(ys.Row(j), x.Row(i))
		}
		got, _ := f.IsMatch(ys, x)
		for j := range got {
			if got[j] != m.At(i, j) {
				t.Fatalf("pair (%d, %d): IsMatch %v, Matches %v", i, j, got[j], m.At(i, j))
			}
		}
		if !m.At(i, i) {
			t.Fatalf("query %d does not match itself", i)
		}
	}
	pairs := m.Pairs()
	count := 0
	for _, v := range m.Data {
		if v {
			count++
		}
	}
	if len(pairs) != count || pairs[0] != [2]int{0, 0} {
		t.Fatalf("Pairs: %d pairs for %d matches, first %v", len(pairs), count, pairs[0])
	}
}

func TestMatchFinderErrors(t *testing.T) {
	x := rows(t, [][]float32{{1, 0}})
	tests := []struct {
		name string
		f    MatchFinder
		a, b *mat.Dense
	}{
		{"nan threshold", MatchFinder{Threshold: math.NaN()}, x, x},
		{"bad distance", MatchFinder{Distance: knn.Lp(0.1, false)}, x, x},
		{"dimensions", MatchFinder{}, x, mat.New(1, 3)},
		{"nil", MatchFinder{}, nil, nil},
		{"malformed", MatchFinder{}, &mat.Dense{Rows: 1, Cols: 2}, x},
	}
	for _, tc := range tests {
		if _, err := tc.f.Matches(tc.a, tc.b); err == nil {
			t.Errorf("%s: Matches wants an error", tc.name)
		}
		if _, err := tc.f.IsMatch(tc.a, tc.b); err == nil {
			t.Errorf("%s: IsMatch wants an error", tc.name)
		}
	}
	if _, err := (MatchFinder{}).IsMatch(x, mat.New(2, 2)); err == nil {
		t.Error("IsMatch with different row counts: want an error")
	}
	empty, err := (MatchFinder{}).Matches(mat.New(0, 2), x)
	if err != nil || empty.Rows != 0 || empty.Cols != 1 {
		t.Errorf("no queries: got %+v, %v", empty, err)
	}
}

// TestMatchFinderDefaults pins the zero MatchFinder (cosine similarity, inclusive threshold 0) and
// DefaultInferenceFinder (PML's InferenceModel default: cosine, 0.9).
func TestMatchFinderDefaults(t *testing.T) {
	x := rows(t, [][]float32{{1, 0}, {1, 0}, {1, 0}, {1, 0}, {3, 0}})
	// Cosines: 0, −0.0995, 0.8944, 0.9950; raw L2 of the last pair 2 (cosine 1).
	y := rows(t, [][]float32{{0, 1}, {-0.1, 1}, {2, 1}, {10, 1}, {1, 0}})
	tests := []struct {
		name string
		f    MatchFinder
		want []bool
	}{
		{"zero value", MatchFinder{}, []bool{true, false, true, true, true}},
		{"zero value spelled out", MatchFinder{Distance: knn.Cosine(), Threshold: 0}, []bool{true, false, true, true, true}},
		{"DefaultInferenceFinder", DefaultInferenceFinder(), []bool{false, false, false, true, true}},
	}
	for _, tc := range tests {
		got, err := tc.f.IsMatch(x, y)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i := range tc.want {
			if got[i] != tc.want[i] {
				t.Errorf("%s row %d: IsMatch %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
	if f := DefaultInferenceFinder(); f.Distance != knn.Cosine() || f.Threshold != 0.9 {
		t.Errorf("DefaultInferenceFinder() = %+v, want cosine similarity with threshold 0.9", f)
	}
	if (MatchFinder{}).Distance != knn.Cosine() {
		t.Errorf("the zero MatchFinder's distance is %v, want cosine similarity", MatchFinder{}.Distance)
	}
}
