package datasets

import (
	"slices"
	"testing"
)

// TestClassSplit checks that ClassSplit never puts a class in two splits, keeps every item once,
// meets the fractions as whole classes allow, sends the largest class to training, and depends only
// on the seed.
func TestClassSplit(t *testing.T) {
	fp, err := LoadMoleculesFingerprints()
	if err != nil {
		t.Fatal(err)
	}
	// A small synthetic set with one dominant class, and the molecules' scaffolds.
	var labels []int
	for c, n := range []int{40, 1, 2, 2, 3, 5, 8, 2, 2, 3, 4, 6, 2, 2, 9, 3, 2, 2} {
		for range n {
			labels = append(labels, c)
		}
	}
	synthetic := &Items{Name: "synthetic", IDs: make([]string, len(labels)), Labels: labels}
	for i := range synthetic.IDs {
		synthetic.IDs[i] = string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	for _, tc := range []struct {
		name  string
		items *Items
		f     Fractions
		slack int // how far from its target a split may be: the largest small class
	}{
		{"synthetic 60/20/20", synthetic, Fractions{Train: 0.6, Val: 0.2, Test: 0.2}, 9},
		{"molecules 60/20/20", fp, Fractions{Train: 0.6, Val: 0.2, Test: 0.2}, 40},
		{"molecules 80/10/10", fp, Fractions{Train: 0.8, Val: 0.1, Test: 0.1}, 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, seed := range []uint64{1, 2, 3} {
				tr, va, te, err := ClassSplit(tc.items, tc.f, seed)
				if err != nil {
					t.Fatal(err)
				}
				where := map[string]string{}
				for _, s := range []struct {
					name string
					it   *Items
				}{{"train", tr}, {"val", va}, {"test", te}} {
					if s.it.NumClasses() < 2 {
						t.Errorf("seed %d: %s split has %d classes", seed, s.name, s.it.NumClasses())
					}
					for i := range s.it.IDs {
						c := s.it.ClassName(s.it.Labels[i])
						if w, ok := where[c]; ok && w != s.name {
							t.Fatalf("seed %d: class %s in the %s and %s splits", seed, c, w, s.name)
						}
						where[c] = s.name
					}
				}
				ids := slices.Concat(tr.IDs, va.IDs, te.IDs)
				slices.Sort(ids)
				all := slices.Clone(tc.items.IDs)
				slices.Sort(all)
				if !slices.Equal(ids, all) {
					t.Fatalf("seed %d: the splits hold %d items, not each of the %d once", seed, len(ids), len(all))
				}
				n := float64(tc.items.Len())
				for _, s := range []struct {
					got  int
					frac float64
				}{{tr.Len(), tc.f.Train}, {va.Len(), tc.f.Val}, {te.Len(), tc.f.Test}} {
					if d := float64(s.got) - s.frac*n; d > float64(tc.slack) || d < -float64(tc.slack) {
						t.Errorf("seed %d: a split has %d items, target %.0f", seed, s.got, s.frac*n)
					}
				}
				biggest := slices.MaxFunc(tc.items.Classes(), func(a, b int) int { return tc.items.ClassCounts()[a] - tc.items.ClassCounts()[b] })
				if where[tc.items.ClassName(biggest)] != "train" {
					t.Errorf("seed %d: the largest class is not in training", seed)
				}
				tr2, _, te2, _ := ClassSplit(tc.items, tc.f, seed)
				if !slices.Equal(tr.IDs, tr2.IDs) || !slices.Equal(te.IDs, te2.IDs) {
					t.Errorf("seed %d: the split differs between calls", seed)
				}
				if seed > 1 {
					tr1, _, _, _ := ClassSplit(tc.items, tc.f, 1)
					if slices.Equal(tr.IDs, tr1.IDs) {
						t.Errorf("seeds 1 and %d split alike", seed)
					}
				}
			}
		})
	}
	if _, _, _, err := ClassSplit(&Items{IDs: []string{"a", "b"}}, Fractions{Train: 0.5, Val: 0.25, Test: 0.25}, 1); err == nil {
		t.Error("ClassSplit of unlabelled items: no error")
	}
}

// TestLoadMoleculesFingerprints reads the embedded fingerprints: counts, bits and classes.
func TestLoadMoleculesFingerprints(t *testing.T) {
	fp, err := LoadMoleculesFingerprints()
	if err != nil {
		t.Fatal(err)
	}
	if fp.Len() != MoleculesCount || fp.Dim() != MoleculesFingerprintBits || fp.NumClasses() != MoleculesScaffolds {
		t.Errorf("%d fingerprints of %d bits in %d classes, want %d of %d in %d", fp.Len(), fp.Dim(), fp.NumClasses(),
			MoleculesCount, MoleculesFingerprintBits, MoleculesScaffolds)
	}
	r, err := MoleculesGraphs()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if _, err := r.Read(buf); err != nil || string(buf) != `{"id":"1` {
		t.Errorf("MoleculesGraphs starts %q (%v), want the first molecule's line", buf, err)
	}
}
