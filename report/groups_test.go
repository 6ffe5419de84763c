package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/text/placenames"
)

// TestGroupsTFIDF checks the by-script figures of the TF-IDF baseline row against
// placenames.TFIDFBaseline on the same names, split and pairs (a few hundred entities), and that
// the section is written as text, Markdown and JSON.
func TestGroupsTFIDF(t *testing.T) {
	d, err := placenames.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The first 400 entities, to keep the test short.
	ents := d.Entities()[:400]
	last := ents[len(ents)-1]
	n := 0
	for n < len(d.Names) && d.Names[n].Entity <= last {
		n++
	}
	d.Names = d.Names[:n]
	trainIdx, _, testIdx, err := d.Split(placenames.DefaultFractions, 1)
	if err != nil {
		t.Fatal(err)
	}
	items, err := d.Items()
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := placenames.TestPairs(items, testIdx, 600, 7)
	if err != nil {
		t.Fatal(err)
	}
	want, err := placenames.TFIDFBaseline(d, trainIdx, testIdx, pairs)
	if err != nil {
		t.Fatal(err)
	}

	// The same on the report's side: the test items alone, the pairs indexing them.
	test := items.Subset(testIdx)
	pos := map[int]int{}
	for k, i := range testIdx {
		pos[i] = k
	}
	tp := &datasets.Pairs{Items: test, Y: pairs.Y}
	for i := range pairs.Y {
		tp.A, tp.B = append(tp.A, pos[pairs.A[i]]), append(tp.B, pos[pairs.B[i]])
	}
	b, err := NewTFIDFBaseline(items.Subset(trainIdx))
	if err != nil {
		t.Fatal(err)
	}
	g, err := ScriptGroups(test)
	if err != nil {
		t.Fatal(err)
	}
	row, err := Evaluate(b.Name, b, Set{Items: test, Pairs: tp, ValPairs: tp, Groups: g}, math.NaN())
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Title: "place names", Rows: []Row{row}, ByGroup: gatherGroups([]Row{row}, g)}
	if r.ByGroup == nil || len(r.ByGroup.Rows) != 2 {
		t.Fatalf("by group: %+v", r.ByGroup)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if !near(row.Retrieval.MAPAtR, want[0].MAPAtR) || !near(row.Retrieval.PrecisionAt1, want[0].PrecisionAt1) || !near(row.Verification.ROCAUC, want[0].ROCAUC) {
		t.Errorf("overall: MAP@R %v, P@1 %v, ROC-AUC %v; placenames: %v", row.Retrieval.MAPAtR, row.Retrieval.PrecisionAt1, row.Verification.ROCAUC, want[0])
	}
	for k, w := range want[1:] {
		got := r.ByGroup.Rows[k]
		if got.Group != w.Group || got.Queries != w.Queries || got.Pairs != w.Pairs ||
			!near(got.MAPAtR, w.MAPAtR) || !near(got.PrecisionAt1, w.PrecisionAt1) || !near(got.ROCAUC, w.ROCAUC) {
			t.Errorf("group %d: %+v, placenames: %v", k, got, w)
		}
		if math.IsNaN(got.Accuracy) || got.Accuracy <= 0 || got.Accuracy > 1 {
			t.Errorf("group %s: accuracy %v at the threshold %v", got.Group, got.Accuracy, row.Verification.Threshold)
		}
	}

	var txt, md bytes.Buffer
	if err := r.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"text", txt.String(), "By script:"},
		{"text", txt.String(), BaselineTFIDF + "   latin"},
		{"markdown", md.String(), "## By script"},
		{"markdown", md.String(), "| " + BaselineTFIDF + " | other | "},
	} {
		if !strings.Contains(c.got, c.want) {
			t.Errorf("%s lacks %q:\n%s", c.what, c.want, c.got)
		}
	}
	if back.ByGroup == nil || back.ByGroup.By != "script" || len(back.ByGroup.Rows) != 2 || back.ByGroup.Rows[1].Group != placenames.GroupOther {
		t.Errorf("JSON by_group: %+v", back.ByGroup)
	}
}
