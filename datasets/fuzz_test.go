package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fuzz targets feed the items and pairs readers arbitrary files. `go test ./datasets/` runs
// their seeds (below, and any files under testdata/fuzz/<target>/); `go test -run x -fuzz
// FuzzReadPairsCSV -fuzztime 30s ./datasets/` fuzzes one of them (docs/DATA.md).
//
// Whatever the input, a reader must not panic and must either fail with a *LineError or a
// LineErrors whose lines lie in the input, each message short however long the input's fields,
// or return a result that passes Validate, with warnings on lines of the input and, for pairs,
// the source lines in order and no unordered pair twice.

// maxMessage bounds one LineError's message: quoted values are cut to lines.MaxQuoted bytes, so only
// the message's own words, a few quoted values and two pair sides remain.
const maxMessage = 600

// fuzzSeeds returns the contents of the example files matching pattern (none for ""), and the
// extra seeds.
func fuzzSeeds(f *testing.F, pattern string, extra ...string) []string {
	f.Helper()
	var seeds []string
	if pattern == "" {
		return extra
	}
	names, err := filepath.Glob(filepath.Join("..", "examples", "data", pattern))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seed files %s: %v", pattern, err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	return append(seeds, extra...)
}

// exampleItems returns the example items that the pairs seeds name.
func exampleItems(f *testing.F) *Items {
	f.Helper()
	items, _, err := ReadItemsFile("../examples/data/items.csv", nil)
	if err != nil {
		f.Fatal(err)
	}
	return items
}

// lineCount returns the number of lines of data, counting a last line without a newline.
func lineCount(data []byte) int { return bytes.Count(data, []byte("\n")) + 1 }

// checkReadError checks that err comes from the file: a *LineError (whole file, header or one
// line) or a LineErrors of malformed lines, in line order, within the input's lines.
func checkReadError(t *testing.T, err error, file string, lines int) {
	t.Helper()
	check := func(e *LineError, minLine int) {
		if e.File != file || e.Line < minLine || e.Line > lines || e.Kind != KindMalformed || e.Other < 0 || e.Other > lines {
			t.Errorf("error %q (file %q, line %d, kind %v, other %d) for a %d-line %s", e, e.File, e.Line, e.Kind, e.Other, lines, file)
		}
		if len(e.Msg) > maxMessage {
			t.Errorf("error message of %d bytes: %.200s…", len(e.Msg), e.Msg)
		}
	}
	var les LineErrors
	var le *LineError
	switch {
	case errors.As(err, &les):
		if len(les) == 0 {
			t.Errorf("an empty LineErrors")
		}
		for i, e := range les {
			check(e, 1)
			if i > 0 && e.Line < les[i-1].Line {
				t.Errorf("errors out of line order: %d after %d", e.Line, les[i-1].Line)
			}
		}
	case errors.As(err, &le):
		check(le, 0)
	default:
		t.Errorf("error %v (%T) is not a *LineError or LineErrors", err, err)
	}
}

// checkWarnings checks warnings: lines of the input, in line order, with short messages;
// malformed lines only when skipping. It returns the lines of the malformed warnings.
func checkWarnings(t *testing.T, warns []*LineError, file string, lines int, skip bool) (malformed []int) {
	t.Helper()
	for i, w := range warns {
		if w.File != file || w.Line < 1 || w.Line > lines || w.Other < 0 || w.Other > lines || len(w.Msg) > maxMessage {
			t.Errorf("warning %.300q (file %q, line %d, other %d) for a %d-line %s", w, w.File, w.Line, w.Other, lines, file)
		}
		if i > 0 && w.Line < warns[i-1].Line {
			t.Errorf("warnings out of line order: %d after %d", w.Line, warns[i-1].Line)
		}
		if w.Kind == KindMalformed {
			if !skip {
				t.Errorf("a malformed line %q as a warning without SkipBadLines", w)
			}
			malformed = append(malformed, w.Line)
		}
	}
	return malformed
}

