package datasets

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadItems(t *testing.T) {
	tests := []struct {
		name, file, in string
		opts           *ReadOptions
		wantIDs        []string
		wantLabels     []int
		wantClasses    []string
		wantData       []float32
	}{
		{"csv names", "items.csv", "id,label,x,y\na,cat,1,2\nb,dog,3,4\nc,cat,5,6\n", nil,
			[]string{"a", "b", "c"}, []int{0, 1, 0}, []string{"cat", "dog"}, []float32{1, 2, 3, 4, 5, 6}},
		{"csv integer labels", "items.csv", "id,label,x\na,3,1\nb,0,2\n", nil,
			[]string{"a", "b"}, []int{3, 0}, nil, []float32{1, 2}},
		{"csv no labels, label column last, spaces", "items.CSV", "x, y ,ID\n1.5, -2e-1, a \n", nil,
			[]string{"a"}, nil, nil, []float32{1.5, -0.2}},
		{"csv byte order mark, upper-case header", "items.csv", "\uFEFFID,Label,f\nq,7,0\n", nil,
			[]string{"q"}, []int{7}, nil, []float32{0}},
		{"csv byte order mark, quoted header", "items.csv", "\uFEFF\"id\",\"label\",\"f\"\nq,7,0\n", nil,
			[]string{"q"}, []int{7}, nil, []float32{0}},
		{"jsonl byte order mark", "items.jsonl", "\uFEFF{\"id\":\"q\",\"features\":[1]}\n", nil,
			[]string{"q"}, nil, nil, []float32{1}},
		{"csv quoted", "items.csv", "id,label,f\n\"a,1\",\"big cat\",\"3\"\n", nil,
			[]string{"a,1"}, []int{0}, []string{"big cat"}, []float32{3}},
		{"csv fixed class names", "items.csv", "id,label,f\na,cat,0\nb,bird,0\nc,ant,0\n", &ReadOptions{ClassNames: []string{"dog", "cat"}},
			[]string{"a", "b", "c"}, []int{1, 3, 2}, []string{"dog", "cat", "ant", "bird"}, []float32{0, 0, 0}},
		{"csv negative integer labels are names", "items.csv", "id,label,f\na,-1,0\nb,1,0\n", nil,
			[]string{"a", "b"}, []int{0, 1}, []string{"-1", "1"}, []float32{0, 0}},
		{"csv plain decimal forms", "items.csv", "id,x,y,z,w\na,+1.5,-.5,5.,007E+1\n", nil,
			[]string{"a"}, nil, nil, []float32{1.5, -0.5, 5, 70}},
		// Only plain decimal integers are class indices: "+3" and "03" are names, as "3" is not
		// the same string and must not silently join class 3.
		{"csv signed or zero-padded labels are names", "items.csv", "id,label,f\na,+3,0\nb,03,0\nc,3,0\n", nil,
			[]string{"a", "b", "c"}, []int{0, 1, 2}, []string{"+3", "03", "3"}, []float32{0, 0, 0}},
		{"jsonl", "items.jsonl", "{\"id\": \"a\", \"label\": \"cat\", \"features\": [1, 2]}\n\n{\"id\": 7, \"label\": \"dog\", \"features\": [3, 4.5]}", nil,
			[]string{"a", "7"}, []int{0, 1}, []string{"cat", "dog"}, []float32{1, 2, 3, 4.5}},
		{"jsonl integer labels, embedding key", "x.ndjson", "{\"id\":\"a\",\"label\":2,\"embedding\":[1]}\r\n{\"id\":\"b\",\"label\":\"0\",\"embedding\":[2]}\r\n", nil,
			[]string{"a", "b"}, []int{2, 0}, nil, []float32{1, 2}},
		{"jsonl no labels, null label", "items.json", "{\"id\":\"a\",\"features\":[1]}\n{\"id\":\"b\",\"label\":null,\"features\":[2]}\n", nil,
			[]string{"a", "b"}, nil, nil, []float32{1, 2}},
		{"format override", "items.txt", "id,f\na,1\n", &ReadOptions{Format: FormatCSV},
			[]string{"a"}, nil, nil, []float32{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, warns, err := ReadItems(strings.NewReader(tc.in), tc.file, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if warns != nil {
				t.Errorf("warnings %v", warns)
			}
			if err := it.Validate(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(it.IDs, tc.wantIDs) || !reflect.DeepEqual(it.Labels, tc.wantLabels) ||
				!reflect.DeepEqual(it.ClassNames, tc.wantClasses) || !reflect.DeepEqual(it.Features.Data, tc.wantData) {
				t.Errorf("got ids %q labels %v classes %q data %v\nwant ids %q labels %v classes %q data %v",
					it.IDs, it.Labels, it.ClassNames, it.Features.Data, tc.wantIDs, tc.wantLabels, tc.wantClasses, tc.wantData)
			}
			if it.Features.Cols*it.Len() != len(tc.wantData) {
				t.Errorf("features %dx%d", it.Features.Rows, it.Features.Cols)
			}
		})
	}
}

func TestReadItemsErrors(t *testing.T) {
	tests := []struct {
		name, file, in string
		want           string // the whole error message
	}{
		// CSV.
		{"wrong column count", "items.csv", "id,label,x,y\na,c,1,2\nb,c,3\n", `items.csv:3: 3 columns, header has 4`},
		{"non-numeric value", "items.csv", "id,x\na,1\nb,abc\n", `items.csv:3: column "x": "abc" is not a number`},
		{"empty value", "items.csv", "id,x\na,\n", `items.csv:2: column "x": "" is not a number`},
		{"not finite", "items.csv", "id,x\na,NaN\n", `items.csv:2: column "x": "NaN" is not a finite number`},
		{"out of range", "items.csv", "id,x\na,1e40\n", `items.csv:2: column "x": "1e40" is out of float32 range`},
		{"digit separators", "items.csv", "id,x\na,1_000\n", `items.csv:2: column "x": "1_000" is not a plain decimal number (_ digit separators are not allowed)`},
		{"digit separators in a fraction", "items.csv", "id,x\na,1_0.5\n", `items.csv:2: column "x": "1_0.5" is not a plain decimal number (_ digit separators are not allowed)`},
		{"hexadecimal float", "items.csv", "id,x\na,0x1p3\n", `items.csv:2: column "x": "0x1p3" is not a plain decimal number (0x, 0o and 0b prefixes are not allowed)`},
		{"hexadecimal integer", "items.csv", "id,x\na,-0X10\n", `items.csv:2: column "x": "-0X10" is not a plain decimal number (0x, 0o and 0b prefixes are not allowed)`},
		{"binary", "items.csv", "id,x\na,0b1\n", `items.csv:2: column "x": "0b1" is not a plain decimal number (0x, 0o and 0b prefixes are not allowed)`},
		{"infinity", "items.csv", "id,x\na,-Infinity\n", `items.csv:2: column "x": "-Infinity" is not a finite number`},
		{"bare exponent", "items.csv", "id,x\na,1e\n", `items.csv:2: column "x": "1e" is not a number`},
		{"bare point", "items.csv", "id,x\na,.\n", `items.csv:2: column "x": "." is not a number`},
		{"duplicate id", "items.csv", "id,x\na,1\nb,2\na,3\n", `items.csv:4: duplicate id "a" (first on line 2)`},
		{"empty id", "items.csv", "id,x\n,1\n", `items.csv:2: column "id": empty id`},
		{"empty label", "items.csv", "id,label,x\na,,1\n", `items.csv:2: column "label": empty label`},
		{"missing id column", "items.csv", "name,x\na,1\n", `items.csv:1: header: no "id" column (columns: name, x)`},
		{"two id columns", "items.csv", "id,x,ID\na,1,b\n", `items.csv:1: header: two id columns (1 and 3)`},
		{"no feature columns", "items.csv", "id,label\na,b\n", `items.csv:1: header: no feature columns (every column other than id and label is a feature)`},
		{"empty file", "items.csv", "", `items.csv: empty file (no header row)`},
		{"blank file", "items.csv", "\n\n", `items.csv: empty file (no header row)`},
		{"no rows", "items.csv", "id,x\n", `items.csv: no rows after the header`},
		{"csv syntax", "items.csv", "id,x\na\"b,1\n", `items.csv:2: CSV syntax: bare " in non-quoted-field`},
		{"every bad line", "items.csv", "id,x\na,1\nb,x\nc,2\nd\n", "items.csv:3: column \"x\": \"x\" is not a number\nitems.csv:5: 1 columns, header has 2"},
		// JSON Lines.
		{"invalid JSON", "items.jsonl", "{\"id\":\"a\",\"features\":[1]}\n{\"id\":\"b\",\"features\":[1}\n", `items.jsonl:2: invalid JSON: invalid character '}' after array element`},
		{"truncated JSON", "items.jsonl", "{\"id\":\"a\",\"features\":[1]", `items.jsonl:1: invalid JSON: unexpected end of JSON input`},
		{"not an object", "items.jsonl", "{\"id\":\"a\",\"features\":[1]}\n42\n", `items.jsonl:2: a number, not a JSON object`},
		{"json array file", "items.json", "[{\"id\":\"a\",\"features\":[1]}]\n", `items.json:1: a JSON array; want JSON Lines, one object per line`},
		{"mismatched vector lengths", "items.jsonl", "{\"id\":\"a\",\"features\":[1,2]}\n{\"id\":\"b\",\"features\":[1,2,3]}\n", `items.jsonl:2: key "features": 3 values, want 2 (as on line 1)`},
		{"json duplicate id", "items.jsonl", "{\"id\":1,\"features\":[1]}\n{\"id\":\"1\",\"features\":[1]}\n", `items.jsonl:2: duplicate id "1" (first on line 1)`},
		{"missing id", "items.jsonl", "{\"features\":[1]}\n", `items.jsonl:1: no "id" key`},
		{"id not scalar", "items.jsonl", "{\"id\":[1],\"features\":[1]}\n", `items.jsonl:1: key "id": an array, want a string or number`},
		{"missing features", "items.jsonl", "{\"id\":\"a\"}\n", `items.jsonl:1: no "features" key`},
		{"features not array", "items.jsonl", "{\"id\":\"a\",\"features\":\"1,2\"}\n", `items.jsonl:1: key "features": a string, want an array of numbers`},
		{"features element", "items.jsonl", "{\"id\":\"a\",\"features\":[1,\"2\"]}\n", `items.jsonl:1: key "features": element 1 is a string, not a number`},
		// JSON's own number syntax has no separators or prefixes: such a line is invalid JSON.
		{"json digit separators", "items.jsonl", "{\"id\":\"a\",\"features\":[1_000]}\n", `items.jsonl:1: invalid JSON: invalid character '_' after array element`},
		{"features empty", "items.jsonl", "{\"id\":\"a\",\"features\":[]}\n", `items.jsonl:1: key "features": an empty array`},
		{"unknown key", "items.jsonl", "{\"id\":\"a\",\"lable\":\"x\",\"features\":[1]}\n", `items.jsonl:1: unknown key "lable" (want id, label, features, embedding)`},
		{"label float", "items.jsonl", "{\"id\":\"a\",\"label\":1.5,\"features\":[1]}\n", `items.jsonl:1: key "label": 1.5 is not an integer or a string`},
		{"label missing on a later line", "items.jsonl", "{\"id\":\"a\",\"label\":1,\"features\":[1]}\n{\"id\":\"b\",\"features\":[1]}\n", `items.jsonl:2: no label, but line 1 has one`},
		{"both feature keys", "items.jsonl", "{\"id\":\"a\",\"features\":[1],\"embedding\":[1]}\n", `items.jsonl:1: both "features" and "embedding" keys`},
		{"empty jsonl", "items.jsonl", " \n\n", `items.jsonl: empty file (no JSON lines)`},
		// Format.
		{"unknown extension", "items.txt", "id,x\na,1\n", `items.txt: cannot tell the format from the extension ".txt" (want .csv, .jsonl, .ndjson or .json, or give the format explicitly)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, warns, err := ReadItems(strings.NewReader(tc.in), tc.file, nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error:\n%v\nwant:\n%s", err, tc.want)
			}
			if it != nil || warns != nil {
				t.Errorf("returned items %v and warnings %v with the error", it, warns)
			}
			var le *LineError
			if !errors.As(err, &le) || le.File != tc.file {
				t.Errorf("error %v is not a *LineError for %s", err, tc.file)
			}
		})
	}
}

func TestReadItemsSkipBadLines(t *testing.T) {
	in := "id,label,x\na,cat,1\nb,dog,oops\nc,dog,3\nc,cat,4\n"
	it, warns, err := ReadItems(strings.NewReader(in), "items.csv", &ReadOptions{SkipBadLines: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(it.IDs, []string{"a", "c"}) || !reflect.DeepEqual(it.Labels, []int{0, 1}) {
		t.Errorf("ids %v labels %v", it.IDs, it.Labels)
	}
	want := []string{`items.csv:3: column "x": "oops" is not a number`, `items.csv:5: duplicate id "c" (first on line 4)`}
	var got []string
	for _, w := range warns {
		got = append(got, w.Error())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	_, warns, err = ReadItems(strings.NewReader("id,x\na,b\n"), "items.csv", &ReadOptions{SkipBadLines: true})
	if err == nil || err.Error() != "items.csv: no valid items (1 malformed lines skipped)" || len(warns) != 1 {
		t.Errorf("all lines bad: %v, warnings %v", err, warns)
	}
	// Header errors are not skipped.
	if _, _, err := ReadItems(strings.NewReader("x\n1\n"), "items.csv", &ReadOptions{SkipBadLines: true}); err == nil {
		t.Error("missing id column skipped")
	}
}

func TestLineErrorsMessage(t *testing.T) {
	var in strings.Builder
	in.WriteString("id,x\n")
	for range 25 {
		in.WriteString("a,?\n")
	}
	_, _, err := ReadItems(strings.NewReader(in.String()), "many.csv", nil)
	var les LineErrors
	if !errors.As(err, &les) || len(les) != 25 {
		t.Fatalf("error %T with %d lines", err, len(les))
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 21 || lines[20] != "(and 5 more malformed lines)" || lines[0] != `many.csv:2: column "x": "?" is not a number` {
		t.Errorf("message of %d lines: first %q, last %q", len(lines), lines[0], lines[len(lines)-1])
	}
}

func TestReadItemsFile(t *testing.T) {
	it, warns, err := ReadItemsFile("../examples/data/items.csv", nil)
	if err != nil || warns != nil {
		t.Fatal(err, warns)
	}
	if it.Name != "items" || it.Len() != 8 || it.Dim() != 4 || !reflect.DeepEqual(it.ClassNames, []string{"bird", "cat", "dog"}) {
		t.Errorf("items.csv: name %q, %dx%d, classes %v", it.Name, it.Len(), it.Dim(), it.ClassNames)
	}
	if _, _, err := ReadItemsFile("../examples/data/missing.csv", nil); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		err  bool
	}{
		{"", FormatAuto, false}, {"auto", FormatAuto, false}, {"CSV", FormatCSV, false},
		{"jsonl", FormatJSONL, false}, {"ndjson", FormatJSONL, false}, {"json", FormatJSONL, false},
		{"xml", "", true},
	}
	for _, tc := range tests {
		got, err := ParseFormat(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseFormat(%q) = %q, %v", tc.in, got, err)
		}
	}
	if _, _, err := ReadItems(strings.NewReader(""), "a.csv", &ReadOptions{Format: "xml"}); err == nil || err.Error() != `a.csv: unknown format "xml" (want csv or jsonl)` {
		t.Errorf("unknown format: %v", err)
	}
}
