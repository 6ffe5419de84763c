package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/train"
)

// mainEnv makes the test binary run main() with the arguments after "--", so tests can check the
// real exit status and output of the program.
const mainEnv = "GOMETRIC_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"gometric"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// gometric runs the command in-process and returns its exit code, stdout and stderr.
func gometric(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// tiny are the training flags of a run of a few seconds.
var tiny = []string{"--steps", "20", "--batch-size", "16", "--embedding-dim", "8", "--hidden", "16", "--eval-pairs", "200", "--quiet"}

// noStack fails when output looks like a Go panic or stack trace.
func noStack(t *testing.T, output string) {
	t.Helper()
	for _, bad := range []string{"goroutine ", "panic(", "runtime/debug", ".go:"} {
		if strings.Contains(output, bad) {
			t.Fatalf("output contains %q:\n%s", bad, output)
		}
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := gometric()
	if code != exitOK || !strings.Contains(out, "gometric train") {
		t.Fatalf("no arguments: code %d\n%s", code, out)
	}
	code, out, _ = gometric("train", "--help")
	if code != exitOK {
		t.Fatalf("train --help: code %d", code)
	}
	for _, want := range []string{"-dataset", "(default \"digits\")", "-loss", "ntxent", "-pair-mode", "-miner", "-epochs",
		"-steps", "(default 1500)", "-batch-size", "(default 64)", "-embedding-dim", "-lr", "-seed", "-backend", "-out",
		"-resume", "-patience", "-skip-bad-lines", "-encoder", "-items", "-pairs"} {
		if !strings.Contains(out, want) {
			t.Errorf("train --help lacks %q", want)
		}
	}
	for _, cmd := range []string{"eval", "embed", "match"} {
		if code, out, _ := gometric("help", cmd); code != exitOK || !strings.Contains(out, "Usage: gometric "+cmd) {
			t.Errorf("help %s: code %d\n%s", cmd, code, out)
		}
	}
	for _, cmd := range []string{"train", "eval", "embed", "match"} {
		if _, out, _ := gometric(cmd, "--help"); strings.Count(out, "Usage: gometric "+cmd) != 1 {
			t.Errorf("%s --help prints its usage %d times, want once", cmd, strings.Count(out, "Usage: gometric "+cmd))
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"fly"}, "unknown command"},
		{"unknown flag", []string{"train", "--nope"}, "flag provided but not defined"},
		{"extra argument", []string{"train", "extra"}, "unexpected argument"},
		{"bad loss", []string{"train", "--loss", "nope", "--quiet"}, "unknown loss"},
		{"bad pair mode", []string{"train", "--pair-mode", "nope"}, "unknown pair mode"},
		{"bad hidden", []string{"train", "--hidden", "a,b"}, "positive integers"},
		{"dataset and files", []string{"train", "--dataset", "digits", "--items", "x.csv"}, "not both"},
		{"resume without out", []string{"train", "--resume"}, "--resume needs --out"},
		{"eval without run", []string{"eval"}, "run folder"},
		{"match without pairs", []string{"match", "somewhere"}, "--pairs"},
		{"embed without input", []string{"embed", "somewhere"}, "input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := gometric(tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Fatalf("code %d, stderr:\n%s\nwant exit %d and %q", code, stderr, exitUsage, tt.want)
			}
			noStack(t, stderr)
		})
	}
}

