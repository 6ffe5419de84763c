package datasets

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gometric/gometric/mat"
)

// ReadPairsFile reads a pairs file (see ReadPairs); errors and warnings name the file by path.
func ReadPairsFile(path string, items *Items, opts *ReadOptions) (pairs *Pairs, warnings []*LineError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadPairs(f, path, items, opts)
}

// ReadPairs reads a labeled pairs file from r; name is the file's name, for the format (by
// extension, unless opts.Format says) and for messages. items holds the items that pairs name by
// id; it may be nil when every pair side is an inline vector. The formats:
//
//   - CSV: the header a,b,label (in any order); a and b are ids of items, label is 1 (same) or 0
//     (different);
//   - JSON Lines: one object per line, {"a": ..., "b": ..., "label": 0 or 1}, where a and b are
//     each an item id (a string or number) or an inline feature vector (an array of numbers); the
//     label may also be true or false.
//
// Without inline vectors the result's Items is items itself. With them, the result's Items holds
// items' items (same indices, no labels) followed by one item per inline vector, with id
// "<file>:<line>:a" or "<file>:<line>:b"; all vectors must have the items' feature length. Every
// malformed line is reported (a LineErrors error) and nothing is returned, unless
// opts.SkipBadLines: then the malformed lines come back as warnings.
func ReadPairs(r io.Reader, name string, items *Items, opts *ReadOptions) (pairs *Pairs, warnings []*LineError, err error) {
	opts = opts.orZero()
	format, err := opts.Format.resolve(name)
	if err != nil {
		return nil, nil, err
	}
	b := &pairsBuilder{rep: &lineReport{file: name}, items: items, base: filepath.Base(name)}
	if items != nil {
		if err := items.Validate(); err != nil {
			return nil, nil, b.rep.fatal(0, "%v", err)
		}
		b.index = items.IndexByID()
		b.dim = items.Dim()
	}
	if format == FormatCSV && items == nil {
		return nil, nil, b.rep.fatal(0, "a pairs CSV file names items by id, but no items were given")
	}
	if warnings, err = b.rep.read(r, format, opts.SkipBadLines, b.readCSV, b.readJSONL); err != nil {
		return nil, nil, err
	}
	if len(b.y) == 0 {
		return nil, warnings, b.rep.fatal(0, "no valid pairs (%d malformed lines skipped)", len(warnings))
	}
	return b.pairs(strings.TrimSuffix(b.base, filepath.Ext(b.base))), warnings, nil
}

// pairsBuilder accumulates the valid lines of a pairs file.
type pairsBuilder struct {
	rep   *lineReport
	items *Items
	index map[string]int
	base  string // the file's base name, for inline vector ids
	a, b  []int  // item indices; inline vector k is -(k+1) until pairs()
	y     []int
	// inline holds the inline vectors and their ids; dim their length (the items', or the first
	// vector's), dimLine the line that set it (0: the items).
	inline    [][]float32
	inlineIDs []string
	dim       int
	dimLine   int
}

// side is one resolved pair side: an item index, or an inline vector.
type side struct {
	index int
	vec   []float32
}

// resolveID looks id up in the items; kind is "column" or "key", for messages.
func (b *pairsBuilder) resolveID(line int, kind, key, id string) (side, bool) {
	if b.items == nil {
		b.rep.bad(line, "%s %s: id %s, but no items were given to look ids up in", kind, quote(key), quote(id))
		return side{}, false
	}
	i, ok := b.index[id]
	if !ok {
		b.rep.bad(line, "%s %s: unknown id %s", kind, quote(key), quote(id))
		return side{}, false
	}
	return side{index: i}, true
}

// resolveJSON resolves a JSON Lines pair side: an id or an inline vector.
func (b *pairsBuilder) resolveJSON(line int, key string, raw json.RawMessage) (side, bool) {
	if jsonKind(raw) != "array" {
		id, err := jsonID(raw)
		if err != nil {
			b.rep.bad(line, "key %q: %v, or an array of numbers", key, err)
			return side{}, false
		}
		return b.resolveID(line, "key", key, id)
	}
	v, err := jsonVector(raw)
	if err != nil {
		b.rep.bad(line, "key %q: %v", key, err)
		return side{}, false
	}
	if b.dim != 0 && len(v) != b.dim {
		if b.dimLine == 0 {
			b.rep.bad(line, "key %q: vector has %d values, items have %d features", key, len(v), b.dim)
		} else {
			b.rep.bad(line, "key %q: vector has %d values, want %d (as on line %d)", key, len(v), b.dim, b.dimLine)
		}
		return side{}, false
	}
	return side{vec: v}, true
}

