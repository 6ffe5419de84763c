package train

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/runfolder"
)

// TestClassifierObjective checks TrainWithClassifier's loss on a tiny fixed case against a
// cross-entropy computed by hand: metric weight × the metric loss + classifier weight × the mean
// cross-entropy of the classifier head's logits (embeddings × weights + biases), and the metric
// loss alone when the classifier weight is 0.
func TestClassifierObjective(t *testing.T) {
	emb := [][]float32{{0.6, -0.8}, {0.1, 0.9}, {-0.5, 0.3}, {1.2, 0.4}}
	labels := []int32{0, 1, 0, 2}
	w := [][]float32{{0.5, -1, 0.25}, {2, 0.5, -0.75}} // [D=2, C=3]
	bias := []float32{0.1, -0.2, 0.3}

	// The cross-entropy by hand: -mean_i log softmax(emb_i W + b)[y_i].
	ce := 0.0
	for i, e := range emb {
		logits := make([]float64, 3)
		for c := range logits {
			logits[c] = float64(bias[c])
			for d := range e {
				logits[c] += float64(e[d]) * float64(w[d][c])
			}
		}
		z := 0.0
		for _, l := range logits {
			z += math.Exp(l)
		}
		ce -= logits[labels[i]] - math.Log(z)
	}
	ce /= float64(len(emb))

	// run returns the objective and the metric loss alone on the fixed case.
	run := func(o objective) (total, metric float64) {
		t.Helper()
		ctx := context.New()
		ctx.In(ClassifierScope).In("dense").VariableWithValue("weights", w)
		ctx.In(ClassifierScope).In("dense").VariableWithValue("biases", bias)
		exec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, in []*Node) []*Node {
			li := losses.Inputs{Embeddings: in[0], Labels: in[1]}
			l := losses.NewContrastive()
			return []*Node{o.loss(ctx, l, li, in[0], in[1]), l.ComputeWithContext(ctx, li)}
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Exec(emb, labels)
		if err != nil {
			t.Fatal(err)
		}
		return float64(tensors.ToScalar[float32](out[0])), float64(tensors.ToScalar[float32](out[1]))
	}
	tests := []struct {
		name string
		o    objective
	}{
		{"PML defaults (1, 1)", objective{Metric: 1, Classifier: 1, Classes: 3}},
		{"weighted (0.5, 2)", objective{Metric: 0.5, Classifier: 2, Classes: 3}},
		{"classifier only", objective{Metric: 0, Classifier: 0.5, Classes: 3}},
		{"metric only", objective{Metric: 1, Classes: 3}},
		{"metric weighted", objective{Metric: 3, Classes: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, metric := run(tt.o)
			if metric <= 0 {
				t.Fatalf("metric loss %v: the case should have a positive contrastive loss", metric)
			}
			want := tt.o.Metric*metric + tt.o.Classifier*ce
			if math.Abs(total-want) > 1e-5 {
				t.Fatalf("objective %v, want %v × %v + %v × %v = %v", total, tt.o.Metric, metric, tt.o.Classifier, ce, want)
			}
		})
	}
}

// classifierConfig is tinyConfig with the classifier head on.
func classifierConfig(steps int, weight float64) Config {
	cfg := tinyConfig(steps)
	cfg.ClassifierLossWeight = weight
	return cfg
}

