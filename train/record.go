package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
)

// rawData is a run's data as read, before it is split.
type rawData struct {
	items    *datasets.Items
	pairs    *datasets.Pairs
	warnings []*datasets.LineError
	record   runfolder.DataRecord
	// baseline and triplets come with a built-in graph data set (builtin.go); graphEdit holds
	// the numbers of generated training, validation and test pairs.
	baseline  *report.Baseline
	triplets  *report.Triplets
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
// the content hash. Only a run's start needs it; LoadData and RunData skip the work.
func (raw *rawData) fingerprint(cfg Config, itemsPath, pairsPath string) error {
	for _, f := range []struct{ role, name, path string }{{"items", cfg.Items, itemsPath}, {"pairs", cfg.Pairs, pairsPath}} {
		if f.path == "" {
			continue
		}
		fr, err := runfolder.NewFileRecord(f.role, f.name, f.path)
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

// recordSplit returns the split of d, the data read as raw and split (runfolder.DataSplit).
func recordSplit(raw *rawData, d *Data) (*runfolder.DataSplit, error) {
	if raw.pairs != nil {
		s := &runfolder.DataSplit{Kind: runfolder.SplitPairs}
		for _, part := range []struct {
			dst *runfolder.Ranges
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
	indices := func(it *datasets.Items) (runfolder.Ranges, error) {
		out := make(runfolder.Ranges, it.Len())
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
	s := &runfolder.DataSplit{Kind: runfolder.SplitItems}
	var err error
	for _, part := range []struct {
		dst *runfolder.Ranges
		it  *datasets.Items
	}{{&s.Train, d.Train}, {&s.Val, d.Val}, {&s.Test, d.Test}, {&s.ValTrack, d.ValTrack}} {
		if *part.dst, err = indices(part.it); err != nil {
			return nil, err
		}
	}
	pairList := func(p *datasets.Pairs) (*runfolder.PairList, error) {
		l := &runfolder.PairList{A: make([]int, p.Len()), B: make([]int, p.Len()), Y: slices.Clone(p.Y)}
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
func sortedCopy(v []int) runfolder.Ranges {
	out := slices.Clone(v)
	slices.Sort(out)
	return out
}

// applySplit rebuilds a run's Data from the data as read and the recorded split s; it is an error
// when the split does not fit the data.
func applySplit(s *runfolder.DataSplit, raw *rawData) (*Data, error) {
	switch s.Kind {
	case runfolder.SplitPairs:
		if raw.pairs == nil {
			return nil, errors.New("the split is of pairs, the data has none")
		}
		p := raw.pairs
		byLine := make(map[int]int, p.Len())
		for i, l := range p.Lines {
			byLine[l] = i
		}
		subset := func(lines runfolder.Ranges, what string) (*datasets.Pairs, error) {
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
	case runfolder.SplitItems:
		it := raw.items
		if it == nil || raw.pairs != nil {
			return nil, errors.New("the split is of items, the data is not")
		}
		n := it.Len()
		subset := func(idx runfolder.Ranges) (*datasets.Items, error) {
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
		pairs := func(l *runfolder.PairList, sub *datasets.Items, idx runfolder.Ranges, what string) (*datasets.Pairs, error) {
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
