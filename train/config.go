package train

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/pairs"
	"github.com/gometric/gometric/text"
)

// Kinds of training batch, for Config.Batches.
const (
	// BatchesAuto picks BatchesClasses when the data is an items file alone, else BatchesPairs.
	BatchesAuto = ""
	// BatchesPairs trains on batches of labeled pairs: each pair's two sides go through the same
	// encoder, and pairs.Loss turns the batch into the loss's inputs under Config.PairMode.
	BatchesPairs = "pairs"
	// BatchesClasses trains on batches of class-labelled items (M items of each of several classes,
	// PML's MPerClassSampler), with the loss computed from the embeddings and their labels.
	BatchesClasses = "classes"
)

// Normalisations of input features, for Config.Normalize.
const (
	// NormalizeStandard standardises each feature with the training items' mean and standard
	// deviation (see encoders.FitStandard).
	NormalizeStandard = "standard"
	// NormalizeGlobal centres and scales all features by the training items' overall mean and
	// standard deviation (see encoders.FitGlobal), keeping their relative scale.
	NormalizeGlobal = "global"
	// NormalizeNone feeds the features as they are.
	NormalizeNone = "none"
)

// Learning-rate schedules, for Config.Schedule.
const (
	// ScheduleCosine anneals the learning rate from Config.LR to 0 along a half cosine over the
	// run's steps.
	ScheduleCosine = "cosine"
	// ScheduleConstant keeps the learning rate at Config.LR.
	ScheduleConstant = "constant"
)

// NormalizeNames lists the input normalisations.
func NormalizeNames() []string { return []string{NormalizeGlobal, NormalizeStandard, NormalizeNone} }

