package text

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gometric/gometric/datasets"
)

// DefaultMaxTextRunes is the longest text the readers accept by default, in characters (runes,
// counted before normalisation): 1,000.
const DefaultMaxTextRunes = 1000

// MaxLineBytes is the longest line of a JSON Lines text file (1 MiB): a longer line is reported
// and skipped without being held in memory.
const MaxLineBytes = 1 << 20

// ReadOptions tunes ReadTexts and ReadPairs. The zero value (or nil) reads by extension, rejects
// a file with any malformed line and refuses texts over 1,000 characters.
type ReadOptions struct {
	// Format overrides the format that the file name's extension implies (datasets.FormatCSV or
	// datasets.FormatJSONL).
	Format datasets.Format
	// SkipBadLines skips malformed lines instead of failing; the skipped lines come back as
	// warnings, with the same detail as errors. A file without a single valid line is still an
	// error.
	SkipBadLines bool
	// MaxRunes is the longest text accepted, in characters (runes); 0 means DefaultMaxTextRunes.
	MaxRunes int
	// Truncate cuts a longer text to its first MaxRunes characters, with a note (a
	// datasets.KindNote warning), instead of reporting the line as malformed.
	Truncate bool
}

func (o *ReadOptions) orZero() *ReadOptions {
	if o == nil {
		o = &ReadOptions{}
	}
	c := *o
	if c.MaxRunes <= 0 {
		c.MaxRunes = DefaultMaxTextRunes
	}
	return &c
}

// Set is the content of a texts file.
type Set struct {
	// Name is the file's base name without its extension.
	Name string
	// IDs and Texts hold each text's id and text, in file order.
	IDs, Texts []string
	// Labels holds each text's class label; nil when no text has one.
	Labels []string
	// Lines holds each text's line in the file.
	Lines []int
}

// Index returns the index of each text by id.
func (s *Set) Index() map[string]int {
	m := make(map[string]int, len(s.IDs))
	for i, id := range s.IDs {
		m[id] = i
	}
	return m
}

// ReadTextsFile reads a texts file (see ReadTexts); errors and warnings name the file by path.
func ReadTextsFile(path string, opts *ReadOptions) (set *Set, warnings []*datasets.LineError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadTexts(f, path, opts)
}

