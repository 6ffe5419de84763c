package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/mat"
)

func TestPCA2(t *testing.T) {
	// Points on a line along (3, 4)/5 plus a smaller spread along (-4, 3)/5.
	var rows [][]float32
	for i := -5; i <= 5; i++ {
		a, b := float64(i), 0.1*float64(i%3)
		rows = append(rows, []float32{float32(3*a/5 - 4*b/5), float32(4*a/5 + 3*b/5)})
	}
	x, err := mat.FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	p := PCA2(x)
	for i := range rows {
		want := float64(i - 5)
		if got := float64(p.Row(i)[0]); math.Abs(math.Abs(got)-math.Abs(want)) > 0.05 {
			t.Fatalf("row %d: PC1 = %v, want ±%v", i, got, want)
		}
	}
	if got := PCA2(mat.New(3, 1)); got.Rows != 3 || got.Cols != 2 {
		t.Fatalf("constant data: %dx%d", got.Rows, got.Cols)
	}
}

func TestCount(t *testing.T) {
	tests := map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -5: "-5"}
	for n, want := range tests {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

// digitsSet returns the digits items with test and validation pairs drawn from them.
func digitsSet(t *testing.T) Set {
	t.Helper()
	items, err := datasets.Load("digits")
	if err != nil {
		t.Fatal(err)
	}
	test, err := datasets.SamplePairs(items, 400, 0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	val, err := datasets.SamplePairs(items, 400, 0.5, 2)
	if err != nil {
		t.Fatal(err)
	}
	return Set{Items: items, Pairs: test, ValPairs: val}
}

func TestEvaluateRaw(t *testing.T) {
	set := digitsSet(t)
	row, err := Evaluate(RowRaw, Raw{}, set, math.NaN())
	if err != nil {
		t.Fatal(err)
	}
	r, v := row.Retrieval, row.Verification
	if r == nil || v == nil {
		t.Fatal("missing metrics")
	}
	for name, x := range map[string]float64{"P@1": r.PrecisionAt1, "R-precision": r.RPrecision, "MAP@R": r.MAPAtR,
		"ROC-AUC": v.ROCAUC, "AP": v.AveragePrecision, "accuracy": v.Accuracy, "F1": v.F1} {
		if !(x > 0.4 && x <= 1) {
			t.Errorf("%s = %v, want a value in (0.4, 1]", name, x)
		}
	}
	if r.Queries != 1797 || v.Pairs != 400 {
		t.Errorf("queries %d, pairs %d", r.Queries, v.Pairs)
	}
	// A frozen threshold is used as given; without one and without validation pairs there is no
	// accuracy.
	frozen, err := Verify(Raw{}, set.Pairs, nil, 0.5)
	if err != nil || frozen.Threshold != 0.5 {
		t.Fatalf("frozen threshold: %v, %v", frozen, err)
	}
	none, err := Verify(Raw{}, set.Pairs, nil, math.NaN())
	if err != nil || !math.IsNaN(none.Accuracy) {
		t.Fatalf("no threshold: %v, %v", none, err)
	}
	unlabelled := &datasets.Items{Name: "u", IDs: []string{"a"}, Features: mat.New(1, 2)}
	if _, err := Evaluate("x", Raw{}, Set{Items: unlabelled}, math.NaN()); err == nil {
		t.Fatal("unlabelled items: want an error")
	}
}

func TestReportOutputs(t *testing.T) {
	r := &Report{
		Title: "gometric: test", Data: "toy",
		Training:    &Training{Config: "mlp", Steps: 10, BestStep: 5, Epochs: 1, Seconds: 2, StepsPerSecond: 5, ValMetric: "MAP@R", BestVal: 0.5},
		RetrievalOn: "the items", VerificationOn: "the pairs",
		Rows: []Row{
			{Name: RowRaw, Retrieval: &Retrieval{PrecisionAt1: 0.9, RPrecision: 0.5, MAPAtR: 0.4}, Verification: &Verification{ROCAUC: 0.8, AveragePrecision: 0.7, Threshold: math.NaN(), Accuracy: math.NaN(), F1: math.NaN()}},
			{Name: RowTrained, Retrieval: &Retrieval{PrecisionAt1: 1, RPrecision: 0.95, MAPAtR: 0.93}, Verification: &Verification{ROCAUC: 0.99, AveragePrecision: 0.98, Threshold: 0.6, Accuracy: 0.97, F1: 0.96}},
		},
		Notes: []string{"a caveat"},
		Files: []string{"pca.png"},
	}
	var text, md bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"trained encoder", "0.9300", "0.9700", "kept step 5", "note: a caveat"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{"| trained encoder | 1.0000 | 0.9500 | 0.9300 |", "![pca.png](pca.png)", "| raw features | 0.8000 | 0.7000 | - | - | - |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown report lacks %q:\n%s", want, md.String())
		}
	}
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back.Row(RowTrained).Retrieval.MAPAtR != 0.93 || back.Row(RowRaw).Verification.Accuracy != -1 {
		t.Fatalf("JSON round trip: %+v", back.Rows)
	}
	if r.Row("nope") != nil {
		t.Fatal("Row of an unknown name")
	}
}
