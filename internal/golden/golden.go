// Package golden loads the reference outputs of PyTorch Metric Learning and scikit-learn that
// gometric's golden tests check against (testdata/golden, and $GOMETRIC_GOLDEN_DIR when set).
//
// A file is recognised by its top-level keys, not its name: "losses", "miners" and "accuracy" are
// sections of a PyTorch Metric Learning file, "verification" and "clustering" of a scikit-learn
// file. Each section is a list of cases; each case is kept as raw JSON for the checker of its
// section to decode.
package golden

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// EnvDir is the environment variable naming an extra folder of golden *.json files.
const EnvDir = "GOMETRIC_GOLDEN_DIR"

// Sections lists the section keys gometric knows, in the order they are reported.
var Sections = []string{"losses", "miners", "accuracy", "verification", "clustering"}

// File is one golden file: its path and, per known section present in it, the raw cases.
type File struct {
	Path     string
	Sections map[string][]json.RawMessage
}

// Name is the file's base name, as reported by the golden test.
func (f *File) Name() string { return filepath.Base(f.Path) }

// Load reads one golden file. A file with none of the known section keys is returned with no
// sections (the caller reports it); malformed JSON is an error naming the file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %w", path, err)
	}
	f := &File{Path: path, Sections: map[string][]json.RawMessage{}}
	for _, s := range Sections {
		raw, ok := top[s]
		if !ok {
			continue
		}
		var cases []json.RawMessage
		if err := json.Unmarshal(raw, &cases); err != nil {
			return nil, fmt.Errorf("%s: section %q is not a list of cases: %w", path, s, err)
		}
		f.Sections[s] = cases
	}
	return f, nil
}

// Paths returns the golden files to check: every *.json in dir, then every *.json in
// $GOMETRIC_GOLDEN_DIR when that is set, each list sorted.
func Paths(dir string) ([]string, error) {
	var all []string
	for _, d := range []string{dir, os.Getenv(EnvDir)} {
		if d == "" {
			continue
		}
		m, err := filepath.Glob(filepath.Join(d, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 && d != dir {
			return nil, fmt.Errorf("%s=%s holds no *.json file", EnvDir, d)
		}
		sort.Strings(m)
		all = append(all, m...)
	}
	return all, nil
}
