package train

import (
	"fmt"
	"testing"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/report"
)

// TestMoleculesScaffoldSplit loads the molecules as a run does, for several seeds: no scaffold is
// in two splits, the evaluation pairs stay within their split, and the fingerprint baseline covers
// every item.
func TestMoleculesScaffoldSplit(t *testing.T) {
	for _, seed := range []uint64{1, 2, 7} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			cfg := DefaultConfigFor(datasets.Molecules)
			cfg.Seed = seed
			d, err := LoadData(cfg)
			if err != nil {
				t.Fatal(err)
			}
			split := map[string]string{}
			total := 0
			for _, s := range []struct {
				name  string
				items *datasets.Items
			}{{"train", d.Train}, {"val", d.Val}, {"test", d.Test}} {
				total += s.items.Len()
				for i := range s.items.IDs {
					c := s.items.ClassName(s.items.Labels[i])
					if w, ok := split[c]; ok && w != s.name {
						t.Fatalf("scaffold %s is in the %s and %s splits", c, w, s.name)
					}
					split[c] = s.name
				}
			}
			if total != datasets.MoleculesCount || len(split) != datasets.MoleculesScaffolds {
				t.Errorf("%d molecules in %d scaffolds, want %d in %d", total, len(split), datasets.MoleculesCount, datasets.MoleculesScaffolds)
			}
			for _, p := range []struct {
				pairs *datasets.Pairs
				items *datasets.Items
			}{{d.ValPairs, d.Val}, {d.TestPairs, d.Test}} {
				if p.pairs.Items != p.items || p.pairs.Len() != cfg.EvalPairs {
					t.Errorf("%d evaluation pairs, not of their split's items (want %d)", p.pairs.Len(), cfg.EvalPairs)
				}
			}
			if d.Baseline == nil || d.Baseline.Name != report.BaselineMorgan {
				t.Fatal("no fingerprint baseline")
			}
			emb, err := d.Baseline.EmbedItems(d.Test)
			if err != nil || emb.Rows != d.Test.Len() || emb.Cols != datasets.MoleculesFingerprintBits {
				t.Fatalf("baseline of the test items: %v", err)
			}
		})
	}
}

// edgeKey identifies a graph by its edges (node order as stored).
func edgeKey(g *graphs.Graph) string { return fmt.Sprint(g.Edges) }

