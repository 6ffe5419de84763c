package eval

import (
	"fmt"
	"math"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/text"
)

// Embedder maps raw feature vectors (one per row) to embeddings (one per row): a trained model
// (train.Model), a baseline, or match.Identity for ready-made embeddings. It is the one embedder
// interface of gometric: packages train, report and match take it.
type Embedder interface {
	Embed(x *mat.Dense) (*mat.Dense, error)
}

// ItemsEmbedder embeds items of any kind (feature vectors or objects such as graphs and texts).
// train.Model implements it; an Embedder that does not (a baseline on raw features) embeds feature
// vectors only (EmbedItems).
type ItemsEmbedder interface {
	EmbedItems(items *datasets.Items) (*mat.Dense, error)
}

// SparseEmbedder embeds text items as L2-normalised sparse vectors (a TF-IDF baseline); PairScores
// and the reports compare them by cosine similarity without dense embeddings.
type SparseEmbedder interface {
	EmbedSparse(items *datasets.Items) ([]text.Sparse, error)
}

// AsSparse returns e as a SparseEmbedder when it embeds items as sparse vectors: it implements
// SparseEmbedder and, when it has a Sparse() bool method (a baseline that may be dense or sparse),
// that method says so.
func AsSparse(e Embedder) (SparseEmbedder, bool) {
	se, ok := e.(SparseEmbedder)
	if s, has := e.(interface{ Sparse() bool }); ok && has {
		ok = s.Sparse()
	}
	return se, ok
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

// PairScores returns the cosine similarity of each pair's two items under e: the one scoring of
// labeled pairs, shared by training (validation, threshold), the reports and `gometric match`.
// Embeddings are L2-normalised here, whatever e returns; the sparse vectors of a SparseEmbedder
// (AsSparse) are L2-normalised already. Each item that the pairs use is embedded once.
func PairScores(e Embedder, p *datasets.Pairs) ([]float64, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if se, ok := AsSparse(e); ok {
		vecs, err := se.EmbedSparse(p.Items)
		if err != nil {
			return nil, err
		}
		scores := make([]float64, p.Len())
		for i := range scores {
			scores[i] = text.Cosine(vecs[p.A[i]], vecs[p.B[i]])
		}
		return scores, nil
	}
	pos := map[int]int{}
	var rows []int
	for i := range p.Y {
		for _, j := range []int{p.A[i], p.B[i]} {
			if _, ok := pos[j]; !ok {
				pos[j] = len(rows)
				rows = append(rows, j)
			}
		}
	}
	emb, err := EmbedItems(e, p.Items.Subset(rows))
	if err != nil {
		return nil, err
	}
	if emb.Rows != len(rows) {
		return nil, fmt.Errorf("embedder returned %d embeddings for %d items", emb.Rows, len(rows))
	}
	norms := make([]float64, emb.Rows)
	for i := range norms {
		for _, v := range emb.Row(i) {
			norms[i] += float64(v) * float64(v)
		}
		norms[i] = math.Sqrt(norms[i])
	}
	scores := make([]float64, p.Len())
	for i := range p.Y {
		ia, ib := pos[p.A[i]], pos[p.B[i]]
		a, b := emb.Row(ia), emb.Row(ib)
		s := 0.0
		for k := range a {
			s += float64(a[k]) * float64(b[k])
		}
		if d := norms[ia] * norms[ib]; d > 0 {
			s /= d
		}
		scores[i] = s
	}
	return scores, nil
}

// ChoosePairThreshold returns the cosine-similarity threshold of e with the best accuracy on the
// labeled pairs p (the validation pairs), to be frozen (ChooseThreshold, MaxAccuracy). Without
// pairs the threshold is NaN: none.
func ChoosePairThreshold(e Embedder, p *datasets.Pairs) (Threshold, error) {
	if p == nil || p.Len() == 0 {
		return Threshold{Value: math.NaN()}, nil
	}
	scores, err := PairScores(e, p)
	if err != nil {
		return Threshold{}, err
	}
	return ChooseThreshold(Similarities(scores, p.Y), MaxAccuracy)
}

// ValidationMetric returns the validation metric of e that training tracks: the MAP@R of the
// class-labelled items (each queries the others, cosine similarity) when items is not nil, else the
// average precision of the labeled pairs (PairScores).
func ValidationMetric(e Embedder, items *datasets.Items, pairs *datasets.Pairs) (float64, error) {
	if items != nil {
		emb, err := EmbedItems(e, items)
		if err != nil {
			return 0, err
		}
		r, err := Retrieval(emb, items.Labels, nil, nil, RetrievalOptions{RefIncludesQuery: true})
		if err != nil {
			return 0, err
		}
		return r.MAPAtR, nil
	}
	scores, err := PairScores(e, pairs)
	if err != nil {
		return 0, err
	}
	return AveragePrecision(Similarities(scores, pairs.Y))
}
