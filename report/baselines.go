package report

import (
	"errors"
	"fmt"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/graphs"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/text"
	"github.com/gometric/gometric/text/placenames"
)

// Baseline is a data set's own baseline, reported before the untrained encoder: a feature vector
// per item (the molecules' Morgan fingerprints), looked up by item id, or a sparse vector per text
// (place-names' character 3-gram TF-IDF), compared by cosine similarity.
type Baseline struct {
	// Name names the report's row ("Morgan fingerprint").
	Name string
	// Features are the baseline's vectors, by item id; nil for a TF-IDF baseline.
	Features *datasets.Items
	// TFIDF, when not nil, gives the baseline's sparse vectors of texts (EmbedSparse).
	TFIDF *text.TFIDF
	index map[string]int
}

// Names of the data sets' own baselines in reports.
const (
	// BaselineMorgan names the molecules' fingerprint baseline.
	BaselineMorgan = "Morgan fingerprint"
	// BaselineTFIDF names place-names' character 3-gram TF-IDF baseline.
	BaselineTFIDF = "character 3-gram TF-IDF"
)

// EmbedSparse implements eval.SparseEmbedder for a TF-IDF baseline: the TF-IDF vectors of the items'
// texts.
func (b *Baseline) EmbedSparse(items *datasets.Items) ([]text.Sparse, error) {
	if b.TFIDF == nil {
		return nil, errors.New(b.Name + ": not a sparse baseline")
	}
	o, err := text.TextsOf(items)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name, err)
	}
	return b.TFIDF.Transform(o.Texts), nil
}

// Sparse reports whether the baseline's vectors are sparse (EmbedSparse, not EmbedItems).
func (b *Baseline) Sparse() bool { return b.TFIDF != nil }

// NewTFIDFBaseline returns the character 3-gram TF-IDF baseline (BaselineTFIDF) fitted on the
// texts of train (text.FitTFIDF).
func NewTFIDFBaseline(train *datasets.Items) (*Baseline, error) {
	o, err := text.TextsOf(train)
	if err != nil {
		return nil, err
	}
	return &Baseline{Name: BaselineTFIDF, TFIDF: text.FitTFIDF(o.Texts, 3)}, nil
}

// Embed implements eval.Embedder; a Baseline embeds items by id (EmbedItems), not feature vectors.
func (b *Baseline) Embed(*mat.Dense) (*mat.Dense, error) {
	return nil, errors.New(b.Name + ": embeds items by id (EmbedItems)")
}

// EmbedItems implements eval.ItemsEmbedder: the baseline vectors of items, by id (an error for a sparse
// baseline: EmbedSparse).
func (b *Baseline) EmbedItems(items *datasets.Items) (*mat.Dense, error) {
	if b.TFIDF != nil {
		return nil, errors.New(b.Name + ": embeds texts as sparse vectors (EmbedSparse)")
	}
	if b.index == nil {
		b.index = b.Features.IndexByID()
	}
	rows := make([]int, items.Len())
	for i, id := range items.IDs {
		j, ok := b.index[id]
		if !ok {
			return nil, fmt.Errorf("%s: no vector for item %q", b.Name, id)
		}
		rows[i] = j
	}
	return b.Features.Features.Select(rows), nil
}

// Groups assign each test item to a group (its script, for place-names), for a report section of
// figures by group.
type Groups struct {
	// By names what the groups are ("script").
	By string
	// Names are the groups, in the report's order; Of[i] is the group of test item i.
	Names []string
	Of    []string
	// Pair names the group of a pair whose items are in groups a and b.
	Pair func(a, b string) string
}

// ScriptGroups groups text items by script (placenames.ScriptOf): "latin" and "other"; a pair is
// "latin" when both its names are, else "other" (transliteration), as placenames.Evaluate groups.
func ScriptGroups(items *datasets.Items) (*Groups, error) {
	o, err := text.TextsOf(items)
	if err != nil {
		return nil, err
	}
	g := &Groups{By: "script", Names: []string{placenames.GroupLatin, placenames.GroupOther}, Of: make([]string, len(o.Texts)),
		Pair: func(a, b string) string {
			if a == placenames.GroupLatin && b == placenames.GroupLatin {
				return placenames.GroupLatin
			}
			return placenames.GroupOther
		}}
	for i, s := range o.Texts {
		g.Of[i] = string(placenames.ScriptOf(s))
	}
	return g, nil
}

// Triplets are triplets of items (anchor, positive, negative), for the triplet accuracy of the
// graph-edit benchmark (graphs.TripletAccuracy), with the published figures to compare with.
type Triplets struct {
	// Items are the triplets' items.
	Items *datasets.Items
	// Anchor, Positive and Negative are item indices, one per triplet.
	Anchor, Positive, Negative []int
	// Benchmark names the benchmark; References are its published rows.
	Benchmark  string
	References []graphs.PaperRow
}

// Len returns the number of triplets.
func (t *Triplets) Len() int { return len(t.Anchor) }

// Accuracy returns the fraction of triplets whose anchor is more similar (cosine, under e) to the
// positive than to the negative (graphs.TripletAccuracy).
func (t *Triplets) Accuracy(e eval.Embedder) (float64, error) {
	n := t.Len()
	ones, zeros := make([]int, n), make([]int, n)
	for i := range ones {
		ones[i] = 1
	}
	pos, err := eval.PairScores(e, &datasets.Pairs{Items: t.Items, A: t.Anchor, B: t.Positive, Y: ones})
	if err != nil {
		return 0, err
	}
	neg, err := eval.PairScores(e, &datasets.Pairs{Items: t.Items, A: t.Anchor, B: t.Negative, Y: zeros})
	if err != nil {
		return 0, err
	}
	return graphs.TripletAccuracy(pos, neg)
}
