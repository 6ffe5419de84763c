package text

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gometric/gometric/datasets"
)

func TestReadTexts(t *testing.T) {
	for _, c := range []struct {
		name, file, in string
	}{
		{"csv", "names.csv", "id,text,label\nc1,Müller GmbH,m\nc2,\"Mueller, GmbH\",m\nc3,Schmidt AG,s\n"},
		{"jsonl", "names.jsonl", "{\"id\":\"c1\",\"text\":\"Müller GmbH\",\"label\":\"m\"}\n\n{\"id\":\"c2\",\"text\":\"Mueller, GmbH\",\"label\":\"m\"}\n{\"id\":\"c3\",\"text\":\"Schmidt AG\",\"label\":\"s\"}\n"},
		{"bom", "names.csv", "\uFEFFID,Text,Label\nc1,Müller GmbH,m\nc2,\"Mueller, GmbH\",m\nc3,Schmidt AG,s\n"},
	} {
		set, warnings, err := ReadTexts(strings.NewReader(c.in), c.file, nil)
		if err != nil || len(warnings) > 0 {
			t.Fatalf("%s: %v %v", c.name, err, warnings)
		}
		if !slices.Equal(set.IDs, []string{"c1", "c2", "c3"}) || !slices.Equal(set.Texts, []string{"Müller GmbH", "Mueller, GmbH", "Schmidt AG"}) || !slices.Equal(set.Labels, []string{"m", "m", "s"}) {
			t.Errorf("%s: %+v", c.name, set)
		}
		items, err := ToItems(set)
		if err != nil || items.Kind() != KindText || !slices.Equal(items.Labels, []int{0, 0, 1}) {
			t.Errorf("%s: items %v %v", c.name, items, err)
		}
	}
	// No labels at all is fine.
	set, _, err := ReadTexts(strings.NewReader(`{"id": 7, "text": "x"}`+"\n"), "a.jsonl", nil)
	if err != nil || set.Labels != nil || set.IDs[0] != "7" {
		t.Errorf("unlabelled: %+v %v", set, err)
	}
}

// TestReadTextsErrors: each malformed line is a file:line: cause error.
func TestReadTextsErrors(t *testing.T) {
	long := strings.Repeat("é", DefaultMaxTextRunes+1)
	for _, c := range []struct {
		name, file, in, want string
	}{
		{"invalid utf-8 csv", "t.csv", "id,text\na,ok\nb,M\xfcller\n", "t.csv:3: column \"text\": text is not valid UTF-8 (byte 1: 0xfc)"},
		{"invalid utf-8 jsonl", "t.jsonl", "{\"id\":\"a\",\"text\":\"ok\"}\n{\"id\":\"b\",\"text\":\"M\xfcller\"}\n", "t.jsonl:2: not valid UTF-8 (byte 19 of the line: 0xfc)"},
		{"empty", "t.csv", "id,text\na,ok\nb,\n", "t.csv:3: column \"text\": empty text"},
		{"blank", "t.jsonl", "{\"id\":\"a\",\"text\":\" \\t \"}\n", "t.jsonl:1: key \"text\": empty text (white space only)"},
		{"too long", "t.csv", "id,text\na," + long + "\n", "t.csv:2: column \"text\": text of 1001 characters, longer than the limit of 1000"},
		{"duplicate id", "t.csv", "id,text\na,x\na,y\n", "t.csv:3: duplicate id \"a\" (first on line 2)"},
		{"empty id", "t.csv", "id,text\n ,x\n", "t.csv:2: empty id"},
		{"no text column", "t.csv", "id,name\na,x\n", "t.csv:1: header: unknown column \"name\""},
		{"missing text column", "t.csv", "id,label\na,x\n", "t.csv:1: header: no \"text\" column"},
		{"columns", "t.csv", "id,text\na,x,y\n", "t.csv:2: 3 columns, header has 2"},
		{"unknown key", "t.jsonl", "{\"id\":\"a\",\"txt\":\"x\"}\n", "t.jsonl:1: unknown key \"txt\""},
		{"text not string", "t.jsonl", "{\"id\":\"a\",\"text\":3}\n", "t.jsonl:1: key \"text\": a number, want a string"},
		{"mixed labels", "t.csv", "id,text,label\na,x,1\nb,y,\n", "t.csv:3: column \"label\": empty label"},
		{"mixed labels jsonl", "t.jsonl", "{\"id\":\"a\",\"text\":\"x\",\"label\":1}\n{\"id\":\"b\",\"text\":\"y\"}\n", "t.jsonl:2: text \"b\" has no label, but 1 other texts have one"},
		{"not json", "t.jsonl", "{\"id\":\"a\",\"text\":\"x\"}\n[1]\n", "t.jsonl:2: an array, not a JSON object"},
		{"empty file", "t.csv", "", "t.csv: empty file"},
		{"extension", "t.txt", "id,text\na,x\n", "cannot tell the format"},
	} {
		_, _, err := ReadTexts(strings.NewReader(c.in), c.file, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
			continue
		}
		var le *datasets.LineError
		if !errors.As(err, &le) {
			t.Errorf("%s: %T is not a datasets.LineError", c.name, err)
		}
	}
}

