package lines

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestKind(t *testing.T) {
	tests := []struct{ raw, kind, aKind string }{
		{`"x"`, "string", "a string"},
		{` -1.5e3 `, "number", "a number"},
		{`true`, "boolean", "a boolean"},
		{`false`, "boolean", "a boolean"},
		{`null`, "null", "null"},
		{`[1]`, "array", "an array"},
		{`{}`, "object", "an object"},
		{"  ", "nothing", "nothing"},
		{"", "nothing", "nothing"},
	}
	for _, tc := range tests {
		if got := Kind(json.RawMessage(tc.raw)); got != tc.kind {
			t.Errorf("Kind(%q) = %q, want %q", tc.raw, got, tc.kind)
		}
		if got := AKind(json.RawMessage(tc.raw)); got != tc.aKind {
			t.Errorf("AKind(%q) = %q, want %q", tc.raw, got, tc.aKind)
		}
		if got, want := IsNull(json.RawMessage(tc.raw)), tc.kind == "null"; got != want {
			t.Errorf("IsNull(%q) = %v", tc.raw, got)
		}
	}
}

func TestID(t *testing.T) {
	tests := []struct{ raw, id, err string }{
		{`"c1"`, "c1", ""},
		{`"a\u00e9"`, "aé", ""},
		{`""`, "", ""},
		{` 007 `, "007", ""},
		{`7.0`, "7.0", ""},
		{`true`, "", "a boolean, want a string or number"},
		{`null`, "", "null, want a string or number"},
		{`[1]`, "", "an array, want a string or number"},
	}
	for _, tc := range tests {
		id, err := ID(json.RawMessage(tc.raw))
		if id != tc.id || errString(err) != tc.err {
			t.Errorf("ID(%s) = %q, %v; want %q, %q", tc.raw, id, err, tc.id, tc.err)
		}
	}
}

func TestSyntax(t *testing.T) {
	tests := []struct{ in, err string }{
		{`{"a": }`, "invalid character '}' looking for beginning of value"},
		{`{"a": 1`, "unexpected end of JSON input"},
		{`{"a": 1}`, "not valid JSON"},
	}
	for _, tc := range tests {
		if got := Syntax([]byte(tc.in)).Error(); got != tc.err {
			t.Errorf("Syntax(%s) = %q, want %q", tc.in, got, tc.err)
		}
	}
}

func TestCheckKeys(t *testing.T) {
	tests := []struct {
		keys []string
		err  string
	}{
		{nil, ""},
		{[]string{"a", "b"}, ""},
		{[]string{"a", "z", "y", "x"}, `unknown key "x" (want a, b)`},
		{[]string{strings.Repeat("k", 100)}, `unknown key "` + strings.Repeat("k", 64) + `"… (100 bytes) (want a, b)`},
	}
	for _, tc := range tests {
		obj := map[string]json.RawMessage{}
		for _, k := range tc.keys {
			obj[k] = json.RawMessage("1")
		}
		if got := errString(CheckKeys(obj, "a", "b")); got != tc.err {
			t.Errorf("CheckKeys(%v) = %q, want %q", tc.keys, got, tc.err)
		}
	}
}

func TestVector(t *testing.T) {
	graphs := VectorStyle{NotNumberHint: " (NaN and Inf cannot be given)", Value: Clip}
	tests := []struct {
		name, raw string
		style     VectorStyle
		want      []float32
		err       string
	}{
		{"numbers", `[1, -2.5, 3e2, 0]`, VectorStyle{}, []float32{1, -2.5, 300, 0}, ""},
		{"float32 rounding", `[0.1]`, VectorStyle{}, []float32{0.1}, ""},
		{"largest float32", `[3.4028235e38]`, VectorStyle{}, []float32{3.4028235e38}, ""},
		{"underflow to zero", `[1e-50]`, VectorStyle{}, []float32{0}, ""},
		{"not an array", `{"a": 1}`, VectorStyle{}, nil, "an object, want an array of numbers"},
		{"null", `null`, VectorStyle{}, nil, "null, want an array of numbers"},
		{"empty", `[]`, VectorStyle{}, nil, "an empty array"},
		{"string element", `[1, "NaN"]`, VectorStyle{}, nil, "element 1 is a string, not a number"},
		{"string element, hint", `[1, "NaN"]`, graphs, nil, "element 1 is a string, not a number (NaN and Inf cannot be given)"},
		{"null element", `[null]`, VectorStyle{}, nil, "element 0 is null, not a number"},
		{"out of range", `[1, 1e39]`, VectorStyle{}, nil, `element 1: "1e39" is out of float32 range`},
		{"out of range, clipped", `[1, -1e39]`, graphs, nil, `element 1: -1e39 is out of float32 range`},
		{"out of float64 range", `[1e400]`, graphs, nil, `element 0: 1e400 is out of float32 range`},
		{"long number", `[1` + strings.Repeat("0", 100) + `]`, graphs, nil, `element 0: 1` + strings.Repeat("0", 63) + `… (101 bytes) is out of float32 range`},
	}
	for _, tc := range tests {
		got, err := Vector(json.RawMessage(tc.raw), tc.style)
		if !reflect.DeepEqual(got, tc.want) || errString(err) != tc.err {
			t.Errorf("%s: Vector(%s) = %v, %v; want %v, %q", tc.name, tc.raw, got, err, tc.want, tc.err)
		}
	}
}

