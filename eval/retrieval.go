package eval

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

// Special values of RetrievalOptions.K.
const (
	// KMaxBinCount retrieves, for every query, as many neighbours as the largest number of
	// reference items sharing a query's label (minus the query itself when the reference includes
	// the queries): PML's k="max_bin_count", the smallest k for which R-precision and MAP@R are
	// exact. It is the zero value and the default.
	KMaxBinCount = 0
	// KAll retrieves every reference item (minus the query itself): PML's k=None.
	KAll = -1
)

// RetrievalOptions configure Retrieval. The zero value is PML's AccuracyCalculator with
// k="max_bin_count", cosine similarity, separate query and reference sets, and no clustering.
//
// Defaults that differ from PML 2.8.1's AccuracyCalculator() (PMLRetrievalOptions returns PML's):
//
//   - K: the zero value is KMaxBinCount (PML's k="max_bin_count"); PML's default k=None is KAll,
//     every reference item. precision_at_1, r_precision and mean_average_precision_at_r are the
//     same either way (K >= every query's R); mean_average_precision and mean_reciprocal_rank are
//     computed over the first K neighbours, so they differ.
//   - Distance: the zero value is cosine similarity; PML's default knn_func, FaissKNN with
//     faiss.IndexFlatL2, ranks by the L2 distance of the raw embeddings (knn.Euclidean()).
//   - Clustering: off by default; PML's default include=() computes every metric, NMI and AMI
//     included (with FaissKMeans(niter=20), KMeansOptions' zero value here).
//
// Reason kept: gometric's training validation (train.Fit), report's evaluation and the place-names
// baseline pass RetrievalOptions{RefIncludesQuery: true} and rely on these defaults; their
// published numbers are max-bin-count, cosine metrics.
//
// PML's other options: avg_of_avgs and return_per_class are AvgOfAvgs and PerClass (both false by
// default, as in PML; PML rejects both together, here both apply); include and exclude have no
// counterpart (the five kNN metrics are always computed, NMI and AMI with Clustering);
// label_comparison_fn is integer equality only (PML's default); device does not apply.
type RetrievalOptions struct {
	// Distance ranks the reference items; the zero value is cosine similarity.
	Distance knn.Distance
	// K is the number of neighbours the PML metrics see: KMaxBinCount (default), KAll, or a count
	// >= 1 (capped at the number of reference items). R-precision and MAP@R are exact only when K
	// is at least the number of relevant items of every query.
	K int
	// RefIncludesQuery says that the queries are the first rows of the reference set (PML's
	// ref_includes_query): each query is left out of its own neighbours and of its own count of
	// relevant items.
	RefIncludesQuery bool
	// AvgOfAvgs averages each metric per query label first, then over labels (PML's avg_of_avgs).
	AvgOfAvgs bool
	// PerClass also reports every metric per query label (PML's return_per_class).
	PerClass bool
	// RecallAt lists the k of Recall@k (CMC@k): the fraction of queries with at least one relevant
	// item among their k nearest neighbours.
	RecallAt []int
	// PrecisionAt lists the k of Precision@k: the fraction of relevant items among the k nearest
	// neighbours.
	PrecisionAt []int
	// Clustering also computes NMI and AMI between the query labels and a k-means clustering of
	// the query embeddings into as many clusters as there are distinct query labels.
	Clustering bool
	// KMeans configures that clustering; its zero value is KMeansOptions' defaults.
	KMeans KMeansOptions
	// BlockSize and Workers are passed to knn.Search.
	BlockSize, Workers int
}

// PMLRetrievalOptions returns the options equal to PML 2.8.1's AccuracyCalculator() defaults: K =
// KAll (k=None: every reference item), Distance = knn.Euclidean() (FaissKNN's IndexFlatL2 ranks by
// the L2 distance of the raw embeddings; faiss reports it squared, which ranks the same), and
// Clustering on (include=() computes NMI and AMI too, with k-means of 20 iterations). AvgOfAvgs and
// PerClass are false, as in PML. Set RefIncludesQuery as get_accuracy's ref_includes_query.
func PMLRetrievalOptions() RetrievalOptions {
	return RetrievalOptions{K: KAll, Distance: knn.Euclidean(), Clustering: true}
}

