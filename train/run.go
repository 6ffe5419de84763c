package train

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"

	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/runfolder"
)

// RunConfig reads the configuration of the run in folder run (its runfolder.ConfigFile).
func RunConfig(run runfolder.Folder) (Config, error) {
	var c Config
	err := run.ReadJSON(runfolder.ConfigFile, &c)
	return c, err
}

// LoadRunModel loads the published model of the run in folder run onto backend b: the weights,
// encoder, normalisation and threshold of one manifest (runfolder.ModelInfo), published together.
// A run trained with an encoder of the caller's own loads with LoadRunModelWith.
func LoadRunModel(run runfolder.Folder, b backends.Backend) (*Model, error) {
	return LoadRunModelWith(run, b, nil)
}

// LoadRunModelWith is LoadRunModel for a run trained with an encoder of the caller's own
// (Options.Encoder): enc must be that encoder (its variables are read from the checkpoint). With enc
// nil it is LoadRunModel.
func LoadRunModelWith(run runfolder.Folder, b backends.Backend, enc encoders.ItemEncoder) (*Model, error) {
	dir, err := run.PublishedDir()
	if err != nil {
		return nil, err
	}
	info, err := runfolder.ReadModelInfo(filepath.Join(dir, runfolder.ModelFile)) // the manifest of the weights in dir
	if err != nil {
		return nil, err
	}
	var m *Model
	switch {
	case enc != nil:
		m, err = LoadModelWith(b, dir, info.Encoder, enc, info.Normalizer)
	case info.Encoder.Kind == encoders.KindCustom:
		err = fmt.Errorf("the model's encoder is the caller's own (%s): load it from Go with train.LoadRunModelWith and that encoder", info.Encoder)
	default:
		m, err = LoadModel(b, dir, info.Encoder, info.Normalizer)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", run.Dir, err)
	}
	if info.Threshold != nil {
		m.Threshold = *info.Threshold
	}
	return m, nil
}

// LossEMADecay is the decay of the moving average of the training loss that the run's history
// records (runfolder.History.Loss).
const LossEMADecay = 0.99

// floatPtr returns a pointer to v, or nil when v is NaN (JSON has no NaN).
func floatPtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
