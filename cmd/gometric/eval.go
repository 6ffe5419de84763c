package main

import (
	"io"

	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/train"
)

const evalSynopsis = `Usage: gometric eval RUN [--dataset NAME | --items FILE | --pairs FILE [--items FILE]] [flags]

Prints the report of the model in run folder RUN: retrieval (precision_at_1, r_precision, MAP@R) on
class-labelled items, and verification (ROC-AUC, average precision, accuracy and F1 at the frozen
threshold) on labeled pairs. Without data flags: the run's own test split, as training drew it (the
split recorded in RUN/split.json, of the input whose SHA-256 RUN/data.json records: a changed input
file is refused). With data flags, the report is labelled as other data:
--dataset: the data set's official test items (all items if it has none) and pairs drawn from them;
--items alone: those items and pairs drawn from them; --pairs: those pairs.
`

// cmdEval is `gometric eval`.
func cmdEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", evalSynopsis, stdout)
	var src report.Source
	fs.StringVar(&src.Dataset, "dataset", "", "built-in data set to measure on")
	fs.StringVar(&src.Items, "items", "", "items file (class labels needed for retrieval)")
	fs.StringVar(&src.Pairs, "pairs", "", "labeled pairs file")
	fs.BoolVar(&src.SkipBadLines, "skip-bad-lines", false, "skip malformed lines (they are listed) instead of failing")
	baselines := fs.Bool("baselines", true, "also report the raw features")
	asJSON := fs.Bool("json", false, "print the metrics as JSON instead of tables")
	backendCfg := backendFlag(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	run, err := needRun(rest, 1)
	if err != nil {
		return err
	}
	if src.Dataset != "" && (src.Items != "" || src.Pairs != "") {
		return usagef("give either --dataset or files (--items, --pairs), not both")
	}
	cfg, err := train.RunConfig(run)
	if err != nil {
		return err
	}
	model, err := loadModel(run, *backendCfg)
	if err != nil {
		return err
	}
	set, desc, warnings, err := train.LoadEvalSet(run, cfg, src)
	if err != nil {
		return err
	}
	printSkipped(stderr, warnings)
	rep, err := report.ForModel("gometric eval: "+run.Dir, desc, model.ReportModel(), set, *baselines)
	if err != nil {
		return err
	}
	if *asJSON {
		js, err := rep.JSON()
		if err != nil {
			return err
		}
		_, err = stdout.Write(js)
		return err
	}
	return rep.WriteText(stdout)
}
