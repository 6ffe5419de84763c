package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/gometric/gometric/encoders"
)

// Files and folders of a run folder.
const (
	// ConfigFile holds the run's Config.
	ConfigFile = "config.json"
	// ModelDir is the published model: its weights, ModelFile (the manifest that names everything
	// else needed to use them: encoder, input normalisation, frozen threshold) and the report of
	// that model (metrics.json, report.md, plots, TestPairsFile). It is replaced as a whole, in one
	// atomic step, so what it holds always belongs together.
	ModelDir = "model"
	// ModelFile, inside ModelDir, holds the ModelInfo.
	ModelFile = "model.json"
	// HistoryFile holds the History of the training loss and validation metric.
	HistoryFile = "history.json"
	// CheckpointsDir holds the most recent training checkpoints (weights and optimizer state), for
	// resuming.
	CheckpointsDir = "checkpoints"
	// BestDir holds the training checkpoint with the best validation metric so far.
	BestDir = "best"
	// TestPairsFile, inside ModelDir, holds the labeled test pairs the report scored, as JSON Lines
	// with inline feature vectors: `gometric match RUN --pairs RUN/model/test-pairs.jsonl`
	// reproduces the report's test-pair accuracy and F1.
	TestPairsFile = "test-pairs.jsonl"
)

// Run is a run folder: the configuration, the checkpoints, the model description and the training
// history of one training run, plus whatever reports are written beside them. Everything
// `gometric eval`, `embed` and `match` need is in it.
type Run struct {
	// Dir is the folder.
	Dir string
}

// Path returns the path of name inside the run folder.
func (r Run) Path(name string) string { return filepath.Join(r.Dir, name) }

// Checkpoints returns the run's training checkpoints (the two most recent are kept).
func (r Run) Checkpoints() *Checkpoints { return &Checkpoints{Dir: r.Path(CheckpointsDir), Keep: 2} }

// Best returns the run's best-on-validation checkpoint.
func (r Run) Best() *Checkpoints { return &Checkpoints{Dir: r.Path(BestDir), Keep: 1} }

// WriteJSON writes v as indented JSON to the file name in the run folder, atomically.
func (r Run) WriteJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(r.Path(name), append(data, '\n'))
}

// ReadJSON reads the JSON file name of the run folder into v.
func (r Run) ReadJSON(name string, v any) error {
	data, err := os.ReadFile(r.Path(name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s is not a run folder (no %s): %w", r.Dir, name, err)
		}
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", r.Path(name), err)
	}
	return nil
}

// Config reads the run's configuration.
func (r Run) Config() (Config, error) {
	var c Config
	err := r.ReadJSON(ConfigFile, &c)
	return c, err
}

// History reads the run's training history (empty when there is none yet).
func (r Run) History() (History, error) {
	var h History
	if _, err := os.Stat(r.Path(HistoryFile)); errors.Is(err, os.ErrNotExist) {
		return h, nil
	}
	err := r.ReadJSON(HistoryFile, &h)
	return h, err
}

// Info reads the published model's manifest (see ModelInfo.Validate).
func (r Run) Info() (ModelInfo, error) {
	dir, err := r.modelDir()
	if err != nil {
		return ModelInfo{}, err
	}
	return readModelInfo(filepath.Join(dir, ModelFile))
}

// ModelPath returns the path of name inside the published model's folder.
func (r Run) ModelPath(name string) (string, error) {
	dir, err := r.modelDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// LoadModel loads the run's published model onto backend b: the weights, encoder, normalisation and
// threshold of one manifest, published together. A run trained with an encoder of the caller's own
// loads with LoadModelWith.
func (r Run) LoadModel(b backends.Backend) (*Model, error) {
	return r.LoadModelWith(b, nil)
}

// LoadModelWith is LoadModel for a run trained with an encoder of the caller's own
// (train.Options.Encoder): enc must be that encoder (its variables are read from the checkpoint).
// With enc nil it is LoadModel.
func (r Run) LoadModelWith(b backends.Backend, enc encoders.ItemEncoder) (*Model, error) {
	dir, err := r.modelDir()
	if err != nil {
		return nil, err
	}
	info, err := readModelInfo(filepath.Join(dir, ModelFile))
	if err != nil {
		return nil, err
	}
	var m *Model
	switch {
	case enc != nil:
		m, err = LoadModelWith(b, dir, info.Encoder, enc, info.Normalizer)
	case info.Encoder.Kind == encoders.KindCustom:
		err = fmt.Errorf("the model's encoder is the caller's own (%s): load it from Go with Run.LoadModelWith and that encoder", info.Encoder)
	default:
		m, err = LoadModel(b, dir, info.Encoder, info.Normalizer)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Dir, err)
	}
	if info.Threshold != nil {
		m.Threshold = *info.Threshold
	}
	return m, nil
}

