package datasets_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/mat"
)

// Load a built-in data set, split it, sample labeled pairs and iterate over training batches.
func Example() {
	digits, err := datasets.Load("digits")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(digits.Name, digits.Len(), "items,", digits.Dim(), "features,", digits.NumClasses(), "classes")

	train, val, test, err := datasets.StratifiedSplit(digits, datasets.Fractions{Train: 0.7, Val: 0.15, Test: 0.15}, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("split:", train.Len(), val.Len(), test.Len())

	pairs, err := datasets.SamplePairs(train, 1000, datasets.DefaultPositiveFraction, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pairs:", pairs.Len(), "of which positive:", pairs.NumPositives())

	batcher, err := datasets.NewPairBatcher(pairs, 256, 1)
	if err != nil {
		log.Fatal(err)
	}
	for k, idx := range batcher.Epoch(0) {
		batch := pairs.Gather(idx)
		fmt.Printf("batch %d: A %dx%d, B %dx%d\n", k, batch.A.Rows, batch.A.Cols, batch.B.Rows, batch.B.Cols)
	}

	sampler, err := datasets.NewMPerClassSampler(train.Labels, datasets.MPerClassConfig{M: 4, BatchSize: 32, LengthBeforeNewIter: 96, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	for k, idx := range sampler.Epoch(0) {
		fmt.Printf("m-per-class batch %d: %d items of %d classes\n", k, len(idx), train.Subset(idx).NumClasses())
	}
	// Output:
	// digits 1797 items, 64 features, 10 classes
	// split: 1259 270 268
	// pairs: 1000 of which positive: 500
	// batch 0: A 256x64, B 256x64
	// batch 1: A 256x64, B 256x64
	// batch 2: A 256x64, B 256x64
	// m-per-class batch 0: 32 items of 8 classes
	// m-per-class batch 1: 32 items of 8 classes
	// m-per-class batch 2: 32 items of 8 classes
}

// Read the user's items and the pairs that name them by id.
func ExampleReadPairsFile() {
	items, _, err := datasets.ReadItemsFile("../examples/data/items.csv", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(items.Len(), "items, classes", items.ClassNames)
	pairs, _, err := datasets.ReadPairsFile("../examples/data/pairs.csv", items, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pairs.Len(), "pairs; first:", items.IDs[pairs.A[0]], items.IDs[pairs.B[0]], pairs.Y[0])
	// Output:
	// 8 items, classes [bird cat dog]
	// 6 pairs; first: cat-1 cat-2 1
}

// A malformed line is reported with file name, line number and cause.
func ExampleLineError() {
	items, _, err := datasets.ReadItemsFile("../examples/data/items.csv", nil)
	if err != nil {
		log.Fatal(err)
	}
	const name = "pairs.csv"
	in := "a,b,label\ncat-1,cat-2,1\ncat-1,dog-1,2\n"
	_, _, err = datasets.ReadPairs(strings.NewReader(in), name, items, nil)
	fmt.Println(err)
	// Output:
	// pairs.csv:3: column "label": "2" is not 0 or 1
}

// Write embeddings for `gometric embed`.
func ExampleWriteEmbeddingsCSV() {
	emb := &mat.Dense{Rows: 2, Cols: 3, Data: []float32{0.5, -1, 0.25, 0, 1, 2}}
	if err := datasets.WriteEmbeddingsCSV(os.Stdout, []string{"a", "b"}, []int{0, 1}, emb); err != nil {
		log.Fatal(err)
	}
	// Output:
	// id,label,e0,e1,e2
	// a,0,0.5,-1,0.25
	// b,1,0,1,2
}