// TestBadFiles checks that malformed input files give a clean error naming file, line and cause, a
// non-zero exit status and no stack, and that --skip-bad-lines trains on the rest.
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var good strings.Builder
	good.WriteString("id,label,x1,x2,x3,x4\n")
	for i := range 60 {
		c := i % 3
		fmt.Fprintf(&good, "i%d,%d,%d,%d,%d,%g\n", i, c, c, 2*c, i%2, float64(i)/60)
	}
	items := write("items.csv", good.String())
	badItems := write("bad_items.csv", good.String()+"x1,0,1,2\nx2,zero,1,2,3,oops\n")
	badPairs := write("pairs.csv", "a,b,label\ni0,i3,1\ni0,i1,2\ni0,nobody,0\n")
	badJSONL := write("pairs.jsonl", "{\"a\": [1,2,3,4], \"b\": [1,2,3,4], \"label\": 1}\n{\"a\": [1,2], \"b\": [1,2,3,4], \"label\": 0}\n{nope\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"items", []string{"train", "--items", badItems}, []string{"bad_items.csv:62:", "bad_items.csv:63:"}},
		{"pairs csv", []string{"train", "--items", items, "--pairs", badPairs}, []string{"pairs.csv:3:", "not 0 or 1", "pairs.csv:4:", "nobody"}},
		{"pairs jsonl", []string{"train", "--pairs", badJSONL}, []string{"pairs.jsonl:2:", "pairs.jsonl:3:"}},
		{"missing file", []string{"train", "--items", filepath.Join(dir, "none.csv")}, []string{"none.csv", "no such file"}},
		{"match bad pairs", []string{"match", dir, "--pairs", badPairs, "--items", items}, []string{"not a run folder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args[0] == "train" {
				args = append(args, "--quiet")
			}
			code, stdout, stderr := gometric(args...)
			if code != exitError {
				t.Fatalf("code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitError, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			noStack(t, stderr)
			if strings.Contains(stdout, "trained encoder") {
				t.Fatal("trained on partial input")
			}
		})
	}
	t.Run("skip bad lines", func(t *testing.T) {
		args := append([]string{"train", "--items", badItems, "--skip-bad-lines", "--out", filepath.Join(dir, "run")}, tiny...)
		code, stdout, stderr := gometric(append(args, "--batch-size", "12")...)
		if code != exitOK {
			t.Fatalf("code %d\n%s", code, stderr)
		}
		if !strings.Contains(stderr, "bad_items.csv:62: 4 columns") || !strings.Contains(stdout, "trained encoder") {
			t.Fatalf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	})
}

// TestProgramExit runs the real program (main) in a child process on a malformed file: exit status
// 1, one clean message, no stack.
func TestProgramExit(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "items.jsonl")
	if err := os.WriteFile(bad, []byte("{\"id\": \"a\", \"features\": [1, 2]}\n{\"id\": \"b\", \"features\": [1]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "--", "train", "--items", bad, "--quiet")
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	err := cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != exitError {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "items.jsonl:2:") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
	noStack(t, stderr.String())
}

// TestInternalError checks that a panic inside a command becomes one line and exit status 1.
func TestInternalError(t *testing.T) {
	saved := commands
	defer func() { commands = saved }()
	commands = append(commands, struct {
		name, about string
		fn          func(args []string, stdout, stderr io.Writer) error
	}{"boom", "", func([]string, io.Writer, io.Writer) error { panic("kaboom") }})
	code, _, stderr := gometric("boom")
	if code != exitError || strings.TrimSpace(stderr) != "gometric: internal error: kaboom" {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
}

// TestTrainAndUse trains on digits into a run folder, then uses it: eval, embed, match (which must
// reproduce the report's test-pair accuracy), resume, and refuses to overwrite the run.
func TestTrainAndUse(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	code, stdout, stderr := gometric(append([]string{"train", "--out", runDir}, tiny...)...)
	if code != exitOK {
		t.Fatalf("train: code %d\n%s", code, stderr)
	}
	for _, want := range []string{"raw features", "untrained encoder", "trained encoder", "MAP@R", "ROC-AUC", "run folder"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	for _, name := range []string{runfolder.ConfigFile, runfolder.DataFile, runfolder.SplitFile, runfolder.HistoryFile} {
		if _, err := os.Stat(filepath.Join(runDir, name)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
	modelDir := filepath.Join(runDir, runfolder.ModelDir)
	for _, name := range []string{runfolder.ModelFile, report.MetricsFile, report.MarkdownFile, report.LossPNG, report.ValPNG, report.PCAPNG, runfolder.TestPairsFile} {
		if _, err := os.Stat(filepath.Join(modelDir, name)); err != nil {
			t.Errorf("model folder: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(runDir, runfolder.LockFile)); err == nil {
		t.Errorf("the lock is still there after training")
	}
	var metrics report.Report
	data, err := os.ReadFile(filepath.Join(modelDir, report.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &metrics); err != nil {
		t.Fatal(err)
	}
	trained := metrics.Row(report.RowTrained)

	t.Run("match reproduces the report", func(t *testing.T) {
		// The run folder keeps the test pairs the report scored.
		pairsFile := filepath.Join(modelDir, runfolder.TestPairsFile)
		cfg, err := train.RunConfig(runfolder.Folder{Dir: runDir})
		if err != nil {
			t.Fatal(err)
		}
		d, err := train.RunData(runfolder.Folder{Dir: runDir}, cfg, train.DataPaths{})
		if err != nil {
			t.Fatal(err)
		}
		if lines := checkMatch(t, runDir, pairsFile, trained.Verification); lines != d.TestPairs.Len()+1 {
			t.Fatalf("match wrote %d lines, want %d", lines, d.TestPairs.Len()+1)
		}

		// The same file, as training data: pairs with inline vectors, no items file.
		args := append([]string{"train", "--pairs", pairsFile, "--out", filepath.Join(dir, "pairs-run"), "--loss", "contrastive", "--pair-mode", "explicit"}, tiny...)
		code, stdout, stderr = gometric(args...)
		if code != exitOK || !strings.Contains(stdout, "120 training / 40 validation / 40 test pairs") || strings.Contains(stdout, "Retrieval") {
			t.Fatalf("train --pairs: code %d\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("eval", func(t *testing.T) {
		code, stdout, stderr := gometric("eval", runDir)
		if code != exitOK {
			t.Fatalf("eval: code %d\n%s", code, stderr)
		}
		want := strconv.FormatFloat(trained.Retrieval.MAPAtR, 'f', 4, 64)
		if !strings.Contains(stdout, want) {
			t.Fatalf("eval output lacks the report's MAP@R %s:\n%s", want, stdout)
		}
		code, stdout, _ = gometric("eval", runDir, "--json", "--dataset", "digits")
		if code != exitOK || !strings.Contains(stdout, "mean_average_precision_at_r") {
			t.Fatalf("eval --json: code %d\n%s", code, stdout)
		}
	})

	t.Run("embed", func(t *testing.T) {
		out := filepath.Join(dir, "emb.jsonl")
		code, _, stderr := gometric("embed", runDir, "digits", "--out", out)
		if code != exitOK {
			t.Fatalf("embed: code %d\n%s", code, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil || strings.Count(string(data), "\n") != 1797 || !strings.HasPrefix(string(data), `{"id":"digits-0","label":0,"embedding":[`) {
			t.Fatalf("embeddings file: %v\n%.200s", err, data)
		}
		small := filepath.Join(dir, "small.csv")
		if err := os.WriteFile(small, []byte("id,x\na,1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr = gometric("embed", runDir, small)
		if code != exitError || !strings.Contains(stderr, "1 features, the model takes 64") {
			t.Fatalf("embed of the wrong width: code %d\n%s", code, stderr)
		}
		noStack(t, stderr)
	})

	t.Run("resume", func(t *testing.T) {
		code, stdout, stderr := gometric("train", "--out", runDir, "--resume", "--steps", "30", "--quiet")
		if code != exitOK {
			t.Fatalf("resume: code %d\n%s", code, stderr)
		}
		if !strings.Contains(stdout, "Resumed at step 20; trained 10 steps") {
			t.Fatalf("resume output:\n%s", stdout)
		}
		code, _, stderr = gometric("train", "--out", runDir, "--resume", "--loss", "supcon")
		if code != exitUsage || !strings.Contains(stderr, "cannot change when resuming") {
			t.Fatalf("resume with another loss: code %d\n%s", code, stderr)
		}
		code, _, stderr = gometric(append([]string{"train", "--out", runDir}, tiny...)...)
		if code != exitError || !strings.Contains(stderr, "already holds a run") {
			t.Fatalf("train over a run: code %d\n%s", code, stderr)
		}
	})
}

// A training that fails before it starts (a malformed input file) removes the folders it created for
// its run, and leaves a folder that existed before as it was.
func TestFailedStartLeavesNoRun(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("id,label,x1\na,0,1\nb,zero,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "new", "run")
	if code, _, stderr := gometric("train", "--items", bad, "--out", fresh, "--quiet"); code != exitError {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("%s left behind after a failed start (stat: %v)", filepath.Join(dir, "new"), err)
	}
	existing := filepath.Join(dir, "existing")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := gometric("train", "--items", bad, "--out", existing, "--quiet"); code != exitError {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if entries, err := os.ReadDir(existing); err != nil || len(entries) != 0 {
		t.Errorf("existing --out folder: %v entries, err %v; want it kept, empty", len(entries), err)
	}
}
