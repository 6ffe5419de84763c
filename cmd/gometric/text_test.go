package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/train"
)

// The example text files (docs/DATA.md, section Text).
var (
	exampleNames     = filepath.Join("..", "..", "examples", "data", "names.csv")
	exampleNamePairs = filepath.Join("..", "..", "examples", "data", "names-pairs.csv")
)

// tinyText are the training flags of a text run of seconds.
var tinyText = []string{"--steps", "10", "--batch-size", "8", "--embedding-dim", "16", "--hidden", "32", "--quiet"}

// TestTextRun trains the text encoder on the example name pairs (by id, and inline) from the
// command line, then evaluates, embeds (twice, in separate processes: the same vectors) and
// matches with the run in later processes.
func TestTextRun(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := gometric(append([]string{"train", "--pairs", exampleNamePairs, "--items", exampleNames, "--out", runDir}, tinyText...)...)
	if code != exitOK {
		t.Fatalf("train: code %d\n%s", code, stderr)
	}
	noStack(t, stderr)
	for _, want := range []string{"texts; 15 training / 5 validation / 5 test pairs", "untrained encoder", "trained encoder", "ROC-AUC"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "text batches:") {
		t.Errorf("no count of the training step's compilations:\n%s", stderr)
	}
	info, err := runfolder.Folder{Dir: runDir}.Info()
	if err != nil {
		t.Fatal(err)
	}
	// The command chose the text encoder for the text files, and recorded it.
	if cfg, err := train.RunConfig(runfolder.Folder{Dir: runDir}); err != nil || cfg.Encoder != encoders.KindText || cfg.Normalize != train.NormalizeNone {
		t.Errorf("config.json: %v, encoder %q, normalize %q; want text, none", err, cfg.Encoder, cfg.Normalize)
	}
	items := compact(t, info.Encoder.Items)
	if info.Encoder.Kind != encoders.KindText || info.Encoder.EmbeddingDim != 16 || len(info.Encoder.Hidden) != 1 || info.Encoder.Hidden[0] != 32 ||
		!strings.Contains(items, `"buckets":65536`) || !strings.Contains(items, `"hash":"fnv1a64"`) {
		t.Errorf("model.json encoder: %s %s", info.Encoder, items)
	}

	t.Run("eval", func(t *testing.T) {
		code, stdout, stderr := gometric("eval", runDir)
		if code != exitOK || !strings.Contains(stdout, "trained encoder") || !strings.Contains(stdout, "ROC-AUC") {
			t.Fatalf("eval: code %d\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("embed in two processes", func(t *testing.T) {
		a := gometricProcess(t, "embed", runDir, exampleNames)
		b := gometricProcess(t, "embed", runDir, exampleNames)
		if !bytes.Equal(a, b) {
			t.Fatal("two embed processes wrote different vectors")
		}
		if n := bytes.Count(a, []byte("\n")); n != 44 {
			t.Fatalf("embed wrote %d lines, want a header and 43 texts", n)
		}
		// Labels are class indices (sorted label names: toyota is class 11).
		if !bytes.HasPrefix(a, []byte("id,label,e0,")) || !bytes.Contains(a, []byte("\nc12,11,")) {
			t.Fatalf("embed CSV:\n%.300s", a)
		}
	})

	t.Run("match", func(t *testing.T) {
		code, stdout, stderr := gometric("match", runDir, "--pairs", exampleNamePairs, "--items", exampleNames)
		if code != exitOK || strings.Count(stdout, "\n") != 26 || !strings.Contains(stderr, "25 pairs") {
			t.Fatalf("match: code %d\n%s\n%s", code, stdout, stderr)
		}
		// The test pairs the report scored, written with their texts inline.
		var metrics report.Report
		readJSON(t, filepath.Join(runDir, runfolder.ModelDir, report.MetricsFile), &metrics)
		checkMatch(t, runDir, filepath.Join(runDir, runfolder.ModelDir, runfolder.TestPairsFile), metrics.Row(report.RowTrained).Verification)
	})
}

// TestTextEncoderErrors checks that an encoder of the wrong kind of items is a plain error.
func TestTextEncoderErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pairs", exampleNamePairs, "--items", exampleNames, "--encoder", "cnn"}, "the items are texts (use --encoder text)"},
		{[]string{"--encoder", "text"}, "encoder text takes texts, and the items are vectors"},
		{[]string{"--items", exampleGraphs, "--encoder", "text"}, "encoder text takes texts, and the items are graphs"},
	} {
		args := append([]string{"train", "--out", filepath.Join(dir, strings.ReplaceAll(strings.Join(c.args, "_"), "/", "-"))}, c.args...)
		code, _, stderr := gometric(append(args, "--steps", "2", "--quiet")...)
		if code == exitOK || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: code %d, want an error with %q:\n%s", c.args, code, c.want, stderr)
		}
		noStack(t, stderr)
	}
}