// Config is everything that defines a training run: the data, the encoder, the objective and the
// optimisation. It is stored as config.json in the run folder, so a run can be resumed, evaluated
// and reproduced from its folder alone. DefaultConfig holds the defaults of `gometric train`.
type Config struct {
	// Dataset is a built-in data set (datasets.Names: "digits", "mnist", "fashion-mnist", and the
	// graph data sets "molecules" and "graph-edit", see DefaultConfigFor). Used when neither Items
	// nor Pairs is set.
	Dataset string `json:"dataset,omitempty"`
	// Items is an items file (CSV or JSON Lines; see datasets.ReadItems): the items that Pairs
	// names by id, or, alone, class-labelled items to train from.
	Items string `json:"items,omitempty"`
	// Pairs is a labeled pairs file (CSV or JSON Lines; see datasets.ReadPairs).
	Pairs string `json:"pairs,omitempty"`
	// SkipBadLines skips malformed lines of Items and Pairs (reporting them) instead of failing.
	SkipBadLines bool `json:"skip_bad_lines,omitempty"`
	// Duplicates is what to do with a line of Pairs that repeats an earlier pair exactly:
	// DuplicatesKeepFirst ("" or "keep-first": keep the first, list the repeats) or "error".
	Duplicates string `json:"duplicates,omitempty"`

	// Split are the fractions of training, validation and test items (class-labelled data, split
	// class by class) or pairs (a pairs file, split at random). For a data set with an official
	// test split (MNIST) the test split is the official one and the official training items are
	// split into training and validation in the ratio Split.Train : Split.Val.
	Split datasets.Fractions `json:"split"`
	// SplitByClass splits class-labelled items by class (datasets.ClassSplit: every class whole in
	// one split, so that no test class is seen in training; the fractions are of items, met as
	// whole classes allow) instead of class by class. The molecules data set splits so, by
	// scaffold.
	SplitByClass bool `json:"split_by_class,omitempty"`
	// ValItems caps the number of validation items whose retrieval metric (MAP@R) is tracked during
	// training (a stratified sample); 0 means all.
	ValItems int `json:"val_items"`
	// EvalPairs is the number of labeled pairs drawn from the validation items (to choose the match
	// threshold) and from the test items (to report verification metrics), half positive.
	EvalPairs int `json:"eval_pairs"`
	// PairsPerEpoch is the number of training pairs drawn from the training items for each epoch
	// (fresh pairs every epoch, half positive); 0 means 16 per training item. Ignored for a pairs
	// file, whose epochs are its training pairs.
	PairsPerEpoch int `json:"pairs_per_epoch"`
	// PositiveFraction is the share of positive pairs drawn from class-labelled items.
	PositiveFraction float64 `json:"positive_fraction"`
	// Normalize is how input features are normalised: NormalizeGlobal, NormalizeStandard or
	// NormalizeNone. It applies to feature vectors; items of other kinds (graphs) go to the encoder
	// as they are (the command sets NormalizeNone for them).
	Normalize string `json:"normalize"`

	// Encoder is the encoder's kind: encoders.KindMLP or encoders.KindCNN for feature vectors,
	// encoders.KindGNN for graphs, or encoders.KindCustom for an encoder passed to Fit
	// (Options.Encoder).
	Encoder string `json:"encoder"`
	// EmbeddingDim is the size of the embeddings.
	EmbeddingDim int `json:"embedding_dim"`
	// Hidden are the encoder's hidden Dense widths (nil: the kind's default).
	Hidden []int `json:"hidden,omitempty"`
	// Channels are the CNN's conv block channels (nil: the default).
	Channels []int `json:"channels,omitempty"`
	// GNNHidden, GNNLayers and GNNLabelDim are the gnn's node state width, message-passing layers
	// and node label embedding width (0: package graphs' defaults, 64, 3 and 32); GNNLearnEps
	// learns each layer's GIN eps.
	GNNHidden   int  `json:"gnn_hidden,omitempty"`
	GNNLayers   int  `json:"gnn_layers,omitempty"`
	GNNLabelDim int  `json:"gnn_label_dim,omitempty"`
	GNNLearnEps bool `json:"gnn_learn_eps,omitempty"`
	// TextBuckets, TextDim and TextPool size the text encoder (TextEncoderFor): hash buckets (0:
	// DefaultTextBuckets), the width of the bucket embeddings (0: text.DefaultEmbedDim) and how the
	// bag pools them ("": mean; text.PoolMean, PoolSum or PoolSqrt).
	TextBuckets int    `json:"text_buckets,omitempty"`
	TextDim     int    `json:"text_dim,omitempty"`
	TextPool    string `json:"text_pool,omitempty"`

	// Loss names the loss (losses.Names), with PML's default parameters.
	Loss string `json:"loss"`
	// Batches is BatchesPairs, BatchesClasses or BatchesAuto.
	Batches string `json:"batches,omitempty"`
	// PairMode is how a pair batch becomes the loss's inputs (pairs.ModeNames).
	PairMode string `json:"pair_mode"`
	// Miner names a miner (miners.Names); empty for none.
	Miner string `json:"miner,omitempty"`
	// ClassifierLossWeight is PML's TrainWithClassifier's loss_weights["classifier_loss"]: when
	// positive, a classifier head (a Dense layer from the embeddings to the training items'
	// classes, in the context scope ClassifierScope) is trained with the encoder, and the training
	// loss is MetricLossWeight × the metric loss + ClassifierLossWeight × the classifier's
	// cross-entropy (torch.nn.CrossEntropyLoss). It needs class-labelled items and trains on class
	// batches (a pairs file has no classes). The head is saved in the checkpoints with the encoder,
	// and is no part of the embedding. 0, the default, trains the metric loss alone (PML's
	// MetricLossOnly); PML weighs every loss 1 when loss_weights is not given, so
	// TrainWithClassifier with PML's defaults is ClassifierLossWeight 1.
	ClassifierLossWeight float64 `json:"classifier_loss_weight,omitempty"`
	// MetricLossWeight is PML's loss_weights["metric_loss"], the weight of the metric loss (Loss);
	// nil means PML's default, 1 (DefaultMetricLossWeight). 0 leaves the metric loss out (training
	// the classifier alone: it then needs a positive ClassifierLossWeight).
	MetricLossWeight *float64 `json:"metric_loss_weight,omitempty"`

	// Steps is the number of training steps; when Epochs is set, Steps is Epochs times the steps of
	// one epoch instead.
	Steps int `json:"steps"`
	// Epochs, when positive, sets the length of training in epochs.
	Epochs int `json:"epochs,omitempty"`
	// BatchSize is the number of pairs (or items, for class batches) per step. Every batch has
	// exactly this size, so the training step is compiled once.
	BatchSize int `json:"batch_size"`
	// LR is Adam's (initial) learning rate.
	LR float64 `json:"lr"`
	// Schedule is the learning-rate schedule: ScheduleCosine (annealed to 0 over the run) or
	// ScheduleConstant.
	Schedule string `json:"schedule"`
	// Seed seeds the split, the pair sampling, the batches and the weight initialisation.
	Seed uint64 `json:"seed"`
	// EvalEvery is the number of steps between validation evaluations (and checkpoints); 0 means
	// about 10 evaluations per run.
	EvalEvery int `json:"eval_every"`
	// Patience stops training early after this many validation evaluations without improvement of
	// the validation metric; 0 never stops early. The model kept is the best one on validation.
	Patience int `json:"patience"`
	// Backend is the GoMLX backend configuration ("" for $GOMLX_BACKEND, else the pure-Go backend).
	Backend string `json:"backend,omitempty"`
	// LossEngine is where the training step computes the metric loss and its gradient:
	// LossEngineAuto ("" too), LossEngineGraph or LossEngineHost (see there).
	LossEngine string `json:"loss_engine,omitempty"`
}

