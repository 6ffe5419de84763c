package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
	"github.com/gometric/gometric/pairs"
	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/train"
)

const trainSynopsis = `Usage: gometric train [flags]

Trains an embedding model and reports how good it is on held-out data, beside the untrained
encoder and the raw features. With no flags: an MLP on the built-in digits data, labeled pairs
drawn from the training split (half positive), NT-Xent with the label construction.

Data: --dataset NAME (built-in), or your own files (formats: docs/DATA.md):
  --pairs FILE [--items FILE]   labeled pairs (CSV a,b,label with ids from --items, or JSON Lines
                                with ids or inline vectors), split at random into train/val/test
  --items FILE                  class-labelled items alone: trained on class batches
A malformed line is an error naming file, line and cause; --skip-bad-lines skips such lines.

The run folder (--out) gets the configuration, the checkpoints, model.json (encoder, input
normalisation, frozen match threshold), history.json, metrics.json, report.md and plots
(loss.png, validation.png, pca.png), and the scored test pairs (test-pairs.jsonl: 'gometric match
RUN --pairs RUN/test-pairs.jsonl' reproduces the report). 'gometric eval|embed|match RUN' use it.
`

// resumable are the flags that may change when resuming a run.
var resumable = map[string]bool{"steps": true, "epochs": true, "patience": true, "eval-every": true,
	"backend": true, "out": true, "resume": true, "quiet": true}