// fuzzItems reads data as an items file and checks the outcome.
func fuzzItems(t *testing.T, file string, data []byte, skip bool) {
	items, warns, err := ReadItems(bytes.NewReader(data), file, &ReadOptions{SkipBadLines: skip})
	lines := lineCount(data)
	if err != nil {
		checkReadError(t, err, file, lines)
		if items != nil {
			t.Errorf("items with the error %v", err)
		}
		return
	}
	if err := items.Validate(); err != nil {
		t.Fatal(err)
	}
	if items.Len() == 0 || items.Dim() == 0 {
		t.Errorf("%d items of %d features and no error", items.Len(), items.Dim())
	}
	for _, id := range items.IDs {
		if id == "" {
			t.Errorf("an empty id")
		}
	}
	for _, x := range items.Features.Data {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Errorf("feature value %v", x)
		}
	}
	for _, w := range warns {
		if w.Kind != KindMalformed {
			t.Errorf("items warning %q of kind %v", w, w.Kind)
		}
	}
	malformed := checkWarnings(t, warns, file, lines, skip)
	// Every JSON Lines line with content is an item or reported: none is dropped unsaid.
	if filepath.Ext(file) == ".jsonl" {
		if n := len(contentLines(data)); items.Len()+len(malformed) != n {
			t.Errorf("%d items and %d lines skipped from %d lines with content", items.Len(), len(malformed), n)
		}
	}
}

// contentLines returns the 1-based numbers of the lines of data that are not blank, as a JSON
// Lines reader sees them (a leading byte order mark dropped).
func contentLines(data []byte) []int {
	var out []int
	for i, l := range bytes.Split(bytes.TrimPrefix(data, []byte("\uFEFF")), []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, i+1)
		}
	}
	return out
}

