package train

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
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

	"github.com/gometric/gometric/datasets"
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

// Split kinds.
const (
	splitItems = "items"
	splitPairs = "pairs"
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

// rawData is a run's data as read, before it is split.
type rawData struct {
	items    *datasets.Items
	pairs    *datasets.Pairs
	warnings []*datasets.LineError
	record   DataRecord
	// baseline and triplets come with a built-in graph data set (builtin.go); graphEdit holds
	// the numbers of generated training, validation and test pairs.
	baseline  *Baseline
	triplets  *Triplets
	graphEdit [3]int
	// placeNames marks the place names (their baseline is fitted on the training split: finish).
	placeNames bool
}

// readData reads the data cfg names, from the files itemsPath and pairsPath (cfg.Items and
// cfg.Pairs, or where they are now).
func readData(cfg Config, itemsPath, pairsPath string) (*rawData, error) {
	opts, err := cfg.readOptions()
	if err != nil {
		return nil, err
	}
	raw := &rawData{}
	switch {
	case itemsPath != "":
		var w []*datasets.LineError
		if raw.items, w, err = ReadItemsFile(itemsPath, opts); err != nil {
			return nil, err
		}
		raw.warnings = append(raw.warnings, w...)
	case pairsPath == "":
		ok, err := raw.builtinGraphs(cfg)
		if err != nil {
			return nil, err
		}
		if !ok {
			if raw.items, err = datasets.Load(cfg.Dataset); err != nil {
				return nil, err
			}
		}
		raw.record.Dataset = cfg.Dataset
	}
	if pairsPath != "" {
		var w []*datasets.LineError
		if raw.pairs, w, err = ReadPairsFile(pairsPath, raw.items, opts); err != nil {
			return nil, err
		}
		raw.warnings = append(raw.warnings, w...)
	}
	return raw, nil
}

// fingerprint fills raw.record: the files read (as cfg names them, at itemsPath and pairsPath) and
// the content hash. Only a run's start needs it; LoadData and Run.Data skip the work.
func (raw *rawData) fingerprint(cfg Config, itemsPath, pairsPath string) error {
	for _, f := range []struct{ role, name, path string }{{"items", cfg.Items, itemsPath}, {"pairs", cfg.Pairs, pairsPath}} {
		if f.path == "" {
			continue
		}
		fr, err := fileRecord(f.role, f.name, f.path)
		if err != nil {
			return err
		}
		raw.record.Files = append(raw.record.Files, fr)
	}
	raw.record.Content = raw.contentHash()
	return nil
}

// prepare splits the data as cfg says (see PrepareItems and PreparePairs).
func (raw *rawData) prepare(cfg Config) (*Data, error) {
	var data *Data
	var err error
	if raw.triplets != nil {
		if data, err = raw.prepareGraphEdit(); err != nil {
			return nil, err
		}
	} else if raw.pairs != nil {
		if data, err = PreparePairs(cfg, raw.pairs); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Pairs, err)
		}
	} else if data, err = PrepareItems(cfg, raw.items); err != nil {
		return nil, err
	}
	data.Warnings = raw.warnings
	return data, raw.finish(data)
}

