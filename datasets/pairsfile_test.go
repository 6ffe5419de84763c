package datasets

import (
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
