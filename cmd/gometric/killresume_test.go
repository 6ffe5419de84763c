package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gometric/gometric/internal/fault"
	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
)

// killRun are the flags of the runs TestKillAndResume kills: 30 steps, validated (and checkpointed)
// every 10.
var killRun = []string{"--steps", "30", "--eval-every", "10", "--batch-size", "16", "--embedding-dim", "8", "--hidden", "16", "--eval-pairs", "200", "--quiet"}

// killPoints are where TestKillAndResume stops a training (internal/fault points; "#K": the K-th
// time). Those starting with "more:" stop a second training that continues a finished run to 40
// steps, so that a published model is there to be replaced.
var killPoints = []string{
	"start-data", "start-split", "start-config",
	"validate#1", "validate-history#1", "validate-checkpoint#1", "validate-best#1",
	"validate#2", "validate-history#2", "validate-checkpoint#2", "validate-best#2",
	"validate-history#3", "validate-checkpoint#3", "validate-best#3",
	"finish", "publish-weights", "publish-files", "published",
	"more:validate-history#1", "more:validate-checkpoint#1", "more:finish",
	"more:publish-weights", "more:publish-files", "more:publish-exchanged", "more:published",
}

// quickKillPoints are the points the short test run (go test -short) covers.
var quickKillPoints = []string{"validate-history#2", "validate-best#2", "publish-files", "more:publish-exchanged"}

// TestKillAndResume kills trainings at many points (as a crash or kill -9 would: the process exits
// there at once) and checks that the run folder never contradicts itself: whenever it has a model,
// `gometric eval RUN` gives the metrics of its metrics.json and report.md, and `gometric match`
// reproduces its test-pair accuracy; when it has none, eval says so. Then it resumes each run to
// the end and checks that the result is the one an uninterrupted run gives (same history, same
// metrics). GOMETRIC_KILL_POINTS=all runs every point even with -short.
func TestKillAndResume(t *testing.T) {
	points := killPoints
	if testing.Short() && os.Getenv("GOMETRIC_KILL_POINTS") != "all" {
		points = quickKillPoints
	}
	dir := t.TempDir()
	ref := filepath.Join(dir, "reference")
	if code, _, stderr := gometric(append([]string{"train", "--out", ref}, killRun...)...); code != exitOK {
		t.Fatalf("reference run: code %d\n%s", code, stderr)
	}
	refMetrics, refHistory := checkConsistent(t, ref)
	refMore := filepath.Join(dir, "reference-more")
	copyTree(t, ref, refMore)
	if code, _, stderr := gometric("train", "--out", refMore, "--resume", "--steps", "40", "--quiet"); code != exitOK {
		t.Fatalf("reference resumed run: code %d\n%s", code, stderr)
	}
	refMoreMetrics, refMoreHistory := checkConsistent(t, refMore)

	for i, point := range points {
		t.Run(point, func(t *testing.T) {
			runDir := filepath.Join(dir, "run"+strconv.Itoa(i))
			args := append([]string{"train", "--out", runDir}, killRun...)
			wantMetrics, wantHistory := refMetrics, refHistory
			if p, ok := strings.CutPrefix(point, "more:"); ok {
				copyTree(t, ref, runDir)
				args = []string{"train", "--out", runDir, "--resume", "--steps", "40", "--quiet"}
				wantMetrics, wantHistory, point = refMoreMetrics, refMoreHistory, p
			}
			killAt(t, point, args)
			if _, err := os.Stat(filepath.Join(runDir, runfolder.ModelDir)); err == nil {
				checkConsistent(t, runDir)
			} else {
				code, _, stderr := gometric("eval", runDir)
				if code != exitError || !strings.Contains(stderr, "no trained model yet") && !strings.Contains(stderr, "not a run folder") {
					t.Fatalf("eval of a run without a model: code %d\n%s", code, stderr)
				}
				noStack(t, stderr)
			}
			// Resume to the end (a start killed before config.json is started again).
			resume := append(args, "--resume")
			if _, err := os.Stat(filepath.Join(runDir, runfolder.ConfigFile)); err != nil {
				resume = args
			}
			if code, _, stderr := gometric(resume...); code != exitOK {
				t.Fatalf("resuming: code %d\n%s", code, stderr)
			}
			metrics, history := checkConsistent(t, runDir)
			if !sameTrained(metrics, wantMetrics) {
				t.Errorf("resumed run's trained-model metrics differ from the uninterrupted run's:\n%+v\n%+v",
					metrics.Row(report.RowTrained), wantMetrics.Row(report.RowTrained))
			}
			if !sameCurves(history, wantHistory) {
				t.Errorf("resumed run's history differs from the uninterrupted run's:\n%+v\n%+v", history, wantHistory)
			}
		})
	}
}

