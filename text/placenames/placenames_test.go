package placenames

import (
	"bytes"
	"compress/gzip"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gometric/gometric/datasets"
)

var update = flag.Bool("update", false, "rewrite data/place-names.tsv.gz from the installed iso-codes")

// installedVersion returns the version of the installed iso-codes package, or "".
func installedVersion() string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "iso-codes").Output()
	if err != nil {
		return ""
	}
	v, _, _ := strings.Cut(strings.TrimSpace(string(out)), "-")
	return v
}

// TestSnapshot checks that the shipped snapshot is what Convert makes of iso-codes 4.15.0 when
// that version is installed (skipped otherwise); with -update it rewrites the snapshot.
func TestSnapshot(t *testing.T) {
	v := installedVersion()
	if _, err := os.Stat(filepath.Join(DefaultRoot, "iso-codes", "json", "iso_3166-1.json")); err != nil || v == "" {
		t.Skip("iso-codes is not installed (apt-get install iso-codes)")
	}
	d, err := Convert(DefaultRoot, v)
	if err != nil {
		t.Fatal(err)
	}
	var tsv bytes.Buffer
	if err := WriteTSV(&tsv, d); err != nil {
		t.Fatal(err)
	}
	if *update {
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(tsv.Bytes())
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("data/place-names.tsv.gz", gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if v != "4.15.0" {
		t.Skipf("iso-codes %s is installed; the snapshot is of 4.15.0", v)
	}
	zr, err := gzip.NewReader(bytes.NewReader(snapshot))
	if err != nil {
		t.Fatal(err)
	}
	var shipped bytes.Buffer
	shipped.ReadFrom(zr)
	if !bytes.Equal(shipped.Bytes(), tsv.Bytes()) {
		t.Errorf("the snapshot (%d bytes) differs from the conversion of the installed iso-codes (%d bytes): go test ./text/placenames -run TestSnapshot -update", shipped.Len(), tsv.Len())
	}
}

func TestLoadCounts(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ents := d.Entities()
	kinds := map[string]int{}
	for _, e := range ents {
		kinds[d.Kinds[e]]++
	}
	scripts := map[Script]int{}
	used := map[string]bool{}
	for _, n := range d.Names {
		scripts[n.Script]++
		for _, l := range n.Locales {
			used[l] = true
		}
	}
	t.Logf("iso-codes %s: %d names of %d entities (%d countries, %d subdivisions), %d locales (%d give a kept name); %d Latin, %d other scripts; dropped: %d shared names, %d entities with fewer than 2 names",
		d.Version, len(d.Names), len(ents), kinds[KindCountry], kinds[KindSubdivision], len(d.Locales), len(used),
		scripts[ScriptLatin], scripts[ScriptOther], d.Dropped["shared"], d.Dropped["single"])
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"names", len(d.Names), 67228},
		{"entities", len(ents), 5077},
		{"countries", kinds[KindCountry], 249},
		{"locales", len(d.Locales), 162},
		{"subdivisions", kinds[KindSubdivision], 4828},
		{"Latin names", scripts[ScriptLatin], 32270},
		{"shared names dropped", d.Dropped["shared"], 4917},
		{"entities dropped", d.Dropped["single"], 299},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	if d.Version != "4.15.0" {
		t.Errorf("version %q", d.Version)
	}
	items, err := d.Items()
	if err != nil {
		t.Fatal(err)
	}
	if items.Len() != len(d.Names) || items.NumClasses() != len(ents) {
		t.Errorf("items: %d items of %d classes", items.Len(), items.NumClasses())
	}
	for _, counts := range items.ClassCounts() {
		if counts < 2 {
			t.Fatalf("an entity with %d names", counts)
		}
	}
}

func TestSplitByEntity(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	train, val, test, err := d.Split(DefaultFractions, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(train)+len(val)+len(test) != len(d.Names) {
		t.Fatalf("%d + %d + %d names, want %d", len(train), len(val), len(test), len(d.Names))
	}
	where := map[string]int{}
	count := [3]map[string]bool{{}, {}, {}}
	for s, idx := range [][]int{train, val, test} {
		for _, i := range idx {
			e := d.Names[i].Entity
			if w, ok := where[e]; ok && w != s {
				t.Fatalf("entity %s in splits %d and %d", e, w, s)
			}
			where[e] = s
			count[s][e] = true
		}
	}
	n := len(d.Entities())
	for s, f := range []float64{DefaultFractions.Train, DefaultFractions.Val, DefaultFractions.Test} {
		if got := float64(len(count[s])); got < f*float64(n)-1 || got > f*float64(n)+1 {
			t.Errorf("split %d: %v entities, want %.0f", s, got, f*float64(n))
		}
	}
	train2, _, test2, _ := d.Split(DefaultFractions, 1)
	if !slices.Equal(train, train2) || !slices.Equal(test, test2) {
		t.Error("two splits with one seed differ")
	}
	_, _, test3, _ := d.Split(DefaultFractions, 2)
	if slices.Equal(test, test3) {
		t.Error("seeds 1 and 2 give the same test split")
	}
	if _, _, _, err := d.Split(datasets.Fractions{Train: 0.9, Val: 0.2}, 1); err == nil {
		t.Error("fractions summing to 1.1: no error")
	}
}

func TestScriptOf(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Script
	}{
		{"Île-de-France", ScriptLatin}, {"Łódzkie", ScriptLatin}, {"São Paulo 2", ScriptLatin}, {"42", ScriptLatin},
		{"Москва", ScriptOther}, {"東京都", ScriptOther}, {"القاهرة", ScriptOther}, {"Moskva Москва", ScriptOther},
	} {
		if got := ScriptOf(c.in); got != c.want {
			t.Errorf("ScriptOf(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestTFIDFBaseline measures the character 3-gram TF-IDF baseline on the test entities (fitted on
// the training names), overall and by script. The figures are deterministic; the test pins them.
func TestTFIDFBaseline(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	train, _, test, err := d.Split(DefaultFractions, 1)
	if err != nil {
		t.Fatal(err)
	}
	items, err := d.Items()
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := TestPairs(items, test, 10000, 1)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := TFIDFBaseline(d, train, test, pairs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]float64{ // MAP@R, P@1, ROC-AUC
		GroupAll:   {0.1364, 0.4317, 0.6085},
		GroupLatin: {0.2079, 0.5776, 0.9245},
		GroupOther: {0.0764, 0.3096, 0.5321},
	}
	for _, f := range figs {
		t.Log(f)
		w := want[f.Group]
		for k, got := range []float64{f.MAPAtR, f.PrecisionAt1, f.ROCAUC} {
			if math.Abs(got-w[k]) > 5e-5 {
				t.Errorf("group %s: figure %d is %.4f, want %.4f", f.Group, k, got, w[k])
			}
		}
	}
}