func TestReadTextsTruncateAndSkip(t *testing.T) {
	in := "id,text\na,abcdef\nb,\nc,ok\n"
	set, warnings, err := ReadTexts(strings.NewReader(in), "t.csv", &ReadOptions{MaxRunes: 3, Truncate: true, SkipBadLines: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(set.Texts, []string{"abc", "ok"}) || len(warnings) != 2 {
		t.Fatalf("texts %q, warnings %v", set.Texts, warnings)
	}
	if warnings[0].Line != 2 || warnings[0].Kind != datasets.KindNote || !strings.Contains(warnings[0].Msg, "truncated") ||
		warnings[1].Line != 3 || warnings[1].Kind != datasets.KindMalformed {
		t.Errorf("warnings %v", warnings)
	}
	if _, _, err := ReadTexts(strings.NewReader(in), "t.csv", &ReadOptions{MaxRunes: 3}); err == nil {
		t.Error("no error without Truncate and SkipBadLines")
	}
}

func TestReadPairs(t *testing.T) {
	texts, _, err := ReadTexts(strings.NewReader("id,text\nm1,Müller GmbH\ns1,Schmidt AG\n"), "names.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, in string }{
		{"p.csv", "a,b_text,b,label\n\nm1,MUELLER GMBH,,1\nm1,,s1,0\ns1,Schmidt AG,,1\n"},
		{"p.csv", "a,a_text,b,b_text,label\n\nm1,,,MUELLER GMBH,1\nm1,,s1,,0\n,Schmidt AG,s1,,1\n"},
		{"p.jsonl", "\n\n{\"a\":\"m1\",\"b\":{\"text\":\"MUELLER GMBH\"},\"label\":1}\n{\"a\":\"m1\",\"b\":\"s1\",\"label\":false}\n{\"a_text\":\"Schmidt AG\",\"b\":\"s1\",\"label\":1}\n"},
	} {
		ps, _, err := ReadPairs(strings.NewReader(c.in), c.file, texts, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		items, _ := ToItems(texts)
		p, err := ToPairs(ps, items)
		if err != nil {
			t.Fatal(err)
		}
		o, _ := TextsOf(p.Items)
		// Items: the two texts, then the inline texts ("Schmidt AG" inline is a new item too).
		if !slices.Equal(o.Texts, []string{"Müller GmbH", "Schmidt AG", "MUELLER GMBH", "Schmidt AG"}) || !slices.Equal(p.Y, []int{1, 0, 1}) || !slices.Equal(p.Lines, []int{3, 4, 5}) {
			t.Errorf("%s: texts %q, labels %v, lines %v", c.file, o.Texts, p.Y, p.Lines)
		}
	}
	// Inline only, the same text twice is one item.
	ps, _, err := ReadPairs(strings.NewReader("a_text,b_text,label\nx,y,0\nx,z,1\n"), "p.csv", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ToPairs(ps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Items.Len() != 3 || !slices.Equal(p.Items.IDs, []string{"p:2:a", "p:2:b", "p:3:b"}) || p.A[1] != 0 {
		t.Errorf("items %v, pairs %v %v", p.Items.IDs, p.A, p.B)
	}
}

func TestReadPairsErrors(t *testing.T) {
	texts := &Set{Name: "names", IDs: []string{"m1"}, Texts: []string{"Müller"}}
	for _, c := range []struct {
		name, file, in string
		texts          *Set
		want           string
	}{
		{"unknown id", "p.csv", "a,b,label\nm1,zz,1\n", texts, "p.csv:2: column \"b\": unknown text id \"zz\""},
		{"no texts file", "p.csv", "a,b,label\nm1,m1,1\n", nil, "p.csv:2: column \"a\": text id \"m1\", but no texts file was given"},
		{"both set", "p.csv", "a,a_text,b,label\nm1,x,m1,1\n", texts, "p.csv:2: columns \"a\" and \"a_text\" are both set"},
		{"no side", "p.csv", "a,b,label\n,m1,1\n", texts, "p.csv:2: no text for side a"},
		{"no side column", "p.csv", "a,label\nm1,1\n", texts, "p.csv:1: header: no \"b\" or \"b_text\" column"},
		{"bad label", "p.csv", "a,b,label\nm1,m1,2\n", texts, "p.csv:2: column \"label\": \"2\" is not 0 or 1"},
		{"self 0", "p.csv", "a,b,label\nm1,m1,0\n", texts, "p.csv:2: pair of identical texts \"Müller\" is labelled 0"},
		{"inline invalid", "p.csv", "a_text,b_text,label\nx,\xff,1\n", nil, "p.csv:2: column \"b_text\": text is not valid UTF-8"},
		{"inline empty", "p.jsonl", "{\"a\":{\"text\":\"\"},\"b_text\":\"x\",\"label\":1}\n", nil, "p.jsonl:1: key \"a\": empty text"},
		{"inline too long", "p.jsonl", "{\"a_text\":\"" + strings.Repeat("x", 1001) + "\",\"b_text\":\"x\",\"label\":1}\n", nil, "p.jsonl:1: key \"a_text\": text of 1001 characters"},
		{"side kind", "p.jsonl", "{\"a\":[1],\"b_text\":\"x\",\"label\":1}\n", nil, "p.jsonl:1: key \"a\": an array, want a text id"},
		{"side keys", "p.jsonl", "{\"a\":{\"txt\":\"y\"},\"b_text\":\"x\",\"label\":1}\n", nil, "p.jsonl:1: key \"a\": unknown key \"txt\""},
		{"no label", "p.jsonl", "{\"a_text\":\"y\",\"b_text\":\"x\"}\n", nil, "p.jsonl:1: no \"label\" key"},
	} {
		_, _, err := ReadPairs(strings.NewReader(c.in), c.file, c.texts, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
}

func TestIsTextFile(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file, in string
		want     bool
	}{
		{"a.csv", "id,text\na,x\n", true},
		{"b.csv", "a_text,b,label\nx,y,1\n", true},
		{"c.csv", "id,label,f0\na,1,0.5\n", false},
		{"d.jsonl", "\n{\"id\":\"a\",\"text\":\"x\"}\n", true},
		{"e.jsonl", "{\"a\":{\"text\":\"x\"},\"b\":\"y\",\"label\":1}\n", true},
		{"f.jsonl", "{\"id\":\"g\",\"nodes\":[{}],\"edges\":[]}\n", false},
		{"g.jsonl", "{\"a\":\"x\",\"b\":\"y\",\"label\":1}\n", false},
	} {
		path := dir + "/" + c.file
		if err := writeFile(path, c.in); err != nil {
			t.Fatal(err)
		}
		if got, err := IsTextFile(path); err != nil || got != c.want {
			t.Errorf("%s: %v %v, want %v", c.file, got, err, c.want)
		}
	}
	if _, err := IsTextFile(dir + "/missing.csv"); err == nil {
		t.Error("missing file: no error")
	}
}

// TestExampleFiles reads the example texts and pairs of examples/data.
func TestExampleFiles(t *testing.T) {
	set, warnings, err := ReadTextsFile("../examples/data/names.csv", nil)
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	items, err := ToItems(set)
	if err != nil {
		t.Fatal(err)
	}
	ps, warnings, err := ReadPairsFile("../examples/data/names-pairs.csv", set, nil)
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	p, err := ToPairs(ps, items)
	if err != nil {
		t.Fatal(err)
	}
	if set.IDs == nil || len(set.IDs) != 43 || items.NumClasses() != 12 || p.Len() != 25 || p.NumPositives() != 14 || p.Items.Len() != 43+4 {
		t.Errorf("%d texts, %d classes, %d pairs (%d positive), %d pair items", len(set.IDs), items.NumClasses(), p.Len(), p.NumPositives(), p.Items.Len())
	}
	for _, path := range []string{"../examples/data/names.csv", "../examples/data/names-pairs.csv"} {
		if ok, err := IsTextFile(path); !ok || err != nil {
			t.Errorf("IsTextFile(%s) = %v, %v", path, ok, err)
		}
	}
}
