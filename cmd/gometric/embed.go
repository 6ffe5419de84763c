package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/train"
)

const embedSynopsis = `Usage: gometric embed RUN INPUT [--out FILE [--force]] [--format csv|jsonl] [flags]

Writes the embeddings (L2-normalised, compared by cosine similarity) of the items in INPUT, an
items file (CSV or JSON Lines, see docs/DATA.md; for a graph run, a graphs file) or the name of a
built-in data set, computed by the model in run folder RUN. Rows are id,label,e0,e1,... (CSV) or {"id","label","embedding"} (JSON
Lines), readable back as items. The output goes to --out (format from its extension) or stdout.
--out is never INPUT nor a file of RUN, and replaces an existing file only with --force, once the
new one is complete.
`

// cmdEmbed is `gometric embed`.
func cmdEmbed(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed", embedSynopsis, stdout)
	out := fs.String("out", "", "output file (default: stdout)")
	format := fs.String("format", "", "output format: csv or jsonl (default: from --out's extension, else csv)")
	skip := fs.Bool("skip-bad-lines", false, "skip malformed input lines (they are listed) instead of failing")
	force := forceFlag(fs)
	backendCfg := backendFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) < 2 {
		return usagef("give the run folder and the input (an items file or a built-in data set)")
	}
	run, err := needRun(rest, 2)
	if err != nil {
		return err
	}
	input := rest[1]
	f := datasets.FormatCSV
	switch {
	case *format != "":
		if f, err = datasets.ParseFormat(*format); err != nil || f == datasets.FormatAuto {
			return usagef("unknown format %q (want csv or jsonl)", *format)
		}
	case *out != "":
		if f, err = datasets.FormatOf(*out); err != nil {
			return usagef("%v", err)
		}
	}
	// INPUT names a built-in data set only when no file has that name.
	_, statErr := os.Stat(input)
	builtin := statErr != nil && slices.Contains(datasets.Names(), input)
	inputFile := input
	if builtin {
		inputFile = ""
	}
	if err := checkOutput(*out, *force, run, inputFile); err != nil {
		return err
	}
	model, err := loadModel(run, *backendCfg)
	if err != nil {
		return err
	}
	var items *datasets.Items
	if builtin {
		items, err = train.LoadBuiltin(input)
	} else {
		var warnings []*datasets.LineError
		items, warnings, err = train.ReadItemsFile(input, &datasets.ReadOptions{SkipBadLines: *skip})
		printSkipped(stderr, warnings)
	}
	if err != nil {
		return err
	}
	emb, err := model.EmbedItems(items)
	if err != nil {
		return fmt.Errorf("%s: %w", input, err)
	}
	return writeOutput(*out, stdout, func(w io.Writer) error {
		if f == datasets.FormatJSONL {
			return datasets.WriteEmbeddingsJSONL(w, items.IDs, items.Labels, emb)
		}
		return datasets.WriteEmbeddingsCSV(w, items.IDs, items.Labels, emb)
	})
}

// writeOutput runs write on the file path (created, or replaced only once complete) or, when path
// is empty, on stdout.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path != "" {
		return runfolder.WriteAtomic(path, write)
	}
	bw := bufio.NewWriter(stdout)
	if err := write(bw); err != nil {
		return err
	}
	return bw.Flush()
}
