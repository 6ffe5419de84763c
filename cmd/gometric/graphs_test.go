package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/train"
)

// The example graph files (docs/DATA.md, section Graphs).
var (
	exampleGraphs     = filepath.Join("..", "..", "examples", "data", "graphs.jsonl")
	exampleGraphPairs = filepath.Join("..", "..", "examples", "data", "graph-pairs.jsonl")
)

// tinyGNN are the training flags of a graph run of a second.
var tinyGNN = []string{"--steps", "20", "--embedding-dim", "16", "--gnn-hidden", "16", "--gnn-layers", "2", "--quiet"}

// gometricProcess runs the command in a process of its own and returns its exit error and stdout.
func gometricProcess(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--"}, args...)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gometric %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestGraphRun trains a GIN on the example graphs from the command line, and evaluates, embeds
// (twice, in separate processes: the same vectors) and matches with the run in later processes.
func TestGraphRun(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	code, stdout, stderr := gometric(append([]string{"train", "--items", exampleGraphs, "--batch-size", "8", "--out", runDir}, tinyGNN...)...)
	if code != exitOK {
		t.Fatalf("train: code %d\n%s", code, stderr)
	}
	noStack(t, stderr)
	for _, want := range []string{"graphs, 3 classes", "untrained encoder", "trained encoder", "MAP@R", "ROC-AUC"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, report.RowRaw) {
		t.Errorf("graphs have no raw features row:\n%s", stdout)
	}
	if !strings.Contains(stderr, "graph batches:") {
		t.Errorf("no count of the training step's compilations:\n%s", stderr)
	}
	run := runfolder.Folder{Dir: runDir}
	cfg, err := train.RunConfig(run)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Encoder != encoders.KindGNN || cfg.Normalize != train.NormalizeNone || cfg.GNNHidden != 16 || cfg.GNNLayers != 2 {
		t.Errorf("config: encoder %q, normalize %q, gnn %d×%d; want gnn, none, 2×16", cfg.Encoder, cfg.Normalize, cfg.GNNLayers, cfg.GNNHidden)
	}
	info, err := run.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Encoder.Kind != encoders.KindGNN || info.Encoder.Layers != 2 || !strings.Contains(compact(t, info.Encoder.Items), `"node_labels":["C","Cl","N","O"]`) {
		t.Errorf("model.json encoder: %s", info.Encoder)
	}

	t.Run("eval", func(t *testing.T) {
		code, stdout, stderr := gometric("eval", runDir)
		if code != exitOK || !strings.Contains(stdout, "trained encoder") || !strings.Contains(stdout, "MAP@R") {
			t.Fatalf("eval: code %d\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("embed in two processes", func(t *testing.T) {
		a := gometricProcess(t, "embed", runDir, exampleGraphs)
		b := gometricProcess(t, "embed", runDir, exampleGraphs, "--format", "jsonl")
		c := gometricProcess(t, "embed", runDir, exampleGraphs)
		if !bytes.Equal(a, c) {
			t.Fatal("two embed processes wrote different vectors")
		}
		if n := bytes.Count(a, []byte("\n")); n != 31 {
			t.Fatalf("embed wrote %d lines, want a header and 30 graphs", n)
		}
		if !bytes.HasPrefix(a, []byte("id,label,e0,")) || !bytes.Contains(a, []byte("\nring-1,")) {
			t.Fatalf("embed CSV:\n%.300s", a)
		}
		var first struct {
			ID        string    `json:"id"`
			Embedding []float64 `json:"embedding"`
		}
		if err := json.Unmarshal(b[:bytes.IndexByte(b, '\n')], &first); err != nil || first.ID != "ring-1" || len(first.Embedding) != 16 {
			t.Fatalf("embed JSON Lines: %v %+v", err, first)
		}
	})

	t.Run("match", func(t *testing.T) {
		code, stdout, stderr := gometric("match", runDir, "--pairs", exampleGraphPairs, "--items", exampleGraphs)
		if code != exitOK || strings.Count(stdout, "\n") != 23 || !strings.Contains(stderr, "22 pairs") {
			t.Fatalf("match: code %d\n%s\n%s", code, stdout, stderr)
		}
		// The test pairs the report scored, written with their graphs inline.
		var metrics report.Report
		readJSON(t, filepath.Join(runDir, runfolder.ModelDir, report.MetricsFile), &metrics)
		checkMatch(t, runDir, filepath.Join(runDir, runfolder.ModelDir, runfolder.TestPairsFile), metrics.Row(report.RowTrained).Verification)
	})

	t.Run("resume", func(t *testing.T) {
		code, _, stderr := gometric("train", "--out", runDir, "--resume", "--steps", "30", "--quiet")
		if code != exitOK {
			t.Fatalf("resume: code %d\n%s", code, stderr)
		}
		if info, err := run.Info(); err != nil || !strings.Contains(compact(t, info.Encoder.Items), `"node_labels":["C","Cl","N","O"]`) {
			t.Fatalf("after resuming: %v %s", err, info.Encoder)
		}
	})
}

// TestGraphPairsRun trains on the example pairs of graphs (by id, and two with inline graphs).
func TestGraphPairsRun(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "run")
	args := append([]string{"train", "--pairs", exampleGraphPairs, "--items", exampleGraphs, "--batch-size", "4", "--seed", "2", "--out", runDir}, tinyGNN...)
	code, stdout, stderr := gometric(args...)
	if code != exitOK || !strings.Contains(stdout, "14 training / 4 validation / 4 test pairs") {
		t.Fatalf("train: code %d\n%s\n%s", code, stdout, stderr)
	}
	if code, stdout, stderr := gometric("eval", runDir); code != exitOK || !strings.Contains(stdout, "ROC-AUC") {
		t.Fatalf("eval: code %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr := gometric("match", runDir, "--pairs", exampleGraphPairs, "--items", exampleGraphs); code != exitOK {
		t.Fatalf("match: code %d\n%s", code, stderr)
	}
}

// TestGraphEncoderErrors checks that an encoder of the wrong kind of items is a plain error.
func TestGraphEncoderErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--items", exampleGraphs, "--encoder", "mlp"}, "takes feature vectors, and the items are graphs"},
		{[]string{"--encoder", "gnn"}, "encoder gnn takes graphs"},
		{[]string{"--encoder", "custom"}, "pass the encoder from Go"},
	} {
		args := append([]string{"train", "--out", filepath.Join(dir, strings.Join(c.args, "_"))}, c.args...)
		code, _, stderr := gometric(append(args, "--steps", "2", "--quiet")...)
		if code == exitOK || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: code %d, want an error with %q:\n%s", c.args, code, c.want, stderr)
		}
		noStack(t, stderr)
	}
}

// compact returns js without insignificant white space.
func compact(t *testing.T, js []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, js); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
