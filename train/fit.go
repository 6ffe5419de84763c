package train

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	gomlxtrain "github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers/cosineschedule"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/dotgrad"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/internal/fault"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/miners"
	"github.com/gometric/gometric/pairs"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/text"
)

// Names of the validation metric that Fit tracks.
const (
	// ValMAPAtR is the validation items' MAP@R (class-labelled data).
	ValMAPAtR = "MAP@R"
	// ValAveragePrecision is the validation pairs' average precision (a pairs file).
	ValAveragePrecision = "AP"
)

// Options are how Fit runs, beyond what the Config fixes.
type Options struct {
	// Backend runs the graphs; nil means backend.New(cfg.Backend).
	Backend backends.Backend
	// RunDir is the run folder to write (config, checkpoints, model description, history). Empty:
	// nothing is written (the best-on-validation weights go to a temporary folder).
	RunDir string
	// Resume continues the run in RunDir from its latest checkpoint.
	Resume bool
	// Progress, when set, is told the status after every step.
	Progress Progress
	// Log, when set, receives one-line notes (resuming, early stopping, skipped input lines) and
	// warnings.
	Log io.Writer
	// Report, when set (with RunDir), writes the report of the trained model into dir, the folder
	// that is then published as the run's model (runfolder.Folder.Publish) with the model's weights and manifest,
	// so that the report always describes the published weights.
	Report func(res *Result, dir string) error
	// Encoder, when set, is the caller's own encoder, trained instead of a built-in one: the
	// Config's Encoder must then be encoders.KindCustom (config.json says so), and its EmbeddingDim
	// the encoder's output width (class losses size their parameters by it). It takes the data's
	// kind of items (feature vectors: embed encoders.VectorInputs; graphs: pack them as
	// graphs.Encoder does). Its name in the manifest is its String() when it has one. Loading the
	// run's model takes the same encoder again (LoadRunModelWith).
	Encoder encoders.ItemEncoder
}

// Result is the outcome of Fit.
type Result struct {
	// Model is the trained model: the weights with the best validation metric (the last weights
	// when nothing was validated), with its match threshold chosen on the validation pairs.
	Model *Model
	// Threshold is the frozen match threshold, as package eval describes it.
	Threshold eval.Threshold
	// History records the training loss and the validation metric.
	History runfolder.History
	// StartStep is the step this run started from (non-zero when resumed); Steps the step it
	// ended at; BestStep the step of the kept weights.
	StartStep, Steps, BestStep int
	// StepsPerEpoch is the number of steps in one epoch.
	StepsPerEpoch int
	// StoppedEarly says that early stopping ended training before Steps reached the configured
	// number.
	StoppedEarly bool
	// TrainTime is the time spent in training steps and validation; StepsPerSecond the speed.
	TrainTime      time.Duration
	StepsPerSecond float64
	// InputShapes is the number of distinct input shapes of the training batches this call ran
	// (graph batches: distinct budgets): the training step compiled once for each.
	InputShapes int
}

// errStopEarly ends the training loop from the validation hook.
var errStopEarly = errors.New("early stop")

// Fit trains an encoder on data as cfg says, with GoMLX's trainer and training loop (Adam,
// static batch shapes), validating every cfg.EvalEvery steps and checkpointing when opts.RunDir is
// set; see the package documentation. GoMLX panics are returned as errors.
func Fit(cfg Config, data *Data, opts Options) (res *Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("training failed: %v", r)
		}
	}()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.RunDir != "" {
		run := runfolder.Folder{Dir: opts.RunDir}
		unlock, note, err := run.Lock()
		if err != nil {
			return nil, err
		}
		defer unlock()
		if note != "" && opts.Log != nil {
			fmt.Fprintln(opts.Log, "note:", note)
		}
		if !opts.Resume {
			if err := checkUntrained(run, cfg); err != nil {
				return nil, err
			}
		}
	}
	f, err := newFitter(cfg, data, opts)
	if err != nil {
		return nil, err
	}
	return f.train()
}

