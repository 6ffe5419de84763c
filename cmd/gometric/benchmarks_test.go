package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/train"
)

// TestGraphBenchmarkRuns trains a few steps on each built-in graph data set from the command line
// and checks the report's rows (the fingerprint baseline for molecules; pair AUC and triplet
// accuracy beside the paper for graph-edit), the recorded data and split, and that `eval` in
// another process measures the same figures on the same test data (for graph-edit: the same
// generated evaluation sets).
func TestGraphBenchmarkRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("two graph runs and their evaluation in other processes (about a minute)")
	}
	for _, c := range []struct {
		dataset string
		args    []string
		rows    []string
		want    []string
	}{
		{"molecules", nil, []string{report.BaselineMorgan, report.RowUntrained, report.RowTrained},
			[]string{"116 classes; 2,090 training / 697 validation / 697 test items", "MAP@R", "ROC-AUC", "split by class"}},
		{"graph-edit", []string{"--pairs-per-epoch", "2000", "--eval-pairs", "200"}, []string{report.RowUntrained, report.RowTrained},
			[]string{"2,000 training / 200 validation / 1,000 test pairs", "pair AUC", "triplet accuracy", "GNN graph embedding (Li et al. 2019, Table 1)    0.8880            0.9400"}},
	} {
		t.Run(c.dataset, func(t *testing.T) {
			runDir := filepath.Join(t.TempDir(), "run")
			args := append([]string{"train", "--dataset", c.dataset, "--out", runDir, "--batch-size", "16", "--eval-every", "10",
				"--embedding-dim", "16", "--gnn-hidden", "16", "--gnn-layers", "2", "--steps", "10", "--quiet"}, c.args...)
			code, stdout, stderr := gometric(args...)
			if code != exitOK {
				t.Fatalf("train: code %d\n%s", code, stderr)
			}
			noStack(t, stderr)
			for _, w := range c.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("train output lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr, "graph batches:") {
				t.Errorf("no count of the training step's compilations:\n%s", stderr)
			}
			var metrics report.Report
			readJSON(t, filepath.Join(runDir, runfolder.ModelDir, report.MetricsFile), &metrics)
			var names []string
			for _, r := range metrics.Rows {
				names = append(names, r.Name)
			}
			if strings.Join(names, "|") != strings.Join(c.rows, "|") {
				t.Fatalf("rows %v, want %v", names, c.rows)
			}
			cfg, err := train.RunConfig(runfolder.Folder{Dir: runDir})
			if err != nil || cfg.Dataset != c.dataset || cfg.Encoder != "gnn" {
				t.Fatalf("config: %v, dataset %q encoder %q", err, cfg.Dataset, cfg.Encoder)
			}
			rec, err := (runfolder.Folder{Dir: runDir}).Record()
			if err != nil || rec.Dataset != c.dataset || rec.Content == "" {
				t.Fatalf("data.json: %v %+v", err, rec)
			}

			// eval in another process: the recorded split of data read (generated) again, the
			// content fingerprint checked, the same figures.
			out := gometricProcess(t, "eval", runDir, "--json")
			var again report.Report
			if err := json.Unmarshal(out, &again); err != nil {
				t.Fatalf("eval --json: %v\n%s", err, out)
			}
			for _, name := range c.rows {
				if name == report.RowUntrained {
					continue // eval reports the saved model and the baselines
				}
				a, b := metrics.Row(name), again.Row(name)
				if a == nil || b == nil {
					t.Fatalf("row %q: in training report %v, in eval %v", name, a != nil, b != nil)
				}
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				if string(ja) != string(jb) {
					t.Errorf("row %q differs between the training report and eval in another process:\n%s\n%s", name, ja, jb)
				}
			}
			if c.dataset == "graph-edit" {
				if r := again.Row(report.RowTrained); r == nil || r.Triplets == nil || r.Triplets.Triplets != 1000 || again.Benchmark == nil {
					t.Errorf("eval: no triplet accuracy on 1,000 triplets, or no benchmark: %s", out)
				}
			} else {
				// embed takes the built-in data set by name: every molecule, a header line.
				if emb := gometricProcess(t, "embed", runDir, c.dataset); strings.Count(string(emb), "\n") != 3485 {
					t.Errorf("embed %s: %d lines, want 3,485", c.dataset, strings.Count(string(emb), "\n"))
				}
			}
			// match reproduces the report's accuracy and F1 on the scored test pairs.
			checkMatch(t, runDir, filepath.Join(runDir, runfolder.ModelDir, runfolder.TestPairsFile), metrics.Row(report.RowTrained).Verification)
			// resume continues on the recorded data.
			if code, _, stderr := gometric("train", "--out", runDir, "--resume", "--steps", "15", "--quiet"); code != exitOK {
				t.Fatalf("resume: code %d\n%s", code, stderr)
			}
			if info, err := (runfolder.Folder{Dir: runDir}).Info(); err != nil || info.Step > 15 || info.DataContent != rec.Content {
				t.Errorf("after resuming: %v, step %d, data %.12s (recorded %.12s)", err, info.Step, info.DataContent, rec.Content)
			}
		})
	}
}
