package datasets

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gometric/gometric/internal/lines"
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
// items' items (same indices, no labels) followed by one item per inline vector of a kept line,
// with id "<file>:<line>:a" or "<file>:<line>:b"; all vectors must have the items' feature length.
// The result's Lines holds each pair's line in the file.
//
// Pairs are compared without order ({a, b} is {b, a}), by Pairs.Key: an id side is its item, an
// inline vector is its values, bitwise, and counts as an item with bitwise the same features. Then:
//
//   - a line with the same pair and label as an earlier line is left out, the earlier one kept,
//     and reported as a KindDuplicate warning (even without SkipBadLines); opts.Duplicates =
//     DuplicatesError makes it a malformed line instead;
//   - a pair labelled 1 on one line and 0 on another makes every line of that pair malformed
//     ("pair {a, b} is labelled 1 here and 0 at line N");
//   - a self pair {a, a} labelled 0 is malformed (a thing cannot differ from itself); labelled 1
//     it is kept, with a KindNote warning, since it tells a pairs loss nothing.
//
// Every malformed line is reported (a LineErrors error, in line order) and nothing is returned,
// unless opts.SkipBadLines: then the malformed lines are left out and come back as warnings, in
// line order with the duplicates and notes.
func ReadPairs(r io.Reader, name string, items *Items, opts *ReadOptions) (pairs *Pairs, warnings []*LineError, err error) {
	opts = opts.orZero()
	format, err := opts.Format.resolve(name)
	if err != nil {
		return nil, nil, err
	}
	b := &pairsBuilder{rep: &LineReport{File: name}, items: items, base: filepath.Base(name), dups: opts.Duplicates}
	if d := opts.Duplicates; d != DuplicatesKeepFirst && d != DuplicatesError {
		return nil, nil, b.rep.Fatal(0, "unknown duplicates policy %d", int(d))
	}
	if items != nil {
		if err := items.Validate(); err != nil {
			return nil, nil, b.rep.Fatal(0, "%v", err)
		}
		b.index = items.IndexByID()
		b.dim = items.Dim()
	}
	if format == FormatCSV && items == nil {
		return nil, nil, b.rep.Fatal(0, "a pairs CSV file names items by id, but no items were given")
	}
	readCSV := func(r io.Reader) error { return b.crossCheck(b.readCSV(r)) }
	readJSONL := func(r io.Reader) error { return b.crossCheck(b.readJSONL(r)) }
	if warnings, err = b.rep.read(r, format, opts.SkipBadLines, readCSV, readJSONL); err != nil {
		return nil, nil, err
	}
	p := b.pairs(strings.TrimSuffix(b.base, filepath.Ext(b.base)))
	if p.Len() == 0 {
		return nil, warnings, b.rep.Fatal(0, "no valid pairs (%d malformed lines skipped)", countMalformed(warnings))
	}
	return p, warnings, nil
}

// pairsBuilder accumulates the valid lines of a pairs file.
type pairsBuilder struct {
	rep   *LineReport
	items *Items
	index map[string]int
	base  string // the file's base name, for inline vector ids
	dups  DuplicatePolicy
	// cands holds the pairs whose lines passed their own checks, in file order; crossCheck checks
	// them against each other and keeps kept.
	cands, kept []cand
	// inline holds the inline vectors of cands, in order; dim is their length (the items', or the
	// first vector's), dimLine the line that set it (0: the items).
	inline  [][]float32
	dim     int
	dimLine int
}

// cand is one line's pair: its line, its sides a and b, its label.
type cand struct {
	line int
	s    [2]side
	y    int
}

// side is one resolved pair side: an item index, or an inline vector.
type side struct {
	index int
	vec   []float32
	// ref is the side's row among the items followed by every candidate's inline vectors: index,
	// or the items' count plus the vector's place in pairsBuilder.inline.
	ref int
}

// resolveID looks id up in the items; kind is "column" or "key", for messages.
func (b *pairsBuilder) resolveID(line int, kind, key, id string) (side, bool) {
	if b.items == nil {
		b.rep.Bad(line, "%s %s: id %s, but no items were given to look ids up in", kind, lines.Quote(key), lines.Quote(id))
		return side{}, false
	}
	i, ok := b.index[id]
	if !ok {
		b.rep.Bad(line, "%s %s: unknown id %s", kind, lines.Quote(key), lines.Quote(id))
		return side{}, false
	}
	return side{index: i}, true
}