// fitter holds the state of one Fit call.
type fitter struct {
	cfg    Config
	data   *Data
	opts   Options
	b      backends.Backend
	run    *runfolder.Folder
	tmpDir string // best checkpoint when there is no run folder
	spec   encoders.Spec
	enc    encoders.ItemEncoder
	norm   encoders.Normalizer
	// pairBatches says the batches are pair batches; joint that both sides' items come in one
	// batch of input tensors (graphs), not one batch per side (feature vectors).
	pairBatches, joint bool
	// shapes are the distinct input shapes of the batches yielded (compilations).
	shapes map[string]bool
	loss   losses.Loss
	obj    objective // the weights of the metric loss and the classifier head (PML's loss_weights)
	mode   pairs.Mode
	miner  miners.PairMiner
	// host is the host loss engine's step (LossEngineHost), nil when the graph computes the loss;
	// numLabels is then the number of label tensors of a batch before the engine's two.
	host      *hostStep
	numLabels int
	src       batchSource
	ctx       *context.Context
	model     *Model
	total     int
	every     int
	history   runfolder.History
	log       io.Writer
	// graphCtx is the context of the graph being built, set by modelFn for lossFn (losses with
	// learnable parameters keep them in it).
	graphCtx *context.Context

	start      time.Time
	startStep  int
	lastVal    float64
	lastValAt  int
	sinceBest  int
	stopped    bool
	lossEvery  int
	lastLoss   float64 // the moving average of the training loss (History.Loss's)
	emaSteps   int     // the steps the moving average has seen (0: it starts afresh)
	finalSteps int
}

// newFitter prepares the data, the encoder, the loss and the context.
func newFitter(cfg Config, data *Data, opts Options) (*fitter, error) {
	f := &fitter{cfg: cfg, data: data, opts: opts, log: opts.Log, lastVal: math.NaN(), lastValAt: -1}
	if f.log == nil {
		f.log = io.Discard
	}
	if data == nil || data.Train == nil {
		return nil, errors.New("no training data")
	}
	var err error
	if f.b = opts.Backend; f.b == nil {
		if f.b, err = backend.New(cfg.Backend); err != nil {
			return nil, err
		}
	}
	dotgrad.Install()
	f.obj = objective{Metric: cfg.MetricWeight(), Classifier: cfg.ClassifierLossWeight}
	if f.loss, err = NewLoss(cfg.Loss); err != nil {
		return nil, err
	}
	if classLoss := IsClassLoss(cfg.Loss); classLoss || f.obj.Classifier > 0 {
		// The class parameters and the classifier head have a row per class present, indexed by
		// dense class ids (denseClasses, bounds.go), not one per integer up to the largest label.
		items, numClasses := denseClasses(data.Train)
		if numClasses == 0 {
			what := "loss " + cfg.Loss
			if !classLoss {
				what = "the classifier head"
			}
			return nil, fmt.Errorf("%s needs class-labelled training items", what)
		}
		if items != data.Train {
			dense := *data
			dense.Train = items
			f.data = &dense
		}
		f.obj.Classes = numClasses
		if classLoss {
			if err := losses.SetClasses(f.loss, numClasses, cfg.EmbeddingDim); err != nil {
				return nil, err
			}
		}
	}
	if f.mode, err = pairs.ParseMode(cfg.PairMode); err != nil {
		return nil, err
	}
	if f.miner, err = NewMiner(cfg.Miner); err != nil {
		return nil, err
	}
	if err := f.makeEncoder(); err != nil {
		return nil, err
	}
	vectors := data.Kind() == datasets.KindVector
	switch {
	case !vectors:
		// Input normalisation is of feature vectors: other items go to the encoder as they are.
	case cfg.Normalize == NormalizeStandard:
		f.norm = encoders.FitStandard(trainFeatures(data))
	case cfg.Normalize == NormalizeGlobal:
		f.norm = encoders.FitGlobal(trainFeatures(data))
	}
	if err := f.makeSource(); err != nil {
		return nil, err
	}
	spe := f.src.stepsPerEpoch()
	if spe == 0 {
		return nil, fmt.Errorf("the training data makes no batch of %d", cfg.BatchSize)
	}
	// Bounds (bounds.go), now that the data fixes the epoch, the input width and the class table:
	// a run length that would overflow, or a run the machine's memory cannot hold, is an error.
	if f.total, err = TotalSteps(cfg, spe); err != nil {
		return nil, err
	}
	if err := CheckMemory(cfg, f.spec, f.loss, f.total); err != nil {
		return nil, err
	}
	if f.every = cfg.EvalEvery; f.every <= 0 {
		f.every = max(f.total/10, 1)
	}
	f.lossEvery = max(f.total/500, 1)

	f.ctx = context.New()
	f.ctx.SetParam(context.ParamInitialSeed, int64(subSeed(cfg.Seed, seedInit)>>1))
	if opts.RunDir != "" {
		f.run = &runfolder.Folder{Dir: opts.RunDir}
	} else {
		if f.tmpDir, err = os.MkdirTemp("", "gometric-fit-*"); err != nil {
			return nil, err
		}
	}
	if opts.Resume {
		if f.run == nil {
			return nil, errors.New("resume needs a run folder")
		}
		dir, step, err := f.run.Checkpoints().Latest()
		if err != nil {
			return nil, err
		}
		if dir == "" {
			// Interrupted before its first checkpoint: nothing was trained yet.
			fmt.Fprintf(f.log, "%s has no checkpoint yet: training from step 0\n", f.run.Dir)
		} else {
			if err := runfolder.LoadCheckpoint(f.ctx, dir); err != nil {
				return nil, err
			}
			fmt.Fprintf(f.log, "resuming %s from step %d\n", f.run.Dir, step)
		}
		if f.history, err = f.run.History(); err != nil {
			return nil, err
		}
		f.history.Truncate(step)
		if n := len(f.history.LossEMA); n > 0 && f.history.LossEMA[n-1].Step == step {
			f.lastLoss, f.emaSteps = f.history.LossEMA[n-1].Value, step
		}
		// The best checkpoint may lag the history by one evaluation (a crash between saving the
		// training checkpoint and the best one) or lead it (best saved, history not yet written):
		// make it the weights of the history's best step again.
		if err := f.syncBest(step); err != nil {
			return nil, err
		}
	}
	if f.model, err = NewModelWith(f.b, f.ctx, f.spec, f.enc, f.norm); err != nil {
		return nil, err
	}
	// The host loss engine (LossEngineHost) needs the training context and the model.
	host, err := f.chooseLossEngine()
	if err != nil {
		return nil, err
	}
	if host != nil {
		f.numLabels = 1
		if f.pairBatches {
			f.numLabels = 2
		}
		if f.host, err = f.newHostStep(host); err != nil {
			return nil, err
		}
		f.src = &hostSource{batchSource: f.src, step: f.host}
		fmt.Fprintf(f.log, "loss engine: host (%T's loss and gradient computed natively, two-stage step)\n", host)
	}
	f.history.ValMetric = f.valMetricName()
	if cfg.Normalize == NormalizeGlobal && vectors {
		if w := scaleWarning(trainFeatures(data)); w != "" {
			fmt.Fprintln(f.log, "warning:", w)
		}
	}
	return f, nil
}

