package eval

import (
	"math"
	"strings"
	"testing"
)

func TestVerificationByHand(t *testing.T) {
	// Matches score 0.9 and 0.7, non-matches 0.8 and 0.6.
	sim := Similarities([]float64{0.9, 0.8, 0.7, 0.6}, []int{1, 0, 1, 0})
	dist := Distances([]float64{-0.9, -0.8, -0.7, -0.6}, []int{1, 0, 1, 0})
	tied := Similarities([]float64{0.5, 0.5, 0.5}, []int{1, 0, 1})
	tests := []struct {
		name                 string
		p                    ScoredPairs
		auc, ap, eer         float64
		fnmrAt0, fnmrAtHalf  float64
		bestAcc, bestF1      float64
		accValue, f1Value    float64
		accValueIsInfinitely bool
	}{
		{"similarity", sim, 0.75, 0.5 + 0.5*2/3, 0.5, 0.5, 0, 0.75, 0.8, 0.85, 0.65, false},
		{"distance", dist, 0.75, 0.5 + 0.5*2/3, 0.5, 0.5, 0, 0.75, 0.8, -0.85, -0.65, false},
		// All scores tie: one ROC step from (0,0) to (1,1).
		{"ties", tied, 0.5, 2.0 / 3, 0.5, 1, 1, 2.0 / 3, 0.8, 0.5, 0.5, false},
	}
	for _, tc := range tests {
		check := func(metric string, got float64, err error, want float64) {
			t.Helper()
			if err != nil || !near(got, want) {
				t.Errorf("%s %s: got %v (%v), want %v", tc.name, metric, got, err, want)
			}
		}
		v, err := ROCAUC(tc.p)
		check("ROC-AUC", v, err, tc.auc)
		v, err = AveragePrecision(tc.p)
		check("AP", v, err, tc.ap)
		v, err = EER(tc.p)
		check("EER", v, err, tc.eer)
		v, err = FNMRAtFMR(tc.p, 0)
		check("FNMR@FMR=0", v, err, tc.fnmrAt0)
		v, err = FNMRAtFMR(tc.p, 0.5)
		check("FNMR@FMR=0.5", v, err, tc.fnmrAtHalf)
		v, err = BestAccuracy(tc.p)
		check("best accuracy", v, err, tc.bestAcc)
		v, err = BestF1(tc.p)
		check("best F1", v, err, tc.bestF1)
		th, err := ChooseThreshold(tc.p, MaxAccuracy)
		check("accuracy threshold", th.Value, err, tc.accValue)
		th, err = ChooseThreshold(tc.p, MaxF1)
		check("F1 threshold", th.Value, err, tc.f1Value)
		if th.Distance != tc.p.Distance || th.Criterion != MaxF1 {
			t.Errorf("%s: threshold %+v does not record its orientation and criterion", tc.name, th)
		}
		s, err := Summarize(tc.p, 0, 0.5)
		if err != nil || !near(s.ROCAUC, tc.auc) || !near(s.FNMRAtFMR[0.5], tc.fnmrAtHalf) || s.Pairs != len(tc.p.Scores) {
			t.Errorf("%s: Summarize got %+v, %v", tc.name, s, err)
		}
	}
}

func TestChooseOnValidationApplyToTest(t *testing.T) {
	val := Similarities([]float64{0.9, 0.8, 0.7, 0.6}, []int{1, 0, 1, 0})
	th, err := ChooseThreshold(val, MaxAccuracy)
	if err != nil {
		t.Fatal(err)
	}
	// The frozen rule reproduces the validation accuracy it was chosen for.
	onVal, err := VerifyAt(val, th)
	if err != nil || onVal.Accuracy != th.Validation {
		t.Fatalf("validation accuracy: got %v (%v), want %v", onVal, err, th.Validation)
	}
	test := Similarities([]float64{0.95, 0.86, 0.84, 0.1, 0.2}, []int{1, 1, 0, 0, 1})
	m, err := VerifyAt(test, th)
	if err != nil {
		t.Fatal(err)
	}
	// 0.85 splits the test pairs into {0.95, 0.86} matches and the rest non-matches.
	if m.TP != 2 || m.FP != 0 || m.TN != 2 || m.FN != 1 {
		t.Fatalf("confusion: got TP=%d FP=%d TN=%d FN=%d, want 2 0 2 1", m.TP, m.FP, m.TN, m.FN)
	}
	want := map[string][2]float64{
		"accuracy": {m.Accuracy, 0.8}, "precision": {m.Precision, 1}, "recall": {m.Recall, 2.0 / 3},
		"F1": {m.F1, 0.8}, "FMR": {m.FMR, 0}, "FNMR": {m.FNMR, 1.0 / 3},
		"MCC": {m.MCC, (2*2 - 0) / math.Sqrt(2*3*2*3)},
	}
	for name, gw := range want {
		if !near(gw[0], gw[1]) {
			t.Errorf("%s: got %v, want %v", name, gw[0], gw[1])
		}
	}
	// Applying a similarity threshold to distances is refused.
	if _, err := VerifyAt(Distances(test.Scores, test.Labels), th); err == nil || !strings.Contains(err.Error(), "distances") {
		t.Errorf("orientation mismatch: got %v", err)
	}
}