// fuzzPairs reads data as a pairs file over items (nil: inline vectors only) and checks the
// outcome.
func fuzzPairs(t *testing.T, file string, data []byte, items *Items, skip, dupErr bool) {
	opts := &ReadOptions{SkipBadLines: skip}
	if dupErr {
		opts.Duplicates = DuplicatesError
	}
	p, warns, err := ReadPairs(bytes.NewReader(data), file, items, opts)
	lines := lineCount(data)
	if err != nil {
		checkReadError(t, err, file, lines)
		if p != nil {
			t.Errorf("pairs with the error %v", err)
		}
		return
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := p.Items.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Len() == 0 || len(p.Lines) != p.Len() {
		t.Fatalf("%d pairs, %d lines and no error", p.Len(), len(p.Lines))
	}
	for i, l := range p.Lines {
		if l < 1 || l > lines || (i > 0 && l <= p.Lines[i-1]) {
			t.Errorf("pair %d on line %d (after line %d) of %d", i, l, p.Lines[max(i-1, 0)], lines)
		}
	}
	seen := map[PairKey]int{}
	for i, k := range p.Keys() {
		if j, dup := seen[k]; dup {
			t.Errorf("lines %d and %d are one pair %v", p.Lines[j], p.Lines[i], k)
		}
		seen[k] = i
		if k.Lo == k.Hi && p.Y[i] == 0 {
			t.Errorf("line %d: a self pair labelled 0 kept", p.Lines[i])
		}
	}
	// The items keep their indices; inline vectors follow them, each a side of a kept line.
	n0 := itemsLen(items)
	if p.Items.Len() == n0 && p.Items != items {
		t.Errorf("pairs without inline vectors over other items")
	}
	if n0 > 0 && !slices.Equal(p.Items.IDs[:n0], items.IDs) {
		t.Errorf("the items' ids changed")
	}
	for _, id := range p.Items.IDs[n0:] {
		var line int
		var side string
		if _, err := fmt.Sscanf(strings.TrimPrefix(id, file+":"), "%d:%s", &line, &side); err != nil || (side != "a" && side != "b") {
			t.Errorf("inline item id %q", id)
		} else if _, kept := slices.BinarySearch(p.Lines, line); !kept {
			t.Errorf("inline item %q of a line not kept", id)
		}
	}
	malformed := checkWarnings(t, warns, file, lines, skip)
	for _, w := range warns {
		_, kept := slices.BinarySearch(p.Lines, w.Line)
		switch w.Kind {
		case KindMalformed, KindDuplicate:
			if kept {
				t.Errorf("line %d is kept and reported: %q", w.Line, w)
			}
		case KindNote:
			if !kept {
				t.Errorf("a note on line %d, which is not kept: %q", w.Line, w)
			}
		}
		if w.Kind == KindDuplicate {
			if dupErr {
				t.Errorf("a duplicate warning %q with DuplicatesError", w)
			}
			if _, ok := slices.BinarySearch(p.Lines, w.Other); !ok || w.Other >= w.Line {
				t.Errorf("duplicate %q of line %d, which is not a kept earlier line", w, w.Other)
			}
		}
	}
	if !skip && len(malformed) > 0 {
		t.Errorf("malformed lines %v without SkipBadLines and no error", malformed)
	}
	// A contradiction drops both lines: the line it names is not kept either, and is reported.
	for _, w := range warns {
		if w.Kind == KindMalformed && strings.Contains(w.Msg, " here and ") {
			if _, kept := slices.BinarySearch(p.Lines, w.Other); kept || !slices.Contains(malformed, w.Other) {
				t.Errorf("%q: line %d kept %v, reported %v", w, w.Other, kept, slices.Contains(malformed, w.Other))
			}
		}
	}
	// Every JSON Lines line with content is a kept pair or reported: none is dropped unsaid.
	if filepath.Ext(file) == ".jsonl" {
		accounted := slices.Clone(p.Lines)
		for _, w := range warns {
			if w.Kind != KindNote {
				accounted = append(accounted, w.Line)
			}
		}
		slices.Sort(accounted)
		if want := contentLines(data); !slices.Equal(accounted, want) {
			t.Errorf("kept or reported lines %v, lines with content %v", accounted, want)
		}
	}
}

// itemsLen returns the number of items, 0 for nil.
func itemsLen(items *Items) int {
	if items == nil {
		return 0
	}
	return items.Len()
}

func FuzzReadItemsCSV(f *testing.F) {
	for _, s := range fuzzSeeds(f, "items.csv",
		"\uFEFF\"id\",\"label\",\"x\"\na,cat,1\nb,dog,2\n",
		"id,x\na,1_000\nb,0x10\nc,0x1p3\nd,1e40\ne,NaN\n",
		"id,label,x\na,+3,1\nb,03,2\nc,3,3\n",
		"id,x\na,1\na,2\n,3\n",
		"x,ID,Label\n1.5,\"a\nb\",c\n2,b,\n",
		"id,"+strings.Repeat("y", 300)+"\na,"+strings.Repeat("9", 300)+"z\n",
		"id,x\na\"b,1\n\"c,2\n",
		"id,x\r\na,1\r\n",
		"",
	) {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		fuzzItems(t, "items.csv", data, skip)
	})
}

func FuzzReadItemsJSONL(f *testing.F) {
	for _, s := range fuzzSeeds(f, "",
		"{\"id\": \"cat-1\", \"label\": \"cat\", \"features\": [0.90, 0.10, 0.20, 0.05]}\n{\"id\": 17, \"features\": [0.10, 0.90, 0.20, 0.15]}\n",
		"\uFEFF{\"id\":\"a\",\"features\":[1]}\n",
		"{\"id\":\"a\",\"label\":2,\"embedding\":[1]}\r\n{\"id\":\"b\",\"label\":null,\"embedding\":[2]}\r\n",
		"{\"id\":\"a\",\"features\":[1_000]}\n{\"id\":\"b\",\"features\":[1e40]}\n{\"id\":\"c\",\"features\":[]}\n",
		"[{\"id\":\"a\",\"features\":[1]}]\n",
		"{\"id\":1,\"features\":[1]}\n{\"id\":\"1\",\"features\":[1]}\n{\"id\":\"x\",\"label\":-0,\"features\":[1]}\n",
		"{\"id\":\"a\",\""+strings.Repeat("k", 300)+"\":1,\"features\":[1]}\n42\n\"s\"\n",
		" \n\n",
	) {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		fuzzItems(t, "items.jsonl", data, skip)
	})
}