// makeEncoder sets the encoder and its spec: the caller's (Options.Encoder), a gnn with the
// vocabulary of the training graphs, a text encoder for texts (TextEncoderFor), or the MLP or CNN
// the Config describes.
func (f *fitter) makeEncoder() error {
	cfg, kind := f.cfg, f.data.Kind()
	switch {
	case f.opts.Encoder != nil:
		if cfg.Encoder != encoders.KindCustom {
			return fmt.Errorf("an encoder of the caller's own (Options.Encoder) needs Config.Encoder %q, not %q", encoders.KindCustom, cfg.Encoder)
		}
		f.enc = f.opts.Encoder
		f.spec = encoders.Spec{Kind: encoders.KindCustom, InputDim: f.data.Dim(), EmbeddingDim: cfg.EmbeddingDim}
		if s, ok := f.enc.(fmt.Stringer); ok {
			f.spec.Name = s.String()
		}
	case cfg.Encoder == encoders.KindCustom:
		return fmt.Errorf("encoder %s: pass the encoder from Go (train.Options.Encoder)", encoders.KindCustom)
	case cfg.Encoder == encoders.KindGNN:
		objs, err := trainingGraphs(f.data)
		if err != nil {
			return err
		}
		if objs == nil {
			return fmt.Errorf("encoder gnn takes graphs, and the items are %ss (use --encoder mlp or cnn)", kind)
		}
		settings := graphs.Settings{Hidden: cfg.GNNHidden, Layers: cfg.GNNLayers, LabelDim: cfg.GNNLabelDim, LearnEps: cfg.GNNLearnEps}
		genc := graphs.EncoderFor(objs.Schema, objs.Graphs, settings, cfg.EmbeddingDim)
		f.enc, f.spec = genc, genc.Spec()
	case cfg.Encoder == encoders.KindText || cfg.Encoder == encoders.KindMLP && kind == text.KindText:
		// Texts take the text encoder, asked for or in place of the default mlp (which takes
		// feature vectors only): see TextEncoderFor.
		if kind != text.KindText {
			return fmt.Errorf("encoder text takes texts, and the items are %ss", kind)
		}
		tenc := TextEncoderFor(cfg)
		f.enc, f.spec = tenc, tenc.Spec()
	default:
		if kind != datasets.KindVector {
			use := "gnn"
			if kind == text.KindText {
				use = "text"
			}
			return fmt.Errorf("encoder %s takes feature vectors, and the items are %ss (use --encoder %s)", cfg.Encoder, kind, use)
		}
		f.spec = cfg.EncoderSpec(f.data.Dim())
		if err := f.spec.Validate(); err != nil {
			return err
		}
		var err error
		if f.enc, err = NewEncoder(f.spec); err != nil {
			return err
		}
	}
	return f.spec.Validate()
}