func TestThresholdEdgeCases(t *testing.T) {
	// All non-matching validation pairs: the best rule matches nothing.
	th, err := ChooseThreshold(Similarities([]float64{0.3, 0.2}, []int{0, 0}), MaxAccuracy)
	if err != nil || !math.IsInf(th.Value, 1) || th.Validation != 1 || th.Match(1e300) {
		t.Errorf("all negative: got %+v, %v", th, err)
	}
	th, err = ChooseThreshold(Distances([]float64{0.3, 0.2}, []int{0, 0}), MaxAccuracy)
	if err != nil || !math.IsInf(th.Value, -1) || th.Match(0) {
		t.Errorf("all negative distances: got %+v, %v", th, err)
	}
	if _, err := ChooseThreshold(Similarities([]float64{0.3}, []int{0}), MaxF1); err == nil {
		t.Error("MaxF1 without matches: want an error")
	}
	// All matching: the loosest rule, at the lowest score.
	th, err = ChooseThreshold(Similarities([]float64{0.3, 0.2}, []int{1, 1}), MaxAccuracy)
	if err != nil || th.Value != 0.2 {
		t.Errorf("all positive: got %+v, %v", th, err)
	}
	// Adjacent floats: the midpoint would round onto the lower score, so the chosen score is kept.
	hi := math.Nextafter(1, 2)
	th, err = ChooseThreshold(Similarities([]float64{hi, 1}, []int{1, 0}), MaxAccuracy)
	if err != nil || th.Value != hi {
		t.Errorf("adjacent floats: got %v, %v, want %v", th.Value, err, hi)
	}
	m, err := VerifyAt(Similarities([]float64{0.9}, []int{1}), SimilarityThreshold(0.5))
	if err != nil || !math.IsNaN(m.FMR) || m.FNMR != 0 || m.MCC != 0 || m.Accuracy != 1 {
		t.Errorf("single class at threshold: got %+v, %v", m, err)
	}
	m, err = VerifyAt(Similarities([]float64{0.1}, []int{0}), SimilarityThreshold(0.5))
	if err != nil || !math.IsNaN(m.FNMR) || m.Precision != 0 || m.Recall != 0 || m.F1 != 0 {
		t.Errorf("no predicted match: got %+v, %v", m, err)
	}
	for _, c := range []Criterion{Fixed, Criterion(5)} {
		if _, err := ChooseThreshold(Similarities([]float64{0.1}, []int{0}), c); err == nil {
			t.Errorf("criterion %v: want an error", c)
		}
	}
	if _, err := VerifyAt(Similarities([]float64{0.1}, []int{0}), SimilarityThreshold(math.NaN())); err == nil {
		t.Error("NaN threshold: want an error")
	}
	if s := DistanceThreshold(0.4).String(); s != "distance <= 0.4" {
		t.Errorf("String: %q", s)
	}
	if MaxF1.String() != "max-F1" || Criterion(9).String() != "Criterion(9)" || SimilarityThreshold(1).Criterion.String() != "fixed" {
		t.Error("Criterion.String")
	}
}

func TestVerificationErrors(t *testing.T) {
	tests := []struct {
		name string
		p    ScoredPairs
		want string
	}{
		{"empty", Similarities(nil, nil), "no scored pairs"},
		{"length", Similarities([]float64{1, 2}, []int{1}), "2 scores but 1 labels"},
		{"label", Similarities([]float64{1, 2}, []int{1, 2}), "labels must be 0"},
		{"nan", Similarities([]float64{math.NaN(), 2}, []int{1, 0}), "finite"},
		{"inf", Distances([]float64{math.Inf(1), 2}, []int{1, 0}), "finite"},
	}
	for _, tc := range tests {
		for name, run := range map[string]func() error{
			"ROCAUC":    func() error { _, err := ROCAUC(tc.p); return err },
			"AP":        func() error { _, err := AveragePrecision(tc.p); return err },
			"EER":       func() error { _, err := EER(tc.p); return err },
			"FNMR":      func() error { _, err := FNMRAtFMR(tc.p, 0.1); return err },
			"Summarize": func() error { _, err := Summarize(tc.p); return err },
			"Choose":    func() error { _, err := ChooseThreshold(tc.p, MaxAccuracy); return err },
			"VerifyAt":  func() error { _, err := VerifyAt(tc.p, Threshold{Distance: tc.p.Distance}); return err },
		} {
			if err := run(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %s: got %v, want an error containing %q", tc.name, name, err, tc.want)
			}
		}
	}
	onlyPos := Similarities([]float64{0.2, 0.4}, []int{1, 1})
	onlyNeg := Similarities([]float64{0.2, 0.4}, []int{0, 0})
	for name, err := range map[string]error{
		"AUC one class":  second(ROCAUC(onlyPos)),
		"EER one class":  second(EER(onlyNeg)),
		"FNMR one class": second(FNMRAtFMR(onlyPos, 0.1)),
		"FNMR bad fmr":   second(FNMRAtFMR(Similarities([]float64{1, 0}, []int{1, 0}), 1.5)),
		"Summarize fmr":  second2(Summarize(Similarities([]float64{1, 0}, []int{1, 0}), -1)),
		"Summarize one":  second2(Summarize(onlyPos)),
		"AP no positive": second(AveragePrecision(onlyNeg)),
	} {
		if err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if ap, err := AveragePrecision(onlyPos); err != nil || ap != 1 {
		t.Errorf("AP with only matches: got %v, %v, want 1", ap, err)
	}
}

func second(_ float64, err error) error               { return err }
func second2(_ *VerificationSummary, err error) error { return err }