// TestClassifierFit trains on digits with the classifier head: class batches, a finite loss that
// differs from the metric loss alone, the head's weights in the checkpoints (resumed from them)
// and not in the embedding (the published model loads as an encoder of the run's spec).
func TestClassifierFit(t *testing.T) {
	cfg := classifierConfig(10, 0.5)
	if cfg.BatchKind() != BatchesClasses {
		t.Fatalf("batch kind %q, want class batches for the classifier", cfg.BatchKind())
	}
	data := loadTiny(t, cfg)
	dir := t.TempDir()
	res, err := Fit(cfg, data, Options{RunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	plain := cfg
	plain.ClassifierLossWeight = 0
	plain.Batches = BatchesClasses
	base, err := Fit(plain, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, l0 := res.History.Loss, base.History.Loss
	if len(l) == 0 || len(l0) == 0 || math.IsNaN(l[0].Value) || math.IsInf(l[0].Value, 0) {
		t.Fatalf("loss history %v", l)
	}
	// The same batches and initial weights: the first step's loss differs by the classifier's
	// term, 0.5 × a cross-entropy near log(10) for an untrained head.
	if d := l[0].Value - l0[0].Value; !(d > 0.5*math.Log(10)/2 && d < 0.5*math.Log(10)*2) {
		t.Fatalf("first loss with the classifier %v, without %v: the difference %v is not 0.5 × a cross-entropy near log(10)", l[0].Value, l0[0].Value, d)
	}
	// The head is in the checkpoint, with one output per digit class.
	ckpt, _, err := runfolder.Folder{Dir: dir}.Checkpoints().Latest()
	if err != nil || ckpt == "" {
		t.Fatalf("latest checkpoint: %q, %v", ckpt, err)
	}
	ctx := context.New()
	if err := runfolder.LoadCheckpoint(ctx, ckpt); err != nil {
		t.Fatal(err)
	}
	found := map[string][]int{}
	for v := range ctx.IterVariables() {
		if strings.Contains(v.Scope(), "/"+ClassifierScope+"/") {
			found[v.Name()] = v.Shape().Dimensions
		}
	}
	if d := found["weights"]; len(d) != 2 || d[0] != cfg.EmbeddingDim || d[1] != 10 {
		t.Fatalf("classifier variables in the checkpoint: %v, want weights [%d 10]", found, cfg.EmbeddingDim)
	}
	// The published model is the encoder alone.
	m, err := LoadRunModel(runfolder.Folder{Dir: dir}, backend.MustShared())
	if err != nil {
		t.Fatal(err)
	}
	x := data.Test.Features.Select([]int{0, 1})
	e, err := m.Embed(x)
	if err != nil || e.Cols != cfg.EmbeddingDim {
		t.Fatalf("embedding: %v, %v", e, err)
	}
	// Resuming rebuilds the head from the checkpoint and goes on.
	more := cfg
	more.Steps = 14
	res2, err := Fit(more, data, Options{RunDir: dir, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if res2.StartStep != 10 || res2.Steps != 14 {
		t.Fatalf("resumed from %d to %d, want 10 to 14", res2.StartStep, res2.Steps)
	}
}

// TestClassifierConfig checks the loss weights' validation: a classifier needs class-labelled
// items and class batches, weights are finite and ≥ 0, and something must be trained.
func TestClassifierConfig(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" for valid
	}{
		{"default: metric loss only", func(c *Config) {}, ""},
		{"classifier on digits", func(c *Config) { c.ClassifierLossWeight = 0.5 }, ""},
		{"classifier alone", func(c *Config) { c.ClassifierLossWeight, c.MetricLossWeight = 1, f(0) }, ""},
		{"classifier on an items file", func(c *Config) { c.Dataset, c.Items, c.ClassifierLossWeight = "", "items.csv", 1 }, ""},
		{"classifier on pairs", func(c *Config) { c.Dataset, c.Pairs, c.ClassifierLossWeight = "", "pairs.csv", 1 }, "labeled pairs have no classes"},
		{"classifier on graph-edit", func(c *Config) { c.Dataset, c.ClassifierLossWeight = "graph-edit", 1 }, "labeled pairs have no classes"},
		{"classifier on pair batches", func(c *Config) { c.Batches, c.ClassifierLossWeight = BatchesPairs, 1 }, "class batches"},
		{"negative classifier weight", func(c *Config) { c.ClassifierLossWeight = -1 }, "classifier loss weight"},
		{"NaN metric weight", func(c *Config) { c.MetricLossWeight = f(math.NaN()) }, "metric loss weight"},
		{"infinite classifier weight", func(c *Config) { c.ClassifierLossWeight = math.Inf(1) }, "classifier loss weight"},
		{"nothing to train", func(c *Config) { c.MetricLossWeight = f(0) }, "nothing to train"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate: %v, want an error with %q", err, tt.want)
			}
		})
	}
	if w := DefaultConfig().MetricWeight(); w != 1 {
		t.Fatalf("default metric loss weight %v, want PML's 1", w)
	}
}
