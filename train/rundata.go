package train

import (
	"errors"
	"fmt"
	"os"

	"github.com/gometric/gometric/internal/fault"
	"github.com/gometric/gometric/runfolder"
)

// DataPaths says where a run's input files are now, when they may have moved since the run started:
// a file given here is used when its content has the recorded fingerprint.
type DataPaths struct {
	Items, Pairs string
}

// StartRun begins a new run in the folder r: it checks the folder (runfolder.Folder.CheckNew),
// reads and splits the data cfg names (as LoadData does), and records in the folder what the run
// trains on: data.json (the fingerprints of the input, runfolder.DataRecord), split.json (the split,
// runfolder.DataSplit), then config.json. The data comes back split.
func StartRun(r runfolder.Folder, cfg Config) (*Data, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := r.CheckNew(); err != nil {
		return nil, err
	}
	raw, err := readData(cfg, cfg.Items, cfg.Pairs)
	if err != nil {
		return nil, err
	}
	if err := raw.fingerprint(cfg, cfg.Items, cfg.Pairs); err != nil {
		return nil, err
	}
	data, err := raw.prepare(cfg)
	if err != nil {
		return nil, err
	}
	split, err := recordSplit(raw, data)
	if err != nil {
		return nil, err
	}
	if err := r.WriteJSON(runfolder.DataFile, raw.record); err != nil {
		return nil, err
	}
	fault.Point("start-data")
	if err := r.WriteJSON(runfolder.SplitFile, split); err != nil {
		return nil, err
	}
	fault.Point("start-split")
	if err := r.WriteJSON(runfolder.ConfigFile, cfg); err != nil {
		return nil, err
	}
	fault.Point("start-config")
	return data, nil
}

// RunData reloads the data of the run in folder r as the run split it: each input file is looked for where paths says,
// then at its recorded path, then at its recorded absolute path, and used only when its SHA-256 is
// the recorded one; the data read must have the recorded content fingerprint, and the recorded split
// is applied to it. Anything else is an error that says what differs.
func RunData(r runfolder.Folder, cfg Config, paths DataPaths) (*Data, error) {
	if _, err := os.Stat(r.Path(runfolder.DataFile)); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(r.Path(runfolder.ConfigFile)); err == nil {
			return nil, fmt.Errorf("%s has no record of its data (%s): it was trained without train.StartRun; give the data to measure on (--dataset, --items, --pairs)", r.Dir, runfolder.DataFile)
		}
	}
	rec, err := r.Record()
	if err != nil {
		return nil, err
	}
	split, err := r.Split()
	if err != nil {
		return nil, err
	}
	given := map[string]string{"items": paths.Items, "pairs": paths.Pairs}
	found := map[string]string{}
	for _, f := range rec.Files {
		path, err := runfolder.Locate(f, given[f.Role])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Dir, err)
		}
		found[f.Role] = path
	}
	if (cfg.Items != "") != (found["items"] != "") || (cfg.Pairs != "") != (found["pairs"] != "") {
		return nil, fmt.Errorf("%s: %s does not record the files that %s names", r.Dir, runfolder.DataFile, runfolder.ConfigFile)
	}
	raw, err := readData(cfg, found["items"], found["pairs"])
	if err != nil {
		return nil, err
	}
	// The files were found by their SHA-256 (locate); the content hash also checks what was read
	// from them (reader options) and a built-in data set.
	if content := raw.contentHash(); content != rec.Content {
		what := "the data"
		if rec.Dataset != "" {
			what = "built-in data set " + rec.Dataset
		}
		return nil, fmt.Errorf("%s: %s reads differently from when the run started (content fingerprint %.12s…, recorded %.12s…): the run's split cannot be applied to it", r.Dir, what, content, rec.Content)
	}
	data, err := applySplit(&split, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", r.Dir, runfolder.SplitFile, err)
	}
	return data, raw.finish(data)
}

// checkUntrained checks that a fresh training may write the run folder r: one begun by StartRun
// (with config.json) and not trained yet, or one that CheckNew accepts, to which it writes cfg as
// config.json (without a record of the data: RunData then needs the data given again).
func checkUntrained(r runfolder.Folder, cfg Config) error {
	if _, err := os.Stat(r.Path(runfolder.ConfigFile)); err != nil {
		if err := r.CheckNew(); err != nil {
			return err
		}
		return r.WriteJSON(runfolder.ConfigFile, cfg)
	}
	latest, _, err := r.Checkpoints().Latest()
	if err != nil {
		return err
	}
	_, modelErr := os.Stat(r.Path(runfolder.ModelDir))
	if latest != "" || modelErr == nil {
		return fmt.Errorf("%s already holds a trained run: resume it (Options.Resume, gometric train --resume), or use another folder", r.Dir)
	}
	return nil
}