// add keeps a valid pair.
func (b *pairsBuilder) add(line int, sa, sb side, y int) {
	ref := func(s side, key string) int {
		if s.vec == nil {
			return s.index
		}
		if b.dim == 0 {
			b.dim, b.dimLine = len(s.vec), line
		}
		b.inline = append(b.inline, s.vec)
		b.inlineIDs = append(b.inlineIDs, b.base+":"+strconv.Itoa(line)+":"+key)
		return -len(b.inline)
	}
	b.a = append(b.a, ref(sa, "a"))
	b.b = append(b.b, ref(sb, "b"))
	b.y = append(b.y, y)
}

// readCSV reads a pairs CSV file.
func (b *pairsBuilder) readCSV(r io.Reader) error {
	want := []string{"a", "b", "label"}
	cols := map[string]int{}
	var header []string
	onHeader := func(line int, h []string) error {
		header = h
		for i, name := range h {
			n := strings.ToLower(name)
			if !slices.Contains(want, n) {
				return b.rep.fatal(line, "header: unknown column %s (want a, b, label)", quote(name))
			}
			if _, dup := cols[n]; dup {
				return b.rep.fatal(line, "header: two %q columns", n)
			}
			cols[n] = i
		}
		for _, n := range want {
			if _, ok := cols[n]; !ok {
				return b.rep.fatal(line, "header: no %q column (want a, b, label)", n)
			}
		}
		return nil
	}
	onRow := func(line int, rec []string) {
		if len(rec) != len(header) {
			b.rep.bad(line, "%d columns, header has %d", len(rec), len(header))
			return
		}
		sa, ok := b.resolveID(line, "column", header[cols["a"]], strings.TrimSpace(rec[cols["a"]]))
		if !ok {
			return
		}
		sb, ok := b.resolveID(line, "column", header[cols["b"]], strings.TrimSpace(rec[cols["b"]]))
		if !ok {
			return
		}
		var y int
		switch l := strings.TrimSpace(rec[cols["label"]]); l {
		case "0", "1":
			y = int(l[0] - '0')
		default:
			b.rep.bad(line, "column %s: %s is not 0 or 1", quote(header[cols["label"]]), quote(l))
			return
		}
		b.add(line, sa, sb, y)
	}
	return scanCSV(r, b.rep, onHeader, onRow)
}

// readJSONL reads a pairs JSON Lines file.
func (b *pairsBuilder) readJSONL(r io.Reader) error {
	return scanJSONL(r, b.rep, func(line int, obj map[string]json.RawMessage) {
		if err := checkKeys(obj, "a", "b", "label"); err != nil {
			b.rep.bad(line, "%v", err)
			return
		}
		for _, k := range []string{"a", "b", "label"} {
			if _, ok := obj[k]; !ok {
				b.rep.bad(line, "no %q key", k)
				return
			}
		}
		sa, ok := b.resolveJSON(line, "a", obj["a"])
		if !ok {
			return
		}
		sb, ok := b.resolveJSON(line, "b", obj["b"])
		if !ok {
			return
		}
		if sa.vec != nil && sb.vec != nil && len(sa.vec) != len(sb.vec) {
			b.rep.bad(line, "key \"b\": vector has %d values, key \"a\" has %d", len(sb.vec), len(sa.vec))
			return
		}
		var y int
		switch l := strings.TrimSpace(string(obj["label"])); l {
		case "0", "false":
			y = 0
		case "1", "true":
			y = 1
		default:
			if jsonKind(obj["label"]) == "number" {
				b.rep.bad(line, "key \"label\": %s is not 0 or 1", clip(l))
			} else {
				b.rep.bad(line, "key \"label\": %s, want 0 or 1", aKind(obj["label"]))
			}
			return
		}
		b.add(line, sa, sb, y)
	})
}

// pairs returns the accumulated pairs, with the inline vectors appended to the items.
func (b *pairsBuilder) pairs(name string) *Pairs {
	p := &Pairs{Items: b.items, A: b.a, B: b.b, Y: b.y}
	if len(b.inline) == 0 {
		return p
	}
	n0, ids, data := 0, []string(nil), []float32(nil)
	if b.items != nil {
		n0 = b.items.Len()
		ids = slices.Clone(b.items.IDs)
		data = slices.Clone(b.items.Features.Data)
	}
	for k, v := range b.inline {
		ids = append(ids, b.inlineIDs[k])
		data = append(data, v...)
	}
	p.Items = &Items{Name: name, IDs: ids, Features: &mat.Dense{Rows: len(ids), Cols: b.dim, Data: data}}
	for _, s := range [][]int{p.A, p.B} {
		for i, v := range s {
			if v < 0 {
				s[i] = n0 - v - 1
			}
		}
	}
	return p
}