// syncBest makes the best checkpoint agree with the history after resuming from step: checkpoints of
// later steps are dropped, and when the history's best step is step itself and the best checkpoint
// lacks it, the weights just loaded (step's) are saved as the best.
func (f *fitter) syncBest(step int) error {
	store := f.run.Best()
	steps, err := store.Steps()
	if err != nil {
		return err
	}
	for _, s := range steps {
		if s > step {
			if err := os.RemoveAll(filepath.Join(store.Dir, runfolder.CheckpointName(s))); err != nil {
				return err
			}
		}
	}
	best, ok := f.history.Best()
	if !ok || best.Step != step || step == 0 {
		return nil
	}
	if _, latest, err := store.Latest(); err != nil || latest == step {
		return err
	}
	_, err = store.Save(f.ctx, step)
	return err
}

// trainFeatures returns the features the normaliser is fitted on: the training items, or, for a
// pairs file, the items its training pairs use.
func trainFeatures(d *Data) *mat.Dense {
	if d.TrainPairs == nil {
		return d.Train.Features
	}
	seen := map[int]bool{}
	var rows []int
	for i := range d.TrainPairs.Y {
		for _, j := range []int{d.TrainPairs.A[i], d.TrainPairs.B[i]} {
			if !seen[j] {
				seen[j] = true
				rows = append(rows, j)
			}
		}
	}
	return d.TrainPairs.Items.Features.Select(rows)
}

// normalized returns a copy of items with normalised features.
func (f *fitter) normalized(items *datasets.Items) (*datasets.Items, error) {
	x, err := f.norm.Apply(items.Features)
	if err != nil {
		return nil, err
	}
	out := *items
	out.Features = x
	return &out, nil
}

// makeSource builds the training batches.
func (f *fitter) makeSource() error {
	cfg, d := f.cfg, f.data
	seed := subSeed(cfg.Seed, seedBatches)
	warn := func(msg string) { fmt.Fprintln(f.log, "warning:", msg) }
	defer func() {
		if f.src != nil {
			f.src = &shapeCounter{batchSource: f.src, shapes: f.shapes}
		}
	}()
	f.shapes = map[string]bool{}
	if cfg.BatchKind() == BatchesClasses {
		items, err := f.normalized(d.Train)
		if err != nil {
			return err
		}
		src, err := newClassSource(items, cfg.BatchSize, seed)
		if err == nil {
			src.enc, f.src = f.enc, src
		}
		return err
	}
	f.pairBatches = true
	f.joint = d.Kind() != datasets.KindVector
	posFrac := cfg.PositiveFraction
	if f.mode == pairs.PositivesOnly {
		posFrac = 1
	}
	if d.TrainPairs != nil {
		items, err := f.normalized(d.TrainPairs.Items)
		if err != nil {
			return err
		}
		p := *d.TrainPairs
		p.Items = items
		if f.mode == pairs.PositivesOnly {
			var keep []int
			for i, y := range p.Y {
				if y == 1 {
					keep = append(keep, i)
				}
			}
			p = *p.Subset(keep)
		}
		src, err := newPairSource(&p, nil, 0, 0, cfg.BatchSize, seed, warn)
		if err == nil {
			src.enc, f.src = f.enc, src
		}
		return err
	}
	items, err := f.normalized(d.Train)
	if err != nil {
		return err
	}
	perEpoch := cfg.PairsPerEpoch
	if perEpoch == 0 {
		perEpoch = 16 * d.Train.Len()
	}
	perEpoch = max(perEpoch, cfg.BatchSize)
	src, err := newPairSource(nil, items, perEpoch, posFrac, cfg.BatchSize, seed, warn)
	if err == nil {
		src.enc, f.src = f.enc, src
	}
	return err
}

