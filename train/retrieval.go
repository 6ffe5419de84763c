package train

import (
	"fmt"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

// retrievalMetrics are PML AccuracyCalculator's precision_at_1, r_precision and
// mean_average_precision_at_r for leave-one-out retrieval within one set of labelled embeddings
// (ref_includes_query), by cosine similarity.
type retrievalMetrics struct {
	PrecisionAt1, RPrecision, MAPAtR float64
}

// retrieval computes retrievalMetrics. Queries whose class has no other item are left out, as PML
// does; it is an error when every query is.
func retrieval(emb *mat.Dense, labels []int) (retrievalMetrics, error) {
	counts := map[int]int{}
	for _, l := range labels {
		counts[l]++
	}
	k := 0
	for _, c := range counts {
		k = max(k, c-1)
	}
	if k == 0 {
		return retrievalMetrics{}, fmt.Errorf("retrieval: no class has two items")
	}
	res, err := knn.Search(emb, emb, knn.Options{Distance: knn.Cosine(), K: k, ExcludeSelf: true})
	if err != nil {
		return retrievalMetrics{}, err
	}
	var m retrievalMetrics
	n := 0
	for q := range emb.Rows {
		r := counts[labels[q]] - 1
		if r == 0 {
			continue
		}
		n++
		idx, _ := res.Row(q)
		hits, ap := 0, 0.0
		for i := 0; i < r && i < len(idx); i++ {
			if labels[idx[i]] == labels[q] {
				hits++
				ap += float64(hits) / float64(i+1)
				if i == 0 {
					m.PrecisionAt1++
				}
			}
		}
		m.RPrecision += float64(hits) / float64(r)
		m.MAPAtR += ap / float64(r)
	}
	m.PrecisionAt1 /= float64(n)
	m.RPrecision /= float64(n)
	m.MAPAtR /= float64(n)
	return m, nil
}
