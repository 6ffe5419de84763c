package train

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/internal/fault"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/runfolder"
)

// tinyConfig is a configuration that trains in a few seconds: digits, a small MLP, few steps.
func tinyConfig(steps int) Config {
	cfg := DefaultConfig()
	cfg.Steps = steps
	cfg.BatchSize = 16
	cfg.EmbeddingDim = 8
	cfg.Hidden = []int{16}
	cfg.EvalPairs = 200
	cfg.ValItems = 200
	cfg.EvalEvery = 10
	return cfg
}

// loadTiny loads the digits data for cfg.
func loadTiny(t *testing.T, cfg Config) *Data {
	t.Helper()
	data, err := LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"default", func(*Config) {}, ""},
		{"unknown data set", func(c *Config) { c.Dataset = "cifar" }, "unknown data set"},
		{"files need no data set", func(c *Config) { c.Dataset, c.Items = "", "x.csv" }, ""},
		{"split sum", func(c *Config) { c.Split.Test = 0.5 }, "sum to 1"},
		{"loss", func(c *Config) { c.Loss = "nope" }, "unknown loss"},
		{"pair mode", func(c *Config) { c.PairMode = "nope" }, "pair mode"},
		{"miner", func(c *Config) { c.Miner = "batch-hard" }, ""},
		{"unknown miner", func(c *Config) { c.Miner = "nope" }, "unknown miner"},
		{"encoder", func(c *Config) { c.Encoder = "rnn" }, "unknown encoder"},
		{"steps", func(c *Config) { c.Steps = 0 }, "steps or epochs"},
		{"epochs only", func(c *Config) { c.Steps, c.Epochs = 0, 2 }, ""},
		{"batch", func(c *Config) { c.BatchSize = 1 }, "batch size"},
		{"lr", func(c *Config) { c.LR = 0 }, "learning rate"},
		{"schedule", func(c *Config) { c.Schedule = "step" }, "schedule"},
		{"normalize", func(c *Config) { c.Normalize = "minmax" }, "normalisation"},
		{"class batches need items", func(c *Config) { c.Pairs, c.Batches = "p.csv", BatchesClasses }, "class batches"},
		{"class loss on pairs", func(c *Config) { c.Loss, c.Batches = "arcface", BatchesPairs }, "learns one parameter per class"},
		{"class loss", func(c *Config) { c.Loss = "cosface" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestBatchKind(t *testing.T) {
	tests := []struct {
		items, pairs, batches, want string
	}{
		{"", "", "", BatchesPairs},
		{"i.csv", "", "", BatchesClasses},
		{"i.csv", "p.csv", "", BatchesPairs},
		{"i.csv", "", BatchesPairs, BatchesPairs},
		{"", "", "", BatchesPairs},
	}
	for _, tt := range tests {
		c := Config{Items: tt.items, Pairs: tt.pairs, Batches: tt.batches}
		if got := c.BatchKind(); got != tt.want {
			t.Errorf("BatchKind(items=%q pairs=%q batches=%q) = %q, want %q", tt.items, tt.pairs, tt.batches, got, tt.want)
		}
	}
}

func TestPrepareItems(t *testing.T) {
	cfg := tinyConfig(10)
	data := loadTiny(t, cfg)
	n := data.Train.Len() + data.Val.Len() + data.Test.Len()
	if n != 1797 {
		t.Fatalf("split has %d items, want 1797", n)
	}
	if data.ValTrack.Len() > cfg.ValItems+10 || data.ValPairs.Len() != cfg.EvalPairs || data.TestPairs.Len() != cfg.EvalPairs {
		t.Fatalf("val track %d items, %d val pairs, %d test pairs", data.ValTrack.Len(), data.ValPairs.Len(), data.TestPairs.Len())
	}
	again := loadTiny(t, cfg)
	if strings.Join(again.Test.IDs, ",") != strings.Join(data.Test.IDs, ",") {
		t.Fatal("the split is not deterministic")
	}
	unlabelled := &datasets.Items{Name: "u", IDs: []string{"a", "b"}, Features: mat.New(2, 3)}
	if _, err := PrepareItems(cfg, unlabelled); err == nil || !strings.Contains(err.Error(), "no class labels") {
		t.Fatalf("unlabelled items: %v", err)
	}
}

func TestPreparePairs(t *testing.T) {
	items, err := datasets.Load("digits")
	if err != nil {
		t.Fatal(err)
	}
	p, err := datasets.SamplePairs(items, 500, 0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(10)
	data, err := PreparePairs(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := data.TrainPairs.Len() + data.ValPairs.Len() + data.TestPairs.Len(); got != 500 {
		t.Fatalf("pair split has %d pairs, want 500", got)
	}
	if data.HasRetrieval() {
		t.Fatal("a pairs file has no retrieval split")
	}
	if _, err := PreparePairs(cfg, p.Subset([]int{0, 1, 2})); err == nil {
		t.Fatal("3 pairs: want an error")
	}
}

// TestPairSource checks batch shapes, the label construction and that seek reproduces batches.
func TestPairSource(t *testing.T) {
	cfg := tinyConfig(10)
	data := loadTiny(t, cfg)
	src, err := newPairSource(nil, data.Train, 64, 0.5, 16, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.stepsPerEpoch() != 4 {
		t.Fatalf("steps per epoch = %d, want 4", src.stepsPerEpoch())
	}
	var first []float32
	for step := range 6 {
		_, in, lbl, err := src.Yield()
		if err != nil {
			t.Fatal(err)
		}
		if d := in[0].Shape().Dimensions; d[0] != 16 || d[1] != 64 || !in[1].Shape().Equal(in[0].Shape()) {
			t.Fatalf("step %d: input shapes %s %s", step, in[0].Shape(), in[1].Shape())
		}
		y := tensors.MustCopyFlatData[int32](lbl[0])
		l := tensors.MustCopyFlatData[int32](lbl[1])
		if len(y) != 16 || len(l) != 32 {
			t.Fatalf("label lengths %d, %d", len(y), len(l))
		}
		for i, v := range y {
			if (v == 1) != (l[i] == l[16+i]) {
				t.Fatalf("pair %d: y=%d but labels %d, %d", i, v, l[i], l[16+i])
			}
		}
		if step == 5 {
			first = tensors.MustCopyFlatData[float32](in[0])
		}
	}
	src.seek(5)
	_, in, _, _ := src.Yield()
	if got := tensors.MustCopyFlatData[float32](in[0]); !equalFloats(got, first) {
		t.Fatal("seek(5) does not reproduce step 5's batch")
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestClassSource(t *testing.T) {
	cfg := tinyConfig(10)
	data := loadTiny(t, cfg)
	src, err := newClassSource(data.Train, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, in, lbl, err := src.Yield()
	if err != nil {
		t.Fatal(err)
	}
	if d := in[0].Shape().Dimensions; d[0] != 20 || d[1] != 64 {
		t.Fatalf("input shape %s", in[0].Shape())
	}
	counts := map[int32]int{}
	for _, l := range tensors.MustCopyFlatData[int32](lbl[0]) {
		counts[l]++
	}
	for c, n := range counts {
		if n != 4 && n != 5 && n != 10 && n != 20 {
			t.Fatalf("class %d has %d items in the batch: not M per class (%v)", c, n, counts)
		}
	}
}

// TestFitAndReload trains a few steps into a run folder, reloads the model from it and checks
// that it embeds like the trained one and keeps its threshold.
func TestFitAndReload(t *testing.T) {
	cfg := tinyConfig(20)
	data := loadTiny(t, cfg)
	dir := t.TempDir()
	res, err := Fit(cfg, data, Options{RunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 20 || len(res.History.Val) != 2 || !res.Model.HasThreshold() {
		t.Fatalf("steps %d, %d validations, threshold %v", res.Steps, len(res.History.Val), res.Model.Threshold)
	}
	for _, name := range []string{filepath.Join(runfolder.ModelDir, runfolder.ModelFile), runfolder.HistoryFile, runfolder.CheckpointsDir, runfolder.BestDir} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("run folder: %v", err)
		}
	}
	b := backend.MustShared()
	m, err := LoadRunModel(runfolder.Folder{Dir: dir}, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Threshold != res.Model.Threshold {
		t.Fatalf("reloaded threshold %v, want %v", m.Threshold, res.Model.Threshold)
	}
	x := data.Test.Features.Select([]int{0, 1, 2, 3, 4})
	e1, err := res.Model.Embed(x)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := m.Embed(x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range e1.Data {
		if math.Abs(float64(e1.Data[i]-e2.Data[i])) > 1e-6 {
			t.Fatalf("reloaded model embeds differently at %d: %v vs %v", i, e1.Data[i], e2.Data[i])
		}
	}
	for i := range e1.Rows {
		n := 0.0
		for _, v := range e1.Row(i) {
			n += float64(v) * float64(v)
		}
		if math.Abs(n-1) > 1e-4 {
			t.Fatalf("embedding %d has squared norm %v, want 1", i, n)
		}
	}
	// The model matches like its frozen threshold says, through package match.
	im, err := m.InferenceModel()
	if err != nil {
		t.Fatal(err)
	}
	if err := im.Add(x, nil, nil); err != nil {
		t.Fatal(err)
	}
	nn, err := im.NearestNeighbors(x, 1)
	if err != nil || nn[0][0].Item != 0 || !nn[0][0].Match {
		t.Fatalf("nearest neighbour of item 0: %+v, %v", nn, err)
	}
	// A model of another architecture cannot load these weights.
	other := cfg.EncoderSpec(64)
	other.Hidden = []int{17}
	bad, err := LoadModel(b, filepath.Join(dir, runfolder.BestDir, mustLatestName(t, dir)), other, m.Norm)
	if err == nil {
		_, err = bad.Embed(x)
	}
	if err == nil {
		t.Fatal("loading weights into another architecture: want an error")
	}
}

func mustLatestName(t *testing.T, dir string) string {
	t.Helper()
	latest, _, err := runfolder.Folder{Dir: dir}.Best().Latest()
	if err != nil || latest == "" {
		t.Fatalf("no best checkpoint: %v", err)
	}
	return filepath.Base(latest)
}

// TestFitVariants runs a few steps of the other batch kinds, pair modes and the CNN.
func TestFitVariants(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"class batches supcon", func(c *Config) { c.Batches, c.Loss = BatchesClasses, "supcon" }},
		{"explicit contrastive", func(c *Config) { c.PairMode, c.Loss = "explicit", "contrastive" }},
		{"positives only", func(c *Config) { c.PairMode = "positives-only" }},
		{"arcface (class batches)", func(c *Config) { c.Loss = "arcface" }},
		{"proxyanchor", func(c *Config) { c.Loss = "proxyanchor" }},
		{"miner multisimilarity", func(c *Config) { c.Miner = "multisimilarity" }},
		{"explicit with miner", func(c *Config) { c.PairMode, c.Loss, c.Miner = "explicit", "contrastive", "pairmargin" }},
		{"cnn constant lr", func(c *Config) {
			c.Encoder, c.Channels, c.Hidden, c.Schedule = "cnn", []int{4}, []int{8}, ScheduleConstant
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tinyConfig(4)
			cfg.EvalEvery = 4
			tt.edit(&cfg)
			res, err := Fit(cfg, loadTiny(t, cfg), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Steps != 4 || len(res.History.Loss) == 0 || math.IsNaN(res.History.Loss[0].Value) {
				t.Fatalf("steps %d, loss %v", res.Steps, res.History.Loss)
			}
		})
	}
}

// TestEarlyStopping stops after the patience runs out and keeps the best weights.
func TestEarlyStopping(t *testing.T) {
	cfg := tinyConfig(200)
	cfg.EvalEvery = 1
	cfg.Patience = 2
	cfg.LR = 1e-30 // below float32 resolution: nothing changes, nothing improves
	res, err := Fit(cfg, loadTiny(t, cfg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.StoppedEarly || res.Steps >= 200 {
		t.Fatalf("stopped early %v at step %d", res.StoppedEarly, res.Steps)
	}
	best, _ := res.History.Best()
	if res.BestStep != best.Step {
		t.Fatalf("best step %d, history's best %d", res.BestStep, best.Step)
	}
}

// crashEnv makes the test binary, run as a child by TestResumeAfterCrash, train and exit at once
// while writing its second checkpoint, as a killed process would.
const crashEnv = "GOMETRIC_TRAIN_CRASH_DIR"

// TestResumeAfterCrash kills a training run in the middle of saving a checkpoint (in a child
// process) and checks that the run resumes from the previous checkpoint and finishes.
func TestResumeAfterCrash(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		cfg := tinyConfig(30)
		cfg.LR = 1e-30 // only step 10 is ever "best", so the third save is checkpoints/ at step 20
		if _, err := Fit(cfg, loadTiny(t, cfg), Options{RunDir: dir}); err != nil {
			t.Fatal(err)
		}
		t.Fatal("the run was not killed")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeAfterCrash$")
	// The third save stops between writing its files and renaming them into place (the fault
	// point of runfolder.Checkpoints.Save): checkpoints/ and best/ at step 10, then checkpoints/ at 20.
	cmd.Env = append(os.Environ(), crashEnv+"="+dir, fault.Env+"=checkpoint-files#3")
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != fault.ExitCode {
		t.Fatalf("child: %v\n%s", err, out)
	}
	run := runfolder.Folder{Dir: dir}
	latest, step, err := run.Checkpoints().Latest()
	if err != nil || step != 10 {
		t.Fatalf("after the crash the latest checkpoint is %q (step %d, %v), want step 10", latest, step, err)
	}
	entries, _ := os.ReadDir(run.Checkpoints().Dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !strings.Contains(strings.Join(names, " "), tmpPrefix) {
		t.Logf("no temporary folder left by the crash: %v", names)
	}
	cfg := tinyConfig(30)
	cfg.LR = 1e-30
	res, err := Fit(cfg, loadTiny(t, cfg), Options{RunDir: dir, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.StartStep != 10 || res.Steps != 30 {
		t.Fatalf("resumed run: start %d, end %d; want 10 and 30", res.StartStep, res.Steps)
	}
	var steps []string
	for _, p := range res.History.Val {
		steps = append(steps, strconv.Itoa(p.Step))
	}
	if got := strings.Join(steps, ","); got != "10,20,30" {
		t.Fatalf("validation steps %s, want 10,20,30", got)
	}
}

// TestFitPairs trains on fixed labeled pairs (a pairs file's path): the validation metric is the
// validation pairs' average precision.
func TestFitPairs(t *testing.T) {
	items, err := datasets.Load("digits")
	if err != nil {
		t.Fatal(err)
	}
	p, err := datasets.SamplePairs(items, 400, 0.5, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"label-construction", "positives-only"} {
		cfg := tinyConfig(6)
		cfg.EvalEvery, cfg.PairMode = 3, mode
		data, err := PreparePairs(cfg, p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Fit(cfg, data, Options{})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if res.History.ValMetric != ValAveragePrecision || len(res.History.Val) != 2 || !res.Model.HasThreshold() {
			t.Fatalf("%s: metric %q, %d validations, threshold %v", mode, res.History.ValMetric, len(res.History.Val), res.Model.Threshold)
		}
	}
}

// TestEveryLoss trains two steps with every loss of losses.Names, on its default batches.
func TestEveryLoss(t *testing.T) {
	cfg := tinyConfig(2)
	data := loadTiny(t, cfg)
	for _, name := range losses.Names() {
		t.Run(name, func(t *testing.T) {
			c := cfg
			c.Loss, c.EvalEvery = name, 2
			res, err := Fit(c, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if l := res.History.Loss; len(l) == 0 || math.IsNaN(l[len(l)-1].Value) || math.IsInf(l[len(l)-1].Value, 0) {
				t.Fatalf("loss history %v", l)
			}
		})
	}
}
