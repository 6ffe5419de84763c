package train

import (
	"math"
	"strings"
	"testing"
)

// TestLossEngines trains the same run with the graph and with the host loss engine: the first
// step's loss is the same (same weights, same batch), the loss curves stay together (the two
// engines round differently), and the engine is chosen as documented.
func TestLossEngines(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Config)
	}{
		{"ntxent pairs (label construction)", func(c *Config) {}},
		{"contrastive positives only", func(c *Config) { c.Loss, c.PairMode = "contrastive", "positives-only" }},
		{"supcon class batches", func(c *Config) { c.Loss, c.Batches = "supcon", BatchesClasses }},
		{"multisimilarity class batches", func(c *Config) { c.Loss, c.Batches = "multisimilarity", BatchesClasses }},
		{"arcface", func(c *Config) { c.Loss = "arcface" }},
		{"proxynca", func(c *Config) { c.Loss = "proxynca" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			curves := map[string][]float64{}
			for _, engine := range []string{LossEngineGraph, LossEngineHost} {
				cfg := tinyConfig(20)
				tc.edit(&cfg)
				cfg.LossEngine = engine
				var log strings.Builder
				res, err := Fit(cfg, loadTiny(t, cfg), Options{Log: &log})
				if err != nil {
					t.Fatalf("%s: %v", engine, err)
				}
				if got := strings.Contains(log.String(), "loss engine: host"); got != (engine == LossEngineHost) {
					t.Errorf("%s: log says host engine %v:\n%s", engine, got, log.String())
				}
				for _, p := range res.History.Loss {
					curves[engine] = append(curves[engine], p.Value)
				}
			}
			g, h := curves[LossEngineGraph], curves[LossEngineHost]
			if len(g) != len(h) || len(g) == 0 {
				t.Fatalf("curves of %d and %d points", len(g), len(h))
			}
			if math.Abs(g[0]-h[0]) > 1e-5*math.Abs(g[0]) {
				t.Errorf("first step: graph loss %.8g, host %.8g", g[0], h[0])
			}
			last := len(g) - 1
			t.Logf("first %.8g / %.8g, last %.8g / %.8g", g[0], h[0], g[last], h[last])
			if math.Abs(g[last]-h[last]) > 2e-3*math.Abs(g[last]) {
				t.Errorf("after %d steps: graph %.6g, host %.6g (first %.6g)", last+1, g[last], h[last], g[0])
			}
		})
	}
}

// TestLossEngineChoice: auto takes the host engine only where it applies; host says why it cannot.
func TestLossEngineChoice(t *testing.T) {
	for _, tc := range []struct {
		name     string
		edit     func(*Config)
		wantHost bool
		wantErr  string
	}{
		{"auto ntxent", func(c *Config) {}, true, ""},
		{"auto with a miner", func(c *Config) { c.Miner = "multisimilarity" }, false, ""},
		{"auto explicit pairs", func(c *Config) { c.PairMode, c.Loss = "explicit", "contrastive" }, false, ""},
		{"auto loss without host path", func(c *Config) { c.Loss = "thresholdconsistentmargin" }, false, ""},
		{"auto classifier head", func(c *Config) { c.Batches, c.ClassifierLossWeight = BatchesClasses, 0.5 }, false, ""},
		{"graph", func(c *Config) { c.LossEngine = LossEngineGraph }, false, ""},
		{"host with a miner", func(c *Config) { c.LossEngine, c.Miner = LossEngineHost, "multisimilarity" }, false, "takes no miner"},
		{"host explicit", func(c *Config) { c.LossEngine, c.PairMode, c.Loss = LossEngineHost, "explicit", "contrastive" }, false, "explicit pairs"},
		{"host thresholdconsistentmargin", func(c *Config) { c.LossEngine, c.Loss = LossEngineHost, "thresholdconsistentmargin" }, false, "no host implementation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(1)
			tc.edit(&cfg)
			f, err := newFitter(cfg, loadTiny(t, cfg), Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (f.host != nil) != tc.wantHost {
				t.Errorf("host engine %v, want %v", f.host != nil, tc.wantHost)
			}
		})
	}
	if err := func() Config { c := DefaultConfig(); c.LossEngine = "gpu"; return c }().Validate(); err == nil || !strings.Contains(err.Error(), "unknown loss engine") {
		t.Errorf("Validate: %v", err)
	}
}
