package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --loss and --miner take PML-style specifications; the run records their canonical form, --resume
// accepts the same specification however it is spelled and refuses a different one, and a wrong
// specification is a one-line usage error.
func TestLossAndMinerSpecs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := append([]string{"train", "--out", out,
		"--loss", "NTXentLoss(temperature=0.1) + 0.5*ContrastiveLoss(neg_margin=0.8)",
		"--miner", "MultiSimilarityMiner(epsilon=0.2)"}, tiny...)
	if code, _, stderr := gometric(args...); code != 0 {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct{ Loss, Miner string }
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if want := "ntxent(temperature=0.1) + 0.5*contrastive(neg_margin=0.8)"; cfg.Loss != want {
		t.Errorf("recorded loss %q, want %q", cfg.Loss, want)
	}
	if want := "multisimilarity(epsilon=0.2)"; cfg.Miner != want {
		t.Errorf("recorded miner %q, want %q", cfg.Miner, want)
	}
	if code, _, stderr := gometric("train", "--out", out, "--resume", "--steps", "25", "--quiet",
		"--loss", "ntxent(temperature=0.1)+0.5*contrastive(neg_margin=0.8)"); code != 0 {
		t.Fatalf("resume with the same loss spelled differently: exit %d\n%s", code, stderr)
	}
	code, _, stderr := gometric("train", "--out", out, "--resume", "--steps", "30", "--quiet",
		"--loss", "ntxent(temperature=0.2) + 0.5*contrastive(neg_margin=0.8)")
	if code != exitUsage || !strings.Contains(stderr, "--loss cannot change") {
		t.Errorf("resume with another loss: exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := gometric("eval", out); code != 0 {
		t.Errorf("eval: exit %d\n%s", code, stderr)
	}
	for _, c := range []struct{ flag, value, want string }{
		{"--loss", "ntxent(temperatur=0.1)", `unknown option "temperatur"`},
		{"--loss", "ntxent(temperature=-1)", "temperature"},
		{"--loss", "contrastive + ", "loss"},
		{"--miner", "batchhard(nope=1)", `unknown option "nope"`},
	} {
		code, stdout, stderr := gometric("train", c.flag, c.value, "--quiet")
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 1 || stdout != "" {
			t.Errorf("%s %q: exit %d, stdout %q, stderr:\n%s\nwant a short usage error naming %q", c.flag, c.value, code, stdout, stderr, c.want)
		}
		noStack(t, stderr)
	}
}
