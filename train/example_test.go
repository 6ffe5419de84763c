package train_test

import (
	"fmt"

	"github.com/gometric/gometric/train"
)

// Train a small encoder for a few steps on the built-in digits data and embed the test items.
func Example() {
	cfg := train.DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.EmbeddingDim, cfg.Hidden = 20, 16, 8, []int{32}
	data, err := train.LoadData(cfg)
	if err != nil {
		panic(err)
	}
	res, err := train.Fit(cfg, data, train.Options{})
	if err != nil {
		panic(err)
	}
	emb, err := res.Model.Embed(data.Test.Features)
	if err != nil {
		panic(err)
	}
	fmt.Printf("trained %d steps; %d test embeddings of dimension %d\n", res.Steps, emb.Rows, emb.Cols)
	// Output: trained 20 steps; 357 test embeddings of dimension 8
}