// TestPlaceNamesRun trains a few steps on the built-in place names from the command line: the
// report has the TF-IDF baseline, the untrained and the trained encoder, overall and by script
// (text, Markdown, JSON); config.json records the text encoder and its sizes; eval in another
// process measures the same figures on the recorded split.
func TestPlaceNamesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("a place-names run and its evaluation in another process (about a minute: 13,000 test names)")
	}
	runDir := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := gometric("train", "--dataset", "place-names", "--out", runDir, "--steps", "4", "--eval-every", "4",
		"--batch-size", "16", "--embedding-dim", "16", "--hidden", "32", "--text-buckets", "4096", "--text-dim", "16", "--text-pool", "sqrt",
		"--eval-pairs", "400", "--quiet")
	if code != exitOK {
		t.Fatalf("train: code %d\n%s", code, stderr)
	}
	noStack(t, stderr)
	rows := []string{report.BaselineTFIDF, report.RowUntrained, report.RowTrained}
	for _, want := range []string{"place-names, texts", "MAP@R", "ROC-AUC", "By script:", "split by class",
		report.BaselineTFIDF + "   latin", report.RowTrained + "   other"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	var metrics report.Report
	readJSON(t, filepath.Join(runDir, runfolder.ModelDir, report.MetricsFile), &metrics)
	var names []string
	for _, r := range metrics.Rows {
		names = append(names, r.Name)
	}
	if strings.Join(names, "|") != strings.Join(rows, "|") {
		t.Fatalf("rows %v, want %v", names, rows)
	}
	g := metrics.ByGroup
	if g == nil || g.By != "script" || len(g.Rows) != 2*len(rows) {
		t.Fatalf("by_group: %+v", g)
	}
	for i, r := range g.Rows {
		if r.Name != rows[i/2] || r.Group != []string{"latin", "other"}[i%2] || r.Queries == 0 || r.Pairs == 0 ||
			!(r.MAPAtR > 0 && r.MAPAtR <= 1) || !(r.ROCAUC > 0 && r.ROCAUC <= 1) || !(r.Accuracy > 0 && r.Accuracy <= 1) {
			t.Errorf("by_group row %d: %+v", i, r)
		}
	}
	md, err := os.ReadFile(filepath.Join(runDir, runfolder.ModelDir, report.MarkdownFile))
	if err != nil || !strings.Contains(string(md), "## By script") {
		t.Errorf("report.md: %v, no by-script section", err)
	}
	cfg, err := train.RunConfig(runfolder.Folder{Dir: runDir})
	if err != nil || cfg.Dataset != "place-names" || cfg.Encoder != encoders.KindText || cfg.TextBuckets != 4096 || cfg.TextDim != 16 || cfg.TextPool != "sqrt" {
		t.Fatalf("config: %v, %+v", err, cfg)
	}
	info, err := runfolder.Folder{Dir: runDir}.Info()
	if err != nil {
		t.Fatal(err)
	}
	if items := compact(t, info.Encoder.Items); !strings.Contains(items, `"buckets":4096`) || !strings.Contains(items, `"pool":"sqrt"`) || !strings.Contains(items, `"embed_dim":16`) {
		t.Errorf("model.json encoder: %s", items)
	}

	out := gometricProcess(t, "eval", runDir, "--json")
	var again report.Report
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, out)
	}
	for _, name := range []string{report.BaselineTFIDF, report.RowTrained} {
		a, b := metrics.Row(name), again.Row(name)
		if a == nil || b == nil || *a.Retrieval != *b.Retrieval || a.Verification.ROCAUC != b.Verification.ROCAUC {
			t.Errorf("%s: train and eval differ: %+v, %+v", name, a, b)
		}
	}
	if again.ByGroup == nil || len(again.ByGroup.Rows) != 4 || again.ByGroup.Rows[3] != g.Rows[5] {
		t.Errorf("eval by_group: %+v, train's trained rows %+v", again.ByGroup, g.Rows[4:])
	}
}
