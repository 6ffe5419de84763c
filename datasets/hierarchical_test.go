package datasets

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// hierarchicalLabels returns class and super class labels: sizes[s][c] items of class 100·s+c in
// super class s.
func hierarchicalLabels(sizes [][]int) (classes, supers []int) {
	for s, cs := range sizes {
		for c, n := range cs {
			for range n {
				classes = append(classes, 100*s+c)
				supers = append(supers, s)
			}
		}
	}
	return classes, supers
}

// TestHierarchicalSampler checks the batches against PML 2.8.1's HierarchicalSampler on the same
// labels: the number of batches, the mean number of batches of each length per epoch and of each
// combination of super classes (PML's figures over 200 seeds, in the comments; the lengths of case
// "all" are 7 or 8 with probability 1/2 each for the 8 batches with super class 0, so 4 and 8 per
// epoch), and in every batch PML's composition: the super classes of its combination, at most
// BatchSize/SuperClassesPerBatch items of each, SamplesPerClass items of each class present
// (distinct when the class has that many; a whole class for SamplesPerClassAll).
func TestHierarchicalSampler(t *testing.T) {
	tests := []struct {
		name       string
		sizes      [][]int
		cfg        HierarchicalConfig
		wantLens   map[int]float64 // mean batches of each length per epoch
		wantSupers int             // batches per combination of super classes
		wantTuples int
	}{
		// PML: 12 batches, lens {8: 12.0}, 4 per pair of super classes.
		{"pml defaults", [][]int{{5, 5, 5, 5}, {5, 5, 5, 5}, {5, 5, 5, 5}}, HierarchicalConfig{BatchSize: 8, SamplesPerClass: 2}, map[int]float64{8: 12}, 4, 3},
		// PML: 12 batches, lens {7: 3.945, 8: 8.055}.
		{"all", [][]int{{1, 2, 3}, {2, 2}, {4}}, HierarchicalConfig{BatchSize: 8, SamplesPerClass: SamplesPerClassAll}, map[int]float64{7: 4, 8: 8}, 4, 3},
		// PML: 3 batches, lens {8: 3.0}.
		{"small classes with replacement", [][]int{{1, 1, 3}, {2, 6}}, HierarchicalConfig{BatchSize: 8, SamplesPerClass: 4, BatchesPerSuperTuple: 3}, map[int]float64{8: 3}, 3, 1},
		// PML: 8 batches, lens {12: 8.0}, 2 per triple of super classes.
		{"three super classes per batch", [][]int{{3, 3, 3}, {3, 3, 3}, {3, 3, 3}, {3, 3, 3}}, HierarchicalConfig{BatchSize: 12, SamplesPerClass: 2, SuperClassesPerBatch: 3, BatchesPerSuperTuple: 2}, map[int]float64{12: 8}, 2, 4},
	}
	const epochs = 400
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			classes, supers := hierarchicalLabels(tc.sizes)
			size := map[int]int{}
			for _, c := range classes {
				size[c]++
			}
			tc.cfg.Seed = 3
			s, err := NewHierarchicalSampler(classes, supers, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			k := cmp.Or(tc.cfg.SuperClassesPerBatch, DefaultSuperClassesPerBatch)
			bpst := cmp.Or(tc.cfg.BatchesPerSuperTuple, DefaultBatchesPerSuperTuple)
			if want := tc.wantTuples * bpst; s.BatchesPerEpoch() != want {
				t.Fatalf("BatchesPerEpoch %d, want %d", s.BatchesPerEpoch(), want)
			}
			lens := map[int]float64{}
			for e := range epochs {
				tuples := map[string]int{}
				n := 0
				for _, b := range s.Epoch(e) {
					n++
					lens[len(b)] += 1.0 / epochs
					bySuper := map[int]int{}
					byClass := map[int][]int{}
					for _, i := range b {
						if i < 0 || i >= len(classes) {
							t.Fatalf("epoch %d: index %d out of range", e, i)
						}
						bySuper[supers[i]]++
						byClass[classes[i]] = append(byClass[classes[i]], i)
					}
					if len(bySuper) != k {
						t.Fatalf("epoch %d: batch of super classes %v, want %d of them", e, bySuper, k)
					}
					for sc, m := range bySuper {
						if m > tc.cfg.BatchSize/k {
							t.Fatalf("epoch %d: %d items of super class %d, more than %d", e, m, sc, tc.cfg.BatchSize/k)
						}
					}
					for c, members := range byClass {
						want := tc.cfg.SamplesPerClass
						if want == SamplesPerClassAll {
							want = size[c]
						}
						distinct := len(slices.Compact(slices.Sorted(slices.Values(members))))
						if len(members) != want || (size[c] >= want && distinct != want) {
							t.Fatalf("epoch %d: class %d (%d items) drawn %v, want %d distinct", e, c, size[c], members, want)
						}
					}
					tuples[fmt.Sprint(slices.Sorted(maps.Keys(bySuper)))]++
				}
				if n != s.BatchesPerEpoch() || len(tuples) != tc.wantTuples {
					t.Fatalf("epoch %d: %d batches over %d combinations, want %d over %d", e, n, len(tuples), s.BatchesPerEpoch(), tc.wantTuples)
				}
				for tu, m := range tuples {
					if m != tc.wantSupers {
						t.Fatalf("epoch %d: %d batches of super classes %s, want %d", e, m, tu, tc.wantSupers)
					}
				}
			}
			for l, want := range tc.wantLens {
				if math.Abs(lens[l]-want) > 0.25 {
					t.Errorf("batches of %d items per epoch: %.3f, want %v (PML)", l, lens[l], want)
				}
			}
			if len(lens) != len(tc.wantLens) {
				t.Errorf("batch lengths %v, want %v", lens, tc.wantLens)
			}
			if !reflect.DeepEqual(s.Batches(0), s.Batches(0)) {
				t.Error("epoch 0 differs between calls")
			}
			if reflect.DeepEqual(s.Batches(0), s.Batches(1)) {
				t.Error("epochs 0 and 1 are the same")
			}
		})
	}
}

// TestHierarchicalSamplerErrors checks PML's assertions, and the fewer super classes than a batch
// takes.
func TestHierarchicalSamplerErrors(t *testing.T) {
	classes, supers := hierarchicalLabels([][]int{{2, 2}, {2, 2}})
	tests := []struct {
		name    string
		classes []int
		cfg     HierarchicalConfig
		want    string
	}{
		{"no labels", []int{}, HierarchicalConfig{BatchSize: 4, SamplesPerClass: 2}, "no labels"},
		{"lengths differ", classes[:3], HierarchicalConfig{BatchSize: 4, SamplesPerClass: 2}, "super class labels"},
		{"batch not a multiple of super classes", classes, HierarchicalConfig{BatchSize: 5, SamplesPerClass: 1}, "multiple"},
		{"samples per class missing", classes, HierarchicalConfig{BatchSize: 4}, "samples per class"},
		{"samples per class does not divide", classes, HierarchicalConfig{BatchSize: 8, SamplesPerClass: 3}, "does not divide"},
		{"too few super classes", classes, HierarchicalConfig{BatchSize: 6, SamplesPerClass: 1, SuperClassesPerBatch: 3}, "fewer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHierarchicalSampler(tc.classes, supers, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}
