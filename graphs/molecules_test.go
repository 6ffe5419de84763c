package graphs

import (
	"compress/gzip"
	"encoding/json"
	"os"
	"testing"

	"github.com/gometric/gometric/datasets"
)

// The molecules benchmark data, converted by scripts/molecules.py (see datasets/data/molecules.md).
const (
	moleculesGraphs = "../datasets/data/molecules.jsonl.gz"
	moleculesMorgan = "../datasets/data/molecules-morgan.csv.gz"
	moleculesRecord = "../datasets/data/molecules.json"
	// Counts of the committed files: molecules kept and their scaffolds (classes).
	moleculesCount  = 3484
	moleculesLabels = 195
)

// openGz opens a gzip-compressed file; the caller closes both.
func openGz(t *testing.T, path string) (*os.File, *gzip.Reader) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	return f, z
}

// TestMoleculesFiles reads the committed molecule graphs and Morgan fingerprints and checks their
// counts, schema, classes (every scaffold has at least two molecules, none is empty) and that the
// two files hold the same molecules in the same order with the same labels.
func TestMoleculesFiles(t *testing.T) {
	f, z := openGz(t, moleculesGraphs)
	defer f.Close()
	set, warnings, err := ReadGraphs(z, moleculesGraphs, nil)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("ReadGraphs: %v (%d warnings)", err, len(warnings))
	}
	if n := len(set.Graphs); n != moleculesCount {
		t.Errorf("%d molecules, want %d", n, moleculesCount)
	}
	if want := (Schema{NodeLabels: true, NodeFeatures: 3, EdgeLabels: true}); set.Schema != want {
		t.Errorf("schema %v, want %v", set.Schema, want)
	}
	labels, names, err := Classes(set.Graphs)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != moleculesLabels {
		t.Errorf("%d scaffolds, want %d", len(names), moleculesLabels)
	}
	members := make([]int, len(names))
	for _, l := range labels {
		members[l]++
	}
	for c, m := range members {
		if m < 2 || names[c] == "" {
			t.Errorf("scaffold %q has %d molecules, want at least 2", names[c], m)
		}
	}
	bonds := map[string]bool{"single": true, "double": true, "triple": true, "aromatic": true}
	nodes := 0
	for _, g := range set.Graphs {
		nodes += g.NumNodes()
		if g.Directed {
			t.Fatalf("molecule %s is directed", g.ID)
		}
		for _, b := range g.EdgeLabels {
			if !bonds[b] {
				t.Fatalf("molecule %s: bond type %q", g.ID, b)
			}
		}
		for i, x := range g.NodeFeatures {
			if (x[0] != 0 && x[0] != 1) || x[1] < -4 || x[1] > 4 || x[2] < 0 || x[2] > 4 {
				t.Fatalf("molecule %s atom %d: features %v, want [aromatic 0/1, charge, hydrogens]", g.ID, i, x)
			}
		}
	}
	t.Logf("%d molecules, %d scaffolds, %.1f atoms per molecule", len(set.Graphs), len(names), float64(nodes)/float64(len(set.Graphs)))

	// The record written by the script agrees.
	raw, err := os.ReadFile(moleculesRecord)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Molecules, Scaffolds int }
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Molecules != moleculesCount || rec.Scaffolds != moleculesLabels {
		t.Errorf("%s: %d molecules, %d scaffolds; want %d, %d", moleculesRecord, rec.Molecules, rec.Scaffolds, moleculesCount, moleculesLabels)
	}

	// The fingerprints: the same molecules, in order, 2,048 bits each.
	f2, z2 := openGz(t, moleculesMorgan)
	defer f2.Close()
	items, warns, err := datasets.ReadItems(z2, "molecules-morgan.csv", nil)
	if err != nil || len(warns) > 0 {
		t.Fatalf("ReadItems: %v (%d warnings)", err, len(warns))
	}
	if items.Len() != len(set.Graphs) || items.Features.Cols != 2048 {
		t.Fatalf("%d fingerprints of %d bits, want %d of 2048", items.Len(), items.Features.Cols, len(set.Graphs))
	}
	for i, g := range set.Graphs {
		if items.IDs[i] != g.ID || items.ClassNames[items.Labels[i]] != g.Label {
			t.Fatalf("fingerprint %d is %s (%s), graph %d is %s (%s)", i, items.IDs[i], items.ClassNames[items.Labels[i]], i, g.ID, g.Label)
		}
	}
	ones := 0
	for _, x := range items.Features.Data {
		switch x {
		case 1:
			ones++
		case 0:
		default:
			t.Fatalf("fingerprint value %v, want 0 or 1", x)
		}
	}
	if mean := float64(ones) / float64(items.Len()); mean < 10 || mean > 100 {
		t.Errorf("%.1f bits set per molecule; want tens", mean)
	}
}

// TestLoadMolecules loads the built-in molecules: graph items and fingerprints with the same ids
// and classes, as many as the files hold.
func TestLoadMolecules(t *testing.T) {
	items, fp, err := LoadMolecules()
	if err != nil {
		t.Fatal(err)
	}
	if items.Len() != moleculesCount || items.NumClasses() != moleculesLabels || items.Kind() != KindGraph {
		t.Fatalf("%d %s items in %d classes, want %d graphs in %d", items.Len(), items.Kind(), items.NumClasses(), moleculesCount, moleculesLabels)
	}
	if fp.Dim() != 2048 || fp.Len() != items.Len() {
		t.Fatalf("%d fingerprints of %d bits", fp.Len(), fp.Dim())
	}
	for i := range items.IDs {
		if fp.IDs[i] != items.IDs[i] || fp.Labels[i] != items.Labels[i] || fp.ClassName(fp.Labels[i]) != items.ClassName(items.Labels[i]) {
			t.Fatalf("item %d: fingerprint %s class %d, graph %s class %d", i, fp.IDs[i], fp.Labels[i], items.IDs[i], items.Labels[i])
		}
	}
}
