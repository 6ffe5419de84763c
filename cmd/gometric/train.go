package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/pairs"
	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
	"github.com/gometric/gometric/text"
	"github.com/gometric/gometric/train"
)

const trainSynopsis = `Usage: gometric train [flags]

Trains an embedding model and reports how good it is on held-out data, beside the untrained
encoder and the raw features. With no flags: an MLP on the built-in digits data, labeled pairs
drawn from the training split (half positive), NT-Xent with the label construction.

Data: --dataset NAME (built-in), or your own files (formats: docs/DATA.md):
  --dataset molecules           3,484 molecule graphs, class = scaffold, split by scaffold (no test
                                scaffold seen in training), Morgan fingerprint baseline; gnn
  --dataset graph-edit          graph edit distance pairs (Li et al. 2019): 100,000 training pairs
                                generated from --seed, fixed test pairs and triplets, pair AUC and
                                triplet accuracy beside the paper's; gnn, contrastive, explicit pairs
  --dataset place-names         country and subdivision names in ~160 locales (iso-codes), class =
                                ISO code, split by entity (no test entity seen in training),
                                character 3-gram TF-IDF baseline, figures by script; text encoder
  --pairs FILE [--items FILE]   labeled pairs (CSV a,b,label with ids from --items, or JSON Lines
                                with ids or inline vectors), split at random into train/val/test
  --items FILE                  class-labelled items alone: trained on class batches
Items are feature vectors (images too, as pixels) or graphs (JSON Lines, one graph per line, and
pairs of graphs by id or inline; docs/DATA.md, section Graphs): graphs train a GIN (--encoder gnn,
chosen for them; sizes --gnn-hidden, --gnn-layers, --gnn-label-dim), or texts (CSV column text,
JSON Lines "text"): texts train the hashed n-gram embedding bag (--encoder text, chosen for them;
sizes --text-buckets, --text-dim, --text-pool, --hidden).
A malformed line is an error naming file, line and cause; --skip-bad-lines skips such lines.

The run folder (--out, a new or empty folder) gets config.json, data.json (the SHA-256 of every
input file), split.json (which items or pairs went to training, validation and test), the
checkpoints, history.json and, at the end, the model folder model/: the weights, model.json
(encoder, input normalisation, frozen match threshold), metrics.json, report.md, plots (loss.png,
validation.png, pca.png) and the scored test pairs (test-pairs.jsonl: 'gometric match RUN --pairs
RUN/model/test-pairs.jsonl' reproduces the report), replaced as a whole so that its parts always
belong together. 'gometric eval|embed|match RUN' use it. --resume continues from the last
checkpoint on the recorded split, and refuses input files whose content changed.
`

// resumable are the flags that may change when resuming a run.
var resumable = map[string]bool{"steps": true, "epochs": true, "patience": true, "eval-every": true,
	"backend": true, "out": true, "resume": true, "quiet": true}

// trainFlags are the flags of `gometric train` beyond the Config's.
type trainFlags struct {
	out           string
	resume, quiet bool
}

