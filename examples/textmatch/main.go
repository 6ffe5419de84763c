// Command textmatch trains the text encoder on the example name pairs (examples/data/names.csv and
// names-pairs.csv: company and place names in several scripts), saves the run, loads its model
// back as a later process would (the tokeniser's settings come with it), and matches two strings:
// their cosine similarity and the decision at the run's frozen threshold.
//
//	go run ./examples/textmatch [RUN [A B]]
//
// With RUN an existing text run folder (gometric train --pairs ... --out RUN), it only loads it.
// Run it from the repository root.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/text"
	"github.com/gometric/gometric/train"
)

func main() {
	dir, a, b := "", "Müller GmbH", "MUELLER G.M.B.H."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if len(os.Args) > 3 {
		a, b = os.Args[2], os.Args[3]
	}
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "textmatch-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	run := runfolder.Folder{Dir: dir}
	if _, err := run.Info(); err != nil {
		// No model there yet: train a small text run (seconds on a CPU).
		cfg := train.DefaultConfig()
		cfg.Dataset = ""
		cfg.Items, cfg.Pairs = "examples/data/names.csv", "examples/data/names-pairs.csv"
		cfg.Steps, cfg.BatchSize, cfg.EmbeddingDim, cfg.Hidden = 60, 8, 32, []int{64}
		data, err := train.LoadData(cfg)
		if err != nil {
			log.Fatal(err)
		}
		res, err := train.Fit(cfg, data, train.Options{RunDir: dir})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("trained %s: %d steps, threshold %.4f\n", res.Model.Spec, res.Steps, res.Model.Threshold)
	}

	b0, err := backend.New("")
	if err != nil {
		log.Fatal(err)
	}
	model, err := train.LoadRunModel(run, b0)
	if err != nil {
		log.Fatal(err)
	}
	if !model.HasThreshold() {
		log.Fatalf("%s: the model has no frozen match threshold", dir)
	}
	items, err := text.NewItems("query", []string{"a", "b"}, []string{a, b}, nil)
	if err != nil {
		log.Fatal(err)
	}
	emb, err := model.EmbedItems(items) // L2-normalised rows: the dot product is the cosine
	if err != nil {
		log.Fatal(err)
	}
	var score float64
	for j, x := range emb.Row(0) {
		score += float64(x) * float64(emb.Row(1)[j])
	}
	fmt.Printf("%q vs %q: similarity %.4f, threshold %.4f: match %v\n", a, b, score, model.Threshold, score >= model.Threshold)
}
