package train

import (
	"fmt"
	"slices"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/text"
)

// Items of more than one kind: a datasets.Items holds feature vectors (Features) or, in Objects,
// graphs (package graphs) or texts (package text); an encoders.ItemEncoder turns a batch of item
// indices into its input tensors and embeds them. Everything here works on item indices, whatever
// the kind.

// ReadItemsFile reads an items file of any kind: a graphs file (JSON Lines whose first line is a
// graph, see graphs.ReadGraphs; the graphs become the items' Objects, graphs.ToItems), a texts file
// (a CSV file with a "text" column, or JSON Lines with a "text" key, text.IsTextFile; the texts
// become the items' Objects, text.ToItems) or feature vectors (CSV or JSON Lines,
// datasets.ReadItemsFile). Malformed lines are as the readers say.
func ReadItemsFile(path string, opts *datasets.ReadOptions) (*datasets.Items, []*datasets.LineError, error) {
	isGraphs, err := graphs.IsGraphsFile(path)
	if err != nil {
		return nil, nil, err
	}
	if !isGraphs {
		return readTextsOrVectors(path, opts)
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

// ReadPairsFile reads a labeled pairs file of any kind: pairs of graphs (by id from items, read
// by ReadItemsFile, or inline; graphs.ReadPairs) when items are graphs or, without items, when the
// file's first line has an inline graph; pairs of texts (by id, or inline texts; text.ReadPairs)
// when items are texts or, without items, when the file has inline texts (text.IsTextFile); else
// pairs of feature vectors (datasets.ReadPairsFile).
func ReadPairsFile(path string, items *datasets.Items, opts *datasets.ReadOptions) (*datasets.Pairs, []*datasets.LineError, error) {
	isText := items != nil && items.Kind() == text.KindText
	isGraphs := items != nil && items.Objects != nil && !isText
	if items == nil {
		var err error
		if isGraphs, err = graphs.IsGraphsFile(path); err != nil {
			return nil, nil, err
		}
		if !isGraphs {
			if isText, err = text.IsTextFile(path); err != nil {
				return nil, nil, err
			}
		}
	}
	if isText {
		return readTextPairs(path, items, opts)
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

// readTextsOrVectors reads an items file of texts (text.IsTextFile) or of feature vectors.
func readTextsOrVectors(path string, opts *datasets.ReadOptions) (*datasets.Items, []*datasets.LineError, error) {
	isText, err := text.IsTextFile(path)
	if err != nil {
		return nil, nil, err
	}
	if !isText {
		return datasets.ReadItemsFile(path, opts)
	}
	set, warnings, err := text.ReadTextsFile(path, textOptions(opts))
	if err != nil {
		return nil, nil, err
	}
	items, err := text.ToItems(set)
	if err != nil {
		return nil, nil, err
	}
	return items, warnings, nil
}

// readTextPairs reads a pairs file of texts, by id from items (texts, or nil) or inline.
func readTextPairs(path string, items *datasets.Items, opts *datasets.ReadOptions) (*datasets.Pairs, []*datasets.LineError, error) {
	var set *text.Set
	if items != nil {
		o, err := text.TextsOf(items)
		if err != nil {
			return nil, nil, err
		}
		set = &text.Set{Name: items.Name, IDs: items.IDs, Texts: o.Texts}
	}
	ps, warnings, err := text.ReadPairsFile(path, set, textOptions(opts))
	if err != nil {
		return nil, nil, err
	}
	p, err := text.ToPairs(ps, items)
	if err != nil {
		return nil, nil, err
	}
	return p, warnings, nil
}

// textOptions are the text readers' options for the datasets readers' (the format override and
// the bad-line policy; texts over text.DefaultMaxTextRunes characters are refused).
func textOptions(opts *datasets.ReadOptions) *text.ReadOptions {
	if opts == nil {
		return nil
	}
	return &text.ReadOptions{Format: opts.Format, SkipBadLines: opts.SkipBadLines}
}

// graphOptions are the graph readers' options for the datasets readers' (the duplicate policy
// applies to vector pairs only).
func graphOptions(opts *datasets.ReadOptions) *graphs.ReadOptions {
	if opts == nil {
		return nil
	}
	return &graphs.ReadOptions{SkipBadLines: opts.SkipBadLines}
}

// NewEncoder returns the built-in encoder that spec describes: an MLP or CNN (encoders.New), a
// gnn (graphs.EncoderFromSpec) or a text encoder (text.EncoderFromSpec). A custom encoder's spec is an error: its encoder comes from the
// caller (NewModelWith, LoadRunModelWith).
func NewEncoder(spec encoders.Spec) (encoders.ItemEncoder, error) {
	switch spec.Kind {
	case encoders.KindGNN:
		return graphs.EncoderFromSpec(spec)
	case encoders.KindText:
		return text.EncoderFromSpec(spec)
	case encoders.KindCustom:
		return nil, fmt.Errorf("encoder %s is the caller's own: pass it (train.NewModelWith, train.LoadRunModelWith)", spec)
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

// Kind returns the kind of the data's items ("vector", "graph", "text").
func (d *Data) Kind() string {
	if d.TrainPairs != nil {
		return d.TrainPairs.Items.Kind()
	}
	return d.Train.Kind()
}

// ItemKindOf returns the kind of the items of cfg's data: "graph" when its items file, or else its
// pairs file, holds graphs (graphs.IsGraphsFile), "text" when it holds texts (text.IsTextFile),
// else "vector" (built-in data sets, CSV, feature vectors). The command chooses the gnn encoder by
// it; Fit chooses the text encoder for texts (see Config.Encoder).
func ItemKindOf(cfg Config) (string, error) {
	for _, path := range []string{cfg.Items, cfg.Pairs} {
		if path == "" {
			continue
		}
		isGraphs, err := graphs.IsGraphsFile(path)
		if err != nil || isGraphs {
			return graphs.KindGraph, err
		}
		isText, err := text.IsTextFile(path)
		if err != nil || isText {
			return text.KindText, err
		}
		if cfg.Items != "" {
			break // pairs of an items file of vectors are vectors
		}
	}
	return datasets.KindVector, nil
}

// DefaultTextBuckets is the number of hash buckets (rows of the embedding table) of the text
// encoder that Fit builds for text items: 2^16, a 16 MiB float32 table (about 64 MiB with its
// gradient and Adam's two moments), a quarter of package text's default 2^18. The gradient of the
// table and Adam's update are dense, so a step costs in proportion to the buckets. A one-off
// measurement while this was chosen (generated strings, not reproducible from the repository) gave
// 2^14 buckets 96 ms, 2^16 200 ms, 2^17 324 ms, 2^18 483 ms per step of 64 pairs; on place names
// (docs/PERFORMANCE.md, "Text benchmark", with its commands) 2^18 gained about 0.01 MAP@R at 300
// steps for 2.3 times the memory.
const DefaultTextBuckets = 1 << 16

// TextEncoderFor returns the text encoder Fit builds for text items under cfg: package text's
// tokeniser and bag with cfg.TextBuckets buckets (0: DefaultTextBuckets), cfg's embedding
// dimension, bucket embedding width (cfg.TextDim) and pooling (cfg.TextPool) when given, and cfg's
// hidden widths when given (else the bag's default, one hidden layer of 256). Its Spec, saved with the
// run, holds the tokeniser's settings, so a later process tokenises as the training did.
func TextEncoderFor(cfg Config) *text.Encoder {
	buckets := cfg.TextBuckets
	if buckets == 0 {
		buckets = DefaultTextBuckets
	}
	enc := text.NewEncoder(cfg.EmbeddingDim)
	enc.Tokeniser.Buckets = buckets
	enc.Bag.Buckets = buckets
	if cfg.TextDim > 0 {
		enc.Bag.EmbedDim = cfg.TextDim
	}
	if cfg.TextPool != "" {
		enc.Bag.Pool = text.Pool(cfg.TextPool)
	}
	if len(cfg.Hidden) > 0 {
		enc.Bag.Hidden = slices.Clone(cfg.Hidden)
	}
	return enc
}
