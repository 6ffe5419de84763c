package datasets

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gometric/gometric/internal/lines"
	"github.com/gometric/gometric/mat"
)

// ReadItemsFile reads an items file (see ReadItems); errors and warnings name the file by path.
func ReadItemsFile(path string, opts *ReadOptions) (items *Items, warnings []*LineError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadItems(f, path, opts)
}

// ReadItems reads an items file from r; name is the file's name, for the format (by extension,
// unless opts.Format says) and for messages. The formats:
//
//   - CSV: a header row with an "id" column, an optional "label" column and any number of other
//     columns, each a numeric feature (column names match id and label ignoring case);
//   - JSON Lines: one object per line, {"id": "a1", "label": "cat", "features": [0.1, 2]}, with
//     id a string or number, label optional (a string or integer), and "embedding" accepted for
//     "features".
//
// Feature values are plain decimal numbers (no _ separators, no 0x, 0o or 0b prefixes, finite).
// Labels become class indices: when every label is a non-negative integer in plain decimal (no
// sign, no leading zero), the integers themselves (ClassNames nil); otherwise the sorted distinct
// label names index ClassNames, after any opts.ClassNames. Ids must be unique and all feature
// vectors of one length. Every malformed line is reported (a LineErrors error) and nothing is
// returned, unless opts.SkipBadLines: then the malformed lines come back as warnings. The result's
// Name is the file's base name without its extension.
func ReadItems(r io.Reader, name string, opts *ReadOptions) (items *Items, warnings []*LineError, err error) {
	opts = opts.orZero()
	format, err := opts.Format.resolve(name)
	if err != nil {
		return nil, nil, err
	}
	b := &itemsBuilder{rep: &LineReport{File: name}, idLine: map[string]int{}, labelled: -1}
	if warnings, err = b.rep.read(r, format, opts.SkipBadLines, b.readCSV, b.readJSONL); err != nil {
		return nil, nil, err
	}
	if len(b.ids) == 0 {
		return nil, warnings, b.rep.Fatal(0, "no valid items (%d malformed lines skipped)", countMalformed(warnings))
	}
	items = &Items{
		Name:     strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)),
		IDs:      b.ids,
		Features: &mat.Dense{Rows: len(b.ids), Cols: b.dim, Data: b.data},
	}
	if b.labelled == 1 {
		items.Labels, items.ClassNames = classIndices(b.labels, opts.ClassNames)
	}
	return items, warnings, nil
}

// itemsBuilder accumulates the valid lines of an items file.
type itemsBuilder struct {
	rep     *LineReport
	ids     []string
	idLine  map[string]int
	data    []float32
	dim     int // 0 until the first item
	dimLine int
	labels  []string
	// labelled is -1 until the first item, then 1 when items have labels, 0 when not.
	labelled, labelLine int
}

// add checks one line's item and keeps it when valid. kind is "column" (CSV) or "key" (JSON
// Lines) and featuresKey the name of the features, for messages.
func (b *itemsBuilder) add(line int, id string, label *string, feats []float32, kind, featuresKey string) {
	if id == "" {
		b.rep.Bad(line, "%s \"id\": empty id", kind)
		return
	}
	if first, ok := b.idLine[id]; ok {
		b.rep.Bad(line, "duplicate id %s (first on line %d)", lines.Quote(id), first)
		return
	}
	if b.dim != 0 && len(feats) != b.dim {
		b.rep.Bad(line, "%s %q: %d values, want %d (as on line %d)", kind, featuresKey, len(feats), b.dim, b.dimLine)
		return
	}
	has := 0
	if label != nil {
		has = 1
	}
	if b.labelled >= 0 && has != b.labelled {
		if has == 1 {
			b.rep.Bad(line, "has a label, but line %d has none", b.labelLine)
		} else {
			b.rep.Bad(line, "no label, but line %d has one", b.labelLine)
		}
		return
	}
	if b.dim == 0 {
		b.dim, b.dimLine = len(feats), line
		b.labelled, b.labelLine = has, line
	}
	b.idLine[id] = line
	b.ids = append(b.ids, id)
	b.data = append(b.data, feats...)
	if label != nil {
		b.labels = append(b.labels, *label)
	}
}

