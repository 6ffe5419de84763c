package datasets

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gometric/gometric/mat"
)

// labeledItems returns items with the given number of items per class (class c has counts[c]).
func labeledItems(counts ...int) *Items {
	it := &Items{Name: "lab"}
	for c, n := range counts {
		for range n {
			it.IDs = append(it.IDs, fmt.Sprintf("i%04d", len(it.IDs)))
			it.Labels = append(it.Labels, c)
		}
	}
	it.Features = mat.New(len(it.IDs), 1)
	for i := range it.IDs {
		it.Features.Data[i] = float32(i)
	}
	return it
}

func TestStratifiedSplit(t *testing.T) {
	tests := []struct {
		name   string
		counts []int
		f      Fractions
		want   [][3]int // per class: train, val, test counts
	}{
		{"70/15/15 of 100", []int{100, 20}, Fractions{0.7, 0.15, 0.15}, [][3]int{{70, 15, 15}, {14, 3, 3}}},
		{"rounding", []int{10}, Fractions{0.7, 0.15, 0.15}, [][3]int{{7, 2, 1}}},
		{"small class present everywhere", []int{3, 4}, Fractions{0.8, 0.1, 0.1}, [][3]int{{1, 1, 1}, {2, 1, 1}}},
		{"too small for every split", []int{2}, Fractions{0.7, 0.15, 0.15}, [][3]int{{2, 0, 0}}},
		{"no validation", []int{10}, Fractions{0.8, 0, 0.2}, [][3]int{{8, 0, 2}}},
		{"all train", []int{5, 1}, Fractions{1, 0, 0}, [][3]int{{5, 0, 0}, {1, 0, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := labeledItems(tc.counts...)
			tr, va, te, err := StratifiedSplit(it, tc.f, 7)
			if err != nil {
				t.Fatal(err)
			}
			var got [][3]int
			for c := range tc.counts {
				got = append(got, [3]int{tr.ClassCounts()[c], va.ClassCounts()[c], te.ClassCounts()[c]})
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("per-class counts %v, want %v", got, tc.want)
			}
			// A partition of the items, each split in the original order.
			var all []string
			for _, s := range []*Items{tr, va, te} {
				if err := s.Validate(); err != nil {
					t.Fatal(err)
				}
				if !slices.IsSortedFunc(s.IDs, strings.Compare) {
					t.Errorf("split not in original order: %v", s.IDs)
				}
				all = append(all, s.IDs...)
			}
			slices.Sort(all)
			if !reflect.DeepEqual(all, it.IDs) {
				t.Errorf("splits are not a partition: %v", all)
			}
		})
	}
}

func TestStratifiedSplitDeterministic(t *testing.T) {
	it := labeledItems(50, 40, 30)
	f := Fractions{0.6, 0.2, 0.2}
	a, _, _, _ := StratifiedSplit(it, f, 1)
	b, _, _, _ := StratifiedSplit(it, f, 1)
	c, _, _, _ := StratifiedSplit(it, f, 2)
	if !reflect.DeepEqual(a.IDs, b.IDs) {
		t.Error("same seed, different splits")
	}
	if reflect.DeepEqual(a.IDs, c.IDs) {
		t.Error("different seeds, same split")
	}
	// Unlabeled items split as one class.
	it.Labels = nil
	tr, va, te, err := StratifiedSplit(it, f, 1)
	if err != nil || tr.Len() != 72 || va.Len() != 24 || te.Len() != 24 || tr.Labels != nil {
		t.Errorf("unlabeled split: %d %d %d, %v", tr.Len(), va.Len(), te.Len(), err)
	}
}

func TestStratifiedSplitErrors(t *testing.T) {
	it := labeledItems(5)
	tests := []struct {
		f    Fractions
		want string
	}{
		{Fractions{0.5, 0.2, 0.2}, "sum to 0.9"},
		{Fractions{1.2, -0.1, -0.1}, "fraction 1.2 is not in [0, 1]"},
		{Fractions{0.5, -0.5, 1}, "fraction -0.5 is not in [0, 1]"},
	}
	for _, tc := range tests {
		if _, _, _, err := StratifiedSplit(it, tc.f, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("StratifiedSplit(%v) error = %v, want %q", tc.f, err, tc.want)
		}
	}
	if _, _, _, err := StratifiedSplit(nil, Fractions{1, 0, 0}, 1); err == nil {
		t.Error("StratifiedSplit(nil): no error")
	}
}