// newTrainFlags returns the flag set of `gometric train`, writing into cfg and tf.
func newTrainFlags(cfg *train.Config, tf *trainFlags, stdout io.Writer) *flag.FlagSet {
	fs := newFlagSet("train", trainSynopsis, stdout)
	fs.StringVar(&cfg.Dataset, "dataset", cfg.Dataset, "built-in data set: "+strings.Join(datasets.Names(), ", "))
	fs.StringVar(&cfg.Items, "items", cfg.Items, "items file (CSV or JSON Lines): the items --pairs names, or class-labelled items to train on")
	fs.StringVar(&cfg.Pairs, "pairs", cfg.Pairs, "labeled pairs file (CSV or JSON Lines)")
	fs.BoolVar(&cfg.SkipBadLines, "skip-bad-lines", cfg.SkipBadLines, "skip malformed lines of --items and --pairs (they are listed) instead of failing")
	fs.StringVar(&cfg.Duplicates, "duplicates", cfg.Duplicates, "a pairs line that repeats an earlier pair exactly (in either order, same label): keep-first (listed) or error (default keep-first)")
	fs.StringVar(&cfg.Encoder, "encoder", cfg.Encoder, "encoder: mlp, or cnn (reshapes 784 features to 28x28x1, 64 to 8x8x1), gnn for graphs, text for texts\n(default: gnn for graph items, text for text items, else mlp)")
	fs.IntVar(&cfg.EmbeddingDim, "embedding-dim", cfg.EmbeddingDim, "embedding dimension")
	fs.Var(intList{&cfg.Hidden}, "hidden", fmt.Sprintf("hidden layer widths, comma-separated (default: mlp %v, cnn %v)",
		joinInts(encoders.DefaultMLPHidden), joinInts(encoders.DefaultCNNHidden)))
	fs.Var(intList{&cfg.Channels}, "channels", fmt.Sprintf("cnn conv block channels, comma-separated (default %v)", joinInts(encoders.DefaultCNNChannels)))
	fs.IntVar(&cfg.GNNHidden, "gnn-hidden", cfg.GNNHidden, fmt.Sprintf("gnn node state width (default %d)", graphs.DefaultGINHidden))
	fs.IntVar(&cfg.GNNLayers, "gnn-layers", cfg.GNNLayers, fmt.Sprintf("gnn message-passing layers (default %d)", graphs.DefaultGINLayers))
	fs.IntVar(&cfg.GNNLabelDim, "gnn-label-dim", cfg.GNNLabelDim, fmt.Sprintf("gnn node label embedding width (default %d)", graphs.DefaultGINLabelDim))
	fs.BoolVar(&cfg.GNNLearnEps, "gnn-learn-eps", cfg.GNNLearnEps, "gnn: learn each layer's GIN eps (default: eps = 0, GIN-0)")
	fs.IntVar(&cfg.TextBuckets, "text-buckets", cfg.TextBuckets, fmt.Sprintf("text encoder hash buckets, rows of its embedding table (default %d)", train.DefaultTextBuckets))
	fs.IntVar(&cfg.TextDim, "text-dim", cfg.TextDim, fmt.Sprintf("text encoder bucket embedding width (default %d)", text.DefaultEmbedDim))
	fs.StringVar(&cfg.TextPool, "text-pool", cfg.TextPool, "text encoder pooling of the bucket embeddings: mean, sum or sqrt (default mean)")
	fs.Var(specFlag{&cfg.Loss, train.CanonicalLoss}, "loss", lossHelp())
	fs.StringVar(&cfg.PairMode, "pair-mode", cfg.PairMode, "how a pair batch feeds the loss: "+strings.Join(pairs.ModeNames(), ", ")+
		"\n(explicit: only the given pairs, suits contrastive; label-construction: every other pair in the batch is a negative)")
	fs.StringVar(&cfg.Batches, "batches", cfg.Batches, "training batches: pairs or classes (default: classes for --items alone and for class losses, else pairs)")
	fs.Var(specFlag{&cfg.Miner, train.CanonicalMiner}, "miner", minerHelp())
	fs.Float64Var(&cfg.ClassifierLossWeight, "classifier-loss-weight", cfg.ClassifierLossWeight,
		"train a classifier head (a dense layer from the embeddings to the classes) with the encoder, its\n"+
			"cross-entropy weighted by this beside the metric loss (PML's TrainWithClassifier, loss_weights\n"+
			"classifier_loss; PML's default weight is 1); class-labelled items and class batches only (0: off)")
	fs.Var(weightFlag{&cfg.MetricLossWeight, train.DefaultMetricLossWeight}, "metric-loss-weight",
		"weight of the metric loss (--loss) in the training loss (PML's loss_weights metric_loss);\n0 trains the classifier head alone")
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "training steps (ignored when --epochs is set)")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "train for this many epochs instead of --steps")
	fs.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "pairs (or items, for class batches) per step")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate")
	fs.StringVar(&cfg.Schedule, "schedule", cfg.Schedule, "learning-rate schedule: cosine (to 0 over the run) or constant")
	fs.StringVar(&cfg.LossEngine, "loss-engine", train.LossEngineAuto, "where the loss and its gradient are computed: "+strings.Join(train.LossEngines, ", ")+
		"\n(host: gometric's native engine in a two-stage step; auto: host where it applies on the pure-Go backend)")
	fs.StringVar(&cfg.Normalize, "normalize", cfg.Normalize, "input normalisation: "+strings.Join(train.NormalizeNames(), ", ")+
		"\n(global: one mean and scale for all features; standard: per feature; graphs: none)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the split, the pairs, the batches and the initial weights")
	fs.IntVar(&cfg.EvalEvery, "eval-every", cfg.EvalEvery, "steps between validation evaluations and checkpoints (default: a tenth of the run)")
	fs.IntVar(&cfg.Patience, "patience", cfg.Patience, "stop after this many evaluations without a better validation MAP@R (0: never); the best model is kept")
	fs.IntVar(&cfg.EvalPairs, "eval-pairs", cfg.EvalPairs, "validation and test pairs drawn from the validation and test items (graph-edit: the validation pairs)")
	fs.IntVar(&cfg.PairsPerEpoch, "pairs-per-epoch", cfg.PairsPerEpoch, "training pairs drawn from class labels per epoch (default 16 per training item);\ngraph-edit: the training pairs generated (default 100,000)")
	fs.StringVar(&cfg.Backend, "backend", cfg.Backend, "GoMLX backend (default $GOMLX_BACKEND, else the pure-Go backend \"go\")")
	fs.StringVar(&tf.out, "out", "", "run folder (default runs/<data>-<date>-<time>); a new or empty folder, or a run to --resume")
	fs.BoolVar(&tf.resume, "resume", false, "continue the run in --out from its last checkpoint, with its configuration and its recorded data split\n"+
		"(only --steps, --epochs, --patience, --eval-every, --backend may change; other flags may be repeated unchanged)")
	fs.BoolVar(&tf.quiet, "quiet", false, "no progress display")
	return fs
}

