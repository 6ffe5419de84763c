package text

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/gometric/gometric/knn"
)

// TFIDF is the character n-gram TF-IDF model of record linkage, the baseline of the text
// benchmarks: a text is the n-grams (default 3 characters) of its normalised form (Normalize)
// between StartMarker and EndMarker ("<köln>": "<kö", "köl", "öln", "ln>"), each weighted by
// its count times its inverse document frequency idf = ln((1+N)/(1+df)) + 1 over the N fitting
// texts (scikit-learn's smooth idf), the vector L2-normalised; texts compare by cosine
// similarity. N-grams not seen in fitting are ignored, as in scikit-learn's TfidfVectorizer.
type TFIDF struct {
	// N is the n-gram length.
	N int
	// vocab maps an n-gram to its column; idf holds each column's weight.
	vocab map[string]int32
	idf   []float64
}

// Sparse is a sparse vector: Values at the increasing column Indices.
type Sparse struct {
	Indices []int32
	Values  []float64
}

// FitTFIDF fits the n-gram vocabulary and document frequencies of texts (n <= 0: 3).
func FitTFIDF(texts []string, n int) *TFIDF {
	if n <= 0 {
		n = 3
	}
	m := &TFIDF{N: n, vocab: map[string]int32{}}
	var df []int
	for _, s := range texts {
		seen := map[int32]bool{}
		for _, g := range ngrams(s, n) {
			j, ok := m.vocab[g]
			if !ok {
				j = int32(len(df))
				m.vocab[g] = j
				df = append(df, 0)
			}
			if !seen[j] {
				seen[j] = true
				df[j]++
			}
		}
	}
	m.idf = make([]float64, len(df))
	for j, d := range df {
		m.idf[j] = math.Log(float64(1+len(texts))/float64(1+d)) + 1
	}
	return m
}

// Vocabulary returns the number of distinct n-grams fitted.
func (m *TFIDF) Vocabulary() int { return len(m.idf) }

// ngrams returns the character n-grams of the normalised, marked text (the whole marked text
// when it is shorter than n).
func ngrams(s string, n int) []string {
	r := append(append([]rune{StartMarker}, []rune(Normalize(s))...), EndMarker)
	if len(r) <= n {
		return []string{string(r)}
	}
	out := make([]string, 0, len(r)-n+1)
	for i := 0; i+n <= len(r); i++ {
		out = append(out, string(r[i:i+n]))
	}
	return out
}

// Transform returns the L2-normalised TF-IDF vectors of texts (a text with no fitted n-gram is
// the zero vector).
func (m *TFIDF) Transform(texts []string) []Sparse {
	out := make([]Sparse, len(texts))
	for i, s := range texts {
		counts := map[int32]float64{}
		for _, g := range ngrams(s, m.N) {
			if j, ok := m.vocab[g]; ok {
				counts[j]++
			}
		}
		v := Sparse{Indices: make([]int32, 0, len(counts))}
		for j := range counts {
			v.Indices = append(v.Indices, j)
		}
		slices.Sort(v.Indices)
		norm := 0.0
		v.Values = make([]float64, len(v.Indices))
		for k, j := range v.Indices {
			v.Values[k] = counts[j] * m.idf[j]
			norm += v.Values[k] * v.Values[k]
		}
		if norm > 0 {
			norm = math.Sqrt(norm)
			for k := range v.Values {
				v.Values[k] /= norm
			}
		}
		out[i] = v
	}
	return out
}

// Cosine returns the dot product of two sparse vectors: their cosine similarity when both are
// L2-normalised (Transform's).
func Cosine(a, b Sparse) float64 {
	s := 0.0
	i, j := 0, 0
	for i < len(a.Indices) && j < len(b.Indices) {
		switch {
		case a.Indices[i] < b.Indices[j]:
			i++
		case a.Indices[i] > b.Indices[j]:
			j++
		default:
			s += a.Values[i] * b.Values[j]
			i++
			j++
		}
	}
	return s
}

// CosineNeighbors returns, for each query, the k reference vectors of largest dot product
// (cosine for Transform's vectors), best first, ties by increasing reference index, as a
// knn.Result for eval.RetrievalFromNeighbors. With excludeSelf, query i is reference i and is
// left out of its own neighbours (the queries are the first rows of the reference set). k is
// capped at the number of candidates.
func CosineNeighbors(query, reference []Sparse, k int, excludeSelf bool) (*knn.Result, error) {
	if excludeSelf && len(reference) < len(query) {
		return nil, fmt.Errorf("text: excludeSelf with %d queries and %d reference vectors", len(query), len(reference))
	}
	cand := len(reference)
	if excludeSelf {
		cand--
	}
	k = min(k, cand)
	if k < 1 {
		return nil, fmt.Errorf("text: no neighbours to find (k %d, %d reference vectors)", k, len(reference))
	}
	// Inverted index of the reference vectors.
	postings := map[int32][]int32{}
	weights := map[int32][]float64{}
	for r, v := range reference {
		for n, j := range v.Indices {
			postings[j] = append(postings[j], int32(r))
			weights[j] = append(weights[j], v.Values[n])
		}
	}
	res := &knn.Result{K: k, Indices: make([]int, len(query)*k), Values: make([]float64, len(query)*k)}
	scores := make([]float64, len(reference))
	order := make([]int, len(reference))
	for q, v := range query {
		clear(scores)
		for n, j := range v.Indices {
			w := v.Values[n]
			for p, r := range postings[j] {
				scores[r] += w * weights[j][p]
			}
		}
		order = order[:0]
		for r := range reference {
			if !(excludeSelf && r == q) {
				order = append(order, r)
			}
		}
		better := func(a, b int) int {
			if c := cmp.Compare(scores[b], scores[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		}
		top := selectTop(order, k, better)
		for n, r := range top {
			res.Indices[q*k+n], res.Values[q*k+n] = r, scores[r]
		}
	}
	return res, nil
}

// selectTop returns the k first elements of xs in the order of less (partially reordering xs).
func selectTop(xs []int, k int, less func(a, b int) int) []int {
	// Quickselect the k best to the front, then sort them.
	lo, hi := 0, len(xs)-1
	for lo < hi {
		p := xs[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for less(xs[i], p) < 0 {
				i++
			}
			for less(xs[j], p) > 0 {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			lo = hi
		}
	}
	top := xs[:k]
	slices.SortFunc(top, less)
	return top
}