// resolveJSON resolves a JSON Lines pair side: an id or an inline vector.
func (b *pairsBuilder) resolveJSON(line int, key string, raw json.RawMessage) (side, bool) {
	if lines.Kind(raw) != "array" {
		id, err := lines.ID(raw)
		if err != nil {
			b.rep.Bad(line, "key %q: %v, or an array of numbers", key, err)
			return side{}, false
		}
		return b.resolveID(line, "key", key, id)
	}
	v, err := jsonVector(raw)
	if err != nil {
		b.rep.Bad(line, "key %q: %v", key, err)
		return side{}, false
	}
	if b.dim != 0 && len(v) != b.dim {
		if b.dimLine == 0 {
			b.rep.Bad(line, "key %q: vector has %d values, items have %d features", key, len(v), b.dim)
		} else {
			b.rep.Bad(line, "key %q: vector has %d values, want %d (as on line %d)", key, len(v), b.dim, b.dimLine)
		}
		return side{}, false
	}
	return side{vec: v}, true
}

// add records a pair that passed its line's own checks.
func (b *pairsBuilder) add(line int, sa, sb side, y int) {
	c := cand{line: line, s: [2]side{sa, sb}, y: y}
	for k := range c.s {
		if c.s[k].vec == nil {
			c.s[k].ref = c.s[k].index
			continue
		}
		if b.dim == 0 {
			b.dim, b.dimLine = len(c.s[k].vec), line
		}
		c.s[k].ref = b.numItems() + len(b.inline)
		b.inline = append(b.inline, c.s[k].vec)
	}
	b.cands = append(b.cands, c)
}

// numItems returns the number of given items.
func (b *pairsBuilder) numItems() int {
	if b.items == nil {
		return 0
	}
	return b.items.Len()
}

// crossCheck, once the whole file is read (err is the reader's), checks the pairs against each
// other: self pairs labelled 0, contradictions, duplicates (see ReadPairs); it keeps the rest.
// It runs before the skip policy, so that these lines are reported as any other.
func (b *pairsBuilder) crossCheck(err error) error {
	if err != nil {
		return err
	}
	n0 := b.numItems()
	row := func(i int) []float32 {
		if i < n0 {
			return b.items.Features.Data[i*b.items.Features.Cols : (i+1)*b.items.Features.Cols]
		}
		return b.inline[i-n0]
	}
	same := firstSame(n0+len(b.inline), row, n0)
	key := func(c cand) PairKey {
		x, y := c.s[0].ref, c.s[1].ref
		if same != nil {
			x, y = same[x], same[y]
		}
		return PairKey{Lo: min(x, y), Hi: max(x, y)}
	}
	// first[k][y] is the first line of pair k labelled y; 0 when none.
	first := map[PairKey]*[2]int{}
	var ok []cand
	for _, c := range b.cands {
		k := key(c)
		if k.Lo == k.Hi && c.y == 0 {
			b.rep.Bad(c.line, "self pair %s is labelled 0, but a thing cannot differ from itself", b.pairName(c))
			continue
		}
		ok = append(ok, c)
		f := first[k]
		if f == nil {
			f = new([2]int)
			first[k] = f
		}
		if f[c.y] == 0 {
			f[c.y] = c.line
		}
	}
	for _, c := range ok {
		k := key(c)
		f := first[k]
		switch {
		case f[0] != 0 && f[1] != 0:
			b.rep.BadOther(c.line, f[1-c.y], "pair %s is labelled %d here and %d at line %d", b.pairName(c), c.y, 1-c.y, f[1-c.y])
		case f[c.y] != c.line && b.dups == DuplicatesError:
			b.rep.BadOther(c.line, f[c.y], "duplicate of line %d (pair %s, label %d)", f[c.y], b.pairName(c), c.y)
		case f[c.y] != c.line:
			b.rep.Note(KindDuplicate, c.line, f[c.y], "duplicate of line %d, kept once (pair %s, label %d)", f[c.y], b.pairName(c), c.y)
		default:
			if k.Lo == k.Hi {
				b.rep.Note(KindNote, c.line, 0, "self pair %s labelled 1, kept, but it tells a pairs loss nothing", b.pairName(c))
			}
			b.kept = append(b.kept, c)
		}
	}
	return nil
}

