package text

import (
	"bytes"
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
	"github.com/gometric/gometric/internal/lines"
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
	rep := &datasets.LineReport{File: name}
	set = &Set{Name: baseName(name)}
	idLine := map[string]int{}
	var labels []string
	labelled, unlabelled := 0, 0
	add := func(line int, id, text string, label *string, where string) {
		if id == "" {
			rep.Bad(line, "empty id")
			return
		}
		if first, dup := idLine[id]; dup {
			rep.Bad(line, "duplicate id %s (first on line %d)", lines.Quote(id), first)
			return
		}
		text, ok := checkText(rep, line, text, opts, where)
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
					rep.Bad(line, "column \"label\": empty label")
					return
				}
				label = &l
			}
			add(line, strings.TrimSpace(row["id"]), row["text"], label, `column "text": `)
		})
	} else {
		err = lines.ScanJSONL(lines.SkipBOM(r), rep, lines.JSONLOptions{MaxLineBytes: MaxLineBytes, CheckUTF8: true}, func(line int, obj map[string]json.RawMessage) {
			if err := lines.CheckKeys(obj, "id", "text", "label"); err != nil {
				rep.Bad(line, "%v", err)
				return
			}
			rawID, ok := obj["id"]
			if !ok {
				rep.Bad(line, "no \"id\" key")
				return
			}
			id, err := lines.ID(rawID)
			if err != nil {
				rep.Bad(line, "key \"id\": %v", err)
				return
			}
			text, err := jsonText(obj, "text")
			if err != nil {
				rep.Bad(line, "%v", err)
				return
			}
			var label *string
			if raw, ok := obj["label"]; ok && !lines.IsNull(raw) {
				l, err := jsonLabel(raw)
				if err != nil {
					rep.Bad(line, "key \"label\": %v", err)
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
				rep.Bad(set.Lines[i], "text %s has no label, but %d other texts have one", lines.Quote(set.IDs[i]), labelled)
			}
		}
		if !opts.SkipBadLines {
			_, err := rep.Finish(false)
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
	if warnings, err = rep.Finish(opts.SkipBadLines); err != nil {
		return nil, nil, err
	}
	if len(set.IDs) == 0 {
		return nil, warnings, rep.Fatal(0, "no valid texts (%d malformed lines skipped)", rep.Malformed())
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
	rep := &datasets.LineReport{File: name}
	var index map[string]int
	if texts != nil {
		index = texts.Index()
	}
	pairs = &PairSet{Name: baseName(name)}
	// side resolves one side: an id (byID) or an inline text.
	side := func(line int, key, id string, isID bool, inline string) (string, int, bool) {
		if isID {
			if texts == nil {
				rep.Bad(line, "%s: text id %s, but no texts file was given (give one, or inline texts)", key, lines.Quote(id))
				return "", 0, false
			}
			i, ok := index[id]
			if !ok {
				rep.Bad(line, "%s: unknown text id %s", key, lines.Quote(id))
				return "", 0, false
			}
			return texts.Texts[i], i, true
		}
		t, ok := checkText(rep, line, inline, opts, key+": ")
		return t, -1, ok
	}
	add := func(line int, a, b string, ia, ib int, rawLabel string, labelKey string) {
		y, ok := lines.PairLabel(rawLabel)
		if !ok {
			rep.Bad(line, "%s: %s is not 0 or 1", labelKey, lines.Quote(strings.TrimSpace(rawLabel)))
			return
		}
		if y == 0 && (ia >= 0 && ia == ib || a == b) {
			rep.Bad(line, "pair of identical texts %s is labelled 0, but a text cannot differ from itself", lines.Quote(a))
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
					rep.Bad(line, "columns %q and %q are both set; give one", s, s+"_text")
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
					rep.Bad(line, "no text for side %s (empty %s)", s, orList(s, hasText))
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
		err = lines.ScanJSONL(lines.SkipBOM(r), rep, lines.JSONLOptions{MaxLineBytes: MaxLineBytes, CheckUTF8: true}, func(line int, obj map[string]json.RawMessage) {
			if err := lines.CheckKeys(obj, "a", "a_text", "b", "b_text", "label"); err != nil {
				rep.Bad(line, "%v", err)
				return
			}
			var got [2]string
			var idx [2]int
			for k, s := range []string{"a", "b"} {
				raw, hasSide := obj[s]
				_, hasText := obj[s+"_text"]
				switch {
				case hasSide && hasText:
					rep.Bad(line, "keys %q and %q are both set; give one", s, s+"_text")
					return
				case hasText:
					inline, err := jsonText(obj, s+"_text")
					if err != nil {
						rep.Bad(line, "%v", err)
						return
					}
					t, i, ok := side(line, "key "+strconv.Quote(s+"_text"), "", false, inline)
					if !ok {
						return
					}
					got[k], idx[k] = t, i
				case hasSide:
					key := "key " + strconv.Quote(s)
					switch lines.Kind(raw) {
					case "object":
						var sobj map[string]json.RawMessage
						if err := json.Unmarshal(raw, &sobj); err != nil {
							rep.Bad(line, "%s: %v", key, err)
							return
						}
						if err := lines.CheckKeys(sobj, "text"); err != nil {
							rep.Bad(line, "%s: %v", key, err)
							return
						}
						inline, err := jsonText(sobj, "text")
						if err != nil {
							rep.Bad(line, "%s: %v", key, err)
							return
						}
						t, i, ok := side(line, key, "", false, inline)
						if !ok {
							return
						}
						got[k], idx[k] = t, i
					case "string", "number":
						id, _ := lines.ID(raw)
						t, i, ok := side(line, key, id, true, "")
						if !ok {
							return
						}
						got[k], idx[k] = t, i
					default:
						rep.Bad(line, "%s: %s, want a text id (string or number) or an object {\"text\": ...}", key, lines.AKind(raw))
						return
					}
				default:
					rep.Bad(line, "no %q or %q key", s, s+"_text")
					return
				}
			}
			rawL, ok := obj["label"]
			if !ok {
				rep.Bad(line, "no \"label\" key")
				return
			}
			add(line, got[0], got[1], idx[0], idx[1], string(rawL), "key \"label\"")
		})
	}
	if err != nil {
		return nil, nil, err
	}
	if warnings, err = rep.Finish(opts.SkipBadLines); err != nil {
		return nil, nil, err
	}
	if len(pairs.Pairs) == 0 {
		return nil, warnings, rep.Fatal(0, "no valid pairs (%d malformed lines skipped)", rep.Malformed())
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
func checkText(r *datasets.LineReport, line int, text string, opts *ReadOptions, where string) (string, bool) {
	if !utf8.ValidString(text) {
		off := lines.InvalidUTF8(text)
		r.Bad(line, "%stext is not valid UTF-8 (byte %d: %#x)", where, off, text[off])
		return "", false
	}
	if Normalize(text) == "" {
		if text == "" {
			r.Bad(line, "%sempty text", where)
		} else {
			r.Bad(line, "%sempty text (white space only)", where)
		}
		return "", false
	}
	if n := utf8.RuneCountInString(text); n > opts.MaxRunes {
		if !opts.Truncate {
			r.Bad(line, "%stext of %d characters, longer than the limit of %d (raise the limit, or truncate)", where, n, opts.MaxRunes)
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
		r.Note(datasets.KindNote, line, 0, "%stext of %d characters truncated to its first %d", where, n, opts.MaxRunes)
	}
	return text, true
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

// scanCSV reads a CSV file as a stream (lines.ScanCSV; a leading UTF-8 byte order mark is
// dropped): the header's column names (matched ignoring case) must be among allowed, each at most
// once, and include required; onRow gets each row as a map from column name to cell, with the
// row's first line. check, when given, checks the header's columns further. Rows of the wrong
// length and CSV syntax errors are malformed lines; header problems end the read.
func scanCSV(r io.Reader, rep *datasets.LineReport, allowed, required []string, onRow func(line int, row map[string]string), check ...func(map[string]int) error) error {
	cr := csv.NewReader(lines.SkipBOM(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var cols []string
	onHeader := func(line int, rec []string) error {
		header := map[string]int{}
		for i, c := range rec {
			c = strings.ToLower(strings.TrimSpace(c))
			if !utf8.ValidString(c) {
				return rep.Fatal(line, "header: column %d is not valid UTF-8", i+1)
			}
			if !slices.Contains(allowed, c) {
				return rep.Fatal(line, "header: unknown column %s (want %s)", lines.Quote(c), strings.Join(allowed, ", "))
			}
			if j, dup := header[c]; dup {
				return rep.Fatal(line, "header: two %q columns (%d and %d)", c, j+1, i+1)
			}
			header[c] = i
			cols = append(cols, c)
		}
		for _, c := range required {
			if _, ok := header[c]; !ok {
				return rep.Fatal(line, "header: no %q column (columns: %s)", c, lines.Clip(strings.Join(cols, ", ")))
			}
		}
		for _, f := range check {
			if err := f(header); err != nil {
				return rep.Fatal(line, "header: %v", err)
			}
		}
		return nil
	}
	return lines.ScanCSV(cr, rep, onHeader, func(line int, rec []string) {
		if len(rec) != len(cols) {
			rep.Bad(line, "%d columns, header has %d", len(rec), len(cols))
			return
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[c] = rec[i]
		}
		onRow(line, row)
	})
}

// jsonText returns the string under key of obj.
func jsonText(obj map[string]json.RawMessage, key string) (string, error) {
	raw, ok := obj[key]
	if !ok {
		return "", fmt.Errorf("no %q key", key)
	}
	if lines.Kind(raw) != "string" {
		return "", fmt.Errorf("key %q: %s, want a string", key, lines.AKind(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("key %q: %v", key, err)
	}
	return s, nil
}

// jsonLabel returns a class label: a non-empty string or an integer.
func jsonLabel(raw json.RawMessage) (string, error) {
	switch lines.Kind(raw) {
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
			return "", fmt.Errorf("%s is not an integer", lines.Clip(t))
		}
		return t, nil
	}
	return "", fmt.Errorf("%s, want a string or integer", lines.AKind(raw))
}