// cmdTrain is `gometric train`.
func cmdTrain(args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	cfg := train.DefaultConfig()
	var tf trainFlags
	fs := newTrainFlags(&cfg, &tf, stdout)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	given := setFlags(fs)
	if !given["items"] && !given["pairs"] && !tf.resume {
		// A built-in data set's own defaults (the graph data sets: the gnn and its settings), under
		// the flags given.
		cfg = train.DefaultConfigFor(cfg.Dataset)
		if _, err := parseFlags(newTrainFlags(&cfg, &tf, stdout), args); err != nil {
			return err
		}
	}
	if given["items"] || given["pairs"] {
		if given["dataset"] {
			return usagef("give either --dataset or your own files (--items, --pairs), not both")
		}
		cfg.Dataset = ""
		if !tf.resume && (!given["encoder"] || !given["normalize"]) {
			// Graph items choose the gnn, and take no feature normalisation.
			kind, err := train.ItemKindOf(cfg)
			if err != nil {
				return err
			}
			// Texts choose the text encoder, recorded as such in config.json.
			auto := map[string]string{graphs.KindGraph: encoders.KindGNN, text.KindText: encoders.KindText}
			if enc, ok := auto[kind]; ok {
				if !given["encoder"] {
					cfg.Encoder = enc
				}
				if !given["normalize"] {
					cfg.Normalize = train.NormalizeNone
				}
			}
		}
	}
	var paths train.DataPaths
	if tf.resume {
		if tf.out == "" {
			return usagef("--resume needs --out, the run folder to continue")
		}
		if cfg, paths, err = resumeConfig(runfolder.Folder{Dir: tf.out}, args, given, cfg); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if tf.out == "" {
		name := strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r == ' ' {
				return '-'
			}
			return r
		}, cfg.DataName())
		tf.out = filepath.Join("runs", name+"-"+time.Now().Format("20060102-150405"))
	}
	run := runfolder.Folder{Dir: tf.out}
	if !tf.resume {
		// Checked before the lock creates the folder, so that a wrong --out is left as it was.
		if err := run.CheckNew(); err != nil {
			return err
		}
	}
	b, err := backend.New(cfg.Backend)
	if err != nil {
		return err
	}
	// The first folder of --out's path that does not exist yet: a failed start removes what it
	// created, and only that.
	created := ""
	if !tf.resume {
		created = firstMissing(tf.out)
	}
	unlock, note, err := run.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if note != "" {
		fmt.Fprintln(stderr, "note:", note)
	}

	var data *train.Data
	if tf.resume {
		data, err = train.RunData(run, cfg, paths)
	} else {
		data, err = train.StartRun(run, cfg)
	}
	if err != nil {
		if created != "" {
			// Nothing was trained: the folders this command created go, so that a failed start
			// (a malformed file, say) leaves no empty run behind.
			unlock()
			_ = os.RemoveAll(created)
		}
		return err
	}
	printSkipped(stderr, data.Warnings)
	var progress train.Progress
	if !tf.quiet {
		if f, ok := stderr.(*os.File); ok && isTerminal(f) {
			progress = train.NewProgressBar(stderr)
		} else {
			progress = train.NewProgressLog(stderr, 15*time.Second)
		}
	}
	fmt.Fprintf(stderr, "training on %s → %s\n", cfg.DataName(), tf.out)
	var rep *report.Report
	writeReport := func(res *train.Result, dir string) error {
		if rep, err = train.BuildReport(cfg, data, res); err != nil {
			return err
		}
		return report.WriteRun(dir, rep, report.RunFiles{History: res.History, Model: res.Model, Items: data.Test, TestPairs: data.TestPairs, Started: start})
	}
	_, err = train.Fit(cfg, data, train.Options{Backend: b, RunDir: tf.out, Resume: tf.resume, Progress: progress, Log: stderr, Report: writeReport})
	if err != nil {
		return err
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nrun folder %s: the model and its report in %s/ (model.json, metrics.json, report.md, %s), config.json, data.json, split.json (%.0f s in all)\n",
		tf.out, runfolder.ModelDir, strings.Join(rep.Files, ", "), rep.Training.TotalSeconds)
	return nil
}