// killAt runs gometric with args in a child process that stops at the fault point.
func killAt(t *testing.T, point string, args []string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--"}, args...)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", fault.Env+"="+point)
	var stderr bytes.Buffer
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != fault.ExitCode {
		t.Fatalf("the training was not stopped at %s: %v\n%s", point, err, stderr.String())
	}
}

// checkConsistent checks that the run's model agrees with its own report: eval gives the trained
// row of metrics.json (and its figures are in report.md), match on the kept test pairs gives its
// accuracy and F1, and model.json's step is the report's best step. It returns the metrics and the
// history.
func checkConsistent(t *testing.T, runDir string) (*report.Report, runfolder.History) {
	t.Helper()
	modelDir := filepath.Join(runDir, runfolder.ModelDir)
	var metrics report.Report
	readJSON(t, filepath.Join(modelDir, report.MetricsFile), &metrics)
	trained := metrics.Row(report.RowTrained)
	if trained == nil || trained.Verification == nil || trained.Retrieval == nil {
		t.Fatalf("%s: no trained row with retrieval and verification", runDir)
	}
	md, err := os.ReadFile(filepath.Join(modelDir, report.MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{trained.Retrieval.MAPAtR, trained.Verification.Accuracy, trained.Verification.ROCAUC} {
		if s := strconv.FormatFloat(v, 'f', 4, 64); !strings.Contains(string(md), s) {
			t.Errorf("report.md lacks metrics.json's %s", s)
		}
	}
	var info runfolder.ModelInfo
	readJSON(t, filepath.Join(modelDir, runfolder.ModelFile), &info)
	if metrics.Training == nil || info.Step != metrics.Training.BestStep {
		t.Errorf("model.json is step %d, metrics.json's best step %+v", info.Step, metrics.Training)
	}

	code, stdout, stderr := gometric("eval", runDir, "--json")
	if code != exitOK {
		t.Fatalf("eval: code %d\n%s", code, stderr)
	}
	var got report.Report
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	g := got.Row(report.RowTrained)
	if g == nil || g.Retrieval == nil || g.Verification == nil || *g.Retrieval != *trained.Retrieval || *g.Verification != *trained.Verification {
		t.Errorf("eval disagrees with metrics.json:\neval    %+v %+v\nmetrics %+v %+v", g.Retrieval, g.Verification, trained.Retrieval, trained.Verification)
	}

	checkMatch(t, runDir, filepath.Join(modelDir, runfolder.TestPairsFile), trained.Verification)
	h, err := runfolder.Folder{Dir: runDir}.History()
	if err != nil {
		t.Fatal(err)
	}
	return &metrics, h
}

// sameTrained reports whether two reports have the same trained-model metrics.
func sameTrained(a, b *report.Report) bool {
	x, y := a.Row(report.RowTrained), b.Row(report.RowTrained)
	return *x.Retrieval == *y.Retrieval && *x.Verification == *y.Verification && a.Training.BestStep == b.Training.BestStep
}

// sameCurves reports whether two histories have the same loss and validation points (to 1e-9).
func sameCurves(a, b runfolder.History) bool {
	same := func(p, q []runfolder.Point) bool {
		if len(p) != len(q) {
			return false
		}
		for i := range p {
			if p[i].Step != q[i].Step || !(abs(p[i].Value-q[i].Value) <= 1e-9*max(1, abs(q[i].Value))) {
				return false
			}
		}
		return true
	}
	return same(a.Loss, b.Loss) && same(a.Val, b.Val)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// readJSON reads the JSON file path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// copyTree copies the folder src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkMatch runs `gometric match RUN --pairs FILE` and checks that its accuracy and F1 are the
// report's (to the 4 decimals it prints); it returns the number of CSV lines match wrote.
func checkMatch(t *testing.T, runDir, pairsFile string, want *report.Verification) (lines int) {
	t.Helper()
	code, stdout, stderr := gometric("match", runDir, "--pairs", pairsFile)
	if code != exitOK {
		t.Fatalf("match: code %d\n%s", code, stderr)
	}
	m := regexp.MustCompile(`accuracy ([0-9.]+), F1 ([0-9.]+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no accuracy in:\n%s", stderr)
	}
	if w := strconv.FormatFloat(want.Accuracy, 'f', 4, 64); m[1] != w {
		t.Errorf("match accuracy %s, the report's %s", m[1], w)
	}
	if w := strconv.FormatFloat(want.F1, 'f', 4, 64); m[2] != w {
		t.Errorf("match F1 %s, the report's %s", m[2], w)
	}
	return strings.Count(stdout, "\n")
}