// ReadTexts reads a texts file from r; name is the file's name, for the format (by extension,
// unless opts.Format says) and for messages. The formats:
//
//   - CSV: a header row with the columns "id" and "text" and optionally "label" (names match
//     ignoring case; no other columns), then one text per row;
//   - JSON Lines: one object per line, {"id": "c1", "text": "Müller GmbH", "label": "DE-BY"},
//     with id a string or number, label optional (a string or integer; null is none), no other
//     keys.
//
// Ids must be unique and non-empty. Either every text has a label or none has. A text must be
// valid UTF-8, not empty once normalised (Normalize: white space only is empty), and at most
// opts.MaxRunes characters (default 1,000; longer texts are malformed, or cut with a note when
// opts.Truncate). Texts are kept as written (normalisation is the tokeniser's business).
//
// The file is read as a stream, never whole. Every malformed line is reported (a
// datasets.LineErrors error, in line order, each a *datasets.LineError "file:line: cause") and
// nothing is returned, unless opts.SkipBadLines: then the malformed lines come back as warnings.
func ReadTexts(r io.Reader, name string, opts *ReadOptions) (set *Set, warnings []*datasets.LineError, err error) {
	opts = opts.orZero()
	format, err := resolveFormat(opts.Format, name)
	if err != nil {
		return nil, nil, err
	}
	rep := &report{file: name}
	set = &Set{Name: baseName(name)}
	idLine := map[string]int{}
	var labels []string
	labelled, unlabelled := 0, 0
	add := func(line int, id, text string, label *string, where string) {
		if id == "" {
			rep.bad(line, "empty id")
			return
		}
		if first, dup := idLine[id]; dup {
			rep.bad(line, "duplicate id %s (first on line %d)", quote(id), first)
			return
		}
		text, ok := rep.checkText(line, text, opts, where)
		if !ok {
			return
		}
		idLine[id] = line
		set.IDs = append(set.IDs, id)
		set.Texts = append(set.Texts, text)
		set.Lines = append(set.Lines, line)
		if label != nil {
			labelled++
			labels = append(labels, *label)
		} else {
			unlabelled++
			labels = append(labels, "")
		}
	}
	if format == datasets.FormatCSV {
		err = scanCSV(r, rep, []string{"id", "text", "label"}, []string{"id", "text"}, func(line int, row map[string]string) {
			var label *string
			if l, ok := row["label"]; ok {
				l = strings.TrimSpace(l)
				if l == "" {
					rep.bad(line, "column \"label\": empty label")
					return
				}
				label = &l
			}
			add(line, strings.TrimSpace(row["id"]), row["text"], label, `column "text": `)
		})
	} else {
		err = scanJSONL(r, rep, func(line int, obj map[string]json.RawMessage) {
			if err := checkKeys(obj, "id", "text", "label"); err != nil {
				rep.bad(line, "%v", err)
				return
			}
			rawID, ok := obj["id"]
			if !ok {
				rep.bad(line, "no \"id\" key")
				return
			}
			id, err := jsonID(rawID)
			if err != nil {
				rep.bad(line, "key \"id\": %v", err)
				return
			}
			text, err := jsonText(obj, "text")
			if err != nil {
				rep.bad(line, "%v", err)
				return
			}
			var label *string
			if raw, ok := obj["label"]; ok && !isNull(raw) {
				l, err := jsonLabel(raw)
				if err != nil {
					rep.bad(line, "key \"label\": %v", err)
					return
				}
				label = &l
			}
			add(line, id, text, label, `key "text": `)
		})
	}
	if err != nil {
		return nil, nil, err
	}
	if labelled > 0 && unlabelled > 0 {
		for i, l := range labels {
			if l == "" {
				rep.bad(set.Lines[i], "text %s has no label, but %d other texts have one", quote(set.IDs[i]), labelled)
			}
		}
		if !opts.SkipBadLines {
			_, err := rep.finish(false)
			return nil, nil, err
		}
		// Keep the labelled texts only.
		keep := &Set{Name: set.Name}
		for i, l := range labels {
			if l != "" {
				keep.IDs, keep.Texts, keep.Lines = append(keep.IDs, set.IDs[i]), append(keep.Texts, set.Texts[i]), append(keep.Lines, set.Lines[i])
				keep.Labels = append(keep.Labels, l)
			}
		}
		set, labels = keep, keep.Labels
	} else if labelled > 0 {
		set.Labels = labels
	}
	if warnings, err = rep.finish(opts.SkipBadLines); err != nil {
		return nil, nil, err
	}
	if len(set.IDs) == 0 {
		return nil, warnings, rep.fatal(0, "no valid texts (%d malformed lines skipped)", rep.malformed)
	}
	return set, warnings, nil
}

// Pair is one labeled pair of texts. A side is a text of the texts file (Index >= 0) or an
// inline text (Index -1).
type Pair struct {
	// A and B are the two texts.
	A, B string
	// IndexA and IndexB are the sides' indices in the texts file's Set, or -1 for inline texts.
	IndexA, IndexB int
	// Label is 1 (same) or 0 (different).
	Label int
	// Line is the pair's line in the pairs file.
	Line int
}

// PairSet is the content of a text pairs file.
type PairSet struct {
	// Name is the file's base name without its extension.
	Name string
	// Pairs holds the pairs in file order.
	Pairs []Pair
}

// ReadPairsFile reads a text pairs file (see ReadPairs); errors and warnings name the file by path.
func ReadPairsFile(path string, texts *Set, opts *ReadOptions) (pairs *PairSet, warnings []*datasets.LineError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadPairs(f, path, texts, opts)
}

