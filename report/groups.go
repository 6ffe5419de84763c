package report

import (
	"fmt"
	"math"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/text"
)

// GroupSection holds each row's figures on groups of the test items (place-names: the names'
// scripts, Latin and other), the report's section after the overall tables.
type GroupSection struct {
	// By names what the groups are ("script").
	By string `json:"by"`
	// Groups are the groups, in order.
	Groups []string `json:"groups"`
	// Rows hold one row's figures on one group each: the report's rows in order, each with every
	// group.
	Rows []GroupRow `json:"rows"`
}

// GroupRow is one model's figures on one group of test items: retrieval with the group's items as
// queries (every test item is still a reference item), verification on the group's test pairs
// (Groups.Pair), accuracy at the row's threshold.
type GroupRow struct {
	Name  string `json:"name"`
	Group string `json:"group"`
	// Queries is the number of the group's test items.
	Queries      int     `json:"queries"`
	MAPAtR       float64 `json:"mean_average_precision_at_r"`
	PrecisionAt1 float64 `json:"precision_at_1"`
	// Pairs is the number of the group's test pairs.
	Pairs    int     `json:"pairs"`
	ROCAUC   float64 `json:"roc_auc"`
	Accuracy float64 `json:"accuracy"`
}

// embedded are the embeddings of a set of items: dense (L2-normalised rows) or sparse (a
// eval.SparseEmbedder's).
type embedded struct {
	dense  *mat.Dense
	sparse []text.Sparse
}

// embedAll embeds items under e, dense rows L2-normalised.
func embedAll(e eval.Embedder, items *datasets.Items) (*embedded, error) {
	if se, ok := eval.AsSparse(e); ok {
		v, err := se.EmbedSparse(items)
		return &embedded{sparse: v}, err
	}
	emb, err := eval.EmbedItems(e, items)
	if err != nil {
		return nil, err
	}
	out := mat.New(emb.Rows, emb.Cols)
	copy(out.Data, emb.Data)
	for i := range out.Rows {
		row := out.Row(i)
		var n float64
		for _, v := range row {
			n += float64(v) * float64(v)
		}
		if n > 0 {
			s := float32(1 / math.Sqrt(n))
			for j := range row {
				row[j] *= s
			}
		}
	}
	return &embedded{dense: out}, nil
}

// cosine returns the cosine similarity of items a and b.
func (x *embedded) cosine(a, b int) float64 {
	if x.sparse != nil {
		return text.Cosine(x.sparse[a], x.sparse[b])
	}
	var s float64
	ra, rb := x.dense.Row(a), x.dense.Row(b)
	for i := range ra {
		s += float64(ra[i]) * float64(rb[i])
	}
	return s
}

// retrieval measures retrieval (PML AccuracyCalculator, cosine) with items queries (nil: every
// item) as queries and every item as the reference set, the query itself left out.
func (x *embedded) retrieval(labels []int, queries []int) (*eval.RetrievalResult, error) {
	opt := eval.RetrievalOptions{RefIncludesQuery: true}
	n := len(labels)
	if queries == nil && x.dense != nil {
		return eval.Retrieval(x.dense, labels, nil, nil, opt)
	}
	// The queries first, then the other items: the queries are the first reference rows.
	order := queries
	if order == nil {
		order = make([]int, n)
		for i := range order {
			order[i] = i
		}
	} else {
		in := make([]bool, n)
		for _, i := range queries {
			in[i] = true
		}
		order = append([]int(nil), queries...)
		for i := range n {
			if !in[i] {
				order = append(order, i)
			}
		}
	}
	nq := len(queries)
	if queries == nil {
		nq = n
	}
	refLabels := make([]int, n)
	for k, i := range order {
		refLabels[k] = labels[i]
	}
	if x.dense != nil {
		ref := x.dense.Select(order)
		q := mat.New(nq, ref.Cols)
		copy(q.Data, ref.Data[:nq*ref.Cols])
		return eval.Retrieval(q, refLabels[:nq], ref, refLabels, opt)
	}
	ref := make([]text.Sparse, n)
	count := map[int]int{}
	k := 1
	for j, i := range order {
		ref[j] = x.sparse[i]
		count[labels[i]]++
		k = max(k, count[labels[i]]-1)
	}
	nn, err := text.CosineNeighbors(ref[:nq], ref, k, true)
	if err != nil {
		return nil, err
	}
	return eval.RetrievalFromNeighbors(refLabels[:nq], refLabels, nn, opt)
}

// groupRows measures the row called name on each group of the test items: x embeds set.Items,
// threshold is the row's (NaN: no accuracy).
func groupRows(name string, x *embedded, set Set, threshold float64) ([]GroupRow, error) {
	g := set.Groups
	if len(g.Of) != set.Items.Len() {
		return nil, fmt.Errorf("%s: %d groups for %d test items", name, len(g.Of), set.Items.Len())
	}
	if set.Pairs != nil && set.Pairs.Items != set.Items {
		return nil, fmt.Errorf("%s: the test pairs are not pairs of the test items", name)
	}
	var out []GroupRow
	for _, group := range g.Names {
		row := GroupRow{Name: name, Group: group, MAPAtR: math.NaN(), PrecisionAt1: math.NaN(), ROCAUC: math.NaN(), Accuracy: math.NaN()}
		var queries []int
		for i, gi := range g.Of {
			if gi == group {
				queries = append(queries, i)
			}
		}
		row.Queries = len(queries)
		if len(queries) > 0 {
			r, err := x.retrieval(set.Items.Labels, queries)
			if err != nil {
				return nil, fmt.Errorf("%s, %s %s: retrieval: %w", name, g.By, group, err)
			}
			row.MAPAtR, row.PrecisionAt1 = r.MAPAtR, r.PrecisionAt1
		}
		if p := set.Pairs; p != nil {
			var scores []float64
			var ys []int
			pos := 0
			for i := range p.Y {
				if g.Pair(g.Of[p.A[i]], g.Of[p.B[i]]) != group {
					continue
				}
				scores, ys = append(scores, x.cosine(p.A[i], p.B[i])), append(ys, p.Y[i])
				pos += p.Y[i]
			}
			row.Pairs = len(ys)
			sp := eval.Similarities(scores, ys)
			if pos > 0 && pos < len(ys) {
				auc, err := eval.ROCAUC(sp)
				if err != nil {
					return nil, fmt.Errorf("%s, %s %s: %w", name, g.By, group, err)
				}
				row.ROCAUC = auc
			}
			if len(ys) > 0 && !math.IsNaN(threshold) {
				v, err := eval.VerifyAt(sp, eval.SimilarityThreshold(threshold))
				if err != nil {
					return nil, fmt.Errorf("%s, %s %s: %w", name, g.By, group, err)
				}
				row.Accuracy = v.Accuracy
			}
		}
		out = append(out, row)
	}
	return out, nil
}