// shapeCounter is a batchSource that records the distinct input shapes of the batches it yields.
type shapeCounter struct {
	batchSource
	shapes map[string]bool
}

// Yield implements train.Dataset.
func (s *shapeCounter) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	spec, inputs, labels, err = s.batchSource.Yield()
	if err == nil {
		var key strings.Builder
		for _, t := range append(slices.Clone(inputs), labels...) {
			key.WriteString(t.Shape().String())
		}
		s.shapes[key.String()] = true
	}
	return spec, inputs, labels, err
}

// valMetricName names the metric validation tracks.
func (f *fitter) valMetricName() string {
	if f.data.ValTrack != nil {
		return ValMAPAtR
	}
	return ValAveragePrecision
}

// modelFn is the GoMLX model function: the embeddings of the batch's items (pair batches: both sides
// in one encoder call, then split).
func (f *fitter) modelFn(ctx *context.Context, _ any, inputs []*Node) []*Node {
	f.graphCtx = ctx
	if f.cfg.Schedule == ScheduleCosine {
		dtype := inputs[0].DType()
		if !dtype.IsFloat() {
			dtype = dtypes.Float32
		}
		cosineschedule.New(ctx, inputs[0].Graph(), dtype).
			LearningRate(f.cfg.LR).PeriodSteps(f.total).Done()
	}
	return f.encode(ctx, inputs)
}

// encode returns the embeddings of the batch's items (pair batches: both sides in one encoder
// call, then split): the training graph's predictions, and the host engine's first stage.
func (f *fitter) encode(ctx *context.Context, inputs []*Node) []*Node {
	enc := f.model.ItemEncoder()
	encCtx := ctx.Checked(false) // the encoder's variables are reused by every graph (validation, embedding)
	switch {
	case f.pairBatches && f.joint:
		e := enc.EncodeInputs(encCtx, inputs)
		b := e.Shape().Dimensions[0] / 2
		return []*Node{Slice(e, AxisRange(0, b)), Slice(e, AxisRange(b, 2*b))}
	case f.pairBatches:
		// One batch of input tensors per side, joined along the item axis into one encoder call.
		half := len(inputs) / 2
		joined := make([]*Node, half)
		for k := range joined {
			joined[k] = Concatenate([]*Node{inputs[k], inputs[half+k]}, 0)
		}
		b := inputs[0].Shape().Dimensions[0]
		e := enc.EncodeInputs(encCtx, joined)
		return []*Node{Slice(e, AxisRange(0, b)), Slice(e, AxisRange(b, 2*b))}
	}
	return []*Node{enc.EncodeInputs(encCtx, inputs)}
}

// lossFn is the GoMLX loss function: the metric loss, plus the classifier head's cross-entropy
// when Config.ClassifierLossWeight is set (objective; class batches only, Config.Validate).
func (f *fitter) lossFn(labels, predictions []*Node) *Node {
	if f.host != nil {
		// Stage 3 of the host engine's step: the batch's labels end with the loss's gradient and value.
		in := f.lossInputs(labels[:f.numLabels], predictions)
		return f.host.objective(f.graphCtx, in.Embeddings, labels[f.numLabels:])
	}
	in := f.lossInputs(labels, predictions)
	emb, classes := in.Embeddings, in.Labels
	if f.miner != nil {
		in = miners.Apply(f.miner, in)
	}
	return f.obj.loss(f.graphCtx, f.loss, in, emb, classes)
}

// lossInputs returns the metric loss's inputs for the batch's labels and the encoder's predictions.
func (f *fitter) lossInputs(labels, predictions []*Node) losses.Inputs {
	if len(predictions) == 2 {
		return pairs.Inputs(f.mode, predictions[0], predictions[1], labels[0], labels[1])
	}
	return losses.Inputs{Embeddings: predictions[0], Labels: labels[0]}
}

