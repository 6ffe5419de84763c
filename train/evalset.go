package train

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
)

// LoadEvalSet loads the data src names as a report.Set, for the model of run (trained with runCfg,
// the run's configuration), and describes it (for `gometric eval`, report.ForModel):
//
//   - nothing, or the run's own built-in data set: the run's test split (items and pairs), exactly
//     as training drew it: the recorded split of the recorded data, whose fingerprints are checked
//     (RunData); a changed input file is an error;
//   - another built-in data set: its official test items, or all its items when it has no
//     official split, and runCfg.EvalPairs pairs drawn from them;
//   - an items file alone: its items (which must have class labels) and runCfg.EvalPairs pairs
//     drawn from them;
//   - a pairs file: its pairs, and the items file's items for retrieval when they have labels.
//
// Anything but the run's test split is described as other data, and a file the run trained on is
// said to include the run's training data. Malformed lines are an error naming file and line,
// unless src.SkipBadLines; warnings lists the skipped lines.
func LoadEvalSet(run runfolder.Folder, runCfg Config, src report.Source) (set report.Set, desc string, warnings []*datasets.LineError, err error) {
	defer func() {
		if err == nil && !strings.HasPrefix(desc, "the run's test split") {
			desc = "other data: " + desc + trainedOnNote(run, src)
		}
	}()
	opts := &datasets.ReadOptions{SkipBadLines: src.SkipBadLines}
	nPairs := runCfg.EvalPairs
	if nPairs <= 0 {
		nPairs = DefaultConfig().EvalPairs
	}
	seed := runCfg.Seed
	own := src.Items == "" && src.Pairs == "" && (src.Dataset == "" ||
		(src.Dataset == runCfg.Dataset && runCfg.Items == "" && runCfg.Pairs == ""))
	switch {
	case own:
		data, err := RunData(run, runCfg, DataPaths{})
		if err != nil {
			return set, "", nil, err
		}
		set = data.testSet()
		return set, fmt.Sprintf("the run's test split of %s (recorded split, input fingerprints checked)", data.Name), data.Warnings, nil
	case src.Pairs != "":
		var items *datasets.Items
		if src.Items != "" {
			var w []*datasets.LineError
			if items, w, err = ReadItemsFile(src.Items, opts); err != nil {
				return set, "", nil, err
			}
			warnings = append(warnings, w...)
		}
		p, w, err := ReadPairsFile(src.Pairs, items, opts)
		if err != nil {
			return set, "", nil, err
		}
		warnings = append(warnings, w...)
		set.Pairs = p
		desc = fmt.Sprintf("%s pairs from %s", report.Count(p.Len()), src.Pairs)
		if items != nil && items.HasLabels() {
			set.Items = items
			desc += fmt.Sprintf(", %s items from %s", report.Count(items.Len()), src.Items)
		}
		return set, desc, warnings, nil
	}
	var items *datasets.Items
	if src.Items != "" {
		if items, warnings, err = ReadItemsFile(src.Items, opts); err != nil {
			return set, "", nil, err
		}
		desc = fmt.Sprintf("%s items from %s", report.Count(items.Len()), src.Items)
	} else {
		if items, err = LoadBuiltin(src.Dataset); err != nil {
			return set, "", nil, err
		}
		desc = fmt.Sprintf("%s, all %s items", items.Name, report.Count(items.Len()))
		if items.OfficialTest != nil {
			if _, items, err = items.OfficialSplit(); err != nil {
				return set, "", nil, err
			}
			desc = fmt.Sprintf("%s, the %s official test items", items.Name, report.Count(items.Len()))
		}
	}
	if !items.HasLabels() {
		return set, "", nil, errors.New(src.Items + ": the items have no class labels, so there is nothing to measure (give labeled pairs with --pairs)")
	}
	set.Items = items
	if set.Pairs, err = datasets.SamplePairs(items, nPairs, 0.5, seed); err != nil {
		return set, "", nil, err
	}
	return set, desc, warnings, nil
}

// trainedOnNote returns a note when a file of src is one the run trained on (by content): measuring
// on it includes the run's training data.
func trainedOnNote(run runfolder.Folder, src report.Source) string {
	rec, err := run.Record()
	if err != nil {
		return ""
	}
	for _, path := range []string{src.Items, src.Pairs} {
		if path == "" {
			continue
		}
		sum, err := runfolder.FileSHA256(path)
		if err != nil {
			continue
		}
		for _, f := range rec.Files {
			if f.SHA256 == sum {
				return fmt.Sprintf(" (%s is the run's own %s file: it includes the training data; 'gometric eval %s' measures the test split alone)", path, f.Role, run.Dir)
			}
		}
	}
	return ""
}