// Metric names, the keys of RetrievalResult.Map; Recall@k and Precision@k are "recall_at_<k>" and
// "precision_at_<k>".
const (
	PrecisionAt1Key = "precision_at_1"
	RPrecisionKey   = "r_precision"
	MAPAtRKey       = "mean_average_precision_at_r"
	MAPKey          = "mean_average_precision"
	MRRKey          = "mean_reciprocal_rank"
	NMIKey          = "NMI"
	AMIKey          = "AMI"
)

// RetrievalScores are the retrieval metrics of a set of queries, each the mean over the queries
// that have at least one relevant reference item (or the mean of per-label means, with
// AvgOfAvgs). For query q with R relevant reference items (same label, not q itself) and
// neighbours ranked 1..K, rel(i) says whether neighbour i is relevant and P@i is the fraction of
// relevant items among the first i:
type RetrievalScores struct {
	// PrecisionAt1 is rel(1).
	PrecisionAt1 float64
	// RPrecision is Σ_{i<=m} rel(i) / m with m = min(R, K).
	RPrecision float64
	// MAPAtR is Σ_{i<=m} rel(i)·P@i / R with m = min(R, K).
	MAPAtR float64
	// MAP is Σ_{i<=K} rel(i)·P@i / R.
	MAP float64
	// MRR is 1/i for the first relevant neighbour i <= K, or 0.
	MRR float64
	// RecallAt maps each k of RetrievalOptions.RecallAt to the fraction of queries with a relevant
	// item among their first k neighbours.
	RecallAt map[int]float64
	// PrecisionAt maps each k of RetrievalOptions.PrecisionAt to Σ_{i<=k} rel(i) / k.
	PrecisionAt map[int]float64
}

// ClassRetrieval are the scores of the queries of one label.
type ClassRetrieval struct {
	// Label is the query label.
	Label int
	// Queries is the number of queries with that label.
	Queries int
	// RetrievalScores are their mean scores.
	RetrievalScores
}

// RetrievalResult is what Retrieval measures.
type RetrievalResult struct {
	// RetrievalScores are the means over the queries (or over labels, with AvgOfAvgs). When every
	// query is lone they are NaN, as are all entries of RecallAt and PrecisionAt.
	RetrievalScores
	// NMI and AMI compare the k-means clusters of the queries with their labels; NaN unless
	// RetrievalOptions.Clustering.
	NMI, AMI float64
	// K is the number of neighbours the PML metrics saw.
	K int
	// Queries is the number of queries; LoneQueries of them had no relevant reference item and
	// were left out of every retrieval metric (PML's "lone" queries).
	Queries, LoneQueries int
	// PerClass holds the scores per query label, by increasing label, when
	// RetrievalOptions.PerClass is set (lone labels are absent).
	PerClass []ClassRetrieval
}

// Map returns the metrics under PML's names (PrecisionAt1Key, ...; "recall_at_<k>",
// "precision_at_<k>"), NMI and AMI only when they were computed.
func (r *RetrievalResult) Map() map[string]float64 {
	m := r.RetrievalScores.mapped()
	if !math.IsNaN(r.NMI) || !math.IsNaN(r.AMI) {
		m[NMIKey], m[AMIKey] = r.NMI, r.AMI
	}
	return m
}

// mapped returns the scores under their names.
func (s *RetrievalScores) mapped() map[string]float64 {
	m := map[string]float64{
		PrecisionAt1Key: s.PrecisionAt1, RPrecisionKey: s.RPrecision, MAPAtRKey: s.MAPAtR,
		MAPKey: s.MAP, MRRKey: s.MRR,
	}
	for k, v := range s.RecallAt {
		m["recall_at_"+strconv.Itoa(k)] = v
	}
	for k, v := range s.PrecisionAt {
		m["precision_at_"+strconv.Itoa(k)] = v
	}
	return m
}

