package report

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchmarkSection checks that a report with triplets gives, in every format, the rows' pair
// AUC (their ROC-AUC) and triplet accuracy beside the published rows, and nothing for a report
// without a benchmark.
func TestBenchmarkSection(t *testing.T) {
	rows := []Row{
		{Name: RowUntrained, Verification: &Verification{Pairs: 1000, ROCAUC: 0.61, Accuracy: 0.5}, Triplets: &TripletMetrics{Triplets: 1000, Accuracy: 0.62}},
		{Name: RowTrained, Verification: &Verification{Pairs: 1000, ROCAUC: 0.83, Accuracy: 0.7}, Triplets: &TripletMetrics{Triplets: 1000, Accuracy: 0.87}},
	}
	bench := &Benchmark{Name: "graph edit distance", Published: []Published{{Name: "GNN (paper)", PairAUC: 0.888, TripletAccuracy: 0.94}}}
	for _, c := range []struct {
		name      string
		benchmark *Benchmark
		text, md  []string // wanted in the text and Markdown outputs
		none      bool     // no benchmark section at all
	}{
		{"with benchmark", bench,
			[]string{"Benchmark: graph edit distance", "trained encoder    0.8300            0.8700", "GNN (paper)    0.8880            0.9400"},
			[]string{"## Benchmark", "| trained encoder | 0.8300 | 0.8700 |", "| GNN (paper) | 0.8880 | 0.9400 |"}, false},
		{"without", nil, nil, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &Report{Title: "t", VerificationOn: "pairs", Rows: rows, Benchmark: c.benchmark}
			var text, md strings.Builder
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			for _, w := range c.text {
				if !strings.Contains(text.String(), w) {
					t.Errorf("text lacks %q:\n%s", w, text.String())
				}
			}
			for _, w := range c.md {
				if !strings.Contains(md.String(), w) {
					t.Errorf("Markdown lacks %q:\n%s", w, md.String())
				}
			}
			if c.none && (strings.Contains(text.String(), "Benchmark") || strings.Contains(md.String(), "Benchmark")) {
				t.Errorf("a benchmark section without a benchmark:\n%s", text.String())
			}
			js, err := r.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var back Report
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if back.Row(RowTrained).Triplets.Accuracy != 0.87 || (back.Benchmark != nil) != !c.none {
				t.Errorf("JSON round trip: %s", js)
			}
		})
	}
}
