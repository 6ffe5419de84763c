package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --classifier-loss-weight trains a classifier head beside the metric loss (PML's
// TrainWithClassifier): listed in --help, recorded in config.json, kept by --resume (which refuses
// another weight) and eval; pairs without classes are a one-line usage error.
func TestClassifierFlag(t *testing.T) {
	code, help, _ := gometric("train", "--help")
	if code != exitOK {
		t.Fatalf("train --help: exit %d", code)
	}
	for _, name := range []string{"classifier-loss-weight", "metric-loss-weight"} {
		if u := flagUsage(t, help, name); !strings.Contains(u, "loss_weights") {
			t.Errorf("--%s usage does not name PML's loss_weights:\n%s", name, u)
		}
	}

	out := filepath.Join(t.TempDir(), "run")
	args := append([]string{"train", "--out", out, "--classifier-loss-weight", "0.5", "--metric-loss-weight", "2"}, tiny...)
	if code, _, stderr := gometric(args...); code != 0 {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Batches              string
		ClassifierLossWeight float64  `json:"classifier_loss_weight"`
		MetricLossWeight     *float64 `json:"metric_loss_weight"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ClassifierLossWeight != 0.5 || cfg.MetricLossWeight == nil || *cfg.MetricLossWeight != 2 {
		t.Fatalf("config.json records classifier weight %v, metric weight %v; want 0.5 and 2\n%s", cfg.ClassifierLossWeight, cfg.MetricLossWeight, raw)
	}
	if code, _, stderr := gometric("train", "--out", out, "--resume", "--steps", "25", "--quiet",
		"--classifier-loss-weight", "0.5", "--metric-loss-weight", "2.0"); code != 0 {
		t.Fatalf("resume with the same weights: exit %d\n%s", code, stderr)
	}
	code, _, stderr := gometric("train", "--out", out, "--resume", "--steps", "30", "--quiet", "--classifier-loss-weight", "1")
	if code != exitUsage || !strings.Contains(stderr, "--classifier-loss-weight cannot change") {
		t.Errorf("resume with another classifier weight: exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := gometric("eval", out); code != 0 {
		t.Errorf("eval: exit %d\n%s", code, stderr)
	}

	// The default metric weight, given or not, records nothing: PML's 1.
	plain := filepath.Join(t.TempDir(), "plain")
	if code, _, stderr := gometric(append([]string{"train", "--out", plain, "--metric-loss-weight", "1", "--steps", "2"}, tiny...)...); code != 0 {
		t.Fatalf("train --metric-loss-weight 1: exit %d\n%s", code, stderr)
	}
	if raw, err := os.ReadFile(filepath.Join(plain, "config.json")); err != nil || strings.Contains(string(raw), "loss_weight") {
		t.Errorf("config.json of a run with the default weights: %v\n%s", err, raw)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pairs", "../../examples/data/pairs.csv", "--items", "../../examples/data/items.csv", "--classifier-loss-weight", "1"}, "no classes"},
		{[]string{"--batches", "pairs", "--classifier-loss-weight", "1"}, "class batches"},
		{[]string{"--classifier-loss-weight", "-1"}, "classifier loss weight"},
		{[]string{"--metric-loss-weight", "0"}, "nothing to train"},
		{[]string{"--metric-loss-weight", "x"}, "not a number"},
	} {
		code, stdout, stderr := gometric(append([]string{"train", "--quiet"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 1 || stdout != "" {
			t.Errorf("train %v: exit %d, stdout %q, stderr:\n%s\nwant a one-line usage error naming %q", c.args, code, stdout, stderr, c.want)
		}
		noStack(t, stderr)
	}
}