// Retrieval measures how well the nearest neighbours of each query in the reference set share its
// label, with the semantics of PyTorch Metric Learning's AccuracyCalculator.get_accuracy(query,
// query_labels, reference, reference_labels, ref_includes_query), plus Recall@k and Precision@k.
//
// reference may be nil when RefIncludesQuery is set: the queries are then their own reference
// set. Otherwise, with RefIncludesQuery the first Rows(query) reference rows and labels must be
// the queries and their labels.
//
// Labels are compared as integers (PML casts them to float32, so that labels above 2^24 collide).
// Queries whose label has no other item in the reference set are "lone": they are left out of the
// retrieval metrics and counted in LoneQueries; when every query is lone the metrics are NaN
// (PML logs a warning).
func Retrieval(query *mat.Dense, queryLabels []int, reference *mat.Dense, referenceLabels []int, opt RetrievalOptions) (*RetrievalResult, error) {
	if query == nil {
		return nil, errors.New("eval: query embeddings are nil")
	}
	if err := opt.Distance.Validate(); err != nil {
		return nil, err
	}
	if reference == nil {
		if !opt.RefIncludesQuery {
			return nil, errors.New("eval: reference embeddings are nil (nil means the queries only with RefIncludesQuery)")
		}
		if referenceLabels != nil && !slices.Equal(referenceLabels, queryLabels) {
			return nil, errors.New("eval: reference is nil (the queries) but referenceLabels differ from queryLabels")
		}
		reference, referenceLabels = query, queryLabels
	}
	if err := query.Validate(); err != nil {
		return nil, fmt.Errorf("eval: query: %w", err)
	}
	if err := reference.Validate(); err != nil {
		return nil, fmt.Errorf("eval: reference: %w", err)
	}
	if len(queryLabels) != query.Rows {
		return nil, fmt.Errorf("eval: %d query embeddings but %d query labels", query.Rows, len(queryLabels))
	}
	if len(referenceLabels) != reference.Rows {
		return nil, fmt.Errorf("eval: %d reference embeddings but %d reference labels", reference.Rows, len(referenceLabels))
	}
	if query.Rows == 0 {
		return nil, errors.New("eval: no queries")
	}
	if opt.RefIncludesQuery && reference != query {
		if reference.Rows < query.Rows || reference.Cols != query.Cols {
			return nil, fmt.Errorf("eval: RefIncludesQuery needs the %dx%d queries as the first rows of the reference set, which is %dx%d", query.Rows, query.Cols, reference.Rows, reference.Cols)
		}
		if !slices.Equal(reference.Data[:len(query.Data)], query.Data) || !slices.Equal(referenceLabels[:len(queryLabels)], queryLabels) {
			return nil, errors.New("eval: RefIncludesQuery needs the queries and their labels as the first rows of the reference set, and they differ")
		}
	}

	plan, err := planRetrieval(queryLabels, referenceLabels, opt)
	if err != nil {
		return nil, err
	}
	var nn *knn.Result
	if plan.search > 0 {
		nn, err = knn.Search(query, reference, knn.Options{
			Distance: opt.Distance, K: plan.search, ExcludeSelf: opt.RefIncludesQuery,
			BlockSize: opt.BlockSize, Workers: opt.Workers,
		})
		if err != nil {
			return nil, err
		}
	}
	res := plan.score(queryLabels, referenceLabels, nn, opt)
	res.NMI, res.AMI = math.NaN(), math.NaN()
	if opt.Clustering {
		clusters, err := KMeans(query, distinct(queryLabels), opt.KMeans)
		if err != nil {
			return nil, err
		}
		if res.NMI, err = NMI(queryLabels, clusters); err != nil {
			return nil, err
		}
		if res.AMI, err = AMI(queryLabels, clusters); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// RetrievalFromNeighbors computes the retrieval metrics from neighbours already found (for
// example by knn.Search with ExcludeSelf when refIncludesQuery): nn.Row(i) are the reference rows
// nearest to query i, best first. nn must hold at least as many neighbours as opt.K, RecallAt and
// PrecisionAt need (or every reference item). opt.Distance, Clustering, BlockSize and Workers are
// not used.
func RetrievalFromNeighbors(queryLabels, referenceLabels []int, nn *knn.Result, opt RetrievalOptions) (*RetrievalResult, error) {
	if nn == nil {
		return nil, errors.New("eval: neighbours are nil")
	}
	if nn.Queries() != len(queryLabels) {
		return nil, fmt.Errorf("eval: neighbours of %d queries for %d query labels", nn.Queries(), len(queryLabels))
	}
	if len(queryLabels) == 0 {
		return nil, errors.New("eval: no queries")
	}
	if opt.RefIncludesQuery && len(referenceLabels) < len(queryLabels) {
		return nil, fmt.Errorf("eval: RefIncludesQuery with %d queries but only %d reference labels", len(queryLabels), len(referenceLabels))
	}
	for _, j := range nn.Indices {
		if j < 0 || j >= len(referenceLabels) {
			return nil, fmt.Errorf("eval: neighbour index %d outside the %d reference labels", j, len(referenceLabels))
		}
	}
	plan, err := planRetrieval(queryLabels, referenceLabels, opt)
	if err != nil {
		return nil, err
	}
	if plan.search > nn.K {
		return nil, fmt.Errorf("eval: the metrics need %d neighbours per query, the neighbours hold %d", plan.search, nn.K)
	}
	res := plan.score(queryLabels, referenceLabels, nn, opt)
	res.NMI, res.AMI = math.NaN(), math.NaN()
	return res, nil
}

// retrievalPlan is what the label counts decide before any neighbour is searched.
type retrievalPlan struct {
	counts map[int]int // reference items per label
	self   int         // 1 when each query is also in the reference set
	k      int         // neighbours the PML metrics see
	search int         // neighbours to retrieve (k, and enough for RecallAt/PrecisionAt); 0 if all lone
}

// planRetrieval counts labels and decides K.
func planRetrieval(queryLabels, referenceLabels []int, opt RetrievalOptions) (*retrievalPlan, error) {
	p := &retrievalPlan{counts: map[int]int{}}
	if opt.RefIncludesQuery {
		p.self = 1
	}
	for _, l := range referenceLabels {
		p.counts[l]++
	}
	available := len(referenceLabels) - p.self
	maxBin := 0
	for _, l := range queryLabels {
		maxBin = max(maxBin, p.counts[l])
	}
	relevantMax := maxBin - p.self // The most relevant items any query has.
	switch {
	case opt.K == KMaxBinCount:
		p.k = relevantMax
	case opt.K == KAll:
		p.k = available
	case opt.K > 0:
		p.k = min(opt.K, available)
	default:
		return nil, fmt.Errorf("eval: K must be KMaxBinCount (0), KAll (-1) or >= 1, got %d", opt.K)
	}
	p.search = p.k
	for _, list := range [][]int{opt.RecallAt, opt.PrecisionAt} {
		for _, k := range list {
			if k < 1 || k > available {
				return nil, fmt.Errorf("eval: Recall@k and Precision@k need 1 <= k <= %d (the reference items available per query), got %d", available, k)
			}
			p.search = max(p.search, k)
		}
	}
	if relevantMax <= 0 {
		p.search = 0 // Every query is lone: nothing to rank.
	}
	return p, nil
}

// score computes the metrics of every non-lone query and averages them.
func (p *retrievalPlan) score(queryLabels, referenceLabels []int, nn *knn.Result, opt RetrievalOptions) *RetrievalResult {
	res := &RetrievalResult{K: p.k, Queries: len(queryLabels)}
	perLabel := map[int]*accumulator{}
	var all accumulator
	rel := make([]bool, p.search)
	for q, label := range queryLabels {
		relevant := p.counts[label] - p.self
		if relevant <= 0 {
			res.LoneQueries++
			continue
		}
		idx, _ := nn.Row(q)
		for i := range rel {
			rel[i] = referenceLabels[idx[i]] == label
		}
		s := queryScores(rel, p.k, relevant, opt)
		all.add(s)
		acc := perLabel[label]
		if acc == nil {
			acc = &accumulator{}
			perLabel[label] = acc
		}
		acc.add(s)
	}
	labels := make([]int, 0, len(perLabel))
	for l := range perLabel {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	var classes accumulator
	for _, l := range labels {
		mean := perLabel[l].mean(opt)
		classes.add(mean)
		if opt.PerClass {
			res.PerClass = append(res.PerClass, ClassRetrieval{Label: l, Queries: perLabel[l].n, RetrievalScores: mean})
		}
	}
	if opt.AvgOfAvgs {
		res.RetrievalScores = classes.mean(opt)
	} else {
		res.RetrievalScores = all.mean(opt)
	}
	return res
}

// queryScores computes the metrics of one query from the relevance of its ranked neighbours.
func queryScores(rel []bool, k, relevant int, opt RetrievalOptions) RetrievalScores {
	var s RetrievalScores
	if rel[0] {
		s.PrecisionAt1 = 1
	}
	m := min(relevant, k)
	hits := 0
	sumPrecision := 0.0
	for i := 0; i < k; i++ {
		if !rel[i] {
			continue
		}
		hits++
		precision := float64(hits) / float64(i+1)
		sumPrecision += precision
		if i < m {
			s.RPrecision++
			s.MAPAtR += precision
		}
		if hits == 1 {
			s.MRR = 1 / float64(i+1)
		}
	}
	s.RPrecision /= float64(m)
	s.MAPAtR /= float64(relevant)
	s.MAP = sumPrecision / float64(relevant)
	if len(opt.RecallAt) > 0 {
		s.RecallAt = map[int]float64{}
		first := slices.Index(rel, true) // Ranks beyond p.search never matter: k <= p.search.
		for _, k := range opt.RecallAt {
			if first >= 0 && first < k {
				s.RecallAt[k] = 1
			} else {
				s.RecallAt[k] = 0
			}
		}
	}
	if len(opt.PrecisionAt) > 0 {
		s.PrecisionAt = map[int]float64{}
		for _, k := range opt.PrecisionAt {
			n := 0
			for _, r := range rel[:k] {
				if r {
					n++
				}
			}
			s.PrecisionAt[k] = float64(n) / float64(k)
		}
	}
	return s
}

// accumulator sums RetrievalScores.
type accumulator struct {
	n   int
	sum RetrievalScores
}

// add adds s.
func (a *accumulator) add(s RetrievalScores) {
	a.n++
	a.sum.PrecisionAt1 += s.PrecisionAt1
	a.sum.RPrecision += s.RPrecision
	a.sum.MAPAtR += s.MAPAtR
	a.sum.MAP += s.MAP
	a.sum.MRR += s.MRR
	for k, v := range s.RecallAt {
		if a.sum.RecallAt == nil {
			a.sum.RecallAt = map[int]float64{}
		}
		a.sum.RecallAt[k] += v
	}
	for k, v := range s.PrecisionAt {
		if a.sum.PrecisionAt == nil {
			a.sum.PrecisionAt = map[int]float64{}
		}
		a.sum.PrecisionAt[k] += v
	}
}

// mean returns the mean of the added scores; NaN everywhere when none was added.
func (a *accumulator) mean(opt RetrievalOptions) RetrievalScores {
	n := float64(a.n)
	if a.n == 0 {
		n = math.NaN()
	}
	m := RetrievalScores{
		PrecisionAt1: a.sum.PrecisionAt1 / n, RPrecision: a.sum.RPrecision / n,
		MAPAtR: a.sum.MAPAtR / n, MAP: a.sum.MAP / n, MRR: a.sum.MRR / n,
	}
	if len(opt.RecallAt) > 0 {
		m.RecallAt = map[int]float64{}
		for _, k := range opt.RecallAt {
			m.RecallAt[k] = a.sum.RecallAt[k] / n
		}
	}
	if len(opt.PrecisionAt) > 0 {
		m.PrecisionAt = map[int]float64{}
		for _, k := range opt.PrecisionAt {
			m.PrecisionAt[k] = a.sum.PrecisionAt[k] / n
		}
	}
	return m
}

// distinct counts the distinct values of labels.
func distinct(labels []int) int {
	seen := map[int]bool{}
	for _, l := range labels {
		seen[l] = true
	}
	return len(seen)
}
