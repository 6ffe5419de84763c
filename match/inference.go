package match

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

// Identity is the eval.Embedder that returns its inputs unchanged (copied): for data that already
// are embeddings, for tests, and as the raw-features baseline of package report (report.Raw).
type Identity struct{}

// Embed returns a copy of x.
func (Identity) Embed(x *mat.Dense) (*mat.Dense, error) {
	if x == nil {
		return nil, errors.New("match: input is nil")
	}
	return &mat.Dense{Rows: x.Rows, Cols: x.Cols, Data: append([]float32(nil), x.Data...)}, nil
}

// Neighbor is one index item returned for a query.
type Neighbor struct {
	// Item is the item's position in the index.
	Item int
	// ID is the item's ID ("" if it was added without one).
	ID string
	// Label is the item's label; HasLabel says whether the index has labels.
	Label    int
	HasLabel bool
	// Value is the item's similarity or distance to the query, under the MatchFinder's distance
	// (with its normalisation and power: never a squared L2 standing in for L2).
	Value float64
	// Match says whether Value passes the MatchFinder's threshold.
	Match bool
}

// InferenceModel couples an eval.Embedder, a MatchFinder and an Index: PML's InferenceModel. Add
// embeds items into the index; NearestNeighbors and Matches embed queries and look them up;
// IsMatch and MatchMatrix compare inputs directly. All comparisons use Finder.Distance.
// An InferenceModel is not safe for concurrent use while items are added.
type InferenceModel struct {
	// Embedder embeds inputs.
	Embedder eval.Embedder
	// Finder decides matches and supplies the distance.
	Finder MatchFinder
	// Index holds the embedded items.
	Index *Index
	// BlockSize and Workers are passed to knn.Search (0: its defaults).
	BlockSize, Workers int
}

// NewInferenceModel returns a model with an empty index. The finder's distance and threshold must
// be valid.
func NewInferenceModel(e eval.Embedder, f MatchFinder) (*InferenceModel, error) {
	if e == nil {
		return nil, errors.New("match: embedder is nil")
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	return &InferenceModel{Embedder: e, Finder: f, Index: &Index{}}, nil
}

// Embed runs the embedder and checks that it returned one finite row per input row.
func (m *InferenceModel) Embed(x *mat.Dense) (*mat.Dense, error) {
	if m.Embedder == nil {
		return nil, errors.New("match: the model has no embedder")
	}
	if x == nil {
		return nil, errors.New("match: input is nil")
	}
	e, err := m.Embedder.Embed(x)
	if err != nil {
		return nil, fmt.Errorf("match: embedding: %w", err)
	}
	if e == nil {
		return nil, errors.New("match: the embedder returned nil")
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("match: the embedder returned a malformed matrix: %w", err)
	}
	if e.Rows != x.Rows {
		return nil, fmt.Errorf("match: the embedder returned %d embeddings for %d inputs", e.Rows, x.Rows)
	}
	return e, nil
}

// Add embeds x and adds the embeddings to the index, with optional ids and labels (see Index.Add).
func (m *InferenceModel) Add(x *mat.Dense, ids []string, labels []int) error {
	e, err := m.Embed(x)
	if err != nil {
		return err
	}
	if m.Index == nil {
		m.Index = &Index{}
	}
	return m.Index.Add(e, ids, labels)
}

// queries embeds x and checks that the index can answer them.
func (m *InferenceModel) queries(x *mat.Dense) (*mat.Dense, error) {
	if err := m.Finder.validate(); err != nil {
		return nil, err
	}
	if m.Index == nil || m.Index.Len() == 0 {
		return nil, errors.New("match: the index is empty")
	}
	q, err := m.Embed(x)
	if err != nil {
		return nil, err
	}
	if q.Cols != m.Index.Dim() {
		return nil, fmt.Errorf("match: queries embed to dimension %d, the index holds dimension %d", q.Cols, m.Index.Dim())
	}
	return q, nil
}

// neighbor describes index item j at value v.
func (m *InferenceModel) neighbor(j int, v float64) Neighbor {
	label, has := m.Index.Label(j)
	return Neighbor{Item: j, ID: m.Index.ID(j), Label: label, HasLabel: has, Value: v, Match: m.Finder.Match(v)}
}

// NearestNeighbors embeds x and returns, for every row, its k nearest index items best first
// (fewer when the index is smaller), exactly (knn.Search). Each neighbour says whether it passes
// the finder's threshold: the k nearest are returned whatever the threshold (PML #429).
func (m *InferenceModel) NearestNeighbors(x *mat.Dense, k int) ([][]Neighbor, error) {
	q, err := m.queries(x)
	if err != nil {
		return nil, err
	}
	res, err := knn.Search(q, m.Index.Embeddings(), knn.Options{
		Distance: m.Finder.Distance, K: k, BlockSize: m.BlockSize, Workers: m.Workers,
	})
	if err != nil {
		return nil, err
	}
	out := make([][]Neighbor, q.Rows)
	for i := range out {
		idx, val := res.Row(i)
		out[i] = make([]Neighbor, len(idx))
		for n, j := range idx {
			out[i][n] = m.neighbor(j, val[n])
		}
	}
	return out, nil
}

// Matches embeds x and returns, for every row, all index items that match it under the finder's
// threshold, best first (ties by lower index).
func (m *InferenceModel) Matches(x *mat.Dense) ([][]Neighbor, error) {
	q, err := m.queries(x)
	if err != nil {
		return nil, err
	}
	ref := m.Index.Embeddings()
	out := make([][]Neighbor, q.Rows)
	d := m.Finder.Distance
	err = m.Finder.eachBlock(q, ref, func(q0 int, values []float64) {
		for i := 0; i < len(values)/ref.Rows; i++ {
			row := values[i*ref.Rows : (i+1)*ref.Rows]
			var hits []Neighbor
			for j, v := range row {
				if m.Finder.Match(v) {
					hits = append(hits, m.neighbor(j, v))
				}
			}
			sort.SliceStable(hits, func(a, b int) bool { return d.Closer(hits[a].Value, hits[b].Value) })
			out[q0+i] = hits
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// IsMatch embeds x and y (same number of rows) and says whether row i of one matches row i of the
// other.
func (m *InferenceModel) IsMatch(x, y *mat.Dense) ([]bool, error) {
	ex, err := m.Embed(x)
	if err != nil {
		return nil, err
	}
	ey, err := m.Embed(y)
	if err != nil {
		return nil, err
	}
	return m.Finder.IsMatch(ex, ey)
}

// MatchMatrix embeds query and reference (nil: the queries themselves) and returns their match
// matrix (PML's InferenceModel.get_matches).
func (m *InferenceModel) MatchMatrix(query, reference *mat.Dense) (*Matrix, error) {
	q, err := m.Embed(query)
	if err != nil {
		return nil, err
	}
	r := q
	if reference != nil {
		if r, err = m.Embed(reference); err != nil {
			return nil, err
		}
	}
	return m.Finder.Matches(q, r)
}

// SaveIndex saves the index to path atomically (see Index.Save).
func (m *InferenceModel) SaveIndex(path string) error {
	if m.Index == nil {
		return errors.New("match: the model has no index")
	}
	return m.Index.Save(path)
}

// LoadIndex replaces the index by the one saved at path. The model keeps its old index when
// loading fails.
func (m *InferenceModel) LoadIndex(path string) error {
	ix, err := LoadIndex(path)
	if err != nil {
		return err
	}
	m.Index = ix
	return nil
}
