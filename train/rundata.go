package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gometric/gometric/internal/fault"
)

// DataPaths says where a run's input files are now, when they may have moved since the run started:
// a file given here is used when its content has the recorded fingerprint.
type DataPaths struct {
	Items, Pairs string
}

// startFiles are the files that Run.Start writes before config.json: a folder holding only these (and
// a lock or temporary files) is a start that was interrupted, and may be started again.
var startFiles = []string{DataFile, SplitFile, LockFile}

// CheckNew checks that the run folder can hold a new run: it does not exist, is empty, or holds only
// what an interrupted start left. A run folder (one with config.json) is an error that says to
// resume it; any other non-empty folder is an error that names what it holds.
func (r Run) CheckNew() error {
	entries, err := os.ReadDir(r.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var other []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == ConfigFile:
			return fmt.Errorf("%s already holds a run: use --resume to continue it, or another --out", r.Dir)
		case slices.Contains(startFiles, name) || strings.HasPrefix(name, tmpPrefix):
		default:
			other = append(other, name)
		}
	}
	if len(other) > 0 {
		if len(other) > 3 {
			other = append(other[:3], "…")
		}
		return fmt.Errorf("%s is not empty and not a run folder (it holds %s): give a new or empty folder as --out", r.Dir, strings.Join(other, ", "))
	}
	return nil
}

// Start begins a new run in the folder: it checks the folder (CheckNew), reads and splits the data
// cfg names (as LoadData does), and records in the folder what the run trains on: data.json (the
// fingerprints of the input), split.json (the split), then config.json. The data comes back split.
func (r Run) Start(cfg Config) (*Data, error) {
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
	if err := r.WriteJSON(DataFile, raw.record); err != nil {
		return nil, err
	}
	fault.Point("start-data")
	if err := r.WriteJSON(SplitFile, split); err != nil {
		return nil, err
	}
	fault.Point("start-split")
	if err := r.WriteJSON(ConfigFile, cfg); err != nil {
		return nil, err
	}
	fault.Point("start-config")
	return data, nil
}

// Record reads the run's DataRecord.
func (r Run) Record() (DataRecord, error) {
	var rec DataRecord
	err := r.ReadJSON(DataFile, &rec)
	return rec, err
}

// Data reloads the run's data as the run split it: each input file is looked for where paths says,
// then at its recorded path, then at its recorded absolute path, and used only when its SHA-256 is
// the recorded one; the data read must have the recorded content fingerprint, and the recorded split
// is applied to it. Anything else is an error that says what differs.
func (r Run) Data(cfg Config, paths DataPaths) (*Data, error) {
	if _, err := os.Stat(r.Path(DataFile)); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(r.Path(ConfigFile)); err == nil {
			return nil, fmt.Errorf("%s has no record of its data (%s): it was trained without Run.Start; give the data to measure on (--dataset, --items, --pairs)", r.Dir, DataFile)
		}
	}
	rec, err := r.Record()
	if err != nil {
		return nil, err
	}
	var split DataSplit
	if err := r.ReadJSON(SplitFile, &split); err != nil {
		return nil, err
	}
	given := map[string]string{"items": paths.Items, "pairs": paths.Pairs}
	found := map[string]string{}
	for _, f := range rec.Files {
		path, err := locate(f, given[f.Role])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Dir, err)
		}
		found[f.Role] = path
	}
	if (cfg.Items != "") != (found["items"] != "") || (cfg.Pairs != "") != (found["pairs"] != "") {
		return nil, fmt.Errorf("%s: %s does not record the files that %s names", r.Dir, DataFile, ConfigFile)
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
	data, err := split.apply(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", r.Dir, SplitFile, err)
	}
	return data, raw.finish(data)
}

// locate returns the path of the recorded file: given when it is set (and must match), else the
// recorded path, else the recorded absolute path, whichever has the recorded content.
func locate(f FileRecord, given string) (string, error) {
	check := func(path string) (ok bool, sum string, err error) {
		sum, _, err = fileSHA256(path)
		if err != nil {
			return false, "", err
		}
		return sum == f.SHA256, sum, nil
	}
	if given != "" {
		ok, sum, err := check(given)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("%s is not the run's %s file: its SHA-256 is %.12s…, the run trained on %s with %.12s…", given, f.Role, sum, f.Path, f.SHA256)
		}
		return given, nil
	}
	var changed []string
	for _, path := range []string{f.Path, f.Abs} {
		ok, sum, err := check(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if ok {
			return path, nil
		}
		changed = append(changed, fmt.Sprintf("%s (SHA-256 %.12s…)", path, sum))
	}
	if len(changed) > 0 {
		return "", fmt.Errorf("the run's %s file has changed since the run started: %s, recorded %.12s…; give the original file (--%s FILE), or evaluate on the new one as other data with 'gometric eval RUN --%s FILE'",
			f.Role, strings.Join(changed, ", "), f.SHA256, f.Role, f.Role)
	}
	return "", fmt.Errorf("the run's %s file %s is not there (nor %s): give it with --%s FILE", f.Role, f.Path, filepath.Clean(f.Abs), f.Role)
}

// checkUntrained checks that a fresh training may write the run folder: one begun by Start (with
// config.json) and not trained yet, or one that CheckNew accepts, to which it writes cfg as
// config.json (without a record of the data: Data then needs the data given again).
func (r Run) checkUntrained(cfg Config) error {
	if _, err := os.Stat(r.Path(ConfigFile)); err != nil {
		if err := r.CheckNew(); err != nil {
			return err
		}
		return r.WriteJSON(ConfigFile, cfg)
	}
	latest, _, err := r.Checkpoints().Latest()
	if err != nil {
		return err
	}
	_, modelErr := os.Stat(r.Path(ModelDir))
	if latest != "" || modelErr == nil {
		return fmt.Errorf("%s already holds a trained run: resume it (Options.Resume, gometric train --resume), or use another folder", r.Dir)
	}
	return nil
}
