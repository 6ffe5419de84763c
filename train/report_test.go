package train

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/runfolder"
)

// TestTrainingReport trains a few steps and checks the report rows and the run folder files.
func TestTrainingReport(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.EmbeddingDim, cfg.Hidden = 10, 16, 8, []int{16}
	cfg.EvalPairs, cfg.ValItems = 200, 200
	dir := t.TempDir()
	run := runfolder.Folder{Dir: dir}
	data, err := StartRun(run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var r *report.Report
	writeReport := func(res *Result, modelDir string) (err error) {
		if r, err = BuildReport(cfg, data, res); err != nil {
			return err
		}
		return report.WriteRun(modelDir, r, report.RunFiles{History: res.History, Model: res.Model, Items: data.Test, TestPairs: data.TestPairs})
	}
	res, err := Fit(cfg, data, Options{RunDir: dir, Report: writeReport})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 3 || r.Rows[2].Name != report.RowTrained || r.Rows[2].Verification.Threshold != res.Model.Threshold {
		t.Fatalf("rows %+v", r.Rows)
	}
	for _, name := range []string{report.MetricsFile, report.MarkdownFile, report.LossPNG, report.ValPNG, report.PCAPNG, runfolder.TestPairsFile} {
		data, err := os.ReadFile(filepath.Join(dir, runfolder.ModelDir, name))
		if err != nil || len(data) == 0 {
			t.Errorf("%s: %v", name, err)
		}
		if strings.HasSuffix(name, ".png") && !bytes.HasPrefix(data, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG", name)
		}
	}
	// metrics.json, written once and last, lists every file written beside it; report.md shows
	// the plots only.
	var saved report.Report
	js, _ := os.ReadFile(filepath.Join(dir, runfolder.ModelDir, report.MetricsFile))
	if err := json.Unmarshal(js, &saved); err != nil || !slices.Contains(saved.Files, runfolder.TestPairsFile) || !slices.Contains(saved.Files, report.PCAPNG) {
		t.Errorf("metrics.json files %v, %v", saved.Files, err)
	}
	if md, _ := os.ReadFile(filepath.Join(dir, runfolder.ModelDir, report.MarkdownFile)); bytes.Contains(md, []byte(runfolder.TestPairsFile)) {
		t.Errorf("report.md shows %s as a plot", runfolder.TestPairsFile)
	}
	// The saved model measured on the run's own test split gives the training report's numbers.
	m, err := LoadRunModel(run, res.Model.Backend())
	if err != nil {
		t.Fatal(err)
	}
	set, _, _, err := LoadEvalSet(run, cfg, report.Source{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := report.ForModel("eval", "", m.ReportModel(), set, false)
	if err != nil {
		t.Fatal(err)
	}
	got, want := again.Row(report.RowTrained), r.Row(report.RowTrained)
	if got.Retrieval.MAPAtR != want.Retrieval.MAPAtR || got.Verification.Accuracy != want.Verification.Accuracy {
		t.Fatalf("saved model: MAP@R %v accuracy %v; training report: %v %v", got.Retrieval.MAPAtR,
			got.Verification.Accuracy, want.Retrieval.MAPAtR, want.Verification.Accuracy)
	}
}

func TestLoadEvalSet(t *testing.T) {
	cfg := DefaultConfig()
	cfg.EvalPairs = 100
	dir := t.TempDir()
	run := runfolder.Folder{Dir: filepath.Join(dir, "run")}
	if _, err := StartRun(run, cfg); err != nil {
		t.Fatal(err)
	}
	items := filepath.Join(dir, "items.csv")
	pairs := filepath.Join(dir, "pairs.csv")
	if err := os.WriteFile(items, []byte("id,label,x,y\na,0,1,0\nb,0,0.9,0.1\nc,1,0,1\nd,1,0.1,0.9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pairs, []byte("a,b,label\na,b,1\na,c,0\nc,d,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		src              report.Source
		items, nPairs    int
		wantErr, wantDes string
	}{
		{"own split", report.Source{}, 357, 100, "", "test split"},
		{"same data set", report.Source{Dataset: "digits"}, 357, 100, "", "test split"},
		{"items file", report.Source{Items: items}, 4, 100, "", "other data: 4 items"},
		{"pairs with items", report.Source{Items: items, Pairs: pairs}, 4, 3, "", "other data: 3 pairs"},
		{"unknown data set", report.Source{Dataset: "nope"}, 0, 0, "unknown data set", ""},
		{"missing file", report.Source{Items: filepath.Join(dir, "none.csv")}, 0, 0, "no such file", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, desc, _, err := LoadEvalSet(run, cfg, tt.src)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if set.Items.Len() != tt.items || set.Pairs.Len() != tt.nPairs || !strings.Contains(desc, tt.wantDes) {
				t.Fatalf("%d items, %d pairs, %q", set.Items.Len(), set.Pairs.Len(), desc)
			}
		})
	}
}
