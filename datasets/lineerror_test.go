package datasets

import (
	"strings"
	"testing"

	"github.com/gometric/gometric/internal/lines"
)

// TestLongFieldsClipped reads files with one huge field: every error quotes at most
// lines.MaxQuoted bytes of it, then its length, instead of echoing megabytes.
func TestLongFieldsClipped(t *testing.T) {
	long := strings.Repeat("7", 10<<20)
	q := `"` + long[:lines.MaxQuoted] + `"… (10485760 bytes)`
	c := long[:lines.MaxQuoted] + "… (10485760 bytes)"
	items := pairItems(t)
	tests := []struct {
		name, file, in, want string
		pairs                bool
	}{
		{"csv value", "items.csv", "id,x\na," + long + "_\n", `items.csv:2: column "x": "` + long[:lines.MaxQuoted] + `"… (10485761 bytes) is not a plain decimal number (_ digit separators are not allowed)`, false},
		{"csv value out of range", "items.csv", "id,x\na," + long + "\n", `items.csv:2: column "x": ` + q + ` is out of float32 range`, false},
		{"csv column name", "items.csv", "id," + long + "\na,b\n", `items.csv:2: column ` + q + `: "b" is not a number`, false},
		{"csv header list", "items.csv", long + ",x\na,1\n", `items.csv:1: header: no "id" column (columns: ` + long[:lines.MaxQuoted] + "… (10485763 bytes))", false},
		{"csv duplicate id", "items.csv", "id,x\n" + long + ",1\n" + long + ",2\n", `items.csv:3: duplicate id ` + q + ` (first on line 2)`, false},
		{"json unknown key", "items.jsonl", `{"id":"a","features":[1],"` + long + `":1}`, `items.jsonl:1: unknown key ` + q + ` (want id, label, features, embedding)`, false},
		{"json label number", "items.jsonl", `{"id":"a","label":` + long + `.5,"features":[1]}`, `items.jsonl:1: key "label": ` + long[:lines.MaxQuoted] + `… (10485762 bytes) is not an integer or a string`, false},
		{"pairs csv unknown id", "pairs.csv", "a,b,label\na," + long + ",1\n", `pairs.csv:2: column "b": unknown id ` + q, true},
		{"pairs csv label", "pairs.csv", "a,b,label\na,b," + long + "\n", `pairs.csv:2: column "label": ` + q + ` is not 0 or 1`, true},
		{"pairs json label", "pairs.jsonl", `{"a":"a","b":"b","label":` + long + `}`, `pairs.jsonl:1: key "label": ` + c + ` is not 0 or 1`, true},
		{"pairs json unknown id", "pairs.jsonl", `{"a":"a","b":` + long + `,"label":1}`, `pairs.jsonl:1: key "b": unknown id ` + q, true},
		{"pairs csv unknown column", "pairs.csv", "a,b,label," + long + "\na,b,1,2\n", `pairs.csv:1: header: unknown column ` + q + ` (want a, b, label)`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.pairs {
				_, _, err = ReadPairs(strings.NewReader(tc.in), tc.file, items, nil)
			} else {
				_, _, err = ReadItems(strings.NewReader(tc.in), tc.file, nil)
			}
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n%.300v\nwant:\n%.300s", err, tc.want)
			}
		})
	}
}
