package train

import (
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
	// ModelFile holds the ModelInfo: what is needed, besides the weights, to use the model.
	ModelFile = "model.json"
	// HistoryFile holds the History of the training loss and validation metric.
	HistoryFile = "history.json"
	// CheckpointsDir holds the most recent training checkpoints (weights and optimizer state), for
	// resuming.
	CheckpointsDir = "checkpoints"
	// BestDir holds the checkpoint with the best validation metric so far.
	BestDir = "best"
	// TestPairsFile holds the labeled test pairs the report scored, as JSON Lines with inline
	// feature vectors: `gometric match RUN --pairs RUN/test-pairs.jsonl` reproduces the report's
	// test-pair accuracy and F1.
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

// Info reads the run's model description.
func (r Run) Info() (ModelInfo, error) {
	var info ModelInfo
	err := r.ReadJSON(ModelFile, &info)
	return info, err
}

// LoadModel loads the run's trained model (the weights model.json names) onto backend b.
func (r Run) LoadModel(b backends.Backend) (*Model, error) {
	info, err := r.Info()
	if err != nil {
		return nil, err
	}
	store := r.Checkpoints()
	if info.Weights == BestDir {
		store = r.Best()
	}
	dir, _, err := store.Latest()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, fmt.Errorf("%s: no checkpoint in %s", r.Dir, store.Dir)
	}
	m, err := LoadModel(b, dir, info.Encoder, info.Normalizer)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Dir, err)
	}
	if info.Threshold != nil {
		m.Threshold = *info.Threshold
	}
	return m, nil
}

// ModelInfo is the content of model.json: the encoder, the input normalisation, the frozen match
// threshold and where the weights are.
type ModelInfo struct {
	// Encoder describes the encoder (encoders.New rebuilds it).
	Encoder encoders.Spec `json:"encoder"`
	// Normalizer is applied to raw inputs before the encoder.
	Normalizer encoders.Normalizer `json:"normalizer"`
	// Embeddings says how embeddings are compared: "cosine" (they are L2-normalised).
	Embeddings string `json:"embeddings"`
	// Threshold is the cosine-similarity threshold at and above which two items match, chosen on
	// the validation pairs (maximum accuracy) and frozen; nil when there was none.
	Threshold *float64 `json:"threshold"`
	// Weights names the checkpoint folder whose latest checkpoint holds the weights: BestDir or
	// CheckpointsDir.
	Weights string `json:"weights"`
	// Step is the training step of those weights.
	Step int `json:"step"`
	// ValMetric and ValValue are the validation metric and its value for those weights.
	ValMetric string   `json:"val_metric,omitempty"`
	ValValue  *float64 `json:"val_value,omitempty"`
	// Data names the training data.
	Data string `json:"data"`
	// Created is when training finished.
	Created time.Time `json:"created"`
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
	// Loss holds the moving average of the training loss, sampled along training.
	Loss []Point `json:"loss"`
	// Val holds the validation metric at each evaluation.
	Val []Point `json:"val"`
	// ValMetric names the validation metric.
	ValMetric string `json:"val_metric"`
}

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
	h.Loss, h.Val = cut(h.Loss), cut(h.Val)
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
