package match

import (
	"fmt"
	"math"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

// MatchFinder decides whether two embeddings match: PML's MatchFinder. Two embeddings match when
// their value under Distance is >= Threshold for a similarity, or <= Threshold for a distance.
//
// Unlike PML, whose is_match uses pairwise_distance and so skips the distance's normalisation and
// power, every method here computes values through knn's single code path: IsMatch on rows i
// agrees exactly with Matches on the pair (i, i).
//
// Defaults, against PML 2.8.1's MatchFinder(distance, threshold=None): PML's distance has no
// default, here the zero Distance is cosine similarity. PML's threshold=None means no threshold:
// every get_matching_pairs or is_match call must then pass one, or it fails (torch cannot compare
// with None). Here Threshold is a plain float64 whose zero value is 0, a real threshold (with
// cosine: every pair with a non-negative cosine matches), never an error. Deliberate: Threshold is
// always set by gometric's callers (train.Model.Finder uses the threshold frozen at training), and
// an "unset" state would need a different field type there. Set Threshold explicitly;
// DefaultInferenceFinder is PML's InferenceModel default (cosine, 0.9).
type MatchFinder struct {
	// Distance compares embeddings; the zero value is cosine similarity.
	Distance knn.Distance
	// Threshold is the inclusive boundary of a match (a similarity or a distance, per Distance).
	Threshold float64
}

// DefaultInferenceFinder returns the MatchFinder PML's InferenceModel uses when given none:
// MatchFinder(distance=CosineSimilarity(), threshold=0.9).
func DefaultInferenceFinder() MatchFinder {
	return MatchFinder{Distance: knn.Cosine(), Threshold: 0.9}
}

// validate checks the distance and threshold.
func (f MatchFinder) validate() error {
	if err := f.Distance.Validate(); err != nil {
		return err
	}
	if math.IsNaN(f.Threshold) {
		return fmt.Errorf("match: threshold is NaN")
	}
	return nil
}

// Match applies the threshold to one value of Distance.
func (f MatchFinder) Match(value float64) bool {
	if f.Distance.IsSimilarity() {
		return value >= f.Threshold
	}
	return value <= f.Threshold
}

// IsMatch says, for every i, whether row i of x matches row i of y (PML's is_match). x and y must
// have the same shape.
func (f MatchFinder) IsMatch(x, y *mat.Dense) ([]bool, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	values, err := f.Distance.Rowwise(x, y)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(values))
	for i, v := range values {
		out[i] = f.Match(v)
	}
	return out, nil
}

// Matches returns the match matrix of every query row against every reference row (PML's
// get_matching_pairs). A nil reference means the queries themselves; as in PML, each query then
// matches itself whenever the threshold allows its own value. Values are computed a block of
// queries at a time, so memory beyond the result is O(block·Rows(reference)).
func (f MatchFinder) Matches(query, reference *mat.Dense) (*Matrix, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if reference == nil {
		reference = query
	}
	if query == nil {
		return nil, fmt.Errorf("match: query is nil")
	}
	if err := query.Validate(); err != nil {
		return nil, fmt.Errorf("match: query: %w", err)
	}
	m := &Matrix{Rows: query.Rows, Cols: reference.Rows, Data: make([]bool, query.Rows*reference.Rows)}
	err := f.eachBlock(query, reference, func(q0 int, values []float64) {
		for n, v := range values {
			m.Data[q0*reference.Rows+n] = f.Match(v)
		}
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// matchBlock is the number of query rows whose values are computed at once.
const matchBlock = 256

// eachBlock computes the values of blocks of query rows against every reference row and hands
// each block, row-major, to fn with the index of its first query.
func (f MatchFinder) eachBlock(query, reference *mat.Dense, fn func(q0 int, values []float64)) error {
	if query.Rows == 0 {
		_, err := f.Distance.Pairwise(query, reference) // Shape checks only.
		return err
	}
	for q0 := 0; q0 < query.Rows; q0 += matchBlock {
		q1 := min(q0+matchBlock, query.Rows)
		block := &mat.Dense{Rows: q1 - q0, Cols: query.Cols, Data: query.Data[q0*query.Cols : q1*query.Cols]}
		values, err := f.Distance.Pairwise(block, reference)
		if err != nil {
			return err
		}
		fn(q0, values)
	}
	return nil
}

// Matrix is a Rows x Cols boolean match matrix, row-major: Data[i*Cols+j] says whether query i
// matches reference j.
type Matrix struct {
	Rows, Cols int
	Data       []bool
}

// At says whether query i matches reference j.
func (m *Matrix) At(i, j int) bool { return m.Data[i*m.Cols+j] }

// Pairs lists the matching (query, reference) index pairs in row-major order (PML's
// return_tuples=True).
func (m *Matrix) Pairs() [][2]int {
	var out [][2]int
	for n, ok := range m.Data {
		if ok {
			out = append(out, [2]int{n / m.Cols, n % m.Cols})
		}
	}
	return out
}
