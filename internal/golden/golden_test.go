package golden

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// status is the outcome of checking one golden case.
type status int

const (
	matched status = iota
	failed
	skipped
)

// outcome is what a checker says of one case: its status and, for failed or skipped, why.
type outcome struct {
	status status
	detail string
}

func match() outcome                  { return outcome{status: matched} }
func fail(f string, a ...any) outcome { return outcome{failed, fmt.Sprintf(f, a...)} }
func skip(f string, a ...any) outcome { return outcome{skipped, fmt.Sprintf(f, a...)} }
func failOrMatch(problems []string) outcome {
	if len(problems) > 0 {
		return fail("%s", strings.Join(problems, "; "))
	}
	return match()
}

// caseChecker checks one raw case of a section. It must not call t.Fatal: it reports through its
// outcome, so that every case of every file is counted.
type caseChecker func(raw json.RawMessage) outcome

// sectionCheckers maps a section key to its checker; each *_test.go file of this package registers
// the sections it implements in an init function. A section with no checker counts all its cases
// as skipped.
var sectionCheckers = map[string]caseChecker{}

// caseName returns a case's "name", or a description built from its other fields.
func caseName(raw json.RawMessage, index int) string {
	var c struct {
		Name     string `json:"name"`
		Distance string `json:"distance"`
		K        any    `json:"k"`
		RIQ      *bool  `json:"ref_includes_query"`
	}
	_ = json.Unmarshal(raw, &c)
	if c.Name != "" {
		return c.Name
	}
	if c.Distance != "" {
		return fmt.Sprintf("#%d(%s k=%v ref_includes_query=%v)", index, c.Distance, c.K, c.RIQ != nil && *c.RIQ)
	}
	return fmt.Sprintf("#%d", index)
}

// TestGolden walks every case of every golden file (testdata/golden and $GOMETRIC_GOLDEN_DIR) but
// pml-2.8.1-parity.json (ParityName) and prints one line per file and section:
//
//	golden pml-2.8.1.json [losses]: 40 matched, 0 failed, 44 skipped
func TestGolden(t *testing.T) {
	paths, err := Paths("../../testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden files found in testdata/golden")
	}
	for _, p := range paths {
		if filepath.Base(p) == ParityName {
			continue // Checked by TestParityAccuracy and the losses package's parity tests.
		}
		f, err := Load(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if len(f.Sections) == 0 {
			t.Errorf("%s: no known section (want one of %v)", p, Sections)
			continue
		}
		for _, section := range Sections {
			cases, ok := f.Sections[section]
			if !ok {
				continue
			}
			check := sectionCheckers[section]
			var counts [3]int
			skipReasons := map[string]int{}
			for i, raw := range cases {
				name := caseName(raw, i)
				var o outcome
				if check == nil {
					o = skip("no checker for section %q", section)
				} else {
					o = check(raw)
				}
				if o.status == skipped && (section == "losses" || section == "miners") {
					// A loss or miner case that cannot be built or run fails, unless it is listed.
					if why, ok := notImplementedCases[name]; ok {
						o = skip("%s", why)
					} else {
						o = fail("not built (%s); not in notImplementedCases", o.detail)
					}
				}
				counts[o.status]++
				switch o.status {
				case failed:
					t.Errorf("golden %s [%s] %s: %s", f.Name(), section, name, o.detail)
				case skipped:
					skipReasons[o.detail]++
				}
			}
			fmt.Printf("golden %s [%s]: %d matched, %d failed, %d skipped\n",
				f.Name(), section, counts[matched], counts[failed], counts[skipped])
			if n := takeHostChecked(); n > 0 {
				fmt.Printf("golden %s [%s]: %d of them also on the host loss engine\n", f.Name(), section, n)
			}
			if testing.Verbose() && len(skipReasons) > 0 {
				reasons := make([]string, 0, len(skipReasons))
				for r := range skipReasons {
					reasons = append(reasons, r)
				}
				sort.Strings(reasons)
				for _, r := range reasons {
					fmt.Printf("    skipped %d: %s\n", skipReasons[r], r)
				}
			}
		}
	}
}