func FuzzReadPairsCSV(f *testing.F) {
	items := exampleItems(f)
	for _, s := range fuzzSeeds(f, "pairs.csv",
		"\uFEFF\"a\",\"b\",\"label\"\ncat-1,cat-2,1\n",
		"a,b,label\ncat-1,cat-2,1\ncat-2,cat-1,1\ncat-1,cat-2,1\n",
		"a,b,label\ncat-1,dog-1,1\ndog-1,cat-1,0\ncat-1,dog-1,1\n",
		"a,b,label\ncat-1,cat-1,0\ncat-2,cat-2,1\ncat-2,cat-2,1\n",
		"LABEL, b, a\n0, dog-1, cat-1\n1_0, cat-1, cat-2\n0x1, cat-1, cat-3\n",
		"a,b,label\ncat-1,"+strings.Repeat("z", 300)+",1\n",
		"a,b,label,w\ncat-1,cat-2,1,2\n",
		"a,b,label\ncat-1,\"cat\n-2\",1\ncat-1,cat-3,1\n",
	) {
		for _, flags := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			f.Add([]byte(s), flags[0], flags[1])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, skip, dupErr bool) {
		fuzzPairs(t, "pairs.csv", data, items, skip, dupErr)
	})
}

func FuzzReadPairsJSONL(f *testing.F) {
	items := exampleItems(f)
	for _, s := range fuzzSeeds(f, "pairs.jsonl",
		"\uFEFF{\"a\":\"cat-1\",\"b\":\"cat-2\",\"label\":1}\n",
		"{\"a\":\"cat-1\",\"b\":[0.10,0.90,0.20,0.15],\"label\":0}\n{\"a\":[0.10,0.90,0.20,0.15],\"b\":\"cat-1\",\"label\":false}\n",
		"{\"a\":[1,2,3,4],\"b\":[1,2,3,4],\"label\":1}\n{\"a\":[1,2,3,4],\"b\":[1,2,3,4],\"label\":0}\n",
		"{\"a\":[0,2,3,4],\"b\":[5,6,7,8],\"label\":1}\n{\"a\":[-0,2,3,4],\"b\":[5,6,7,8],\"label\":1}\n{\"a\":[5,6,7,8],\"b\":[0,2,3,4],\"label\":true}\n",
		"{\"a\":\"cat-1\",\"b\":\"dog-1\",\"label\":1}\n{\"a\":\"dog-1\",\"b\":\"cat-1\",\"label\":0}\n",
		"{\"a\":1,\"b\":\"x\",\"label\":2}\n{\"a\":[1,null],\"b\":{},\"label\":\"1\"}\n{\"a\":[1],\"b\":[1,2],\"label\":1}\n",
		"{\"a\":\"cat-1\",\"b\":\"cat-2\",\"label\":"+strings.Repeat("1", 300)+"}\n",
		"[{\"a\":\"cat-1\",\"b\":\"cat-2\",\"label\":1}]\n",
	) {
		for _, flags := range [][3]bool{{false, false, false}, {true, false, false}, {false, true, false}, {true, true, true}, {false, false, true}} {
			f.Add([]byte(s), flags[0], flags[1], flags[2])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, skip, dupErr, noItems bool) {
		it := items
		if noItems {
			it = nil
		}
		fuzzPairs(t, "pairs.jsonl", data, it, skip, dupErr)
	})
}