// DefaultConfig returns the defaults of `gometric train`: NT-Xent with the label construction on
// pairs of the built-in digits data, an MLP encoder, 1,500 steps of 64 pairs.
func DefaultConfig() Config {
	return Config{
		Dataset:          "digits",
		Split:            datasets.Fractions{Train: 0.6, Val: 0.2, Test: 0.2},
		ValItems:         2000,
		EvalPairs:        2000,
		PositiveFraction: datasets.DefaultPositiveFraction,
		Normalize:        NormalizeGlobal,
		Encoder:          encoders.KindMLP,
		EmbeddingDim:     128,
		Loss:             "ntxent",
		PairMode:         pairs.LabelConstruction.String(),
		Steps:            1500,
		BatchSize:        64,
		LR:               2e-3,
		Schedule:         ScheduleCosine,
		Seed:             1,
		Patience:         0,
	}
}

// DataName returns a short name for the configured data: the data set's name, or the items and
// pairs files' base names.
func (c Config) DataName() string {
	switch {
	case c.Pairs != "":
		return "pairs " + baseName(c.Pairs)
	case c.Items != "":
		return "items " + baseName(c.Items)
	}
	return c.Dataset
}

// BatchKind returns the kind of training batch, resolving BatchesAuto: class batches for an items
// file alone, for the losses with learnable class parameters (IsClassLoss) and for a classifier
// head (ClassifierLossWeight), else pairs.
func (c Config) BatchKind() string {
	if c.Batches == BatchesAuto {
		if (c.Items != "" && c.Pairs == "") || (c.Pairs == "" && (IsClassLoss(c.Loss) || c.ClassifierLossWeight > 0)) {
			return BatchesClasses
		}
		return BatchesPairs
	}
	return c.Batches
}

