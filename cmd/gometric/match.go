package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/train"
)

const matchSynopsis = `Usage: gometric match RUN --pairs FILE [--items FILE] [--out FILE [--force]] [flags]

Scores each labeled pair of FILE with the model in run folder RUN (cosine similarity of the two
embeddings) and decides match (1) or no match (0) with the threshold chosen on the validation pairs
at the end of training and frozen. Writes CSV rows a,b,score,match,label (to --out or stdout), then
the accuracy and F1 of the decisions against the file's labels (to stderr when the rows go to
stdout). --out is never an input file nor a file of RUN, and replaces an existing file only with
--force, once the new one is complete.
`

// cmdMatch is `gometric match`.
func cmdMatch(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("match", matchSynopsis, stdout)
	pairsFile := fs.String("pairs", "", "labeled pairs file (CSV a,b,label with ids from --items, or JSON Lines with ids or inline vectors or graphs)")
	itemsFile := fs.String("items", "", "items file that the pairs name by id")
	out := fs.String("out", "", "output CSV file (default: stdout)")
	skip := fs.Bool("skip-bad-lines", false, "skip malformed lines (they are listed) instead of failing")
	force := forceFlag(fs)
	backendCfg := backendFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	run, err := needRun(rest, 1)
	if err != nil {
		return err
	}
	if *pairsFile == "" {
		return usagef("give the pairs to match with --pairs FILE")
	}
	if err := checkOutput(*out, *force, run, *pairsFile, *itemsFile); err != nil {
		return err
	}
	model, err := loadModel(run, *backendCfg)
	if err != nil {
		return err
	}
	finder, err := model.Finder()
	if err != nil {
		return fmt.Errorf("%s: %w", run.Dir, err)
	}
	opts := &datasets.ReadOptions{SkipBadLines: *skip}
	var items *datasets.Items
	if *itemsFile != "" {
		var warnings []*datasets.LineError
		if items, warnings, err = train.ReadItemsFile(*itemsFile, opts); err != nil {
			return err
		}
		printSkipped(stderr, warnings)
	}
	p, warnings, err := train.ReadPairsFile(*pairsFile, items, opts)
	if err != nil {
		return err
	}
	printSkipped(stderr, warnings)
	scores, err := eval.PairScores(model, p)
	if err != nil {
		return fmt.Errorf("%s: %w", *pairsFile, err)
	}
	th := eval.SimilarityThreshold(finder.Threshold)
	err = writeOutput(*out, stdout, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"a", "b", "score", "match", "label"})
		for i, s := range scores {
			m := "0"
			if finder.Match(s) {
				m = "1"
			}
			_ = cw.Write([]string{p.Items.IDs[p.A[i]], p.Items.IDs[p.B[i]], strconv.FormatFloat(s, 'f', 6, 64), m, strconv.Itoa(p.Y[i])})
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return err
	}
	v, err := eval.VerifyAt(eval.Similarities(scores, p.Y), th)
	if err != nil {
		return err
	}
	summary := stderr
	if *out != "" {
		summary = stdout
	}
	fmt.Fprintf(summary, "%d pairs, %d called a match (%s): accuracy %.4f, F1 %.4f, precision %.4f, recall %.4f against the file's labels\n",
		p.Len(), v.TP+v.FP, th, v.Accuracy, v.F1, v.Precision, v.Recall)
	return nil
}
