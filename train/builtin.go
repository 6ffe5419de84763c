package train

import (
	"fmt"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/report"
	"github.com/gometric/gometric/text/placenames"
)

// The built-in graph data sets (datasets.Molecules, datasets.GraphEdit): their items are graphs,
// loaded or generated with package graphs.
//
// molecules: the 3,484 molecule graphs (graphs.LoadMolecules), class = generic Bemis–Murcko
// scaffold, split by class (Config.SplitByClass: no test scaffold is seen in training), pairs drawn
// from the classes as for digits; the Morgan fingerprints are the data's Baseline (report.Baseline).
//
// graph-edit: the graph edit distance benchmark of Li et al. 2019 (graphs.GraphEdit, n = 20,
// p = 0.2, positives 1 edge substituted, negatives 2). The training pairs are generated once,
// deterministically, when the data is read: Config.PairsPerEpoch of them (0:
// DefaultGraphEditTrainPairs) from a seed derived from Config.Seed, then Config.EvalPairs (0: 1,000)
// validation pairs from another derived seed (the frozen threshold, the validation metric); the
// test pairs and triplets are the paper's fixed evaluation sets, 1,000 pairs then 1,000 triplets of
// the stream of GraphEditEvalSeed, whatever Config.Seed. The graphs have no classes: training is on
// the explicit pairs (DefaultConfigFor: contrastive loss, explicit pair mode).

const (
	// GraphEditEvalSeed seeds the graph-edit benchmark's fixed evaluation sets (test pairs, then
	// triplets): the same for every run, and the seed with which graphs' tests check the WL kernel
	// against the paper (79.6 / 83.0 on these very sets).
	GraphEditEvalSeed uint64 = 2019
	// DefaultGraphEditTrainPairs is the number of graph-edit training pairs generated when
	// Config.PairsPerEpoch is 0.
	DefaultGraphEditTrainPairs = 100_000
)

// The built-in text data set (datasets.PlaceNames): the place names of package text/placenames
// (placenames.Load, Data.Items), class = entity (ISO code), split by class (Config.SplitByClass:
// no test entity, none of its names, is seen in training; validation likewise), pairs drawn from
// the classes. Its baseline is the character 3-gram TF-IDF cosine of record linkage
// (text.FitTFIDF, fitted on the training names), and its test items are grouped by script
// (placenames.ScriptOf: Data.TestGroups) for the report's by-script section.

// DefaultConfigFor returns the defaults of `gometric train --dataset name`: DefaultConfig with the
// settings that data set trains with (the gnn for the graph data sets, the text encoder for
// place-names, with the sizes and the optimisation measured in docs/PERFORMANCE.md, "Graph
// benchmarks" and "Text benchmark"). Other data sets get DefaultConfig with Dataset set.
func DefaultConfigFor(name string) Config {
	c := DefaultConfig()
	c.Dataset = name
	switch name {
	case datasets.Molecules:
		c.Encoder, c.Normalize = encoders.KindGNN, NormalizeNone
		c.SplitByClass = true
		c.GNNHidden, c.GNNLayers = 64, 3
		c.Steps, c.BatchSize, c.LR = 1000, 64, 2e-3
	case datasets.GraphEdit:
		c.Encoder, c.Normalize = encoders.KindGNN, NormalizeNone
		c.Loss, c.PairMode = "contrastive", "explicit"
		c.GNNHidden, c.GNNLayers = 64, 5
		c.EvalPairs = graphs.GraphEditEvalSize
		c.Steps, c.BatchSize, c.LR, c.EvalEvery = 400, 64, 5e-3, 100
	case datasets.PlaceNames:
		c.Encoder, c.Normalize = encoders.KindText, NormalizeNone
		c.SplitByClass, c.Split = true, placenames.DefaultFractions
		c.Steps, c.BatchSize, c.LR, c.EvalEvery = PlaceNamesSteps, 256, 3e-3, 100
	}
	return c
}

// PlaceNamesSteps is the number of training steps of `gometric train --dataset place-names`
// (batches of 256 pairs at learning rate 0.003): about 5 minutes on 2 cores at load 4
// (docs/PERFORMANCE.md, "Text benchmark").
const PlaceNamesSteps = 600

// LoadPlaceNames returns the place names as text items (placenames.Load, Data.Items).
func LoadPlaceNames() (*datasets.Items, error) {
	d, err := placenames.Load()
	if err != nil {
		return nil, err
	}
	return d.Items()
}

// LoadBuiltin returns the items of built-in data set name: datasets.Load, the molecule graphs
// (graphs.LoadMolecules), or the place names (LoadPlaceNames). graph-edit, pairs generated for a run, has no items to load: an error.
func LoadBuiltin(name string) (*datasets.Items, error) {
	switch name {
	case datasets.Molecules:
		items, _, err := graphs.LoadMolecules()
		return items, err
	case datasets.GraphEdit:
		return nil, fmt.Errorf("data set %s is pairs of graphs generated for a run: train on it ('gometric train --dataset %s'), or give graph files", name, name)
	case datasets.PlaceNames:
		return LoadPlaceNames()
	}
	return datasets.Load(name)
}

