package train

import (
	"testing"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/miners"
)

// TestTupleMiner mines digits embeddings of a briefly trained model for PML's
// TuplesToWeightsSampler: triplet miners give (a, p, n) with a and p of one class and n of another,
// pair miners (a1, p, a2, n) likewise, every position in the subset; the sampler then draws only
// items of the subset it mined.
func TestTupleMiner(t *testing.T) {
	cfg := tinyConfig(4)
	cfg.EvalEvery = 4
	data := loadTiny(t, cfg)
	res, err := Fit(cfg, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	items := data.Train
	tests := []struct {
		name  string
		miner miners.PairMiner
		lists int
	}{
		{"batch hard (triplets)", miners.NewBatchHard(), 3},
		{"triplet margin (triplets)", miners.NewTripletMargin(), 3},
		{"multi-similarity (pairs)", miners.NewMultiSimilarity(), 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mine := TupleMiner(res.Model, tc.miner, items)
			subset := []int{5, 17, 3, 40, 41, 42, 90, 8, 11, 60, 61, 62, 63, 70, 71, 72}
			tuples, err := mine(subset)
			if err != nil {
				t.Fatal(err)
			}
			if len(tuples) != tc.lists || len(tuples[0]) == 0 {
				t.Fatalf("%d lists, first of %d, want %d lists, some mined", len(tuples), len(tuples[0]), tc.lists)
			}
			label := func(k int) int {
				if k < 0 || k >= len(subset) {
					t.Fatalf("position %d out of the subset of %d", k, len(subset))
				}
				return items.Labels[subset[k]]
			}
			check := func(as, bs []int, same bool) {
				if len(as) != len(bs) {
					t.Fatalf("lists of %d and %d", len(as), len(bs))
				}
				for k := range as {
					if (label(as[k]) == label(bs[k])) != same || as[k] == bs[k] {
						t.Fatalf("tuple %d: positions %d, %d of classes %d, %d (same class wanted: %v)", k, as[k], bs[k], label(as[k]), label(bs[k]), same)
					}
				}
			}
			if tc.lists == 3 {
				check(tuples[0], tuples[1], true)
				check(tuples[0], tuples[2], false)
			} else {
				check(tuples[0], tuples[1], true)
				check(tuples[2], tuples[3], false)
			}

			s, err := datasets.NewTuplesToWeightsSampler(items.Len(), mine, datasets.TuplesToWeightsConfig{SubsetSize: 32, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			idx, err := s.Indices(0)
			if err != nil {
				t.Fatal(err)
			}
			w := s.Weights()
			if len(idx) != 32 || len(w) != items.Len() {
				t.Fatalf("%d indices, %d weights", len(idx), len(w))
			}
			for _, i := range idx {
				if w[i] <= 0 {
					t.Fatalf("drew item %d of weight %v", i, w[i])
				}
			}
		})
	}
}
