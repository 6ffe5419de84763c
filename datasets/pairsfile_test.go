package datasets

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// pairItems returns items a, b, c, d with 2 features each: a=(1,1) b=(2,2) c=(3,3) d=(4,4).
func pairItems(t *testing.T) *Items {
	t.Helper()
	it, _, err := ReadItems(strings.NewReader("id,label,x,y\na,0,1,1\nb,0,2,2\nc,1,3,3\nd,1,4,4\n"), "items.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestReadPairs(t *testing.T) {
	items := pairItems(t)
	tests := []struct {
		name, file, in string
		noItems        bool
		wantY          []int
		wantA, wantB   [][]float32 // features of each side
		wantIDsA       []string
	}{
		{"csv", "pairs.csv", "a,b,label\na,b,1\na,c,0\n", false, []int{1, 0},
			[][]float32{{1, 1}, {1, 1}}, [][]float32{{2, 2}, {3, 3}}, []string{"a", "a"}},
		{"csv byte order mark, quoted header", "pairs.csv", "\uFEFF\"a\",\"b\",\"label\"\na,b,1\n", false, []int{1},
			[][]float32{{1, 1}}, [][]float32{{2, 2}}, []string{"a"}},
		{"jsonl byte order mark", "pairs.jsonl", "\uFEFF{\"a\":\"a\",\"b\":\"b\",\"label\":1}\n", false, []int{1},
			[][]float32{{1, 1}}, [][]float32{{2, 2}}, []string{"a"}},
		{"csv columns in any order", "pairs.csv", "LABEL, b, a\n0, d, c\n", false, []int{0},
			[][]float32{{3, 3}}, [][]float32{{4, 4}}, []string{"c"}},
		{"jsonl ids", "pairs.jsonl", "{\"a\":\"a\",\"b\":\"d\",\"label\":0}\n{\"a\":\"c\",\"b\":\"d\",\"label\":true}\n", false, []int{0, 1},
			[][]float32{{1, 1}, {3, 3}}, [][]float32{{4, 4}, {4, 4}}, []string{"a", "c"}},
		{"jsonl mixed ids and vectors", "pairs.jsonl", "{\"a\":\"b\",\"b\":[9,8],\"label\":1}\n{\"a\":[7,6],\"b\":\"a\",\"label\":false}\n", false, []int{1, 0},
			[][]float32{{2, 2}, {7, 6}}, [][]float32{{9, 8}, {1, 1}}, []string{"b", "pairs.jsonl:2:a"}},
		{"jsonl inline only, no items", "dir/pairs.ndjson", "{\"a\":[1,2,3],\"b\":[4,5,6],\"label\":1}\n", true, []int{1},
			[][]float32{{1, 2, 3}}, [][]float32{{4, 5, 6}}, []string{"pairs.ndjson:1:a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := items
			if tc.noItems {
				it = nil
			}
			p, warns, err := ReadPairs(strings.NewReader(tc.in), tc.file, it, nil)
			if err != nil {
				t.Fatal(err)
			}
			if warns != nil {
				t.Errorf("warnings %v", warns)
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if err := p.Items.Validate(); err != nil {
				t.Fatal(err)
			}
			all := make([]int, p.Len())
			for i := range all {
				all[i] = i
			}
			b := p.Gather(all)
			if !reflect.DeepEqual(b.Y, tc.wantY) || !reflect.DeepEqual(b.A.Rowsf(), tc.wantA) ||
				!reflect.DeepEqual(b.B.Rowsf(), tc.wantB) || !reflect.DeepEqual(b.IDsA, tc.wantIDsA) {
				t.Errorf("got Y %v A %v B %v IDsA %q", b.Y, b.A.Rowsf(), b.B.Rowsf(), b.IDsA)
			}
		})
	}
	// Without inline vectors the pairs index the given items themselves.
	p, _, err := ReadPairs(strings.NewReader("a,b,label\nb,c,0\n"), "pairs.csv", items, nil)
	if err != nil || p.Items != items || p.A[0] != 1 || p.B[0] != 2 {
		t.Errorf("pairs over items: %+v, %v", p, err)
	}
	// With them, items keep their indices and the vectors follow.
	p, _, err = ReadPairs(strings.NewReader(`{"a":"d","b":[0,0],"label":0}`), "p.jsonl", items, nil)
	if err != nil || p.Items == items || p.A[0] != 3 || p.B[0] != 4 || p.Items.Len() != 5 || p.Items.Name != "p" || p.Items.Labels != nil {
		t.Errorf("pairs with inline vectors: %+v, %v", p, err)
	}
}

func TestReadPairsErrors(t *testing.T) {
	items := pairItems(t)
	tests := []struct {
		name, file, in string
		noItems        bool
		want           string
	}{
		// CSV.
		{"label other than 0 or 1", "pairs.csv", "a,b,label\na,b,1\na,c,0\nb,c,0\nc,d,1\na,d,0\nb,d,2\n", false, `pairs.csv:7: column "label": "2" is not 0 or 1`},
		{"label not a number", "pairs.csv", "a,b,label\na,b,yes\n", false, `pairs.csv:2: column "label": "yes" is not 0 or 1`},
		{"wrong column count", "pairs.csv", "a,b,label\na,b,1\na,b\n", false, `pairs.csv:3: 2 columns, header has 3`},
		{"unknown id", "pairs.csv", "a,b,label\na,zz,1\n", false, `pairs.csv:2: column "b": unknown id "zz"`},
		{"empty file", "pairs.csv", "", false, `pairs.csv: empty file (no header row)`},
		{"no rows", "pairs.csv", "a,b,label\n", false, `pairs.csv: no rows after the header`},
		{"missing column", "pairs.csv", "a,b\na,b\n", false, `pairs.csv:1: header: no "label" column (want a, b, label)`},
		{"unknown column", "pairs.csv", "a,b,label,w\na,b,1,3\n", false, `pairs.csv:1: header: unknown column "w" (want a, b, label)`},
		{"duplicate column", "pairs.csv", "a,b,A\na,b,c\n", false, `pairs.csv:1: header: two "a" columns`},
		{"csv without items", "pairs.csv", "a,b,label\na,b,1\n", true, `pairs.csv: a pairs CSV file names items by id, but no items were given`},
		{"every bad line", "pairs.csv", "a,b,label\nx,b,1\na,b,1\na,y,0\n", false, "pairs.csv:2: column \"a\": unknown id \"x\"\npairs.csv:4: column \"b\": unknown id \"y\""},
		// JSON Lines.
		{"invalid JSON", "pairs.jsonl", "{\"a\":\"a\",\"b\":\"b\",\"label\":1\n", false, `pairs.jsonl:1: invalid JSON: unexpected end of JSON input`},
		{"json label 2", "pairs.jsonl", "{\"a\":\"a\",\"b\":\"b\",\"label\":2}\n", false, `pairs.jsonl:1: key "label": 2 is not 0 or 1`},
		{"json label string", "pairs.jsonl", "{\"a\":\"a\",\"b\":\"b\",\"label\":\"1\"}\n", false, `pairs.jsonl:1: key "label": a string, want 0 or 1`},
		{"json unknown id", "pairs.jsonl", "{\"a\":\"a\",\"b\":5,\"label\":1}\n", false, `pairs.jsonl:1: key "b": unknown id "5"`},
		{"json id without items", "pairs.jsonl", "{\"a\":[1],\"b\":\"x\",\"label\":1}\n", true, `pairs.jsonl:1: key "b": id "x", but no items were given to look ids up in`},
		{"missing key", "pairs.jsonl", "{\"a\":\"a\",\"label\":1}\n", false, `pairs.jsonl:1: no "b" key`},
		{"unknown key", "pairs.jsonl", "{\"a\":\"a\",\"b\":\"b\",\"y\":1}\n", false, `pairs.jsonl:1: unknown key "y" (want a, b, label)`},
		{"side is an object", "pairs.jsonl", "{\"a\":{},\"b\":\"b\",\"label\":1}\n", false, `pairs.jsonl:1: key "a": an object, want a string or number, or an array of numbers`},
		{"vector element", "pairs.jsonl", "{\"a\":[1,null],\"b\":\"b\",\"label\":1}\n", false, `pairs.jsonl:1: key "a": element 1 is null, not a number`},
		{"vector vs items", "pairs.jsonl", "{\"a\":[1,2,3],\"b\":\"b\",\"label\":1}\n", false, `pairs.jsonl:1: key "a": vector has 3 values, items have 2 features`},
		{"inline a vs b", "pairs.jsonl", "{\"a\":[1,2,3],\"b\":[1,2],\"label\":1}\n", true, `pairs.jsonl:1: key "b": vector has 2 values, key "a" has 3`},
		{"inline vs earlier line", "pairs.jsonl", "{\"a\":[1,2],\"b\":[1,2],\"label\":1}\n\n{\"a\":[1],\"b\":[1],\"label\":1}\n", true, `pairs.jsonl:3: key "a": vector has 1 values, want 2 (as on line 1)`},
		{"empty jsonl", "pairs.jsonl", "", true, `pairs.jsonl: empty file (no JSON lines)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := items
			if tc.noItems {
				it = nil
			}
			p, warns, err := ReadPairs(strings.NewReader(tc.in), tc.file, it, nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error:\n%v\nwant:\n%s", err, tc.want)
			}
			if p != nil || warns != nil {
				t.Errorf("returned pairs %v and warnings %v with the error", p, warns)
			}
		})
	}
}

func TestReadPairsSkipBadLines(t *testing.T) {
	items := pairItems(t)
	in := "{\"a\":\"a\",\"b\":\"b\",\"label\":1}\nnot json\n{\"a\":[1,2],\"b\":\"c\",\"label\":0}\n{\"a\":\"a\",\"b\":\"q\",\"label\":0}\n"
	p, warns, err := ReadPairs(strings.NewReader(in), "pairs.jsonl", items, &ReadOptions{SkipBadLines: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 2 || !reflect.DeepEqual(p.Y, []int{1, 0}) || p.Items.IDs[p.A[1]] != "pairs.jsonl:3:a" {
		t.Errorf("pairs %+v", p)
	}
	if len(warns) != 2 || warns[0].Line != 2 || !strings.HasPrefix(warns[0].Msg, "invalid JSON") || warns[1].Error() != `pairs.jsonl:4: key "b": unknown id "q"` {
		t.Errorf("warnings %v", warns)
	}
	_, _, err = ReadPairs(strings.NewReader("a,b,label\na,x,1\n"), "pairs.csv", items, &ReadOptions{SkipBadLines: true})
	if err == nil || err.Error() != "pairs.csv: no valid pairs (1 malformed lines skipped)" {
		t.Errorf("all lines bad: %v", err)
	}
}

func TestReadPairsFiles(t *testing.T) {
	items, _, err := ReadItemsFile("../examples/data/items.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, warns, err := ReadPairsFile("../examples/data/pairs.csv", items, nil)
	if err != nil || warns != nil {
		t.Fatal(err, warns)
	}
	if p.Len() != 6 || p.NumPositives() != 3 || p.Items != items {
		t.Errorf("pairs.csv: %d pairs, %d positive", p.Len(), p.NumPositives())
	}
	// Positive pairs join items of one class, negatives items of two.
	for i := range p.Y {
		if same := items.Labels[p.A[i]] == items.Labels[p.B[i]]; same != (p.Y[i] == 1) {
			t.Errorf("pair %d (%s, %s) labeled %d", i, items.IDs[p.A[i]], items.IDs[p.B[i]], p.Y[i])
		}
	}
	inline, warns, err := ReadPairsFile("../examples/data/pairs.jsonl", nil, nil)
	if err != nil || warns != nil {
		t.Fatal(err, warns)
	}
	if inline.Len() != 4 || inline.NumPositives() != 2 || inline.Items.Dim() != items.Dim() || inline.Items.Len() != 8 {
		t.Errorf("pairs.jsonl: %d pairs, %d positive, %d items of %d features", inline.Len(), inline.NumPositives(), inline.Items.Len(), inline.Items.Dim())
	}
	// The same file against the items: the vectors have the items' length.
	if _, _, err := ReadPairsFile("../examples/data/pairs.jsonl", items, nil); err != nil {
		t.Error(err)
	}
	if _, _, err := ReadPairsFile("../examples/data/nope.csv", items, nil); err == nil {
		t.Error("missing file: no error")
	}
}

// warningsText writes each warning as "kind other: file:line: message", for comparison.
func warningsText(ws []*LineError) []string {
	var out []string
	for _, w := range ws {
		out = append(out, fmt.Sprintf("%v %d: %v", w.Kind, w.Other, w))
	}
	return out
}

func TestReadPairsDuplicatesContradictionsSelfPairs(t *testing.T) {
	skip := &ReadOptions{SkipBadLines: true}
	strict := &ReadOptions{Duplicates: DuplicatesError}
	strictSkip := &ReadOptions{Duplicates: DuplicatesError, SkipBadLines: true}
	// x and y have the same features but are two items.
	twins := "id,f\nx,1\ny,1\nz,2\n"
	tests := []struct {
		name, file, in string
		items          string // items CSV; "" for pairItems
		opts           *ReadOptions
		wantLines      []int
		wantY          []int
		wantWarnings   []string
		wantErr        string
	}{
		{"no repeats", "pairs.csv", "a,b,label\na,b,1\na,c,0\nc,d,1\n", "", nil, []int{2, 3, 4}, []int{1, 0, 1}, nil, ""},
		{"duplicate, either order", "pairs.csv", "a,b,label\na,b,1\na,c,0\nb,a,1\na,b,1\n", "", nil, []int{2, 3}, []int{1, 0},
			[]string{`duplicate 2: pairs.csv:4: duplicate of line 2, kept once (pair {"b", "a"}, label 1)`,
				`duplicate 2: pairs.csv:5: duplicate of line 2, kept once (pair {"a", "b"}, label 1)`}, ""},
		{"duplicate with skipping", "pairs.csv", "a,b,label\na,b,0\na,zz,1\nb,a,0\n", "", skip, []int{2}, []int{0},
			[]string{`malformed 0: pairs.csv:3: column "b": unknown id "zz"`,
				`duplicate 2: pairs.csv:4: duplicate of line 2, kept once (pair {"b", "a"}, label 0)`}, ""},
		{"duplicates as errors", "pairs.csv", "a,b,label\na,b,1\nb,a,1\n", "", strict, nil, nil, nil,
			`pairs.csv:3: duplicate of line 2 (pair {"b", "a"}, label 1)`},
		{"duplicates as errors, skipped", "pairs.csv", "a,b,label\na,b,1\nb,a,1\n", "", strictSkip, []int{2}, []int{1},
			[]string{`malformed 2: pairs.csv:3: duplicate of line 2 (pair {"b", "a"}, label 1)`}, ""},
		{"contradiction", "pairs.csv", "a,b,label\na,b,1\nc,d,0\nb,a,0\n", "", nil, nil, nil, nil,
			"pairs.csv:2: pair {\"a\", \"b\"} is labelled 1 here and 0 at line 4\npairs.csv:4: pair {\"b\", \"a\"} is labelled 0 here and 1 at line 2"},
		{"contradiction and other bad lines, in line order", "pairs.csv", "a,b,label\na,b,1\na,q,0\nb,a,0\n", "", nil, nil, nil, nil,
			"pairs.csv:2: pair {\"a\", \"b\"} is labelled 1 here and 0 at line 4\npairs.csv:3: column \"b\": unknown id \"q\"\npairs.csv:4: pair {\"b\", \"a\"} is labelled 0 here and 1 at line 2"},
		{"contradiction skipped: every line of the pair goes", "pairs.csv", "a,b,label\na,b,1\na,b,1\nc,d,0\nb,a,0\n", "", skip, []int{4}, []int{0},
			[]string{`malformed 5: pairs.csv:2: pair {"a", "b"} is labelled 1 here and 0 at line 5`,
				`malformed 5: pairs.csv:3: pair {"a", "b"} is labelled 1 here and 0 at line 5`,
				`malformed 2: pairs.csv:5: pair {"b", "a"} is labelled 0 here and 1 at line 2`}, ""},
		{"self pair labelled 0", "pairs.csv", "a,b,label\na,b,1\nc,c,0\n", "", nil, nil, nil, nil,
			`pairs.csv:3: self pair {"c", "c"} is labelled 0, but a thing cannot differ from itself`},
		{"self pair labelled 0, skipped", "pairs.csv", "a,b,label\na,b,1\nc,c,0\n", "", skip, []int{2}, []int{1},
			[]string{`malformed 0: pairs.csv:3: self pair {"c", "c"} is labelled 0, but a thing cannot differ from itself`}, ""},
		{"self pair labelled 1 is kept, noted", "pairs.csv", "a,b,label\nc,c,1\nc,c,1\na,b,0\n", "", nil, []int{2, 4}, []int{1, 0},
			[]string{`note 0: pairs.csv:2: self pair {"c", "c"} labelled 1, kept, but it tells a pairs loss nothing`,
				`duplicate 2: pairs.csv:3: duplicate of line 2, kept once (pair {"c", "c"}, label 1)`}, ""},
		// Inline vectors are compared by their values, bitwise.
		{"inline duplicate", "pairs.jsonl", "{\"a\":[1,2],\"b\":[3,4],\"label\":1}\n{\"a\":[3,4.0],\"b\":[1,2e0],\"label\":1}\n{\"a\":[1,2],\"b\":[3,5],\"label\":1}\n", "", nil, []int{1, 3}, []int{1, 1},
			[]string{`duplicate 1: pairs.jsonl:2: duplicate of line 1, kept once (pair {[3, 4], [1, 2]}, label 1)`}, ""},
		{"inline 0 and -0 differ bitwise", "pairs.jsonl", "{\"a\":[0,2],\"b\":[3,4],\"label\":1}\n{\"a\":[-0,2],\"b\":[3,4],\"label\":1}\n", "", nil, []int{1, 2}, []int{1, 1}, nil, ""},
		{"inline contradiction", "pairs.jsonl", "{\"a\":[1,2],\"b\":[3,4],\"label\":1}\n{\"a\":[3,4],\"b\":[1,2],\"label\":false}\n", "", nil, nil, nil, nil,
			"pairs.jsonl:1: pair {[1, 2], [3, 4]} is labelled 1 here and 0 at line 2\npairs.jsonl:2: pair {[3, 4], [1, 2]} is labelled 0 here and 1 at line 1"},
		{"inline self pair", "pairs.jsonl", "{\"a\":[1,2],\"b\":[1,2],\"label\":0}\n", "", nil, nil, nil, nil,
			`pairs.jsonl:1: self pair {[1, 2], [1, 2]} is labelled 0, but a thing cannot differ from itself`},
		// An inline vector counts as the item with its features: a is (1, 1).
		{"id and inline duplicate", "pairs.jsonl", "{\"a\":\"a\",\"b\":\"b\",\"label\":1}\n{\"a\":\"b\",\"b\":[1,1],\"label\":1}\n", "", nil, []int{1}, []int{1},
			[]string{`duplicate 1: pairs.jsonl:2: duplicate of line 1, kept once (pair {"b", [1, 1]}, label 1)`}, ""},
		{"id and inline self pair", "pairs.jsonl", "{\"a\":[1,1],\"b\":\"a\",\"label\":0}\n", "", nil, nil, nil, nil,
			`pairs.jsonl:1: self pair {[1, 1], "a"} is labelled 0, but a thing cannot differ from itself`},
		{"id and inline contradiction", "pairs.jsonl", "{\"a\":[2,2],\"b\":\"c\",\"label\":1}\n{\"a\":\"c\",\"b\":\"b\",\"label\":0}\n", "", nil, nil, nil, nil,
			"pairs.jsonl:1: pair {[2, 2], \"c\"} is labelled 1 here and 0 at line 2\npairs.jsonl:2: pair {\"c\", \"b\"} is labelled 0 here and 1 at line 1"},
		// Items with the same features but two ids are two items; an inline vector with those
		// features counts as the first of them.
		{"twins by id are different", "pairs.csv", "a,b,label\nx,z,1\ny,z,1\nx,y,0\n", twins, nil, []int{2, 3, 4}, []int{1, 1, 0}, nil, ""},
		{"inline counts as the first twin", "pairs.jsonl", "{\"a\":\"y\",\"b\":\"z\",\"label\":1}\n{\"a\":[1],\"b\":\"z\",\"label\":1}\n{\"a\":\"z\",\"b\":\"x\",\"label\":1}\n", twins, nil, []int{1, 2}, []int{1, 1},
			[]string{`duplicate 2: pairs.jsonl:3: duplicate of line 2, kept once (pair {"z", "x"}, label 1)`}, ""},
		{"long vectors are cut in messages", "pairs.jsonl", "{\"a\":[" + strings.Repeat("0.123456789,", 99) + "1],\"b\":[" + strings.Repeat("0.123456789,", 99) + "1],\"label\":0}\n", "x", nil, nil, nil, nil,
			"pairs.jsonl:1: self pair {[0.12345679, 0.12345679, 0.12345679, 0.12345679, 0.12345679, 0.12345679, … (100 values)], [0.12345679, 0.12345679, 0.12345679, 0.12345679, 0.12345679, 0.12345679, … (100 values)]} is labelled 0, but a thing cannot differ from itself"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var items *Items
			switch tc.items {
			case "":
				items = pairItems(t)
			case "x": // no items: inline vectors only
			default:
				var err error
				if items, _, err = ReadItems(strings.NewReader(tc.items), "items.csv", nil); err != nil {
					t.Fatal(err)
				}
			}
			p, warns, err := ReadPairs(strings.NewReader(tc.in), tc.file, items, tc.opts)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error:\n%v\nwant:\n%s", err, tc.wantErr)
				}
				if p != nil || warns != nil {
					t.Errorf("returned pairs %v and warnings %v with the error", p, warns)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Lines, tc.wantLines) || !reflect.DeepEqual(p.Y, tc.wantY) {
				t.Errorf("lines %v labels %v, want %v %v", p.Lines, p.Y, tc.wantLines, tc.wantY)
			}
			if got := warningsText(warns); !reflect.DeepEqual(got, tc.wantWarnings) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.wantWarnings, "\n"))
			}
			seen := map[PairKey]int{}
			for i, k := range p.Keys() {
				if j, dup := seen[k]; dup {
					t.Errorf("pairs %d (line %d) and %d (line %d) have one key %v", j, p.Lines[j], i, p.Lines[i], k)
				}
				seen[k] = i
			}
		})
	}
}

func TestReadPairsDuplicatePolicyUnknown(t *testing.T) {
	_, _, err := ReadPairs(strings.NewReader("a,b,label\na,b,1\n"), "pairs.csv", pairItems(t), &ReadOptions{Duplicates: 7})
	if err == nil || err.Error() != "pairs.csv: unknown duplicates policy 7" {
		t.Errorf("error %v", err)
	}
}

func TestPairsKeysAndLines(t *testing.T) {
	items := pairItems(t)
	// Line 1 joins a and b; line 2 is blank; line 3 joins c and an inline copy of a's features;
	// line 4 an inline vector and d; line 5 c and an inline copy of line 4's vector.
	in := "{\"a\":\"a\",\"b\":\"b\",\"label\":1}\n\n{\"a\":\"c\",\"b\":[1,1],\"label\":0}\n{\"a\":[7,7],\"b\":\"d\",\"label\":1}\n{\"a\":\"c\",\"b\":[7,7],\"label\":0}\n"
	p, warns, err := ReadPairs(strings.NewReader(in), "p.jsonl", items, nil)
	if err != nil || warns != nil {
		t.Fatal(err, warns)
	}
	if want := []int{1, 3, 4, 5}; !reflect.DeepEqual(p.Lines, want) {
		t.Errorf("lines %v, want %v", p.Lines, want)
	}
	// Items: a b c d, then p.jsonl:3:b (= a's features), p.jsonl:4:a, p.jsonl:5:b (= line 4's).
	want := []PairKey{{0, 1}, {0, 2}, {3, 5}, {2, 5}}
	if got := p.Keys(); !reflect.DeepEqual(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
	if got := p.Key(2); got != want[2] {
		t.Errorf("Key(2) = %v", got)
	}
	sub := p.Subset([]int{3, 0})
	if !reflect.DeepEqual(sub.Lines, []int{5, 1}) || !reflect.DeepEqual(sub.Keys(), []PairKey{want[3], want[0]}) || sub.Validate() != nil {
		t.Errorf("subset lines %v keys %v, %v", sub.Lines, sub.Keys(), sub.Validate())
	}
	b := p.Gather([]int{2})
	if b.IDsA[0] != "p.jsonl:4:a" || b.IDsB[0] != "d" {
		t.Errorf("gathered %q %q", b.IDsA, b.IDsB)
	}
	// Pairs not read from a file have no lines; SamplePairs's keys are its indices.
	s, err := SamplePairs(items, 6, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Lines != nil || s.Subset([]int{0}).Lines != nil {
		t.Errorf("sampled pairs have lines %v", s.Lines)
	}
	for i, k := range s.Keys() {
		if k.Lo != min(s.A[i], s.B[i]) || k.Hi != max(s.A[i], s.B[i]) {
			t.Errorf("sampled pair %d (%d, %d) key %v", i, s.A[i], s.B[i], k)
		}
	}
	// NewInlinePairs compares its vectors by value too.
	ip, err := NewInlinePairs([][]float32{{1}, {2}, {1}}, [][]float32{{2}, {1}, {3}}, []int{1, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if got := ip.Keys(); !reflect.DeepEqual(got, []PairKey{{0, 1}, {0, 1}, {0, 5}}) {
		t.Errorf("inline keys %v", got)
	}
}

func TestPairsValidateLines(t *testing.T) {
	items := pairItems(t)
	tests := []struct {
		name string
		p    *Pairs
		want string
	}{
		{"lines in step", &Pairs{Items: items, A: []int{0}, B: []int{1}, Y: []int{1}, Lines: []int{2}}, ""},
		{"lines too few", &Pairs{Items: items, A: []int{0}, B: []int{1}, Y: []int{1}, Lines: []int{}}, "pairs: 0 line numbers, 1 labels"},
		{"line 0", &Pairs{Items: items, A: []int{0}, B: []int{1}, Y: []int{1}, Lines: []int{0}}, "pairs: pair 0 has line number 0"},
		{"keys for other items", &Pairs{Items: items, A: []int{0}, B: []int{1}, Y: []int{1}, same: []int{0, 1}}, "pairs: keys for 2 items, Items has 4"},
	}
	for _, tc := range tests {
		err := tc.p.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestLineKindString(t *testing.T) {
	for k, want := range map[LineKind]string{KindMalformed: "malformed", KindDuplicate: "duplicate", KindNote: "note", 9: "LineKind(9)"} {
		if k.String() != want {
			t.Errorf("%d: %q", int(k), k.String())
		}
	}
	for d, want := range map[DuplicatePolicy]string{DuplicatesKeepFirst: "keep-first", DuplicatesError: "error", 9: "DuplicatePolicy(9)"} {
		if d.String() != want {
			t.Errorf("%d: %q", int(d), d.String())
		}
	}
}
