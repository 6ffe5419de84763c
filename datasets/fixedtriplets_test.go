package datasets

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestFixedSetOfTriplets checks PML's FixedSetOfTriplets: every triplet's anchor and positive share
// a class and the negative is of another, anchor and positive are distinct items unless the class
// has one item, each epoch yields the same triplets whole in a new order, and the frequencies of
// PML's draws: anchor class and negative class uniform over the ordered pairs of distinct classes,
// items uniform within their class. On labels of classes of 1, 3 and 6 items, PML 2.8.1 (30,000
// triplets, NumPy seed 0) gives anchor items 0.3369, 0.1114, 0.1084, 0.1102, then 0.0541 to 0.0568,
// and anchor = positive 0.3369: 1/3, 1/9 and 1/18, as below.
func TestFixedSetOfTriplets(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		n      int
	}{
		{"classes of 1, 3 and 6 (PML's frequencies)", []int{1, 3, 6}, 30000},
		{"two classes", []int{2, 2}, 20000},
		{"four classes", []int{5, 5, 5, 5}, 20000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			labels := labeledItems(tc.counts...).Labels
			s, err := NewFixedSetOfTriplets(labels, FixedSetOfTripletsConfig{NumTriplets: tc.n, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			trip := s.Triplets()
			if len(trip) != tc.n || s.Len() != 3*tc.n {
				t.Fatalf("%d triplets, Len %d; want %d, %d", len(trip), s.Len(), tc.n, 3*tc.n)
			}
			c := len(tc.counts)
			anchorItem := make([]float64, len(labels))
			pairs := map[[2]int]float64{}
			same := 0.0
			for _, tr := range trip {
				for _, i := range tr {
					if i < 0 || i >= len(labels) {
						t.Fatalf("triplet %v: index out of range", tr)
					}
				}
				a, p, n := tr[0], tr[1], tr[2]
				if labels[a] != labels[p] || labels[a] == labels[n] {
					t.Fatalf("triplet %v of classes %d, %d, %d", tr, labels[a], labels[p], labels[n])
				}
				if a == p {
					if tc.counts[labels[a]] > 1 {
						t.Fatalf("triplet %v: anchor = positive in a class of %d items", tr, tc.counts[labels[a]])
					}
					same++
				}
				anchorItem[a] += 1 / float64(tc.n)
				pairs[[2]int{labels[a], labels[n]}] += 1 / float64(tc.n)
			}
			for i, f := range anchorItem {
				if want := 1 / float64(c*tc.counts[labels[i]]); math.Abs(f-want) > 5*stdErr(want, tc.n) {
					t.Errorf("item %d is an anchor in %.4f of the triplets, want %.4f", i, f, want)
				}
			}
			if len(pairs) != c*(c-1) {
				t.Errorf("%d (anchor, negative) class pairs, want %d", len(pairs), c*(c-1))
			}
			for p, f := range pairs {
				if want := 1 / float64(c*(c-1)); math.Abs(f-want) > 5*stdErr(want, tc.n) {
					t.Errorf("classes %v: %.4f of the triplets, want %.4f", p, f, want)
				}
			}
			wantSame := 0.0
			for _, n := range tc.counts {
				if n == 1 {
					wantSame += 1 / float64(c)
				}
			}
			if f := same / float64(tc.n); math.Abs(f-wantSame) > 5*stdErr(wantSame, tc.n) {
				t.Errorf("anchor = positive in %.4f, want %.4f", f, wantSame)
			}

			// Each epoch: the same triplets, whole, in another order.
			e0, e1 := s.Indices(0), s.Indices(1)
			if len(e0) != s.Len() || reflect.DeepEqual(e0, e1) || !reflect.DeepEqual(e0, s.Indices(0)) {
				t.Fatalf("epochs: %d indices (Len %d), epoch 1 equal %v, epoch 0 repeatable %v", len(e0), s.Len(), reflect.DeepEqual(e0, e1), reflect.DeepEqual(e0, s.Indices(0)))
			}
			want := sortedTriplets(trip)
			for e, idx := range [][]int{e0, e1} {
				var got [][3]int
				for k := 0; k < len(idx); k += 3 {
					got = append(got, [3]int{idx[k], idx[k+1], idx[k+2]})
				}
				if !reflect.DeepEqual(sortedTriplets(got), want) {
					t.Fatalf("epoch %d does not yield the fixed triplets", e)
				}
			}
		})
	}
}

// stdErr is the standard error of a frequency of probability p in n draws.
func stdErr(p float64, n int) float64 { return math.Sqrt(p * (1 - p) / float64(n)) }

func sortedTriplets(tr [][3]int) [][3]int {
	out := slices.Clone(tr)
	slices.SortFunc(out, func(a, b [3]int) int {
		for k := range a {
			if a[k] != b[k] {
				return a[k] - b[k]
			}
		}
		return 0
	})
	return out
}

func TestFixedSetOfTripletsErrors(t *testing.T) {
	tests := []struct {
		name   string
		labels []int
		n      int
		want   string
	}{
		{"no triplets", []int{0, 1}, 0, "not positive"},
		{"one class", []int{3, 3, 3}, 5, "two"},
		{"no labels", nil, 5, "two"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewFixedSetOfTriplets(tc.labels, FixedSetOfTripletsConfig{NumTriplets: tc.n})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}