// Validate reports the first invalid setting of c, in words a command-line user can act on.
func (c Config) Validate() error {
	if c.Pairs == "" && c.Items == "" {
		if !slices.Contains(datasets.Names(), c.Dataset) {
			return fmt.Errorf("unknown data set %q (built-in: %s)", c.Dataset, strings.Join(datasets.Names(), ", "))
		}
	}
	if _, err := c.duplicatePolicy(); err != nil {
		return err
	}
	if c.SplitByClass && c.pairsOnly() {
		return fmt.Errorf("split by class needs class-labelled items, not pairs")
	}
	f := c.Split
	for _, v := range []float64{f.Train, f.Val, f.Test} {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("split fractions must be in [0, 1], got %v/%v/%v", f.Train, f.Val, f.Test)
		}
	}
	if math.Abs(f.Train+f.Val+f.Test-1) > 1e-6 || f.Train <= 0 || f.Val <= 0 || f.Test <= 0 {
		return fmt.Errorf("split fractions must be positive and sum to 1, got %v/%v/%v", f.Train, f.Val, f.Test)
	}
	if c.ValItems < 0 || c.EvalPairs < 0 || c.PairsPerEpoch < 0 {
		return fmt.Errorf("val items, eval pairs and pairs per epoch must not be negative")
	}
	if !(c.PositiveFraction > 0 && c.PositiveFraction < 1) {
		return fmt.Errorf("positive fraction must be in (0, 1), got %v", c.PositiveFraction)
	}
	if !slices.Contains(NormalizeNames(), c.Normalize) {
		return fmt.Errorf("unknown normalisation %q (want one of %s)", c.Normalize, strings.Join(NormalizeNames(), ", "))
	}
	if c.GNNHidden < 0 || c.GNNLayers < 0 || c.GNNLabelDim < 0 {
		return fmt.Errorf("gnn sizes must not be negative")
	}
	if c.TextBuckets < 0 || c.TextDim < 0 {
		return fmt.Errorf("text encoder sizes must not be negative")
	}
	if p := text.Pool(c.TextPool); p != "" && p != text.PoolMean && p != text.PoolSum && p != text.PoolSqrt {
		return fmt.Errorf("unknown text pooling %q (want %s, %s or %s)", c.TextPool, text.PoolMean, text.PoolSum, text.PoolSqrt)
	}
	if !slices.Contains(encoders.Kinds(), c.Encoder) && c.Encoder != encoders.KindCustom {
		return fmt.Errorf("unknown encoder %q (want one of %s)", c.Encoder, strings.Join(encoders.Kinds(), ", "))
	}
	if c.EmbeddingDim <= 0 {
		return fmt.Errorf("embedding dimension must be positive, got %d", c.EmbeddingDim)
	}
	if _, err := NewLoss(c.Loss); err != nil {
		return err
	}
	switch c.Batches {
	case BatchesAuto, BatchesPairs, BatchesClasses:
	default:
		return fmt.Errorf("unknown batch kind %q (want %s or %s)", c.Batches, BatchesPairs, BatchesClasses)
	}
	if c.BatchKind() == BatchesClasses && c.Pairs != "" {
		return fmt.Errorf("class batches need class-labelled items, not a pairs file")
	}
	if IsClassLoss(c.Loss) && c.BatchKind() != BatchesClasses {
		return fmt.Errorf("loss %s learns one parameter per class: it trains on class batches of class-labelled items (--batches classes), not on pairs", c.Loss)
	}
	if _, err := pairs.ParseMode(c.PairMode); err != nil {
		return err
	}
	if _, err := NewMiner(c.Miner); err != nil {
		return err
	}
	if err := c.validateLossWeights(); err != nil {
		return err
	}
	if c.Steps <= 0 && c.Epochs <= 0 {
		return fmt.Errorf("give a positive number of steps or epochs")
	}
	if c.Steps < 0 || c.Epochs < 0 {
		return fmt.Errorf("steps and epochs must not be negative")
	}
	if c.BatchSize < 2 {
		return fmt.Errorf("batch size must be at least 2, got %d", c.BatchSize)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return fmt.Errorf("learning rate must be positive, got %v", c.LR)
	}
	if c.LossEngine != "" && !slices.Contains(LossEngines, c.LossEngine) {
		return fmt.Errorf("unknown loss engine %q (want %s)", c.LossEngine, strings.Join(LossEngines, ", "))
	}
	if c.Schedule != ScheduleCosine && c.Schedule != ScheduleConstant {
		return fmt.Errorf("unknown learning-rate schedule %q (want %s or %s)", c.Schedule, ScheduleCosine, ScheduleConstant)
	}
	if c.EvalEvery < 0 || c.Patience < 0 {
		return fmt.Errorf("eval-every and patience must not be negative")
	}
	// Sizes last: the run's length and memory (bounds.go), before anything is allocated.
	return c.checkSizes()
}