// resumeConfig returns the saved configuration of the run to resume, with the flags that may change
// applied, and where its input files are given now. A flag that may not change is accepted when it
// repeats the run's value (an input file: when it has the run's content, wherever it is now).
func resumeConfig(run runfolder.Folder, args []string, given map[string]bool, flagged train.Config) (train.Config, train.DataPaths, error) {
	var paths train.DataPaths
	saved, err := train.RunConfig(run)
	if err != nil {
		return saved, paths, err
	}
	// The same command line parsed over the saved configuration: a flag that repeats the saved
	// value leaves it unchanged.
	again := saved
	var tf trainFlags
	fs := newTrainFlags(&again, &tf, io.Discard)
	if _, err := parseFlags(fs, args); err != nil {
		return saved, paths, err
	}
	for name := range given {
		if resumable[name] {
			continue
		}
		switch name {
		case "items":
			paths.Items = flagged.Items
			continue
		case "pairs":
			paths.Pairs = flagged.Pairs
			continue
		case "dataset":
			if flagged.Dataset == saved.Dataset && saved.Items == "" && saved.Pairs == "" {
				continue
			}
		default:
			one := saved
			fs1 := newTrainFlags(&one, &trainFlags{}, io.Discard)
			if f := fs.Lookup(name); f != nil && fs1.Set(name, f.Value.String()) == nil && reflect.DeepEqual(one, saved) {
				continue
			}
		}
		return saved, paths, usagef("--%s cannot change when resuming (the run keeps its configuration; see %s)", name, run.Path(runfolder.ConfigFile))
	}
	if (paths.Items != "" && saved.Items == "") || (paths.Pairs != "" && saved.Pairs == "") {
		return saved, paths, usagef("the run did not train on files given with --items or --pairs (see %s)", run.Path(runfolder.ConfigFile))
	}
	saved.Steps, saved.Epochs = pick(given["steps"], flagged.Steps, saved.Steps), pick(given["epochs"], flagged.Epochs, saved.Epochs)
	saved.Patience, saved.EvalEvery = pick(given["patience"], flagged.Patience, saved.Patience), pick(given["eval-every"], flagged.EvalEvery, saved.EvalEvery)
	if given["backend"] {
		saved.Backend = flagged.Backend
	}
	return saved, paths, nil
}

// pick returns v when given, else saved.
func pick(given bool, v, saved int) int {
	if given {
		return v
	}
	return saved
}

// joinInts formats ints comma-separated.
func joinInts(v []int) string {
	return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(v)), ","), "[]")
}

// errNoRun is returned when a command needs a run folder and got none.
var errNoRun = errors.New("give the run folder (the --out of gometric train)")

// needRun returns the run folder from the positional arguments.
func needRun(rest []string, max int) (runfolder.Folder, error) {
	if len(rest) == 0 {
		return runfolder.Folder{}, usagef("%v", errNoRun)
	}
	if len(rest) > max {
		return runfolder.Folder{}, usagef("unexpected argument %q", rest[max])
	}
	return runfolder.Folder{Dir: rest[0]}, nil
}

// loadModel opens the GoMLX backend backendCfg and loads run's model on it.
func loadModel(run runfolder.Folder, backendCfg string) (*train.Model, error) {
	b, err := backend.New(backendCfg)
	if err != nil {
		return nil, err
	}
	return train.LoadRunModel(run, b)
}

// maxListed is how many lines of each kind printSkipped lists before it only counts them.
const maxListed = 20

// printSkipped lists on stderr what the readers reported about lines they read: malformed lines
// skipped (--skip-bad-lines), duplicates left out and notes on kept lines, by kind, at most
// maxListed of each.
func printSkipped(stderr io.Writer, warnings []*datasets.LineError) {
	prefix := map[datasets.LineKind]string{datasets.KindMalformed: "skipped", datasets.KindDuplicate: "left out", datasets.KindNote: "note:"}
	counts := map[datasets.LineKind]int{}
	for _, w := range warnings {
		if counts[w.Kind]++; counts[w.Kind] <= maxListed {
			fmt.Fprintf(stderr, "%s %v\n", prefix[w.Kind], w)
		}
	}
	for _, k := range []datasets.LineKind{datasets.KindMalformed, datasets.KindDuplicate, datasets.KindNote} {
		if n := counts[k]; n > maxListed {
			fmt.Fprintf(stderr, "… and %d more %s lines (%d in all)\n", n-maxListed, k, n)
		}
	}
}

// firstMissing returns the outermost folder of path that does not exist (path itself when only it is
// missing), or "" when path exists or cannot be checked.
func firstMissing(path string) string {
	missing := ""
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			return missing
		} else if !os.IsNotExist(err) {
			return ""
		}
		missing = p
		if parent := filepath.Dir(p); parent == p {
			return ""
		}
	}
}