// readCSV reads an items CSV file.
func (b *itemsBuilder) readCSV(r io.Reader) error {
	var header []string
	idCol, labelCol := -1, -1
	var featCols []int
	onHeader := func(line int, h []string) error {
		header = h
		for i, name := range h {
			switch strings.ToLower(name) {
			case "id":
				if idCol >= 0 {
					return b.rep.Fatal(line, "header: two id columns (%d and %d)", idCol+1, i+1)
				}
				idCol = i
			case "label":
				if labelCol >= 0 {
					return b.rep.Fatal(line, "header: two label columns (%d and %d)", labelCol+1, i+1)
				}
				labelCol = i
			default:
				featCols = append(featCols, i)
			}
		}
		if idCol < 0 {
			return b.rep.Fatal(line, "header: no \"id\" column (columns: %s)", lines.Clip(strings.Join(h, ", ")))
		}
		if len(featCols) == 0 {
			return b.rep.Fatal(line, "header: no feature columns (every column other than id and label is a feature)")
		}
		return nil
	}
	onRow := func(line int, rec []string) {
		if len(rec) != len(header) {
			b.rep.Bad(line, "%d columns, header has %d", len(rec), len(header))
			return
		}
		feats := make([]float32, len(featCols))
		for k, c := range featCols {
			v, err := parseValue(rec[c])
			if err != nil {
				b.rep.Bad(line, "column %s: %v", lines.Quote(header[c]), err)
				return
			}
			feats[k] = v
		}
		var label *string
		if labelCol >= 0 {
			l := strings.TrimSpace(rec[labelCol])
			if l == "" {
				b.rep.Bad(line, "column %s: empty label", lines.Quote(header[labelCol]))
				return
			}
			label = &l
		}
		b.add(line, strings.TrimSpace(rec[idCol]), label, feats, "column", "features")
	}
	return scanCSV(r, b.rep, onHeader, onRow)
}

// readJSONL reads an items JSON Lines file.
func (b *itemsBuilder) readJSONL(r io.Reader) error {
	return scanJSONL(r, b.rep, func(line int, obj map[string]json.RawMessage) {
		if err := lines.CheckKeys(obj, "id", "label", "features", "embedding"); err != nil {
			b.rep.Bad(line, "%v", err)
			return
		}
		rawID, ok := obj["id"]
		if !ok {
			b.rep.Bad(line, "no \"id\" key")
			return
		}
		id, err := lines.ID(rawID)
		if err != nil {
			b.rep.Bad(line, "key \"id\": %v", err)
			return
		}
		fkey := "features"
		rawF, okF := obj["features"]
		if rawE, okE := obj["embedding"]; okE {
			if okF {
				b.rep.Bad(line, "both \"features\" and \"embedding\" keys")
				return
			}
			fkey, rawF, okF = "embedding", rawE, true
		}
		if !okF {
			b.rep.Bad(line, "no \"features\" key")
			return
		}
		feats, err := jsonVector(rawF)
		if err != nil {
			b.rep.Bad(line, "key %q: %v", fkey, err)
			return
		}
		var label *string
		if raw, ok := obj["label"]; ok && !lines.IsNull(raw) {
			l, err := jsonLabelToken(raw)
			if err != nil {
				b.rep.Bad(line, "key \"label\": %v", err)
				return
			}
			if l == "" {
				b.rep.Bad(line, "key \"label\": empty label")
				return
			}
			label = &l
		}
		b.add(line, id, label, feats, "key", fkey)
	})
}

// classIndices maps label tokens to class indices: plain non-negative integers (plainIndex) stay
// themselves when no names are fixed; otherwise names index the returned class names, fixed names first.
func classIndices(tokens, fixed []string) (labels []int, classNames []string) {
	labels = make([]int, len(tokens))
	if fixed == nil {
		allInts := true
		for i, t := range tokens {
			v, ok := plainIndex(t)
			if !ok {
				allInts = false
				break
			}
			labels[i] = v
		}
		if allInts {
			return labels, nil
		}
	}
	index := make(map[string]int, len(fixed))
	classNames = slices.Clone(fixed)
	for c, n := range classNames {
		if _, dup := index[n]; !dup {
			index[n] = c
		}
	}
	var fresh []string
	seen := map[string]bool{}
	for _, t := range tokens {
		if _, ok := index[t]; !ok && !seen[t] {
			seen[t] = true
			fresh = append(fresh, t)
		}
	}
	slices.Sort(fresh)
	for _, n := range fresh {
		index[n] = len(classNames)
		classNames = append(classNames, n)
	}
	for i, t := range tokens {
		labels[i] = index[t]
	}
	return labels, classNames
}
