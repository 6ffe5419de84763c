package train

import (
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/runfolder"
)

// twoLayer is an encoder of the test's own: feature vectors through two Dense layers.
type twoLayer struct {
	encoders.VectorInputs
	dim int
}

func (e twoLayer) String() string { return "two-layer" }

func (e twoLayer) EncodeInputs(ctx *context.Context, inputs []*Node) *Node {
	ctx = ctx.In(encoders.Scope)
	h := Tanh(layers.DenseWithBias(ctx.In("a"), inputs[0], 24))
	return layers.DenseWithBias(ctx.In("b"), h, e.dim)
}

// TestCustomEncoderRoundTrip trains an encoder of one's own on pairs into a run folder, loads the
// run back with it and checks the embeddings; loading without it is an error that says how.
func TestCustomEncoderRoundTrip(t *testing.T) {
	cfg := tinyConfig(20)
	cfg.Encoder = encoders.KindCustom
	cfg.Loss, cfg.PairMode = "contrastive", "explicit"
	run := runfolder.Folder{Dir: filepath.Join(t.TempDir(), "run")}
	data, err := StartRun(run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	enc := twoLayer{dim: cfg.EmbeddingDim}
	res, err := Fit(cfg, data, Options{RunDir: run.Dir, Encoder: enc})
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Spec.Kind != encoders.KindCustom || res.Model.Spec.Name != "two-layer" || res.InputShapes != 1 {
		t.Fatalf("spec %s, %d input shapes", res.Model.Spec, res.InputShapes)
	}
	loaded, err := LoadRunModelWith(run, backend.MustShared(), enc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := res.Model.EmbedItems(data.Test)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Embed(data.Test.Features)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != data.Test.Len() || got.Cols != cfg.EmbeddingDim || !equalFloats(got.Data, want.Data) {
		t.Fatalf("loaded model: %dx%d embeddings, different from the trained model's", got.Rows, got.Cols)
	}
	if loaded.Threshold != res.Model.Threshold {
		t.Fatalf("threshold %v, trained %v", loaded.Threshold, res.Model.Threshold)
	}
	if _, err := LoadRunModel(run, backend.MustShared()); err == nil || !strings.Contains(err.Error(), "LoadRunModelWith") {
		t.Fatalf("LoadRunModel of a custom encoder: %v", err)
	}
	// The run resumes with the same encoder.
	cfg.Steps = 30
	if _, err := Fit(cfg, data, Options{RunDir: run.Dir, Resume: true, Encoder: enc}); err != nil {
		t.Fatal(err)
	}
	// An encoder of one's own needs Config.Encoder custom, and custom needs the encoder.
	cfg = tinyConfig(2)
	if _, err := Fit(cfg, data, Options{Encoder: enc}); err == nil || !strings.Contains(err.Error(), "custom") {
		t.Fatalf("Options.Encoder with encoder mlp: %v", err)
	}
	cfg.Encoder = encoders.KindCustom
	if _, err := Fit(cfg, data, Options{}); err == nil || !strings.Contains(err.Error(), "Options.Encoder") {
		t.Fatalf("encoder custom without Options.Encoder: %v", err)
	}
}

// TestGraphFit trains the gnn on the example graphs, class batches and pairs drawn from classes,
// and checks that a handful of budgets (compilations) serve the run, and that the model embeds
// graphs deterministically.
func TestGraphFit(t *testing.T) {
	for _, batches := range []string{BatchesClasses, BatchesPairs} {
		cfg := DefaultConfig()
		cfg.Dataset, cfg.Items, cfg.Encoder, cfg.Normalize = "", filepath.Join("..", "examples", "data", "graphs.jsonl"), encoders.KindGNN, NormalizeNone
		cfg.Batches, cfg.Steps, cfg.BatchSize, cfg.EmbeddingDim, cfg.GNNHidden = batches, 40, 8, 16, 16
		data, err := LoadData(cfg)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Fit(cfg, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s batches: %d input shapes in %d steps", batches, res.InputShapes, res.Steps)
		if res.InputShapes < 1 || res.InputShapes > 8 {
			t.Errorf("%s batches: %d input shapes (compilations), want a handful", batches, res.InputShapes)
		}
		a, err := res.Model.EmbedItems(data.Test)
		if err != nil {
			t.Fatal(err)
		}
		b, err := res.Model.EmbedItems(data.Test)
		if err != nil {
			t.Fatal(err)
		}
		if a.Rows != data.Test.Len() || a.Cols != 16 || !equalFloats(a.Data, b.Data) {
			t.Fatalf("embeddings %dx%d, or not deterministic", a.Rows, a.Cols)
		}
		if _, err := res.Model.Embed(data.Test.Features); err == nil {
			t.Fatal("Embed of feature vectors with a gnn: want an error")
		}
		if _, ok := res.Model.ItemEncoder().(*graphs.Encoder); !ok || res.Model.Encoder() != nil {
			t.Fatalf("encoder %T", res.Model.ItemEncoder())
		}
	}
}