// ReadPairs reads a text pairs file from r: each line a pair of texts and a label, 1 (same) or 0
// (different). A side is either the id of a text of texts or the text itself (inline); texts may
// be nil when every side is inline. The formats:
//
//   - CSV: a header with "label" and, for each side, "a" (an id) and/or "a_text" (an inline
//     text), likewise "b" and/or "b_text"; on each row exactly one of a side's two cells is
//     non-empty. No other columns.
//   - JSON Lines: {"a": ..., "b": ..., "label": 0 or 1} (the label may also be true or false),
//     each side an id (a string or number) or an object {"text": "..."}; or
//     {"a_text": "...", "b_text": "...", "label": ...}, or a mix ("a" with "b_text").
//
// Inline texts are checked as ReadTexts checks texts (UTF-8, not empty, at most opts.MaxRunes
// characters or cut with a note). A pair of one id with itself labelled 0, or of two identical
// texts labelled 0, is malformed. Errors and SkipBadLines are as for ReadTexts.
func ReadPairs(r io.Reader, name string, texts *Set, opts *ReadOptions) (pairs *PairSet, warnings []*datasets.LineError, err error) {
	opts = opts.orZero()
	format, err := resolveFormat(opts.Format, name)
	if err != nil {
		return nil, nil, err
	}
	rep := &report{file: name}
	var index map[string]int
	if texts != nil {
		index = texts.Index()
	}
	pairs = &PairSet{Name: baseName(name)}
	// side resolves one side: an id (byID) or an inline text.
	side := func(line int, key, id string, isID bool, inline string) (string, int, bool) {
		if isID {
			if texts == nil {
				rep.bad(line, "%s: text id %s, but no texts file was given (give one, or inline texts)", key, quote(id))
				return "", 0, false
			}
			i, ok := index[id]
			if !ok {
				rep.bad(line, "%s: unknown text id %s", key, quote(id))
				return "", 0, false
			}
			return texts.Texts[i], i, true
		}
		t, ok := rep.checkText(line, inline, opts, key+": ")
		return t, -1, ok
	}
	add := func(line int, a, b string, ia, ib int, rawLabel string, labelKey string) {
		y := -1
		switch strings.TrimSpace(rawLabel) {
		case "0", "false":
			y = 0
		case "1", "true":
			y = 1
		}
		if y < 0 {
			rep.bad(line, "%s: %s is not 0 or 1", labelKey, quote(strings.TrimSpace(rawLabel)))
			return
		}
		if y == 0 && (ia >= 0 && ia == ib || a == b) {
			rep.bad(line, "pair of identical texts %s is labelled 0, but a text cannot differ from itself", quote(a))
			return
		}
		pairs.Pairs = append(pairs.Pairs, Pair{A: a, B: b, IndexA: ia, IndexB: ib, Label: y, Line: line})
	}
	if format == datasets.FormatCSV {
		err = scanCSV(r, rep, []string{"a", "a_text", "b", "b_text", "label"}, []string{"label"}, func(line int, row map[string]string) {
			var got [2]string
			var idx [2]int
			for k, s := range []string{"a", "b"} {
				id := strings.TrimSpace(row[s])
				inline, hasText := row[s+"_text"]
				switch {
				case id != "" && hasText && inline != "":
					rep.bad(line, "columns %q and %q are both set; give one", s, s+"_text")
					return
				case id != "":
					t, i, ok := side(line, "column "+strconv.Quote(s), id, true, "")
					if !ok {
						return
					}
					got[k], idx[k] = t, i
				case hasText:
					t, i, ok := side(line, "column "+strconv.Quote(s+"_text"), "", false, inline)
					if !ok {
						return
					}
					got[k], idx[k] = t, i
				default:
					rep.bad(line, "no text for side %s (empty %s)", s, orList(s, hasText))
					return
				}
			}
			add(line, got[0], got[1], idx[0], idx[1], row["label"], "column \"label\"")
		}, func(header map[string]int) error {
			for _, s := range []string{"a", "b"} {
				_, id := header[s]
				_, inline := header[s+"_text"]
				if !id && !inline {
					return fmt.Errorf("no %q or %q column", s, s+"_text")
				}
			}
			return nil
		})
	} else {
		err = scanJSONL(r, rep, func(line int, obj map[string]json.RawMessage) {
			if err := checkKeys(obj, "a", "a_text", "b", "b_text", "label"); err != nil {
				rep.bad(line, "%v", err)
				return
			}
			var got [2]string
			var idx [2]int
			for k, s := range []string{"a", "b"} {
				raw, hasSide := obj[s]
				_, hasText := obj[s+"_text"]
				switch {
				case hasSide && hasText:
					rep.bad(line, "keys %q and %q are both set; give one", s, s+"_text")
					return
				case hasText:
					inline, err := jsonText(obj, s+"_text")
					if err != nil {
						rep.bad(line, "%v", err)
						return
					}
					t, i, ok := side(line, "key "+strconv.Quote(s+"_text"), "", false, inline)
					if !ok {
						return
					}
					got[k], idx[k] = t, i
				case hasSide:
					key := "key " + strconv.Quote(s)
					switch jsonKind(raw) {
					case "object":
						var sobj map[string]json.RawMessage
						if err := json.Unmarshal(raw, &sobj); err != nil {
							rep.bad(line, "%s: %v", key, err)
							return
						}
						if err := checkKeys(sobj, "text"); err != nil {
							rep.bad(line, "%s: %v", key, err)
							return
						}
						inline, err := jsonText(sobj, "text")
						if err != nil {
							rep.bad(line, "%s: %v", key, err)
							return
						}
						t, i, ok := side(line, key, "", false, inline)
						if !ok {
							return
						}
						got[k], idx[k] = t, i
					case "string", "number":
						id, _ := jsonID(raw)
						t, i, ok := side(line, key, id, true, "")
						if !ok {
							return
						}
						got[k], idx[k] = t, i
					default:
						rep.bad(line, "%s: %s, want a text id (string or number) or an object {\"text\": ...}", key, aKind(raw))
						return
					}
				default:
					rep.bad(line, "no %q or %q key", s, s+"_text")
					return
				}
			}
			rawL, ok := obj["label"]
			if !ok {
				rep.bad(line, "no \"label\" key")
				return
			}
			add(line, got[0], got[1], idx[0], idx[1], string(rawL), "key \"label\"")
		})
	}
	if err != nil {
		return nil, nil, err
	}
	if warnings, err = rep.finish(opts.SkipBadLines); err != nil {
		return nil, nil, err
	}
	if len(pairs.Pairs) == 0 {
		return nil, warnings, rep.fatal(0, "no valid pairs (%d malformed lines skipped)", rep.malformed)
	}
	return pairs, warnings, nil
}

