package datasets

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestMPerClassSampler(t *testing.T) {
	tests := []struct {
		name        string
		counts      []int
		cfg         MPerClassConfig
		wantLen     int
		wantBatches int
		wantClasses int // distinct classes per batch
	}{
		{"pml defaults", []int{20, 20, 20, 20}, MPerClassConfig{M: 4, BatchSize: 16}, 100000, 6250, 4},
		{"rounded down", []int{20, 20, 20, 20}, MPerClassConfig{M: 2, BatchSize: 6, LengthBeforeNewIter: 100}, 96, 16, 3},
		{"small classes with replacement", []int{1, 2, 3}, MPerClassConfig{M: 4, BatchSize: 8, LengthBeforeNewIter: 40}, 40, 5, 2},
		{"batch size none", []int{5, 5, 5}, MPerClassConfig{M: 2, LengthBeforeNewIter: 20}, 18, 3, 3},
		{"batch size none, short length", []int{5, 5, 5}, MPerClassConfig{M: 2, LengthBeforeNewIter: 4}, 6, 1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := labeledItems(tc.counts...)
			tc.cfg.Seed = 5
			s, err := NewMPerClassSampler(it.Labels, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != tc.wantLen || s.BatchesPerEpoch() != tc.wantBatches {
				t.Fatalf("Len %d, BatchesPerEpoch %d; want %d, %d", s.Len(), s.BatchesPerEpoch(), tc.wantLen, tc.wantBatches)
			}
			idx := s.Indices(0)
			if len(idx) != s.Len() {
				t.Fatalf("Indices has %d, Len %d", len(idx), s.Len())
			}
			batches := 0
			for k, b := range s.Epoch(0) {
				if !reflect.DeepEqual(b, idx[k*s.BatchSize():(k+1)*s.BatchSize()]) {
					t.Fatalf("batch %d is not the matching slice of Indices", k)
				}
				batches++
				perClass := map[int][]int{}
				for _, i := range b {
					perClass[it.Labels[i]] = append(perClass[it.Labels[i]], i)
				}
				if len(perClass) != tc.wantClasses {
					t.Fatalf("batch %d has %d classes, want %d", k, len(perClass), tc.wantClasses)
				}
				for c, members := range perClass {
					if len(members) != tc.cfg.M {
						t.Fatalf("batch %d has %d items of class %d, want %d", k, len(members), c, tc.cfg.M)
					}
					// Without replacement when the class is big enough.
					if tc.counts[c] >= tc.cfg.M && len(slices.Compact(slices.Sorted(slices.Values(members)))) != tc.cfg.M {
						t.Fatalf("batch %d repeats an item of class %d (%d items): %v", k, c, tc.counts[c], members)
					}
				}
				if batches > 50 {
					break
				}
			}
			if !reflect.DeepEqual(idx, s.Indices(0)) {
				t.Error("epoch 0 differs between calls")
			}
			if reflect.DeepEqual(idx, s.Indices(1)) {
				t.Error("epochs 0 and 1 are the same")
			}
		})
	}
}

func TestMPerClassCoverage(t *testing.T) {
	// Over an epoch, every class and every item is drawn.
	it := labeledItems(7, 5, 9, 6)
	s, err := NewMPerClassSampler(it.Labels, MPerClassConfig{M: 3, BatchSize: 6, LengthBeforeNewIter: 600, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, i := range s.Indices(0) {
		seen[i] = true
	}
	if len(seen) != it.Len() {
		t.Errorf("%d of %d items drawn", len(seen), it.Len())
	}
}

func TestMPerClassErrors(t *testing.T) {
	labels := labeledItems(5, 5, 5).Labels
	tests := []struct {
		labels []int
		cfg    MPerClassConfig
		want   string
	}{
		{nil, MPerClassConfig{M: 2}, "no labels"},
		{labels, MPerClassConfig{M: 0}, "m = 0 is not positive"},
		{labels, MPerClassConfig{M: 2, BatchSize: -2}, "batch size -2 is negative"},
		{labels, MPerClassConfig{M: 2, LengthBeforeNewIter: -1}, "length before new iter -1 is negative"},
		{labels, MPerClassConfig{M: 4, BatchSize: 6}, "m = 4 does not divide batch size 6"},
		{labels, MPerClassConfig{M: 2, BatchSize: 8}, "m * (number of classes) = 2 * 3 = 6 is less than batch size 8"},
		{labels, MPerClassConfig{M: 2, BatchSize: 6, LengthBeforeNewIter: 4}, "length before new iter 4 is less than batch size 6"},
	}
	for _, tc := range tests {
		if _, err := NewMPerClassSampler(tc.labels, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewMPerClassSampler(%+v) error = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