// pairName names c's pair for messages: {a, b} with each side its quoted id or its vector.
func (b *pairsBuilder) pairName(c cand) string {
	name := func(s side) string {
		if s.vec == nil {
			return lines.Quote(b.items.IDs[s.index])
		}
		return vecName(s.vec)
	}
	return "{" + name(c.s[0]) + ", " + name(c.s[1]) + "}"
}

// vecName writes an inline vector for messages, its first values only when it is long:
// [0.9, 0.1, 0.2, 0.05] or [0.9, 0.1, … (784 values)].
func vecName(v []float32) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			sb.WriteString(", ")
		}
		if sb.Len() > lines.MaxQuoted {
			fmt.Fprintf(&sb, "… (%d values)", len(v))
			break
		}
		sb.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 32))
	}
	sb.WriteByte(']')
	return sb.String()
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
				return b.rep.Fatal(line, "header: unknown column %s (want a, b, label)", lines.Quote(name))
			}
			if _, dup := cols[n]; dup {
				return b.rep.Fatal(line, "header: two %q columns", n)
			}
			cols[n] = i
		}
		for _, n := range want {
			if _, ok := cols[n]; !ok {
				return b.rep.Fatal(line, "header: no %q column (want a, b, label)", n)
			}
		}
		return nil
	}
	onRow := func(line int, rec []string) {
		if len(rec) != len(header) {
			b.rep.Bad(line, "%d columns, header has %d", len(rec), len(header))
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
			b.rep.Bad(line, "column %s: %s is not 0 or 1", lines.Quote(header[cols["label"]]), lines.Quote(l))
			return
		}
		b.add(line, sa, sb, y)
	}
	return scanCSV(r, b.rep, onHeader, onRow)
}

// readJSONL reads a pairs JSON Lines file.
func (b *pairsBuilder) readJSONL(r io.Reader) error {
	return scanJSONL(r, b.rep, func(line int, obj map[string]json.RawMessage) {
		if err := lines.CheckKeys(obj, "a", "b", "label"); err != nil {
			b.rep.Bad(line, "%v", err)
			return
		}
		for _, k := range []string{"a", "b", "label"} {
			if _, ok := obj[k]; !ok {
				b.rep.Bad(line, "no %q key", k)
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
			b.rep.Bad(line, "key \"b\": vector has %d values, key \"a\" has %d", len(sb.vec), len(sa.vec))
			return
		}
		y, ok := lines.PairLabel(string(obj["label"]))
		if !ok {
			if lines.Kind(obj["label"]) == "number" {
				b.rep.Bad(line, "key \"label\": %s is not 0 or 1", lines.Clip(strings.TrimSpace(string(obj["label"]))))
			} else {
				b.rep.Bad(line, "key \"label\": %s, want 0 or 1", lines.AKind(obj["label"]))
			}
			return
		}
		b.add(line, sa, sb, y)
	})
}

// pairs returns the kept pairs, with their inline vectors appended to the items.
func (b *pairsBuilder) pairs(name string) *Pairs {
	p := &Pairs{Items: b.items, A: make([]int, len(b.kept)), B: make([]int, len(b.kept)), Y: make([]int, len(b.kept)), Lines: make([]int, len(b.kept))}
	n0, ids, data := b.numItems(), []string(nil), []float32(nil)
	for i, c := range b.kept {
		p.Y[i], p.Lines[i] = c.y, c.line
		for k, s := range c.s {
			x := s.index
			if s.vec != nil {
				if ids == nil && b.items != nil {
					ids = slices.Clone(b.items.IDs)
					data = slices.Clone(b.items.Features.Data)
				}
				x = len(ids)
				ids = append(ids, b.base+":"+strconv.Itoa(c.line)+":"+"ab"[k:k+1])
				data = append(data, s.vec...)
			}
			if k == 0 {
				p.A[i] = x
			} else {
				p.B[i] = x
			}
		}
	}
	if len(ids) > n0 {
		p.Items = &Items{Name: name, IDs: ids, Features: &mat.Dense{Rows: len(ids), Cols: b.dim, Data: data}}
		p.same = firstSame(len(ids), rowOf(p.Items.Features), n0)
	}
	return p
}