// builtinGraphs reads a built-in graph or text data set into raw (ok false for other names).
func (raw *rawData) builtinGraphs(cfg Config) (ok bool, err error) {
	switch cfg.Dataset {
	case datasets.Molecules:
		var fp *datasets.Items
		if raw.items, fp, err = graphs.LoadMolecules(); err != nil {
			return true, err
		}
		raw.baseline = &report.Baseline{Name: report.BaselineMorgan, Features: fp}
		return true, nil
	case datasets.GraphEdit:
		return true, raw.generateGraphEdit(cfg)
	case datasets.PlaceNames:
		raw.placeNames = true
		raw.items, err = LoadPlaceNames()
		return true, err
	}
	return false, nil
}

// finish gives the split data what comes with the data set beside its items: its baseline (fitted
// on the training split, for place-names), test triplets and test groups.
func (raw *rawData) finish(data *Data) error {
	data.Baseline, data.TestTriplets = raw.baseline, raw.triplets
	if raw.placeNames {
		var err error
		if data.Baseline, err = report.NewTFIDFBaseline(data.Train); err != nil {
			return err
		}
		if data.TestGroups, err = report.ScriptGroups(data.Test); err != nil {
			return err
		}
	}
	return nil
}

// generateGraphEdit generates the graph-edit data: training, validation and test pairs (in that
// order, Pairs.Lines 1, 2, ...) and the test triplets, all graphs in one set of items.
func (raw *rawData) generateGraphEdit(cfg Config) error {
	nTrain, nVal := cfg.PairsPerEpoch, cfg.EvalPairs
	if nTrain == 0 {
		nTrain = DefaultGraphEditTrainPairs
	}
	if nVal == 0 {
		nVal = graphs.GraphEditEvalSize
	}
	gcfg := graphs.DefaultGraphEditConfig()
	total := nTrain + nVal + graphs.GraphEditEvalSize
	all := make([]*graphs.Graph, 0, 2*total+3*graphs.GraphEditEvalSize)
	p := &datasets.Pairs{A: make([]int, 0, total), B: make([]int, 0, total), Y: make([]int, 0, total), Lines: make([]int, 0, total)}
	add := func(g *graphs.Graph, prefix string) int {
		g.ID = prefix + g.ID
		all = append(all, g)
		return len(all) - 1
	}
	var test *graphs.GraphEdit
	for _, part := range []struct {
		prefix string
		seed   uint64
		n      int
	}{{"train-", subSeed(cfg.Seed, seedGraphEditTrain), nTrain}, {"val-", subSeed(cfg.Seed, seedGraphEditVal), nVal}, {"test-", GraphEditEvalSeed, graphs.GraphEditEvalSize}} {
		ge, err := graphs.NewGraphEdit(gcfg, part.seed)
		if err != nil {
			return err
		}
		for range part.n {
			pr, err := ge.NextPair()
			if err != nil {
				return err
			}
			p.A, p.B = append(p.A, add(pr.A, part.prefix)), append(p.B, add(pr.B, part.prefix))
			p.Y, p.Lines = append(p.Y, pr.Label), append(p.Lines, len(p.Lines)+1)
		}
		test = ge
	}
	// The triplets continue the test stream, as the paper's evaluation sets are drawn (pairs, then
	// triplets; graphs' TestGraphEditBaselines draws them alike).
	tr := &report.Triplets{Benchmark: "graph edit distance, Li et al. 2019 (ICML), Table 1: n = 20, p = 0.2, k_p = 1, k_n = 2", References: graphs.GraphEditTable1}
	for range graphs.GraphEditEvalSize {
		t, err := test.NextTriplet()
		if err != nil {
			return err
		}
		tr.Anchor = append(tr.Anchor, add(t.Anchor, "test-"))
		tr.Positive = append(tr.Positive, add(t.Positive, "test-"))
		tr.Negative = append(tr.Negative, add(t.Negative, "test-"))
	}
	items, err := graphs.ToItems(&graphs.Set{Name: datasets.GraphEdit, Graphs: all, Schema: graphs.Schema{NodeFeatures: 1}})
	if err != nil {
		return err
	}
	p.Items, tr.Items = items, items
	raw.pairs, raw.triplets = p, tr
	raw.graphEdit = [3]int{nTrain, nVal, graphs.GraphEditEvalSize}
	return nil
}

// prepareGraphEdit splits the generated graph-edit pairs as they were generated: training,
// validation, test.
func (raw *rawData) prepareGraphEdit() (*Data, error) {
	p, n := raw.pairs, raw.graphEdit
	span := func(from, to int) *datasets.Pairs {
		idx := make([]int, to-from)
		for i := range idx {
			idx[i] = from + i
		}
		return p.Subset(idx)
	}
	if p.Len() != n[0]+n[1]+n[2] {
		return nil, fmt.Errorf("graph-edit: %d pairs generated, want %d", p.Len(), n[0]+n[1]+n[2])
	}
	return &Data{
		Name: p.Items.Name, Train: p.Items,
		TrainPairs: span(0, n[0]), ValPairs: span(n[0], n[0]+n[1]), TestPairs: span(n[0]+n[1], p.Len()),
	}, nil
}
