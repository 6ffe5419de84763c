package match

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

// badEmbedder returns a fixed answer, to test the model's checks.
type badEmbedder struct {
	out *mat.Dense
	err error
}

func (b badEmbedder) Embed(*mat.Dense) (*mat.Dense, error) { return b.out, b.err }

// scale is an Embedder that doubles its inputs: embeddings differ from inputs.
type scale struct{}

func (scale) Embed(x *mat.Dense) (*mat.Dense, error) {
	out := mat.New(x.Rows, x.Cols)
	for i, v := range x.Data {
		out.Data[i] = 2 * v
	}
	return out, nil
}

func TestInferenceModel(t *testing.T) {
	m, err := NewInferenceModel(scale{}, MatchFinder{Distance: knn.Euclidean(), Threshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	items := rows(t, [][]float32{{0, 0}, {1, 0}, {0, 3}, {5, 5}})
	if err := m.Add(items, []string{"origin", "east", "north", "far"}, []int{0, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	query := rows(t, [][]float32{{0.5, 0}, {0, 2}})
	nn, err := m.NearestNeighbors(query, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Embedded query (1, 0): distances 1 (origin), 1 (east), sqrt(37) (north); ties by index.
	want := []struct {
		id    string
		value float64
		match bool
	}{{"origin", 1, true}, {"east", 1, true}}
	for n, w := range want {
		got := nn[0][n]
		if got.ID != w.id || got.Value != w.value || got.Match != w.match || !got.HasLabel {
			t.Errorf("query 0 neighbour %d: got %+v, want %+v", n, got, w)
		}
	}
	if len(nn[0]) != 3 || nn[0][2].ID != "north" || nn[0][2].Match {
		t.Errorf("query 0 third neighbour: got %+v, want north, no match", nn[0][2])
	}
	// Embedded query (0, 4): north at 2 matches (inclusive), origin at 4 does not.
	matches, err := m.Matches(query)
	if err != nil {
		t.Fatal(err)
	}
	if len(matches[0]) != 2 || matches[0][0].ID != "origin" || matches[0][1].ID != "east" {
		t.Errorf("query 0 matches: got %+v", matches[0])
	}
	if len(matches[1]) != 1 || matches[1][0].ID != "north" || matches[1][0].Label != 2 {
		t.Errorf("query 1 matches: got %+v", matches[1])
	}
	ok, err := m.IsMatch(query, rows(t, [][]float32{{0, 0}, {0, 0}}))
	if err != nil || !ok[0] || ok[1] {
		t.Errorf("IsMatch: got %v, %v, want [true false]", ok, err)
	}
	mm, err := m.MatchMatrix(query, nil)
	if err != nil || mm.Rows != 2 || mm.Cols != 2 || !mm.At(0, 0) || mm.At(0, 1) {
		t.Errorf("MatchMatrix: got %+v, %v", mm, err)
	}
	mm, err = m.MatchMatrix(query, items)
	if err != nil || mm.Cols != 4 || !mm.At(1, 2) {
		t.Errorf("MatchMatrix against items: got %+v, %v", mm, err)
	}

	// The saved index answers the same queries the same way.
	path := filepath.Join(t.TempDir(), "items.idx")
	if err := m.SaveIndex(path); err != nil {
		t.Fatal(err)
	}
	fresh, _ := NewInferenceModel(scale{}, m.Finder)
	if err := fresh.LoadIndex(path); err != nil {
		t.Fatal(err)
	}
	again, err := fresh.NearestNeighbors(query, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range nn {
		for n := range nn[i] {
			if nn[i][n] != again[i][n] {
				t.Fatalf("after reload, query %d neighbour %d: got %+v, want %+v", i, n, again[i][n], nn[i][n])
			}
		}
	}
	if err := fresh.LoadIndex(filepath.Join(t.TempDir(), "none.idx")); err == nil || fresh.Index.Len() != 4 {
		t.Errorf("failed load: got %v, index of %d items (want the old 4 kept)", err, fresh.Index.Len())
	}
}

func TestInferenceModelErrors(t *testing.T) {
	x := rows(t, [][]float32{{1, 0}})
	if _, err := NewInferenceModel(nil, MatchFinder{}); err == nil {
		t.Error("nil embedder: want an error")
	}
	if _, err := NewInferenceModel(Identity{}, MatchFinder{Distance: knn.Distance{Kind: 8}}); err == nil {
		t.Error("bad distance: want an error")
	}
	empty, _ := NewInferenceModel(Identity{}, MatchFinder{})
	if _, err := empty.NearestNeighbors(x, 1); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty index: got %v", err)
	}
	if err := empty.Add(x, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := empty.Matches(rows(t, [][]float32{{1, 0, 0}})); err == nil || !strings.Contains(err.Error(), "dimension") {
		t.Errorf("dimension mismatch: got %v", err)
	}
	if _, err := empty.NearestNeighbors(x, 0); err == nil {
		t.Error("k = 0: want an error")
	}
	for name, e := range map[string]eval.Embedder{
		"error":     badEmbedder{err: errors.New("boom")},
		"nil":       badEmbedder{},
		"rows":      badEmbedder{out: mat.New(2, 2)},
		"malformed": badEmbedder{out: &mat.Dense{Rows: 1, Cols: 2}},
	} {
		m, _ := NewInferenceModel(e, MatchFinder{})
		if err := m.Add(x, nil, nil); err == nil {
			t.Errorf("%s embedder: Add wants an error", name)
		}
		if _, err := m.IsMatch(x, x); err == nil {
			t.Errorf("%s embedder: IsMatch wants an error", name)
		}
		if _, err := m.MatchMatrix(x, nil); err == nil {
			t.Errorf("%s embedder: MatchMatrix wants an error", name)
		}
	}
	if _, err := (Identity{}).Embed(nil); err == nil {
		t.Error("Identity of nil: want an error")
	}
	var noIndex InferenceModel
	if err := noIndex.SaveIndex(filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("saving a missing index: want an error")
	}
	if _, err := noIndex.Embed(x); err == nil {
		t.Error("model without embedder: want an error")
	}
}