func orList(s string, hasText bool) string {
	if hasText {
		return fmt.Sprintf("%q and %q", s, s+"_text")
	}
	return strconv.Quote(s)
}

// checkText returns text if it is valid UTF-8, not empty once normalised and at most
// opts.MaxRunes characters (or cut to that, with a note, when opts.Truncate); otherwise it
// reports the line and returns false.
func (r *report) checkText(line int, text string, opts *ReadOptions, where string) (string, bool) {
	if !utf8.ValidString(text) {
		off := 0
		for off < len(text) {
			c, size := utf8.DecodeRuneInString(text[off:])
			if c == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		r.bad(line, "%stext is not valid UTF-8 (byte %d: %#x)", where, off, text[off])
		return "", false
	}
	if Normalize(text) == "" {
		if text == "" {
			r.bad(line, "%sempty text", where)
		} else {
			r.bad(line, "%sempty text (white space only)", where)
		}
		return "", false
	}
	if n := utf8.RuneCountInString(text); n > opts.MaxRunes {
		if !opts.Truncate {
			r.bad(line, "%stext of %d characters, longer than the limit of %d (raise the limit, or truncate)", where, n, opts.MaxRunes)
			return "", false
		}
		cut, k := 0, 0
		for i := range text {
			if k == opts.MaxRunes {
				cut = i
				break
			}
			k++
		}
		text = text[:cut]
		r.notes = append(r.notes, &datasets.LineError{File: r.file, Line: line, Kind: datasets.KindNote,
			Msg: fmt.Sprintf("%stext of %d characters truncated to its first %d", where, n, opts.MaxRunes)})
	}
	return text, true
}

// report collects the malformed lines and notes of one file.
type report struct {
	file      string
	errs      datasets.LineErrors
	notes     []*datasets.LineError
	malformed int
}

func (r *report) bad(line int, format string, args ...any) {
	r.errs = append(r.errs, &datasets.LineError{File: r.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (r *report) fatal(line int, format string, args ...any) error {
	return &datasets.LineError{File: r.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// finish returns the malformed lines, in line order: as an error, or with skip as warnings,
// followed in line order by the notes.
func (r *report) finish(skip bool) ([]*datasets.LineError, error) {
	byLine := func(a, b *datasets.LineError) int { return cmp.Compare(a.Line, b.Line) }
	slices.SortStableFunc(r.errs, byLine)
	if len(r.errs) > 0 && !skip {
		return nil, r.errs
	}
	r.malformed = len(r.errs)
	warnings := append(append([]*datasets.LineError{}, r.errs...), r.notes...)
	slices.SortStableFunc(warnings, byLine)
	return warnings, nil
}

// resolveFormat returns f, or the format of name's extension when f is datasets.FormatAuto.
func resolveFormat(f datasets.Format, name string) (datasets.Format, error) {
	switch f {
	case datasets.FormatAuto:
		return datasets.FormatOf(name)
	case datasets.FormatCSV, datasets.FormatJSONL:
		return f, nil
	}
	return "", &datasets.LineError{File: name, Msg: fmt.Sprintf("unknown format %q (want csv or jsonl)", string(f))}
}

func baseName(name string) string {
	base := filepath.Base(name)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// bom is the UTF-8 byte order mark.
const bom = "\uFEFF"

// scanCSV reads a CSV file as a stream: the header's column names (matched ignoring case) must be
// among allowed, each at most once, and include required; onRow gets each row as a map from
// column name to cell, with the row's first line. check, when given, checks the header's columns
// further. Rows of the wrong length and CSV syntax errors are malformed lines; header problems end
// the read.
func scanCSV(r io.Reader, rep *report, allowed, required []string, onRow func(line int, row map[string]string), check ...func(map[string]int) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(len(bom)); err == nil && string(head) == bom {
		br.Discard(len(bom))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var cols []string
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if cols == nil {
				return rep.fatal(pe.Line, "header: CSV syntax: %v", pe.Err)
			}
			rep.bad(pe.Line, "CSV syntax: %v", pe.Err)
			rows++
			continue
		}
		if err != nil {
			return rep.fatal(0, "%v", err)
		}
		line, _ := cr.FieldPos(0)
		if cols == nil {
			header := map[string]int{}
			for i, c := range rec {
				c = strings.ToLower(strings.TrimSpace(c))
				if !utf8.ValidString(c) {
					return rep.fatal(line, "header: column %d is not valid UTF-8", i+1)
				}
				if !slices.Contains(allowed, c) {
					return rep.fatal(line, "header: unknown column %s (want %s)", quote(c), strings.Join(allowed, ", "))
				}
				if j, dup := header[c]; dup {
					return rep.fatal(line, "header: two %q columns (%d and %d)", c, j+1, i+1)
				}
				header[c] = i
				cols = append(cols, c)
			}
			for _, c := range required {
				if _, ok := header[c]; !ok {
					return rep.fatal(line, "header: no %q column (columns: %s)", c, clip(strings.Join(cols, ", ")))
				}
			}
			for _, f := range check {
				if err := f(header); err != nil {
					return rep.fatal(line, "header: %v", err)
				}
			}
			continue
		}
		rows++
		if len(rec) != len(cols) {
			rep.bad(line, "%d columns, header has %d", len(rec), len(cols))
			continue
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[c] = rec[i]
		}
		onRow(line, row)
	}
	switch {
	case cols == nil:
		return rep.fatal(0, "empty file (no header row)")
	case rows == 0:
		return rep.fatal(0, "no rows after the header")
	}
	return nil
}

// scanJSONL reads a JSON Lines file line by line (a leading UTF-8 byte order mark is dropped):
// onObject gets each non-blank line's object. Lines that are not valid UTF-8, not JSON objects,
// or longer than MaxLineBytes are malformed. It is an error when the file has no non-blank line,
// or is a JSON array.
func scanJSONL(r io.Reader, rep *report, onObject func(line int, obj map[string]json.RawMessage)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(len(bom)); err == nil && string(head) == bom {
		br.Discard(len(bom))
	}
	lines := 0
	var buf []byte
	for line := 1; ; line++ {
		buf = buf[:0]
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if !tooLong {
				if len(buf)+len(chunk) > MaxLineBytes {
					tooLong, buf = true, buf[:0]
				} else {
					buf = append(buf, chunk...)
				}
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return rep.fatal(0, "%v", err)
		}
		t := bytes.TrimSpace(buf)
		switch {
		case tooLong:
			lines++
			rep.bad(line, "line longer than %d MiB", MaxLineBytes>>20)
		case len(t) == 0:
		case lines == 0 && t[0] == '[':
			return rep.fatal(line, "a JSON array; want JSON Lines, one object per line")
		case !utf8.Valid(t):
			// encoding/json would silently turn invalid bytes into U+FFFD.
			lines++
			off := 0
			for off < len(t) {
				c, size := utf8.DecodeRune(t[off:])
				if c == utf8.RuneError && size <= 1 {
					break
				}
				off += size
			}
			rep.bad(line, "not valid UTF-8 (byte %d of the line: %#x)", off, t[off])
		case t[0] != '{':
			lines++
			if json.Valid(t) {
				rep.bad(line, "%s, not a JSON object", aKind(t))
			} else {
				rep.bad(line, "invalid JSON: %v", jsonSyntax(t))
			}
		default:
			lines++
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(t, &obj); err != nil {
				rep.bad(line, "invalid JSON: %v", jsonSyntax(t))
			} else {
				onObject(line, obj)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if lines == 0 {
		return rep.fatal(0, "empty file (no JSON lines)")
	}
	return nil
}

func jsonSyntax(t []byte) error {
	var v any
	if err := json.Unmarshal(t, &v); err != nil {
		return err
	}
	return errors.New("not valid JSON")
}

// jsonKind names the kind of a JSON value: string, number, boolean, null, array or object.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// aKind names the kind of a JSON value with its article.
func aKind(raw json.RawMessage) string {
	switch k := jsonKind(raw); k {
	case "array", "object":
		return "an " + k
	case "null", "nothing":
		return k
	default:
		return "a " + k
	}
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonID returns the id in raw: a string, or a number written as in the file.
func jsonID(raw json.RawMessage) (string, error) {
	switch jsonKind(raw) {
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case "number":
		return string(bytes.TrimSpace(raw)), nil
	}
	return "", fmt.Errorf("%s, want a string or number", aKind(raw))
}

// jsonText returns the string under key of obj.
func jsonText(obj map[string]json.RawMessage, key string) (string, error) {
	raw, ok := obj[key]
	if !ok {
		return "", fmt.Errorf("no %q key", key)
	}
	if jsonKind(raw) != "string" {
		return "", fmt.Errorf("key %q: %s, want a string", key, aKind(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("key %q: %v", key, err)
	}
	return s, nil
}

// jsonLabel returns a class label: a non-empty string or an integer.
func jsonLabel(raw json.RawMessage) (string, error) {
	switch jsonKind(raw) {
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		if s = strings.TrimSpace(s); s == "" {
			return "", errors.New("empty label")
		}
		return s, nil
	case "number":
		t := string(bytes.TrimSpace(raw))
		if _, err := strconv.ParseInt(t, 10, 64); err != nil {
			return "", fmt.Errorf("%s is not an integer", clip(t))
		}
		return t, nil
	}
	return "", fmt.Errorf("%s, want a string or integer", aKind(raw))
}

// checkKeys reports the smallest key of obj not in allowed.
func checkKeys(obj map[string]json.RawMessage, allowed ...string) error {
	first, found := "", false
	for k := range obj {
		if !slices.Contains(allowed, k) && (!found || k < first) {
			first, found = k, true
		}
	}
	if !found {
		return nil
	}
	return fmt.Errorf("unknown key %s (want %s)", quote(first), strings.Join(allowed, ", "))
}

const maxQuoted = 64

// quote returns s quoted, cut to its first 64 bytes (whole runes) when longer.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(cutRunes(s)) + fmt.Sprintf("… (%d bytes)", len(s))
}

// clip returns s unquoted, cut as quote cuts it.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return cutRunes(s) + fmt.Sprintf("… (%d bytes)", len(s))
}

func cutRunes(s string) string {
	i := maxQuoted
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
