package train

import (
	"fmt"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/mat"
)

// Items of more than one kind: a datasets.Items holds feature vectors (Features) or, in Objects,
// graphs (package graphs); an encoders.ItemEncoder turns a batch of item indices into its input
// tensors and embeds them. Everything here works on item indices, whatever the kind.

// ReadItemsFile reads an items file of either kind: a graphs file (JSON Lines whose first line is a
// graph, see graphs.ReadGraphs; the graphs become the items' Objects, graphs.ToItems) or feature
// vectors (CSV or JSON Lines, datasets.ReadItemsFile). Malformed lines are as the readers say.
func ReadItemsFile(path string, opts *datasets.ReadOptions) (*datasets.Items, []*datasets.LineError, error) {
	isGraphs, err := graphs.IsGraphsFile(path)
	if err != nil {
		return nil, nil, err
	}
	if !isGraphs {
		return datasets.ReadItemsFile(path, opts)
	}
	set, warnings, err := graphs.ReadGraphsFile(path, graphOptions(opts))
	if err != nil {
		return nil, nil, err
	}
	items, err := graphs.ToItems(set)
	if err != nil {
		return nil, nil, err
	}
	return items, warnings, nil
}

// ReadPairsFile reads a labeled pairs file of either kind: pairs of graphs (by id from items, read
// by ReadItemsFile, or inline; graphs.ReadPairs) when items are graphs or, without items, when the
// file's first line has an inline graph; else pairs of feature vectors (datasets.ReadPairsFile).
func ReadPairsFile(path string, items *datasets.Items, opts *datasets.ReadOptions) (*datasets.Pairs, []*datasets.LineError, error) {
	isGraphs := items != nil && items.Objects != nil
	if items == nil {
		var err error
		if isGraphs, err = graphs.IsGraphsFile(path); err != nil {
			return nil, nil, err
		}
	}
	if !isGraphs {
		return datasets.ReadPairsFile(path, items, opts)
	}
	var set *graphs.Set
	if items != nil {
		o, err := graphs.GraphsOf(items)
		if err != nil {
			return nil, nil, err
		}
		set = &graphs.Set{Name: items.Name, Graphs: o.Graphs, Schema: o.Schema}
	}
	ps, warnings, err := graphs.ReadPairsFile(path, set, graphOptions(opts))
	if err != nil {
		return nil, nil, err
	}
	p, err := graphs.ToPairs(ps, items)
	if err != nil {
		return nil, nil, err
	}
	return p, warnings, nil
}

// graphOptions are the graph readers' options for the datasets readers' (the duplicate policy
// applies to vector pairs only).
func graphOptions(opts *datasets.ReadOptions) *graphs.ReadOptions {
	if opts == nil {
		return nil
	}
	return &graphs.ReadOptions{SkipBadLines: opts.SkipBadLines}
}

// NewEncoder returns the built-in encoder that spec describes: an MLP or CNN (encoders.New) or a
// gnn (graphs.EncoderFromSpec). A custom encoder's spec is an error: its encoder comes from the
// caller (NewModelWith, Run.LoadModelWith).
func NewEncoder(spec encoders.Spec) (encoders.ItemEncoder, error) {
	switch spec.Kind {
	case encoders.KindGNN:
		return graphs.EncoderFromSpec(spec)
	case encoders.KindCustom:
		return nil, fmt.Errorf("encoder %s is the caller's own: pass it (train.NewModelWith, Run.LoadModelWith)", spec)
	}
	enc, err := encoders.New(spec)
	if err != nil {
		return nil, err
	}
	ie, ok := enc.(encoders.ItemEncoder)
	if !ok {
		return nil, fmt.Errorf("encoder %s does not implement encoders.ItemEncoder", spec)
	}
	return ie, nil
}

// ItemsEmbedder embeds items of any kind (feature vectors or objects). Model implements it; an
// Embedder that does not (a baseline on raw features) embeds feature vectors only (EmbedItems).
type ItemsEmbedder interface {
	EmbedItems(items *datasets.Items) (*mat.Dense, error)
}

// EmbedItems returns e's embeddings of items: e.EmbedItems when e is an ItemsEmbedder, else
// e.Embed of the items' features (an error for items that are not feature vectors).
func EmbedItems(e Embedder, items *datasets.Items) (*mat.Dense, error) {
	if ie, ok := e.(ItemsEmbedder); ok {
		return ie.EmbedItems(items)
	}
	if items.Objects != nil {
		return nil, fmt.Errorf("items %q are %ss: this embedder takes feature vectors", items.Name, items.Objects.Kind())
	}
	return e.Embed(items.Features)
}

// trainingGraphs returns the graphs the training uses: the training items', or, for a pairs file,
// those its training pairs join (nil for feature vectors). The vocabulary is theirs, so that labels
// seen only in validation or test map to the unknown row, as labels never seen do at inference.
func trainingGraphs(d *Data) (*graphs.Objects, error) {
	items, rows := d.Train, []int(nil)
	if d.TrainPairs != nil {
		items = d.TrainPairs.Items
		rows = pairRows(d.TrainPairs)
	}
	if items.Objects == nil {
		return nil, nil
	}
	o, err := graphs.GraphsOf(items)
	if err != nil {
		return nil, err
	}
	if rows != nil {
		o = o.Subset(rows).(*graphs.Objects)
	}
	return o, nil
}

// pairRows returns the items the pairs join, in order of first use.
func pairRows(p *datasets.Pairs) []int {
	seen := map[int]bool{}
	var rows []int
	for i := range p.Y {
		for _, j := range []int{p.A[i], p.B[i]} {
			if !seen[j] {
				seen[j] = true
				rows = append(rows, j)
			}
		}
	}
	return rows
}

// Kind returns the kind of the data's items ("vector", "graph").
func (d *Data) Kind() string {
	if d.TrainPairs != nil {
		return d.TrainPairs.Items.Kind()
	}
	return d.Train.Kind()
}

// ItemKindOf returns the kind of the items of cfg's data: "graph" when its items file, or else its
// pairs file, holds graphs (graphs.IsGraphsFile), else "vector" (built-in data sets, CSV, feature
// vectors). The command chooses the gnn encoder by it.
func ItemKindOf(cfg Config) (string, error) {
	for _, path := range []string{cfg.Items, cfg.Pairs} {
		if path == "" {
			continue
		}
		isGraphs, err := graphs.IsGraphsFile(path)
		if err != nil || isGraphs {
			return graphs.KindGraph, err
		}
		if cfg.Items != "" {
			break // pairs of an items file of vectors are vectors
		}
	}
	return datasets.KindVector, nil
}
