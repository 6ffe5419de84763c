package datasets

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestTupleWeights compares TupleWeights with PML 2.8.1's lmu.convert_to_weights on the same
// tuples over 7 items (PML's outputs in want).
func TestTupleWeights(t *testing.T) {
	tests := []struct {
		name   string
		tuples Tuples
		want   []float64
	}{
		{"triplets", Tuples{{0, 0, 1, 3}, {1, 2, 0, 4}, {5, 6, 5, 5}}, []float64{1, 2.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1, 1.0 / 3}},
		{"pairs", Tuples{{0, 1}, {1, 0}, {2, 2}, {3, 3}}, []float64{1, 1, 1, 1, 0, 0, 0}},
		{"nothing mined", Tuples{{}, {}, {}}, []float64{1, 1, 1, 1, 1, 1, 1}},
		{"no lists", nil, []float64{1, 1, 1, 1, 1, 1, 1}},
		{"one triplet", Tuples{{6}, {6}, {2}}, []float64{0, 0, 0.5, 0, 0, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TupleWeights(tc.tuples, 7)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				if math.Abs(got[i]-tc.want[i]) > 1e-7 {
					t.Fatalf("weights %v, want PML's %v", got, tc.want)
				}
			}
		})
	}
	if _, err := TupleWeights(Tuples{{0, 7}}, 7); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("position 7 of 7 items: error %v", err)
	}
}

// TestTuplesToWeightsSampler checks PML's TuplesToWeightsSampler: the mine function sees all items
// or a random subset, the weights are the tuples' (0 outside the subset), the draws follow the
// weights (frequencies within 5 standard errors; a weight of 0 is never drawn), Len is SubsetSize
// or the number of items, and an epoch is repeatable.
func TestTuplesToWeightsSampler(t *testing.T) {
	tests := []struct {
		name      string
		n, subset int
		tuples    Tuples // positions in the subset
		distinct  bool   // the subset's items are distinct
	}{
		{"all items", 6, 0, Tuples{{0, 0, 1}, {1, 2, 0}, {5, 5, 4}}, true},
		{"subset", 10, 4, Tuples{{0, 1, 2}, {1, 2, 3}, {3, 3, 3}}, true},
		{"nothing mined: uniform", 5, 0, Tuples{{}, {}, {}}, true},
		{"subset larger than the data: with replacement", 3, 7, Tuples{{0}, {1}, {6}}, false},
	}
	const epochs = 3000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var subsets [][]int
			mine := func(subset []int) (Tuples, error) {
				subsets = append(subsets, subset)
				return tc.tuples, nil
			}
			s, err := NewTuplesToWeightsSampler(tc.n, mine, TuplesToWeightsConfig{SubsetSize: tc.subset, Seed: 4})
			if err != nil {
				t.Fatal(err)
			}
			wantLen := tc.subset
			if wantLen == 0 {
				wantLen = tc.n
			}
			if s.Len() != wantLen || s.Weights() != nil {
				t.Fatalf("Len %d, weights before the first epoch %v; want %d, nil", s.Len(), s.Weights(), wantLen)
			}
			observed, expected := make([]float64, tc.n), make([]float64, tc.n)
			for e := range epochs {
				idx, err := s.Indices(e)
				if err != nil {
					t.Fatal(err)
				}
				sub := subsets[len(subsets)-1]
				if len(idx) != wantLen || len(sub) != wantLen {
					t.Fatalf("epoch %d: %d indices, subset of %d; want %d", e, len(idx), len(sub), wantLen)
				}
				if tc.subset == 0 && !slices.Equal(sub, []int{0, 1, 2, 3, 4, 5}[:min(tc.n, 6)]) {
					t.Fatalf("epoch %d mined %v, want all items in order", e, sub)
				}
				if tc.distinct && len(slices.Compact(slices.Sorted(slices.Values(sub)))) != len(sub) {
					t.Fatalf("epoch %d: subset %v repeats an item", e, sub)
				}
				// The weights: the tuples' over the subset, 0 elsewhere.
				sw, _ := TupleWeights(tc.tuples, len(sub))
				want := make([]float64, tc.n)
				for k, i := range sub {
					if i < 0 || i >= tc.n {
						t.Fatalf("epoch %d: subset item %d out of range", e, i)
					}
					want[i] = sw[k]
				}
				w := s.Weights()
				if !reflect.DeepEqual(w, want) {
					t.Fatalf("epoch %d: weights %v, want %v", e, w, want)
				}
				total := 0.0
				for _, x := range w {
					total += x
				}
				for _, i := range idx {
					if i < 0 || i >= tc.n || w[i] == 0 {
						t.Fatalf("epoch %d: drew item %d of weight %v", e, i, w[i])
					}
					observed[i]++
				}
				for i := range expected {
					expected[i] += float64(len(idx)) * w[i] / total
				}
			}
			for i := range expected {
				if d := math.Abs(observed[i] - expected[i]); d > 5*math.Sqrt(expected[i])+1e-9 {
					t.Errorf("item %d drawn %v times, expected %.1f (weights %v)", i, observed[i], expected[i], s.Weights())
				}
			}
			idx, _ := s.Indices(1)
			if again, _ := s.Indices(1); !slices.Equal(idx, again) {
				t.Error("epoch 1 differs between calls")
			}
			if other, _ := s.Indices(2); slices.Equal(idx, other) && tc.n > 3 {
				t.Error("epochs 1 and 2 are the same")
			}
		})
	}
}

func TestTuplesToWeightsErrors(t *testing.T) {
	ok := func([]int) (Tuples, error) { return nil, nil }
	for _, tc := range []struct {
		name string
		n    int
		mine MineFunc
		cfg  TuplesToWeightsConfig
		want string
	}{
		{"no items", 0, ok, TuplesToWeightsConfig{}, "no items"},
		{"no mine function", 3, nil, TuplesToWeightsConfig{}, "mine"},
		{"negative subset", 3, ok, TuplesToWeightsConfig{SubsetSize: -1}, "negative"},
	} {
		if _, err := NewTuplesToWeightsSampler(tc.n, tc.mine, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", tc.name, err, tc.want)
		}
	}
	failing := errors.New("no model")
	s, _ := NewTuplesToWeightsSampler(3, func([]int) (Tuples, error) { return nil, failing }, TuplesToWeightsConfig{})
	if _, err := s.Indices(0); !errors.Is(err, failing) {
		t.Errorf("a failing mine function: error %v", err)
	}
	s, _ = NewTuplesToWeightsSampler(3, func([]int) (Tuples, error) { return Tuples{{3}}, nil }, TuplesToWeightsConfig{})
	if _, err := s.Indices(0); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("a position out of the subset: error %v", err)
	}
}