// MetricWeight returns the weight of the metric loss: MetricLossWeight, or PML's default 1 when it
// is nil.
func (c Config) MetricWeight() float64 {
	if c.MetricLossWeight == nil {
		return DefaultMetricLossWeight
	}
	return *c.MetricLossWeight
}

// pairsOnly reports whether the configured data is labeled pairs without class labels: a pairs file,
// or the built-in graph-edit pairs.
func (c Config) pairsOnly() bool {
	return c.Pairs != "" || c.Dataset == "graph-edit" && c.Items == ""
}

// validateLossWeights checks the trainer's loss weights (PML's loss_weights).
func (c Config) validateLossWeights() error {
	wm, wc := c.MetricWeight(), c.ClassifierLossWeight
	for _, w := range []struct {
		name string
		v    float64
	}{{"metric", wm}, {"classifier", wc}} {
		if !(w.v >= 0) || math.IsInf(w.v, 0) {
			return fmt.Errorf("%s loss weight must be a finite number ≥ 0, got %v", w.name, w.v)
		}
	}
	switch {
	case wm == 0 && wc == 0:
		return fmt.Errorf("the metric and classifier loss weights are both 0: nothing to train")
	case wc == 0:
		return nil
	case c.pairsOnly():
		return fmt.Errorf("the classifier head (classifier loss weight %v) needs class-labelled items: labeled pairs have no classes to predict", wc)
	case c.BatchKind() != BatchesClasses:
		return fmt.Errorf("the classifier head (classifier loss weight %v) trains on class batches of class-labelled items (--batches classes), not on pairs", wc)
	}
	return nil
}

// EncoderSpec returns the encoder description for inputDim features.
func (c Config) EncoderSpec(inputDim int) encoders.Spec {
	return encoders.Spec{
		Kind:         c.Encoder,
		InputDim:     inputDim,
		EmbeddingDim: c.EmbeddingDim,
		Hidden:       slices.Clone(c.Hidden),
		Channels:     slices.Clone(c.Channels),
	}.WithDefaults()
}

// MarshalIndent returns c as indented JSON, as config.json holds it.
func (c Config) MarshalIndent() ([]byte, error) { return json.MarshalIndent(c, "", "  ") }

// baseName returns the last element of a slash- or backslash-separated path.
func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// Duplicate-pair policies, for Config.Duplicates.
const (
	// DuplicatesKeepFirst keeps the first copy of a repeated pair and lists the others.
	DuplicatesKeepFirst = "keep-first"
	// DuplicatesError makes a repeated pair a malformed line (an error, or skipped with
	// SkipBadLines).
	DuplicatesError = "error"
)

// readOptions returns the options the data files are read with.
func (c Config) readOptions() (*datasets.ReadOptions, error) {
	dup, err := c.duplicatePolicy()
	if err != nil {
		return nil, err
	}
	return &datasets.ReadOptions{SkipBadLines: c.SkipBadLines, Duplicates: dup}, nil
}

// duplicatePolicy resolves Config.Duplicates.
func (c Config) duplicatePolicy() (datasets.DuplicatePolicy, error) {
	switch c.Duplicates {
	case "", DuplicatesKeepFirst:
		return datasets.DuplicatesKeepFirst, nil
	case DuplicatesError:
		return datasets.DuplicatesError, nil
	}
	return 0, fmt.Errorf("unknown duplicates policy %q (want %s or %s)", c.Duplicates, DuplicatesKeepFirst, DuplicatesError)
}
