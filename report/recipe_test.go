package report_test

import (
	"testing"

	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/train"
)

// TestDefaultRecipeReachesTheTarget runs the README's main job, `gometric train` with no flags (the
// digits data, the default MLP, NT-Xent with the label construction, 1,500 steps of 64 pairs), and
// checks its headline result: test MAP@R of at least 0.93 (PML with PyTorch reaches 0.956 on the same
// recipe; raw pixels give 0.52), and a trained encoder far above the raw features on the test pairs.
// It takes about 30 s on two cores; -short skips it.
func TestDefaultRecipeReachesTheTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the default recipe (about 30 s)")
	}
	cfg := train.DefaultConfig()
	data, err := train.LoadData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := train.Fit(cfg, data, train.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := train.BuildReport(cfg, data, res)
	if err != nil {
		t.Fatal(err)
	}
	trained, raw := rep.Row(report.RowTrained), rep.Row(report.RowRaw)
	if trained == nil || raw == nil || trained.Retrieval == nil || trained.Verification == nil {
		t.Fatalf("report lacks the trained or raw rows: %+v", rep.Rows)
	}
	if got := trained.Retrieval.MAPAtR; got < 0.93 {
		t.Errorf("test MAP@R %.4f, want at least 0.93", got)
	}
	if got, base := trained.Verification.ROCAUC, raw.Verification.ROCAUC; got < 0.99 || got <= base {
		t.Errorf("test pairs ROC-AUC %.4f (raw features %.4f), want at least 0.99", got, base)
	}
	t.Logf("test MAP@R %.4f, ROC-AUC %.4f, accuracy %.4f", trained.Retrieval.MAPAtR, trained.Verification.ROCAUC, trained.Verification.Accuracy)
}