// cmdTrain is `gometric train`.
func cmdTrain(args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	cfg := train.DefaultConfig()
	fs := newFlagSet("train", trainSynopsis, stdout)
	fs.StringVar(&cfg.Dataset, "dataset", cfg.Dataset, "built-in data set: "+strings.Join(datasets.Names(), ", "))
	fs.StringVar(&cfg.Items, "items", "", "items file (CSV or JSON Lines): the items --pairs names, or class-labelled items to train on")
	fs.StringVar(&cfg.Pairs, "pairs", "", "labeled pairs file (CSV or JSON Lines)")
	fs.BoolVar(&cfg.SkipBadLines, "skip-bad-lines", false, "skip malformed lines of --items and --pairs (they are listed) instead of failing")
	fs.StringVar(&cfg.Encoder, "encoder", cfg.Encoder, "encoder: mlp, or cnn (reshapes 784 features to 28x28x1, 64 to 8x8x1)")
	fs.IntVar(&cfg.EmbeddingDim, "embedding-dim", cfg.EmbeddingDim, "embedding dimension")
	fs.Var(intList{&cfg.Hidden}, "hidden", fmt.Sprintf("hidden layer widths, comma-separated (default: mlp %v, cnn %v)",
		joinInts(encoders.DefaultMLPHidden), joinInts(encoders.DefaultCNNHidden)))
	fs.Var(intList{&cfg.Channels}, "channels", fmt.Sprintf("cnn conv block channels, comma-separated (default %v)", joinInts(encoders.DefaultCNNChannels)))
	fs.StringVar(&cfg.Loss, "loss", cfg.Loss, lossHelp())
	fs.StringVar(&cfg.PairMode, "pair-mode", cfg.PairMode, "how a pair batch feeds the loss: "+strings.Join(pairs.ModeNames(), ", ")+
		"\n(explicit: only the given pairs, suits contrastive; label-construction: every other pair in the batch is a negative)")
	fs.StringVar(&cfg.Batches, "batches", cfg.Batches, "training batches: pairs or classes (default: classes for --items alone and for class losses, else pairs)")
	fs.StringVar(&cfg.Miner, "miner", "", "miner selecting each batch's pairs, with PML's defaults (default none): "+strings.Join(miners.Names(), ", "))
	fs.IntVar(&cfg.Steps, "steps", cfg.Steps, "training steps (ignored when --epochs is set)")
	fs.IntVar(&cfg.Epochs, "epochs", 0, "train for this many epochs instead of --steps")
	fs.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "pairs (or items, for class batches) per step")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "Adam learning rate")
	fs.StringVar(&cfg.Schedule, "schedule", cfg.Schedule, "learning-rate schedule: cosine (to 0 over the run) or constant")
	fs.StringVar(&cfg.Normalize, "normalize", cfg.Normalize, "input normalisation: "+strings.Join(train.NormalizeNames(), ", ")+
		"\n(global: one mean and scale for all features; standard: per feature)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the split, the pairs, the batches and the initial weights")
	fs.IntVar(&cfg.EvalEvery, "eval-every", 0, "steps between validation evaluations and checkpoints (default: a tenth of the run)")
	fs.IntVar(&cfg.Patience, "patience", 0, "stop after this many evaluations without a better validation MAP@R (0: never); the best model is kept")
	fs.IntVar(&cfg.EvalPairs, "eval-pairs", cfg.EvalPairs, "validation and test pairs drawn from the validation and test items")
	fs.StringVar(&cfg.Backend, "backend", "", "GoMLX backend (default $GOMLX_BACKEND, else the pure-Go backend \"go\")")
	out := fs.String("out", "", "run folder (default runs/<data>-<date>-<time>)")
	resume := fs.Bool("resume", false, "continue the run in --out from its last checkpoint (with its configuration; only --steps, --epochs, --patience, --eval-every, --backend may change)")
	quiet := fs.Bool("quiet", false, "no progress display")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	given := setFlags(fs)
	if given["items"] || given["pairs"] {
		if given["dataset"] {
			return usagef("give either --dataset or your own files (--items, --pairs), not both")
		}
		cfg.Dataset = ""
	}
	if *resume {
		if *out == "" {
			return usagef("--resume needs --out, the run folder to continue")
		}
		saved, err := train.Run{Dir: *out}.Config()
		if err != nil {
			return err
		}
		for name := range given {
			if !resumable[name] {
				return usagef("--%s cannot change when resuming (the run keeps its configuration)", name)
			}
		}
		saved.Steps, saved.Epochs = pick(given["steps"], cfg.Steps, saved.Steps), pick(given["epochs"], cfg.Epochs, saved.Epochs)
		saved.Patience, saved.EvalEvery = pick(given["patience"], cfg.Patience, saved.Patience), pick(given["eval-every"], cfg.EvalEvery, saved.EvalEvery)
		if given["backend"] {
			saved.Backend = cfg.Backend
		}
		cfg = saved
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if *out == "" {
		name := strings.Map(func(r rune) rune {
			if r == '/' || r == '\\' || r == ' ' {
				return '-'
			}
			return r
		}, cfg.DataName())
		*out = filepath.Join("runs", name+"-"+time.Now().Format("20060102-150405"))
	}
	run := train.Run{Dir: *out}
	if !*resume {
		_, modelErr := os.Stat(run.Path(train.ModelFile))
		latest, _, _ := run.Checkpoints().Latest()
		if modelErr == nil || latest != "" {
			return fmt.Errorf("%s already holds a run: use --resume to continue it, or another --out", *out)
		}
	}
	b, err := backend.New(cfg.Backend)
	if err != nil {
		return err
	}

	data, err := train.LoadData(cfg)
	if err != nil {
		return err
	}
	printSkipped(stderr, data.Warnings)
	if !*resume {
		if err := run.WriteJSON(train.ConfigFile, cfg); err != nil {
			return err
		}
	}
	var progress train.Progress
	if !*quiet {
		if f, ok := stderr.(*os.File); ok && isTerminal(f) {
			progress = train.NewProgressBar(stderr)
		} else {
			progress = train.NewProgressLog(stderr, 15*time.Second)
		}
	}
	fmt.Fprintf(stderr, "training on %s → %s\n", cfg.DataName(), *out)
	res, err := train.Fit(cfg, data, train.Options{Backend: b, RunDir: *out, Resume: *resume, Progress: progress, Log: stderr})
	if err != nil {
		return err
	}
	rep, err := report.ForTraining(cfg, data, res)
	if err != nil {
		return err
	}
	if err := report.WriteRun(*out, rep, res.History, res.Model, data.Test); err != nil {
		return err
	}
	if data.TestPairs != nil && data.TestPairs.Len() > 0 {
		if err := run.WriteTestPairs(data.TestPairs); err != nil {
			return err
		}
		rep.Files = append(rep.Files, train.TestPairsFile)
	}
	rep.Training.TotalSeconds = time.Since(start).Seconds()
	if js, err := rep.JSON(); err == nil {
		_ = train.WriteFileAtomic(run.Path(report.MetricsFile), js)
	}
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nrun folder %s: model, config.json, metrics.json, report.md, %s (%.0f s in all)\n",
		*out, strings.Join(rep.Files, ", "), rep.Training.TotalSeconds)
	return nil
}

// lossHelp lists the losses for --help: pair and tuple losses, then the losses with learnable
// class parameters.
func lossHelp() string {
	var tuple, class []string
	for _, n := range losses.Names() {
		if train.IsClassLoss(n) {
			class = append(class, n)
		} else {
			tuple = append(tuple, n)
		}
	}
	return "loss, with PyTorch Metric Learning's defaults: " + strings.Join(tuple, ", ") +
		";\nwith learnable class parameters (class batches only): " + strings.Join(class, ", ")
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
func needRun(rest []string, max int) (train.Run, error) {
	if len(rest) == 0 {
		return train.Run{}, usagef("%v", errNoRun)
	}
	if len(rest) > max {
		return train.Run{}, usagef("unexpected argument %q", rest[max])
	}
	return train.Run{Dir: rest[0]}, nil
}

// loadModel opens the GoMLX backend backendCfg and loads run's model on it.
func loadModel(run train.Run, backendCfg string) (*train.Model, error) {
	b, err := backend.New(backendCfg)
	if err != nil {
		return nil, err
	}
	return run.LoadModel(b)
}

// printSkipped lists on stderr the malformed lines that a reader skipped.
func printSkipped(stderr io.Writer, warnings []*datasets.LineError) {
	for _, w := range warnings {
		fmt.Fprintf(stderr, "skipped %v\n", w)
	}
}