// train trains and finishes the model.
func (f *fitter) train() (*Result, error) {
	if f.tmpDir != "" {
		defer os.RemoveAll(f.tmpDir)
	}
	var trainer *gomlxtrain.Trainer
	var loop *gomlxtrain.Loop
	err := exceptions.TryCatch[error](func() {
		trainer = gomlxtrain.NewTrainer(f.b, f.ctx, f.modelFn, f.lossFn,
			optimizers.Adam().LearningRate(f.cfg.LR).Done(), nil, nil)
		loop = gomlxtrain.NewLoop(trainer)
	})
	if err != nil {
		return nil, err
	}
	f.startStep = loop.LoopStep
	f.src.seek(f.startStep)
	if best, ok := f.history.Best(); ok {
		f.lastVal, f.lastValAt = f.history.Val[len(f.history.Val)-1].Value, f.history.Val[len(f.history.Val)-1].Step
		for _, v := range f.history.Val {
			if v.Step > best.Step {
				f.sinceBest++
			}
		}
	}
	if f.startStep == 0 && f.history.Untrained == nil {
		// The untrained encoder's validation metric: the bar a trained model must clear. Measured
		// on a model of its own (the report's untrained encoder), so that the training context's
		// variables are first created, and initialised, by the training graph as before.
		untrained, err := NewUntrainedModelWith(f.b, f.spec, f.enc, f.norm, f.cfg.Seed)
		if err != nil {
			return nil, err
		}
		v, err := eval.ValidationMetric(untrained, f.data.ValTrack, f.data.ValPairs)
		if err != nil {
			return nil, fmt.Errorf("validation of the untrained encoder: %w", err)
		}
		f.history.Untrained = floatPtr(v)
	}
	loop.OnStep("gometric", 0, f.onStep)
	f.start = time.Now()
	if f.startStep < f.total && !(f.cfg.Patience > 0 && f.sinceBest >= f.cfg.Patience) {
		_, err = loop.RunToGlobalStep(f.src, f.total)
		if errors.Is(err, errStopEarly) {
			err, f.stopped = nil, true
		}
		if err != nil {
			return nil, err
		}
	}
	f.finalSteps = int(trainer.GlobalStep())
	if f.lastValAt != f.finalSteps {
		if err := f.validate(f.finalSteps); err != nil {
			return nil, err
		}
	}
	elapsed := time.Since(f.start)
	status := f.status(f.finalSteps)
	if f.opts.Progress != nil {
		f.opts.Progress.Done(status)
	}
	if f.data.Kind() != datasets.KindVector {
		fmt.Fprintf(f.log, "%s batches: %d distinct input shapes (budgets): the training step compiled %d times\n", f.data.Kind(), len(f.shapes), len(f.shapes))
	}
	if f.stopped {
		fmt.Fprintf(f.log, "stopped early at step %d: validation %s did not improve for %d evaluations\n", f.finalSteps, f.history.ValMetric, f.cfg.Patience)
	}
	return f.finish(elapsed, status.StepsPerSecond)
}

// onStep records the loss, reports progress, and validates and checkpoints every f.every steps.
func (f *fitter) onStep(loop *gomlxtrain.Loop, metrics []*tensors.Tensor) error {
	step := loop.LoopStep + 1
	if len(metrics) > 0 {
		// The moving average is kept here, not by GoMLX's metric, so that its state is saved with
		// each checkpoint (History.LossEMA) and a resumed run continues the same curve.
		batch := shapes.ConvertTo[float64](metrics[0].Value())
		if f.emaSteps == 0 {
			f.lastLoss = batch
		} else {
			f.lastLoss = LossEMADecay*f.lastLoss + (1-LossEMADecay)*batch
		}
		f.emaSteps++
	}
	if step%f.lossEvery == 0 || step == f.total {
		f.history.Loss = append(f.history.Loss, runfolder.Point{Step: step, Value: f.lastLoss})
	}
	if step%f.every == 0 || step == f.total {
		if err := f.validate(step); err != nil {
			return err
		}
	}
	if f.opts.Progress != nil {
		f.opts.Progress.Update(f.status(step))
	}
	if f.cfg.Patience > 0 && f.sinceBest >= f.cfg.Patience {
		return errStopEarly
	}
	return nil
}

// status returns the run's status at step.
func (f *fitter) status(step int) Status {
	elapsed := time.Since(f.start)
	s := Status{
		Step: step, TotalSteps: f.total, StartStep: f.startStep,
		StepsPerEpoch: f.src.stepsPerEpoch(), Loss: f.lastLoss, Elapsed: elapsed,
		ValMetric: f.history.ValMetric, Val: f.lastVal,
	}
	s.Epoch = max(step-1, 0)/s.StepsPerEpoch + 1
	if done := step - f.startStep; done > 0 && elapsed > 0 {
		s.StepsPerSecond = float64(done) / elapsed.Seconds()
		s.Remaining = time.Duration(float64(f.total-step) / s.StepsPerSecond * float64(time.Second))
	}
	return s
}

