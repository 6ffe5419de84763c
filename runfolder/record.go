package runfolder

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Files of a run folder that record what the run trained on.
const (
	// DataFile holds the DataRecord: the fingerprints of the run's input.
	DataFile = "data.json"
	// SplitFile holds the DataSplit: which items or pairs went to training, validation and test.
	SplitFile = "split.json"
)

// FileRecord identifies one input file by its content.
type FileRecord struct {
	// Role is the file's part: "items" or "pairs".
	Role string `json:"role"`
	// Path is the path as it was given; Abs the absolute path it resolved to.
	Path string `json:"path"`
	Abs  string `json:"abs"`
	// Size is the file's length in bytes and SHA256 the hex SHA-256 of its bytes.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// DataRecord is what a run trained on, recorded when it started so that resuming and evaluating
// never trust a file name: the SHA-256 of every input file and of the data as loaded.
type DataRecord struct {
	// Dataset is the built-in data set, when the run used one.
	Dataset string `json:"dataset,omitempty"`
	// Files are the input files.
	Files []FileRecord `json:"files,omitempty"`
	// Content is the SHA-256 of the data as read (item ids, labels, features, pairs): the
	// fingerprint of a built-in data set, and a second check on files read with other options.
	Content string `json:"content"`
}

// DataSplit records how a run split its data, so that resuming and evaluating use exactly the same
// training, validation and test data whatever order the file is in later (a changed file is refused
// by its fingerprint before the split is applied).
//
// For class-labelled items (Kind "items") Train, Val, Test and ValTrack are item indices in the data
// as read, and ValPairs and TestPairs the validation and test pairs drawn from them. For a pairs
// file (Kind "pairs") Train, Val and Test are the pairs' line numbers in the file.
type DataSplit struct {
	// Kind is "items" or "pairs".
	Kind string `json:"kind"`
	// Train, Val and Test are the splits' item indices or pair lines.
	Train Ranges `json:"train"`
	Val   Ranges `json:"val"`
	Test  Ranges `json:"test"`
	// ValTrack are the validation items whose MAP@R training tracks (items only).
	ValTrack Ranges `json:"val_track,omitempty"`
	// ValPairs and TestPairs are the labeled validation and test pairs drawn from the validation
	// and test items, as item indices (items only).
	ValPairs  *PairList `json:"val_pairs,omitempty"`
	TestPairs *PairList `json:"test_pairs,omitempty"`
}

// Kinds of DataSplit.
const (
	// SplitItems is the split of class-labelled items.
	SplitItems = "items"
	// SplitPairs is the split of a pairs file.
	SplitPairs = "pairs"
)

// PairList is a list of labeled pairs of item indices.
type PairList struct {
	A []int `json:"a"`
	B []int `json:"b"`
	Y []int `json:"label"`
}

// Ranges is a sorted list of non-negative integers, written compactly in JSON as a string: ranges
// ("0-4,7,9-12"), or, when shorter (a random half of 60,000 items), a bitmap of the integers in
// base64 ("bitmap:..."), bit i of byte i/8 set for integer i.
type Ranges []int

// bitmapPrefix starts the bitmap form of Ranges.
const bitmapPrefix = "bitmap:"

// MarshalJSON writes r in the shorter of its two forms.
func (r Ranges) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	for i := 0; i < len(r); {
		j := i
		for j+1 < len(r) && r[j+1] == r[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(r[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(r[j]))
		}
		i = j + 1
	}
	if n := len(r); n > 0 && base64.StdEncoding.EncodedLen(r[n-1]/8+1)+len(bitmapPrefix) < b.Len() {
		bits := make([]byte, r[n-1]/8+1)
		for _, v := range r {
			bits[v/8] |= 1 << (v % 8)
		}
		return json.Marshal(bitmapPrefix + base64.StdEncoding.EncodeToString(bits))
	}
	return json.Marshal(b.String())
}

// UnmarshalJSON reads either form; ranges must be increasing.
func (r *Ranges) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("ranges: %w", err)
	}
	*r = nil
	if enc, ok := strings.CutPrefix(s, bitmapPrefix); ok {
		bits, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return fmt.Errorf("ranges: bitmap: %w", err)
		}
		for i, b := range bits {
			for k := range 8 {
				if b&(1<<k) != 0 {
					*r = append(*r, 8*i+k)
				}
			}
		}
		return nil
	}
	if s == "" {
		return nil
	}
	last := -1
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || a <= last || b-a > math.MaxInt32 {
			return fmt.Errorf("ranges: bad range %q", part)
		}
		for v := a; v <= b; v++ {
			*r = append(*r, v)
		}
		last = b
	}
	return nil
}

// FileSHA256 returns the hex SHA-256 of the file at path, as DataRecord records it.
func FileSHA256(path string) (string, error) {
	sum, _, err := fileSHA256(path)
	return sum, err
}

// NewFileRecord fingerprints the file at path, given as name, in its role ("items" or "pairs").
func NewFileRecord(role, name, path string) (FileRecord, error) {
	sum, size, err := fileSHA256(path)
	if err != nil {
		return FileRecord{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return FileRecord{}, err
	}
	return FileRecord{Role: role, Path: name, Abs: abs, Size: size, SHA256: sum}, nil
}

// fileSHA256 returns the hex SHA-256 and the length of the file at path.
func fileSHA256(path string) (sum string, size int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	if size, err = io.Copy(h, f); err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// Record reads the run's DataRecord.
func (r Folder) Record() (DataRecord, error) {
	var rec DataRecord
	err := r.ReadJSON(DataFile, &rec)
	return rec, err
}

// Split reads the run's DataSplit.
func (r Folder) Split() (DataSplit, error) {
	var split DataSplit
	err := r.ReadJSON(SplitFile, &split)
	return split, err
}

// startFiles are the files that train.StartRun writes before config.json: a folder holding only these (and
// a lock or temporary files) is a start that was interrupted, and may be started again.
var startFiles = []string{DataFile, SplitFile, LockFile}

// CheckNew checks that the run folder can hold a new run: it does not exist, is empty, or holds only
// what an interrupted start left. A run folder (one with config.json) is an error that says to
// resume it; any other non-empty folder is an error that names what it holds.
func (r Folder) CheckNew() error {
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

// Locate returns the path of the recorded file: given when it is set (and must match), else the
// recorded path, else the recorded absolute path, whichever has the recorded content. Anything
// else is an error that says what differs and how to give the file.
func Locate(f FileRecord, given string) (string, error) {
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
