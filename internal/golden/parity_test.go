package golden

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// ParityName is the second PML golden file (issue 11). TestGolden leaves it out: its losses and
// miners are checked by the losses package's parity tests (TestParityGoldenLosses,
// TestParityGoldenMiners), its accuracy cases by TestParityAccuracy.
const ParityName = "pml-2.8.1-parity.json"

// EnvParityFile names another parity file to check instead of pml-2.8.1-parity.json (for example
// one re-drawn with another seed by scripts/golden_reseed.py); the losses package's parity tests
// read the same variable.
const EnvParityFile = "GOMETRIC_PARITY_FILE"

// parityPath returns $GOMETRIC_PARITY_FILE when that is set, else finds pml-2.8.1-parity.json in
// $GOMETRIC_GOLDEN_DIR, testdata/golden, then the shared golden folder beside the repository
// (../shared/golden); not finding it fails the test.
func parityPath(t *testing.T) string {
	if p := os.Getenv(EnvParityFile); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("$%s: %v", EnvParityFile, err)
		}
		t.Logf("parity cases from $%s=%s", EnvParityFile, p)
		return p
	}
	for _, dir := range []string{os.Getenv(EnvDir), "../../testdata/golden", "../../../shared/golden"} {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, ParityName)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s not found in $%s, testdata/golden or ../shared/golden", ParityName, EnvDir)
	return ""
}

// TestParityAccuracy checks every accuracy case of pml-2.8.1-parity.json (AccuracyCalculator with
// k=None, avg_of_avgs, return_per_class) and prints
//
//	parity pml-2.8.1-parity.json [accuracy]: 6 matched, 0 failed, 0 skipped
//
// A case that cannot be run fails: there are no skips.
func TestParityAccuracy(t *testing.T) {
	f, err := Load(parityPath(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := f.Sections["accuracy"]
	if len(cases) == 0 {
		t.Fatalf("%s: no accuracy case", f.Path)
	}
	var counts [3]int
	for i, raw := range cases {
		o := checkAccuracy(raw)
		if o.status == skipped {
			o = fail("skipped: %s", o.detail)
		}
		counts[o.status]++
		if o.status == failed {
			t.Errorf("parity %s [accuracy] %s: %s", ParityName, caseName(raw, i), o.detail)
		}
	}
	fmt.Printf("parity %s [accuracy]: %d matched, %d failed, %d skipped\n",
		ParityName, counts[matched], counts[failed], counts[skipped])
}

// TestAccuracyCheckerCanFail makes sure the accuracy checker rejects a parity case whose expected
// metric (overall or of one class) is off by more than the tolerance, or whose options it does not
// know, and runs every option it is given.
func TestAccuracyCheckerCanFail(t *testing.T) {
	f, err := Load(parityPath(t))
	if err != nil {
		t.Fatal(err)
	}
	// byOption returns the first case whose options hold key.
	byOption := func(key string) map[string]any {
		for _, raw := range f.Sections["accuracy"] {
			var c map[string]any
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			opts, _ := c["options"].(map[string]any)
			if _, ok := opts[key]; ok {
				return c
			}
		}
		t.Fatalf("no accuracy case with option %s", key)
		return nil
	}
	off := func(c map[string]any, edit func(c map[string]any)) map[string]any {
		c = cloneCase(t, c)
		edit(c)
		return c
	}
	metric := func(c map[string]any) map[string]any { return c["metrics"].(map[string]any) }
	cases := []struct {
		name string
		c    map[string]any
		want status
	}{
		{"k=None unmodified", byOption("k"), matched},
		{"avg_of_avgs unmodified", byOption("avg_of_avgs"), matched},
		{"per-class unmodified", byOption("return_per_class"), matched},
		{"k=None MAP off by 1e-8", off(byOption("k"), func(c map[string]any) {
			metric(c)["mean_average_precision"] = metric(c)["mean_average_precision"].(float64) + 1e-8
		}), failed},
		{"avg_of_avgs off (overall mean instead)", off(byOption("avg_of_avgs"), func(c map[string]any) {
			c["options"].(map[string]any)["avg_of_avgs"] = false
		}), failed},
		{"one class's MRR off by 1e-8", off(byOption("return_per_class"), func(c map[string]any) {
			v := metric(c)["mean_reciprocal_rank"].([]any)
			v[len(v)-1] = v[len(v)-1].(float64) - 1e-8
		}), failed},
		{"one class missing", off(byOption("return_per_class"), func(c map[string]any) {
			v := metric(c)["precision_at_1"].([]any)
			metric(c)["precision_at_1"] = v[:len(v)-1]
		}), failed},
		{"unknown option", off(byOption("k"), func(c map[string]any) {
			c["options"].(map[string]any)["exclude"] = []any{"NMI"}
		}), failed},
		{"unknown distance", off(byOption("k"), func(c map[string]any) { c["distance"] = "SNRDistance" }), failed},
		{"no metric", off(byOption("k"), func(c map[string]any) { c["metrics"] = map[string]any{} }), failed},
	}
	for _, tc := range cases {
		if o := checkAccuracy(mustJSON(t, tc.c)); o.status != tc.want {
			t.Errorf("%s: got status %v (%s), want %v", tc.name, o.status, o.detail, tc.want)
		}
	}
}