// TestGraphEditData checks the generated graph-edit data: the test pairs and triplets are the
// fixed evaluation sets of GraphEditEvalSeed (the same for every run seed, and the stream with
// which graphs checks the WL kernel against the paper), the training and validation pairs follow
// the run's seed, and no test graph occurs among the training or validation graphs.
func TestGraphEditData(t *testing.T) {
	load := func(seed uint64) *Data {
		cfg := DefaultConfigFor(datasets.GraphEdit)
		cfg.Seed, cfg.PairsPerEpoch, cfg.EvalPairs = seed, 3000, 300
		d, err := LoadData(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if d.TrainPairs.Len() != 3000 || d.ValPairs.Len() != 300 || d.TestPairs.Len() != graphs.GraphEditEvalSize || d.TestTriplets.Len() != graphs.GraphEditEvalSize {
			t.Fatalf("%d/%d/%d pairs, %d triplets", d.TrainPairs.Len(), d.ValPairs.Len(), d.TestPairs.Len(), d.TestTriplets.Len())
		}
		return d
	}
	a, b := load(1), load(2)
	graphOf := func(p *datasets.Pairs, i, side int) *graphs.Graph {
		o := p.Items.Objects.(*graphs.Objects)
		if side == 0 {
			return o.Graphs[p.A[i]]
		}
		return o.Graphs[p.B[i]]
	}
	// The paper's evaluation sets, as graphs' WL-kernel test draws them.
	ge, err := graphs.NewGraphEdit(graphs.DefaultGraphEditConfig(), GraphEditEvalSeed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ge.Pairs(graphs.GraphEditEvalSize)
	if err != nil {
		t.Fatal(err)
	}
	wantTriplets, err := ge.Triplets(graphs.GraphEditEvalSize)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		d      *Data
		sameAs bool // the training pairs are a's
	}{{"seed 1", a, true}, {"seed 2", b, false}} {
		t.Run(c.name, func(t *testing.T) {
			for i, w := range want {
				if c.d.TestPairs.Y[i] != w.Label || edgeKey(graphOf(c.d.TestPairs, i, 0)) != edgeKey(w.A) || edgeKey(graphOf(c.d.TestPairs, i, 1)) != edgeKey(w.B) {
					t.Fatalf("test pair %d is not the evaluation set's", i)
				}
			}
			o := c.d.TestTriplets.Items.Objects.(*graphs.Objects)
			for i, w := range wantTriplets {
				tr := c.d.TestTriplets
				if edgeKey(o.Graphs[tr.Anchor[i]]) != edgeKey(w.Anchor) || edgeKey(o.Graphs[tr.Positive[i]]) != edgeKey(w.Positive) || edgeKey(o.Graphs[tr.Negative[i]]) != edgeKey(w.Negative) {
					t.Fatalf("test triplet %d is not the evaluation set's", i)
				}
			}
			test := map[string]bool{}
			for i := range c.d.TestPairs.Y {
				test[edgeKey(graphOf(c.d.TestPairs, i, 0))], test[edgeKey(graphOf(c.d.TestPairs, i, 1))] = true, true
			}
			for _, idx := range [][]int{c.d.TestTriplets.Anchor, c.d.TestTriplets.Positive, c.d.TestTriplets.Negative} {
				for _, j := range idx {
					test[edgeKey(o.Graphs[j])] = true
				}
			}
			for _, p := range []*datasets.Pairs{c.d.TrainPairs, c.d.ValPairs} {
				for i := range p.Y {
					if test[edgeKey(graphOf(p, i, 0))] || test[edgeKey(graphOf(p, i, 1))] {
						t.Fatalf("training or validation pair %d has a test graph", i)
					}
				}
			}
			same := true
			for i := range 10 {
				same = same && edgeKey(graphOf(c.d.TrainPairs, i, 0)) == edgeKey(graphOf(a.TrainPairs, i, 0))
			}
			if same != c.sameAs {
				t.Errorf("training pairs alike run seed 1's: %v, want %v", same, c.sameAs)
			}
		})
	}
}

// TestPlaceNamesEntitySplit loads the place names as a run does, for two seeds: no entity (ISO
// code) is in two splits, the split is about 70/10/20 by entity, the TF-IDF baseline and the
// by-script groups come with the data, and the settings are the text encoder's.
func TestPlaceNamesEntitySplit(t *testing.T) {
	cfg := DefaultConfigFor(datasets.PlaceNames)
	if cfg.Encoder != encoders.KindText || !cfg.SplitByClass || cfg.Normalize != NormalizeNone {
		t.Fatalf("DefaultConfigFor(place-names): encoder %s, split by class %v, normalize %s", cfg.Encoder, cfg.SplitByClass, cfg.Normalize)
	}
	for _, seed := range []uint64{1, 5} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			cfg.Seed = seed
			d, err := LoadData(cfg)
			if err != nil {
				t.Fatal(err)
			}
			split := map[string]string{}
			entities := map[string]int{}
			for _, s := range []struct {
				name  string
				items *datasets.Items
			}{{"train", d.Train}, {"val", d.Val}, {"test", d.Test}} {
				for i := range s.items.IDs {
					c := s.items.ClassName(s.items.Labels[i])
					if w, ok := split[c]; ok && w != s.name {
						t.Fatalf("entity %s is in the %s and %s splits", c, w, s.name)
					}
					if _, ok := split[c]; !ok {
						entities[s.name]++
					}
					split[c] = s.name
				}
			}
			all := float64(len(split))
			for name, want := range map[string]float64{"train": 0.7, "val": 0.1, "test": 0.2} {
				if got := float64(entities[name]) / all; got < want-0.02 || got > want+0.02 {
					t.Errorf("%s: %.3f of the %d entities, want about %.1f", name, got, len(split), want)
				}
			}
			for _, p := range []*datasets.Pairs{d.ValPairs, d.TestPairs} {
				if p.Len() != cfg.EvalPairs || p.NumPositives() != cfg.EvalPairs/2 {
					t.Errorf("%d pairs (%d positive), want %d, half positive", p.Len(), p.NumPositives(), cfg.EvalPairs)
				}
			}
			if d.TestPairs.Items != d.Test {
				t.Error("the test pairs are not pairs of the test items")
			}
			if d.Baseline == nil || d.Baseline.Name != report.BaselineTFIDF || !d.Baseline.Sparse() {
				t.Fatalf("baseline %+v, want %s", d.Baseline, report.BaselineTFIDF)
			}
			if g := d.TestGroups; g == nil || len(g.Of) != d.Test.Len() || g.By != "script" {
				t.Fatalf("test groups %+v", g)
			}
			count := map[string]int{}
			for _, s := range d.TestGroups.Of {
				count[s]++
			}
			if count["latin"] == 0 || count["other"] == 0 || len(count) != 2 {
				t.Errorf("test names by script: %v", count)
			}
		})
	}
}