// ModelFormat is the version of ModelInfo that this package writes and reads.
const ModelFormat = 2

// ModelInfo is the content of model.json, the manifest of a published model: the encoder, the input
// normalisation and the frozen match threshold of the weights beside it, and where they come from.
type ModelInfo struct {
	// Format is ModelFormat.
	Format int `json:"format"`
	// Encoder describes the encoder (encoders.New rebuilds it).
	Encoder encoders.Spec `json:"encoder"`
	// Normalizer is applied to raw inputs before the encoder.
	Normalizer encoders.Normalizer `json:"normalizer"`
	// Embeddings says how embeddings are compared: EmbeddingsCosine (they are L2-normalised).
	Embeddings string `json:"embeddings"`
	// Threshold is the cosine-similarity threshold at and above which two items match, chosen on
	// the validation pairs (maximum accuracy) and frozen; nil when there was none.
	Threshold *float64 `json:"threshold"`
	// Step is the training step of the weights.
	Step int `json:"step"`
	// ValMetric and ValValue are the validation metric and its value for those weights.
	ValMetric string   `json:"val_metric,omitempty"`
	ValValue  *float64 `json:"val_value,omitempty"`
	// Data names the training data; DataContent is its content fingerprint (DataRecord.Content).
	Data        string `json:"data"`
	DataContent string `json:"data_content,omitempty"`
	// Created is when the model was published.
	Created time.Time `json:"created"`
}

// EmbeddingsCosine is the only kind of ModelInfo.Embeddings: L2-normalised embeddings compared by
// cosine similarity.
const EmbeddingsCosine = "cosine"

// Validate checks the manifest: a known format, a valid encoder and normaliser, a known kind of
// embeddings, a finite threshold in [-1, 1] and a non-negative step.
func (info ModelInfo) Validate() error {
	if info.Format != ModelFormat {
		return fmt.Errorf("model format %d, this gometric reads format %d", info.Format, ModelFormat)
	}
	if err := info.Encoder.Validate(); err != nil {
		return fmt.Errorf("encoder: %w", err)
	}
	if err := info.Normalizer.Validate(info.Encoder.InputDim); err != nil {
		return fmt.Errorf("normalizer: %w", err)
	}
	if info.Embeddings != EmbeddingsCosine {
		return fmt.Errorf("unknown embeddings %q (want %q)", info.Embeddings, EmbeddingsCosine)
	}
	if t := info.Threshold; t != nil && !(*t >= -1 && *t <= 1) {
		return fmt.Errorf("threshold %v is not a cosine similarity in [-1, 1]", *t)
	}
	if info.Step < 0 {
		return fmt.Errorf("negative step %d", info.Step)
	}
	return nil
}

// readModelInfo reads and checks a manifest; unknown fields are an error.
func readModelInfo(path string) (ModelInfo, error) {
	var info ModelInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return info, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	if dec.More() {
		return info, fmt.Errorf("%s: data after the manifest", path)
	}
	if err := info.Validate(); err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// floatPtr returns a pointer to v, or nil when v is NaN (JSON has no NaN).
func floatPtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// History is the record of a training run: the training loss and the validation metric by step.
type History struct {
	// Loss holds the exponential moving average of the training loss (LossEMADecay), sampled along
	// training.
	Loss []Point `json:"loss"`
	// Val holds the validation metric at each evaluation.
	Val []Point `json:"val"`
	// ValMetric names the validation metric.
	ValMetric string `json:"val_metric"`
	// Untrained is the validation metric of the untrained encoder (the weights at step 0), nil when
	// it was not measured.
	Untrained *float64 `json:"untrained,omitempty"`
	// LossEMA holds the moving average's state at each evaluation step, so that a resumed run
	// continues the same curve.
	LossEMA []Point `json:"loss_ema,omitempty"`
}

// LossEMADecay is the decay of History.Loss's moving average.
const LossEMADecay = 0.99

// Point is a value at a training step.
type Point struct {
	Step  int     `json:"step"`
	Value float64 `json:"value"`
}

// truncate drops the points after step (for a run resumed from an earlier checkpoint).
func (h *History) truncate(step int) {
	cut := func(ps []Point) []Point {
		for i, p := range ps {
			if p.Step > step {
				return ps[:i]
			}
		}
		return ps
	}
	h.Loss, h.Val, h.LossEMA = cut(h.Loss), cut(h.Val), cut(h.LossEMA)
}

// best returns the best validation point (highest value; the earliest among equals), ok false when
// there is none.
func (h *History) best() (p Point, ok bool) {
	for _, v := range h.Val {
		if !ok || v.Value > p.Value {
			p, ok = v, true
		}
	}
	return p, ok
}