// validate computes the validation metric at step, keeps the best weights and checkpoints. The
// history is written first, then the training checkpoint, then the best checkpoint: resuming from
// any point in between finds a history that covers its checkpoint (truncated to it) and repairs the
// best checkpoint from it (syncBest).
func (f *fitter) validate(step int) error {
	fault.Point("validate")
	v, err := eval.ValidationMetric(f.model, f.data.ValTrack, f.data.ValPairs)
	if err != nil {
		return fmt.Errorf("validation at step %d: %w", step, err)
	}
	best, hadBest := f.history.Best()
	f.history.Val = append(f.history.Val, runfolder.Point{Step: step, Value: v})
	if n := len(f.history.LossEMA); f.emaSteps > 0 && (n == 0 || f.history.LossEMA[n-1].Step < step) {
		f.history.LossEMA = append(f.history.LossEMA, runfolder.Point{Step: step, Value: f.lastLoss})
	}
	f.lastVal, f.lastValAt = v, step
	isBest := !hadBest || v > best.Value
	if isBest {
		f.sinceBest = 0
	} else {
		f.sinceBest++
	}
	if f.run != nil {
		if err := f.run.WriteJSON(runfolder.HistoryFile, f.history); err != nil {
			return err
		}
		fault.Point("validate-history")
		if _, err := f.run.Checkpoints().Save(f.ctx, step); err != nil {
			return err
		}
		fault.Point("validate-checkpoint")
	}
	if isBest {
		if _, err := f.bestStore().Save(f.ctx, step); err != nil {
			return err
		}
		fault.Point("validate-best")
	}
	return nil
}

// bestStore is where the best weights go.
func (f *fitter) bestStore() *runfolder.Checkpoints {
	if f.run != nil {
		return f.run.Best()
	}
	return &runfolder.Checkpoints{Dir: f.tmpDir, Keep: 1}
}

// finish loads the best weights, chooses the match threshold and publishes the model (runfolder.Folder.Publish).
func (f *fitter) finish(elapsed time.Duration, speed float64) (*Result, error) {
	best, _ := f.history.Best()
	dir, bestStep, err := f.bestStore().Latest()
	if err != nil {
		return nil, err
	}
	if dir == "" || bestStep != best.Step {
		return nil, fmt.Errorf("the best checkpoint (step %d) is not the history's best (step %d)", bestStep, best.Step)
	}
	model := f.model
	if dir != "" && best.Step != f.finalSteps {
		if model, err = LoadModelWith(f.b, dir, f.spec, f.enc, f.norm); err != nil {
			return nil, err
		}
	}
	th, err := eval.ChoosePairThreshold(model, f.data.ValPairs)
	if err != nil {
		return nil, err
	}
	model.Threshold = th.Value
	res := &Result{
		Model: model, Threshold: th, History: f.history,
		StartStep: f.startStep, Steps: f.finalSteps, BestStep: best.Step,
		StepsPerEpoch: f.src.stepsPerEpoch(), StoppedEarly: f.stopped,
		TrainTime: elapsed, StepsPerSecond: speed, InputShapes: len(f.shapes),
	}
	if u := f.history.Untrained; u != nil && !(best.Value > *u) {
		fmt.Fprintf(f.log, "warning: the trained model's validation %s (%.4f) is no better than the untrained encoder's (%.4f): check the data, the learning rate and the loss\n",
			f.history.ValMetric, best.Value, *u)
	}
	fault.Point("finish")
	if f.run != nil {
		info := runfolder.ModelInfo{
			Encoder: f.spec, Normalizer: f.norm, Embeddings: runfolder.EmbeddingsCosine, Threshold: floatPtr(th.Value),
			Step: best.Step, ValMetric: f.history.ValMetric, ValValue: floatPtr(best.Value),
			Data: f.data.Name, Created: time.Now().UTC().Round(time.Second),
		}
		if rec, err := f.run.Record(); err == nil {
			info.DataContent = rec.Content
		}
		var write func(dir string) error
		if f.opts.Report != nil {
			write = func(dir string) error { return f.opts.Report(res, dir) }
		}
		if err := f.run.Publish(dir, info, write); err != nil {
			return nil, err
		}
		fault.Point("published")
	}
	return res, nil
}
