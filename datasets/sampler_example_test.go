package datasets_test

import (
	"fmt"
	"log"

	"github.com/gometric/gometric/datasets"
)

// PML's HierarchicalSampler, FixedSetOfTriplets and TuplesToWeightsSampler on the digits, with
// super classes even and odd digits.
func Example_samplers() {
	digits, err := datasets.Load("digits")
	if err != nil {
		log.Fatal(err)
	}
	parity := make([]int, digits.Len())
	for i, l := range digits.Labels {
		parity[i] = l % 2
	}

	// Batches of 32: 16 items of each of two super classes, 4 of each of 4 classes.
	hs, err := datasets.NewHierarchicalSampler(digits.Labels, parity, datasets.HierarchicalConfig{BatchSize: 32, SamplesPerClass: 4, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	for k, idx := range hs.Epoch(0) {
		if k == 0 {
			fmt.Printf("hierarchical: %d batches; batch 0: %d items of %d classes\n", hs.BatchesPerEpoch(), len(idx), digits.Subset(idx).NumClasses())
		}
	}

	// 100 triplets (anchor, positive, negative), fixed, in a new order each epoch.
	fs, err := datasets.NewFixedSetOfTriplets(digits.Labels, datasets.FixedSetOfTripletsConfig{NumTriplets: 100, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	idx := fs.Indices(0)
	a, p, n := idx[0], idx[1], idx[2]
	fmt.Println("fixed triplets:", fs.Len(), "indices; anchor and positive of one class:", digits.Labels[a] == digits.Labels[p],
		"negative of another:", digits.Labels[a] != digits.Labels[n])

	// A mine function that finds the 7s hard: in training, train.TupleMiner embeds the items with the
	// model and runs a miner.
	mine := func(subset []int) (datasets.Tuples, error) {
		var hard []int
		for k, i := range subset {
			if digits.Labels[i] == 7 {
				hard = append(hard, k)
			}
		}
		return datasets.Tuples{hard}, nil
	}
	ts, err := datasets.NewTuplesToWeightsSampler(digits.Len(), mine, datasets.TuplesToWeightsConfig{SubsetSize: 500, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	drawn, err := ts.Indices(0)
	if err != nil {
		log.Fatal(err)
	}
	sevens := 0
	for _, i := range drawn {
		if digits.Labels[i] == 7 {
			sevens++
		}
	}
	fmt.Printf("tuples to weights: %d indices, all 7s: %v\n", len(drawn), sevens == len(drawn))
	// Output:
	// hierarchical: 4 batches; batch 0: 32 items of 8 classes
	// fixed triplets: 300 indices; anchor and positive of one class: true negative of another: true
	// tuples to weights: 500 indices, all 7s: true
}