// fileRecord fingerprints the file at path, given as name.
func fileRecord(role, name, path string) (FileRecord, error) {
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

// contentHash is the SHA-256 of the data as read: items (ids, labels, class names, official split,
// features, and objects such as graphs) and pairs (sides, labels, source lines).
func (raw *rawData) contentHash() string {
	h := sha256.New()
	var buf [8]byte
	putInt := func(v int) {
		binary.LittleEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	putString := func(s string) {
		putInt(len(s))
		io.WriteString(h, s)
	}
	putItems := func(it *datasets.Items) {
		if it == nil {
			putInt(-1)
			return
		}
		putInt(it.Len())
		for _, id := range it.IDs {
			putString(id)
		}
		putInt(len(it.Labels))
		for _, l := range it.Labels {
			putInt(l)
		}
		putInt(len(it.ClassNames))
		for _, n := range it.ClassNames {
			putString(n)
		}
		putInt(len(it.OfficialTest))
		for _, t := range it.OfficialTest {
			if t {
				h.Write([]byte{1})
			} else {
				h.Write([]byte{0})
			}
		}
		putInt(it.Dim())
		fb := make([]byte, 0, 4*4096)
		for i, v := range it.Features.Data {
			fb = binary.LittleEndian.AppendUint32(fb, math.Float32bits(v))
			if len(fb) == cap(fb) || i == len(it.Features.Data)-1 {
				h.Write(fb)
				fb = fb[:0]
			}
		}
		if it.Objects != nil {
			// Other items than vectors (graphs) add their kind and content; vectors hash as before.
			putString(it.Objects.Kind())
			if err := it.Objects.WriteContent(h); err != nil {
				panic(err) // a hash does not fail to write
			}
		}
	}
	putItems(raw.items)
	if b := raw.baseline; b != nil {
		// A data set's own baseline (the molecules' fingerprints) is part of what was read.
		putString("baseline " + b.Name)
		putItems(b.Features)
	}
	if t := raw.triplets; t != nil {
		putString("triplets")
		for _, idx := range [][]int{t.Anchor, t.Positive, t.Negative} {
			putInt(len(idx))
			for _, i := range idx {
				putInt(i)
			}
		}
	}
	if p := raw.pairs; p != nil {
		if p.Items != raw.items {
			putItems(p.Items)
		}
		putInt(p.Len())
		for i := range p.Y {
			putInt(p.A[i])
			putInt(p.B[i])
			putInt(p.Y[i])
		}
		for _, l := range p.Lines {
			putInt(l)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RecordSplit returns the split of data, whose items or pairs were read as items and pairs (the
// data LoadData read; pairs nil for class-labelled items).
func recordSplit(raw *rawData, d *Data) (*DataSplit, error) {
	if raw.pairs != nil {
		s := &DataSplit{Kind: splitPairs}
		for _, part := range []struct {
			dst *Ranges
			p   *datasets.Pairs
		}{{&s.Train, d.TrainPairs}, {&s.Val, d.ValPairs}, {&s.Test, d.TestPairs}} {
			if part.p.Lines == nil {
				return nil, errors.New("split: the pairs have no line numbers")
			}
			*part.dst = sortedCopy(part.p.Lines)
		}
		return s, nil
	}
	index := raw.items.IndexByID()
	indices := func(it *datasets.Items) (Ranges, error) {
		out := make(Ranges, it.Len())
		for i, id := range it.IDs {
			j, ok := index[id]
			if !ok {
				return nil, fmt.Errorf("split: item %q is not in the data", id)
			}
			out[i] = j
		}
		slices.Sort(out)
		return out, nil
	}
	s := &DataSplit{Kind: splitItems}
	var err error
	for _, part := range []struct {
		dst *Ranges
		it  *datasets.Items
	}{{&s.Train, d.Train}, {&s.Val, d.Val}, {&s.Test, d.Test}, {&s.ValTrack, d.ValTrack}} {
		if *part.dst, err = indices(part.it); err != nil {
			return nil, err
		}
	}
	pairList := func(p *datasets.Pairs) (*PairList, error) {
		l := &PairList{A: make([]int, p.Len()), B: make([]int, p.Len()), Y: slices.Clone(p.Y)}
		for i := range p.Y {
			a, okA := index[p.Items.IDs[p.A[i]]]
			b, okB := index[p.Items.IDs[p.B[i]]]
			if !okA || !okB {
				return nil, fmt.Errorf("split: pair %d joins items that are not in the data", i)
			}
			l.A[i], l.B[i] = a, b
		}
		return l, nil
	}
	if s.ValPairs, err = pairList(d.ValPairs); err != nil {
		return nil, err
	}
	if s.TestPairs, err = pairList(d.TestPairs); err != nil {
		return nil, err
	}
	return s, nil
}

// sortedCopy returns a sorted copy of v.
func sortedCopy(v []int) Ranges {
	out := slices.Clone(v)
	slices.Sort(out)
	return out
}

// apply rebuilds a run's Data from the data as read and the recorded split; it is an error when the
// split does not fit the data.
func (s *DataSplit) apply(raw *rawData) (*Data, error) {
	switch s.Kind {
	case splitPairs:
		if raw.pairs == nil {
			return nil, errors.New("the split is of pairs, the data has none")
		}
		p := raw.pairs
		byLine := make(map[int]int, p.Len())
		for i, l := range p.Lines {
			byLine[l] = i
		}
		subset := func(lines Ranges, what string) (*datasets.Pairs, error) {
			idx := make([]int, len(lines))
			for k, l := range lines {
				i, ok := byLine[l]
				if !ok {
					return nil, fmt.Errorf("the recorded %s pair at line %d is not in the data", what, l)
				}
				idx[k] = i
			}
			return p.Subset(idx), nil
		}
		d := &Data{Name: p.Items.Name, Train: p.Items, Warnings: raw.warnings}
		var err error
		if d.TrainPairs, err = subset(s.Train, "training"); err != nil {
			return nil, err
		}
		if d.ValPairs, err = subset(s.Val, "validation"); err != nil {
			return nil, err
		}
		if d.TestPairs, err = subset(s.Test, "test"); err != nil {
			return nil, err
		}
		return d, nil
	case splitItems:
		it := raw.items
		if it == nil || raw.pairs != nil {
			return nil, errors.New("the split is of items, the data is not")
		}
		n := it.Len()
		subset := func(idx Ranges) (*datasets.Items, error) {
			for _, i := range idx {
				if i >= n {
					return nil, fmt.Errorf("the recorded split names item %d of %d", i, n)
				}
			}
			return it.Subset(idx), nil
		}
		d := &Data{Name: it.Name, Warnings: raw.warnings}
		var err error
		if d.Train, err = subset(s.Train); err != nil {
			return nil, err
		}
		if d.Val, err = subset(s.Val); err != nil {
			return nil, err
		}
		if d.Test, err = subset(s.Test); err != nil {
			return nil, err
		}
		if d.ValTrack, err = subset(s.ValTrack); err != nil {
			return nil, err
		}
		pairs := func(l *PairList, sub *datasets.Items, idx Ranges, what string) (*datasets.Pairs, error) {
			if l == nil || len(l.A) != len(l.Y) || len(l.B) != len(l.Y) {
				return nil, fmt.Errorf("the recorded %s pairs are missing or malformed", what)
			}
			pos := make(map[int]int, len(idx))
			for k, i := range idx {
				pos[i] = k
			}
			p := &datasets.Pairs{Items: sub, A: make([]int, len(l.Y)), B: make([]int, len(l.Y)), Y: slices.Clone(l.Y)}
			for i := range l.Y {
				a, okA := pos[l.A[i]]
				b, okB := pos[l.B[i]]
				if !okA || !okB {
					return nil, fmt.Errorf("the recorded %s pair %d joins items outside the %s split", what, i, what)
				}
				p.A[i], p.B[i] = a, b
			}
			return p, p.Validate()
		}
		if d.ValPairs, err = pairs(s.ValPairs, d.Val, s.Val, "validation"); err != nil {
			return nil, err
		}
		if d.TestPairs, err = pairs(s.TestPairs, d.Test, s.Test, "test"); err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, fmt.Errorf("unknown split kind %q", s.Kind)
}

// FileSHA256 returns the hex SHA-256 of the file at path, as DataRecord records it.
func FileSHA256(path string) (string, error) {
	sum, _, err := fileSHA256(path)
	return sum, err
}
