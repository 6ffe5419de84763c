package spec

import (
	"strings"
	"testing"
)

func TestParseSum(t *testing.T) {
	terms, err := ParseSum(`a(x=1, y=-2.5e-3, s="q r", b=True, n=None, l=[1, 2], d={k: v, "k2": f(z=1)}, c=g()) + 0.5*b`)
	if err != nil {
		t.Fatal(err)
	}
	if len(terms) != 2 || terms[0].HasWeight || !terms[1].HasWeight || terms[1].Weight != 0.5 || terms[1].Call.Name != "b" {
		t.Fatalf("terms %+v", terms)
	}
	args := terms[0].Call.Args
	want := []struct {
		key  string
		kind Kind
	}{{"x", Number}, {"y", Number}, {"s", String}, {"b", Bool}, {"n", None}, {"l", List}, {"d", Dict}, {"c", Call}}
	if len(args) != len(want) {
		t.Fatalf("%d args, want %d", len(args), len(want))
	}
	for i, w := range want {
		if args[i].Key != w.key || args[i].Value.Kind != w.kind {
			t.Errorf("arg %d: %s kind %d, want %s kind %d", i, args[i].Key, args[i].Value.Kind, w.key, w.kind)
		}
	}
	if args[1].Value.Num != -2.5e-3 || args[6].Value.Dict[1].Value.Call.Name != "f" || args[6].Value.Dict[0].Value.Kind != Name {
		t.Errorf("values %+v", args)
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":             "want a name",
		"a(":           "want an option name",
		"a(x)":         `'=' after "x"`,
		"a(x=)":        "want a value",
		"a(x='y)":      "unterminated string",
		"a b":          "unexpected",
		"2*":           "want a name",
		"a(x=1, x=2)":  "given twice",
		"a(x=[1, 2)":   `want "," or "]"`,
		"a(x=1.2.3)":   "bad number",
		"a(x=1) + + b": "want a name",
	} {
		_, err := ParseSum(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSum(%q) error %v, want %q", in, err, want)
		}
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{"PosMargin": "pos_margin", "NBins": "n_bins", "M": "m", "EmbeddingRegWeight": "embedding_reg_weight", "FilterPercentage": "filter_percentage"} {
		if got := Snake(in); got != want {
			t.Errorf("Snake(%q) = %q, want %q", in, got, want)
		}
	}
}
