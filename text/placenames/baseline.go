package placenames

import (
	"fmt"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/text"
)

// Groups of test names that Figures are measured on.
const (
	// GroupAll is every test name.
	GroupAll = "all"
	// GroupLatin: queries written in Latin letters; pairs with both sides Latin.
	GroupLatin = "latin"
	// GroupOther: queries written in another script; pairs with at least one side in another
	// script (transliteration).
	GroupOther = "other"
)

// Figures are the scores of one group of test names.
type Figures struct {
	// Group is GroupAll, GroupLatin or GroupOther.
	Group string
	// Queries is the number of query names; Lone of them have no other name of their entity
	// among the test names, and are left out of the retrieval metrics.
	Queries, Lone int
	// MAPAtR and PrecisionAt1 are eval's retrieval metrics of the queries against every test name
	// (the query itself left out).
	MAPAtR, PrecisionAt1 float64
	// Pairs and Positives count the group's test pairs; ROCAUC is the verification score on them.
	Pairs, Positives int
	// ROCAUC is the area under the ROC curve of the pairs' similarities.
	ROCAUC float64
}

// String formats the figures as a table row.
func (f Figures) String() string {
	return fmt.Sprintf("%-6s %5d queries (%d lone)  MAP@R %.4f  P@1 %.4f  %5d pairs (%d positive)  ROC-AUC %.4f",
		f.Group, f.Queries, f.Lone, f.MAPAtR, f.PrecisionAt1, f.Pairs, f.Positives, f.ROCAUC)
}

// TestPairs returns the verification pairs of the test names: n pairs drawn by
// datasets.SamplePairs from items (Data.Items) restricted to test, half positive (two names of
// one entity) and half negative, with the given seed. The pairs index items.
func TestPairs(items *datasets.Items, test []int, n int, seed uint64) (*datasets.Pairs, error) {
	sub := items.Subset(test)
	p, err := datasets.SamplePairs(sub, n, 0.5, seed)
	if err != nil {
		return nil, err
	}
	for i := range p.Y {
		p.A[i], p.B[i] = test[p.A[i]], test[p.B[i]]
	}
	p.Items = items
	return p, p.Validate()
}

// Evaluate measures the cosine similarities of sparse vectors of the names (vecs[i] is the
// L2-normalised vector of d.Names[i], for example text.TFIDF's) on the test names, overall and by
// script: retrieval of each test name among all the other test names (MAP@R and precision at 1,
// eval.RetrievalFromNeighbors with the query left out) and verification of the pairs (ROC-AUC).
// For GroupLatin and GroupOther the queries are the group's test names (the reference set is
// still every test name) and the pairs those of the group (see GroupLatin, GroupOther).
func Evaluate(d *Data, test []int, pairs *datasets.Pairs, vecs []text.Sparse) ([]Figures, error) {
	labels := make([]int, len(d.Names))
	index := map[string]int{}
	for i, n := range d.Names {
		l, ok := index[n.Entity]
		if !ok {
			l = len(index)
			index[n.Entity] = l
		}
		labels[i] = l
	}
	var out []Figures
	for _, group := range []string{GroupAll, GroupLatin, GroupOther} {
		in := func(i int) bool { return group == GroupAll || string(d.Names[i].Script) == group }
		// Queries of the group first, then the other test names: RefIncludesQuery.
		var order []int
		for _, i := range test {
			if in(i) {
				order = append(order, i)
			}
		}
		nq := len(order)
		for _, i := range test {
			if !in(i) {
				order = append(order, i)
			}
		}
		ref := make([]text.Sparse, len(order))
		refLabels := make([]int, len(order))
		for k, i := range order {
			ref[k], refLabels[k] = vecs[i], labels[i]
		}
		maxBin := map[int]int{}
		K := 1
		for _, l := range refLabels {
			maxBin[l]++
			K = max(K, maxBin[l]-1)
		}
		nn, err := text.CosineNeighbors(ref[:nq], ref, K, true)
		if err != nil {
			return nil, err
		}
		r, err := eval.RetrievalFromNeighbors(refLabels[:nq], refLabels, nn, eval.RetrievalOptions{RefIncludesQuery: true})
		if err != nil {
			return nil, err
		}
		f := Figures{Group: group, Queries: r.Queries, Lone: r.LoneQueries, MAPAtR: r.MAPAtR, PrecisionAt1: r.PrecisionAt1}
		var scores []float64
		var ys []int
		for i := range pairs.Y {
			a, b := pairs.A[i], pairs.B[i]
			latin := d.Names[a].Script == ScriptLatin && d.Names[b].Script == ScriptLatin
			if group == GroupLatin && !latin || group == GroupOther && latin {
				continue
			}
			scores = append(scores, text.Cosine(vecs[a], vecs[b]))
			ys = append(ys, pairs.Y[i])
			f.Positives += pairs.Y[i]
		}
		f.Pairs = len(ys)
		if f.ROCAUC, err = eval.ROCAUC(eval.Similarities(scores, ys)); err != nil {
			return nil, fmt.Errorf("group %s: %w", group, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// TFIDFBaseline returns the figures of the character 3-gram TF-IDF cosine baseline
// (text.FitTFIDF, fitted on the training names) on the test names and pairs.
func TFIDFBaseline(d *Data, train, test []int, pairs *datasets.Pairs) ([]Figures, error) {
	texts := make([]string, len(d.Names))
	for i, n := range d.Names {
		texts[i] = n.Text
	}
	fit := make([]string, len(train))
	for k, i := range train {
		fit[k] = texts[i]
	}
	m := text.FitTFIDF(fit, 3)
	return Evaluate(d, test, pairs, m.Transform(texts))
}