func TestPairLabel(t *testing.T) {
	tests := []struct {
		in string
		y  int
		ok bool
	}{
		{"0", 0, true}, {"1", 1, true}, {" false ", 0, true}, {"true\n", 1, true},
		{"", 0, false}, {"2", 0, false}, {"1.0", 0, false}, {"01", 0, false}, {"True", 0, false}, {`"1"`, 0, false}, {"-0", 0, false},
	}
	for _, tc := range tests {
		if y, ok := PairLabel(tc.in); y != tc.y || ok != tc.ok {
			t.Errorf("PairLabel(%q) = %d, %v; want %d, %v", tc.in, y, ok, tc.y, tc.ok)
		}
	}
}

func TestQuoteClips(t *testing.T) {
	long := strings.Repeat("x", 10<<20)
	tests := []struct {
		name, in, quoted, clipped, cut string
	}{
		{"short", "abc", `"abc"`, "abc", "abc"},
		{"escapes", "a\"\n", `"a\"\n"`, "a\"\n", "a\"\n"},
		{"exactly the limit", strings.Repeat("y", MaxQuoted), `"` + strings.Repeat("y", MaxQuoted) + `"`, strings.Repeat("y", MaxQuoted), strings.Repeat("y", MaxQuoted)},
		{"10 MB", long, `"` + long[:MaxQuoted] + `"… (10485760 bytes)`, long[:MaxQuoted] + "… (10485760 bytes)", long[:MaxQuoted]},
		// 63 x then a 2-byte rune that would straddle the limit: the cut keeps whole runes.
		{"rune boundary", strings.Repeat("x", 63) + "éz", `"` + strings.Repeat("x", 63) + `"… (66 bytes)`, strings.Repeat("x", 63) + "… (66 bytes)", strings.Repeat("x", 63)},
	}
	for _, tc := range tests {
		if got := Quote(tc.in); got != tc.quoted {
			t.Errorf("%s: Quote = %.100q…, want %.100q…", tc.name, got, tc.quoted)
		}
		if got := Clip(tc.in); got != tc.clipped {
			t.Errorf("%s: Clip = %.100q…, want %.100q…", tc.name, got, tc.clipped)
		}
		if got := CutRunes(tc.in); got != tc.cut {
			t.Errorf("%s: CutRunes = %.100q…, want %.100q…", tc.name, got, tc.cut)
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"Müller", 7},
		{"ab\xffc", 2},
		{"é\xc3", 2},
	}
	for _, tc := range tests {
		if got := InvalidUTF8(tc.in); got != tc.want {
			t.Errorf("InvalidUTF8(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

// recorder is a Reporter that writes what it is told as "line: message".
type recorder struct{ bad []string }

func (r *recorder) Bad(line int, format string, args ...any) {
	r.bad = append(r.bad, fmt.Sprintf("%d: ", line)+fmt.Sprintf(format, args...))
}

func (r *recorder) Fatal(line int, format string, args ...any) error {
	return fmt.Errorf("%d: %s", line, fmt.Sprintf(format, args...))
}

func TestScanJSONL(t *testing.T) {
	tests := []struct {
		name, in string
		opts     JSONLOptions
		objs     []string // "line: keys" of each object passed on
		bad      []string
		fatal    string
	}{
		{"objects and blank lines", "{\"a\":1}\n\n  \n{\"b\":2,\"c\":3}", JSONLOptions{}, []string{"1: a", "4: b,c"}, nil, ""},
		{"CRLF and spaces", " {\"a\":1} \r\n{\"b\":2}\r\n", JSONLOptions{}, []string{"1: a", "2: b"}, nil, ""},
		{"byte order mark", "\uFEFF{\"a\":1}\n", JSONLOptions{}, []string{"1: a"}, nil, ""},
		{"not objects", "{\"a\":1}\n[2]\n\"s\"\n3\nnull\n", JSONLOptions{}, []string{"1: a"}, []string{"2: an array, not a JSON object", "3: a string, not a JSON object", "4: a number, not a JSON object", "5: null, not a JSON object"}, ""},
		{"invalid JSON", "{\"a\":1}\n{\"a\":\n{oops\n", JSONLOptions{}, []string{"1: a"}, []string{"2: invalid JSON: unexpected end of JSON input", "3: invalid JSON: invalid character 'o' looking for beginning of object key string"}, ""},
		{"invalid non-object", "{\"a\":1}\nnul\n", JSONLOptions{}, []string{"1: a"}, []string{"2: invalid JSON: invalid character ' ' in literal null (expecting 'l')"}, ""},
		{"JSON array", "\n[{\"a\":1},\n{\"b\":2}]\n", JSONLOptions{}, nil, nil, "2: a JSON array; want JSON Lines, one object per line"},
		{"empty", "", JSONLOptions{}, nil, nil, "0: empty file (no JSON lines)"},
		{"blank only", "\n \n\t\n", JSONLOptions{}, nil, nil, "0: empty file (no JSON lines)"},
		{"long line", "{\"a\":\"" + strings.Repeat("x", 2<<20) + "\"}\n{\"b\":1}\n", JSONLOptions{MaxLineBytes: 1 << 20}, []string{"2: b"}, []string{"1: line longer than 1 MiB"}, ""},
		{"long line, no limit", "{\"a\":\"" + strings.Repeat("x", 2<<20) + "\"}\n", JSONLOptions{}, []string{"1: a"}, nil, ""},
		{"long line first", strings.Repeat(" ", 2<<20) + "[\n{\"b\":1}\n", JSONLOptions{MaxLineBytes: 1 << 20}, []string{"2: b"}, []string{"1: line longer than 1 MiB"}, ""},
		{"invalid UTF-8 checked", "{\"a\":\"x\xffy\"}\n{\"b\":1}\n", JSONLOptions{CheckUTF8: true}, []string{"2: b"}, []string{"1: not valid UTF-8 (byte 7 of the line: 0xff)"}, ""},
		{"invalid UTF-8 unchecked", "{\"a\":\"x\xffy\"}\n", JSONLOptions{}, []string{"1: a"}, nil, ""},
	}
	for _, tc := range tests {
		rep := &recorder{}
		var objs []string
		err := ScanJSONL(SkipBOM(strings.NewReader(tc.in)), rep, tc.opts, func(line int, obj map[string]json.RawMessage) {
			var keys []string
			for k := range obj {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			objs = append(objs, fmt.Sprintf("%d: %s", line, strings.Join(keys, ",")))
		})
		if errString(err) != tc.fatal {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.fatal)
			continue
		}
		if !reflect.DeepEqual(objs, tc.objs) || !reflect.DeepEqual(rep.bad, tc.bad) {
			t.Errorf("%s: objects %q, bad %q; want %q, %q", tc.name, objs, rep.bad, tc.objs, tc.bad)
		}
	}
}

func TestScanCSV(t *testing.T) {
	tests := []struct {
		name, in string
		header   string // "line: fields" of the header
		rows     []string
		bad      []string
		fatal    string
	}{
		{"rows", "id,x\na,1\n\nb,2\n", "1: id|x", []string{"2: a|1", "4: b|2"}, nil, ""},
		{"byte order mark, quoted header", "\uFEFF\"id\",x\na,1\n", "1: id|x", []string{"2: a|1"}, nil, ""},
		{"multi-line cell", "id,x\n\"a\nb\",1\nc,2\n", "1: id|x", []string{"2: a\nb|1", "4: c|2"}, nil, ""},
		{"ragged rows passed on", "id,x\na\n", "1: id|x", []string{"2: a"}, nil, ""},
		{"syntax error in a row", "id,x\na\"b,1\nc,2\n", "1: id|x", []string{"3: c|2"}, []string{"2: CSV syntax: bare \" in non-quoted-field"}, ""},
		{"syntax error rows only", "id,x\na\"b,1\n", "1: id|x", nil, []string{"2: CSV syntax: bare \" in non-quoted-field"}, ""},
		{"syntax error in the header", "i\"d,x\na,1\n", "", nil, nil, "1: header: CSV syntax: bare \" in non-quoted-field"},
		{"header rejected", "bad,x\na,1\n", "1: bad|x", nil, nil, "header rejected"},
		{"empty", "", "", nil, nil, "0: empty file (no header row)"},
		{"header only", "id,x\n\n", "1: id|x", nil, nil, "0: no rows after the header"},
	}
	for _, tc := range tests {
		rep := &recorder{}
		var header string
		var rows []string
		cr := csv.NewReader(SkipBOM(strings.NewReader(tc.in)))
		cr.FieldsPerRecord = -1
		err := ScanCSV(cr, rep, func(line int, h []string) error {
			header = fmt.Sprintf("%d: %s", line, strings.Join(h, "|"))
			if h[0] == "bad" {
				return fmt.Errorf("header rejected")
			}
			return nil
		}, func(line int, rec []string) {
			rows = append(rows, fmt.Sprintf("%d: %s", line, strings.Join(rec, "|")))
		})
		if errString(err) != tc.fatal {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.fatal)
			continue
		}
		if header != tc.header || !reflect.DeepEqual(rows, tc.rows) || !reflect.DeepEqual(rep.bad, tc.bad) {
			t.Errorf("%s: header %q, rows %q, bad %q; want %q, %q, %q", tc.name, header, rows, rep.bad, tc.header, tc.rows, tc.bad)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
