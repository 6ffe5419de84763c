package runfolder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

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

// Folder is a run folder: the configuration, the record of the data, the checkpoints, the
// training history and the published model of one training run, with the report written beside
// the model. Everything `gometric eval`, `embed` and `match` need is in it. A Folder reads and
// writes the files; what they mean (the configuration, the data, the model) is package train's.
type Folder struct {
	// Dir is the folder.
	Dir string
}

// Path returns the path of name inside the run folder.
func (r Folder) Path(name string) string { return filepath.Join(r.Dir, name) }

// Checkpoints returns the run's training checkpoints (the two most recent are kept).
func (r Folder) Checkpoints() *Checkpoints { return &Checkpoints{Dir: r.Path(CheckpointsDir), Keep: 2} }

// Best returns the run's best-on-validation checkpoint.
func (r Folder) Best() *Checkpoints { return &Checkpoints{Dir: r.Path(BestDir), Keep: 1} }

// WriteJSON writes v as indented JSON to the file name in the run folder, atomically.
func (r Folder) WriteJSON(name string, v any) error {
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
func (r Folder) ReadJSON(name string, v any) error {
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

// History reads the run's training history (empty when there is none yet).
func (r Folder) History() (History, error) {
	var h History
	if _, err := os.Stat(r.Path(HistoryFile)); errors.Is(err, os.ErrNotExist) {
		return h, nil
	}
	err := r.ReadJSON(HistoryFile, &h)
	return h, err
}

// Info reads the published model's manifest (see ModelInfo.Validate).
func (r Folder) Info() (ModelInfo, error) {
	dir, err := r.PublishedDir()
	if err != nil {
		return ModelInfo{}, err
	}
	return ReadModelInfo(filepath.Join(dir, ModelFile))
}

// ModelPath returns the path of name inside the published model's folder.
func (r Folder) ModelPath(name string) (string, error) {
	dir, err := r.PublishedDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
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

// ReadModelInfo reads and checks the manifest at path; unknown fields are an error.
func ReadModelInfo(path string) (ModelInfo, error) {
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

// History is the record of a training run: the training loss and the validation metric by step.
type History struct {
	// Loss holds the exponential moving average of the training loss (train.LossEMADecay), sampled along
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

// Point is a value at a training step.
type Point struct {
	Step  int     `json:"step"`
	Value float64 `json:"value"`
}

// Truncate drops the points after step (for a run resumed from an earlier checkpoint).
func (h *History) Truncate(step int) {
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

// Best returns the best validation point (highest value; the earliest among equals), ok false when
// there is none.
func (h *History) Best() (p Point, ok bool) {
	for _, v := range h.Val {
		if !ok || v.Value > p.Value {
			p, ok = v, true
		}
	}
	return p, ok
}
