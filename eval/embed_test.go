package eval_test

import (
	"math"
	"testing"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/eval"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/text"
)

// scaled embeds feature vectors as themselves times the row number plus one: PairScores must
// normalise them.
type scaled struct{}

func (scaled) Embed(x *mat.Dense) (*mat.Dense, error) {
	out := mat.New(x.Rows, x.Cols)
	for i := range x.Rows {
		for k, v := range x.Row(i) {
			out.Row(i)[k] = v * float32(i+1)
		}
	}
	return out, nil
}

// sparse embeds every item as the same sparse vector when on, and is dense (Embed) otherwise.
type sparse struct{ on bool }

func (sparse) Embed(x *mat.Dense) (*mat.Dense, error) { return x, nil }
func (s sparse) Sparse() bool                         { return s.on }
func (sparse) EmbedSparse(items *datasets.Items) ([]text.Sparse, error) {
	out := make([]text.Sparse, items.Len())
	for i := range out {
		out[i] = text.Sparse{Indices: []int32{0}, Values: []float64{1}}
	}
	return out, nil
}

func testPairs() *datasets.Pairs {
	items := &datasets.Items{
		Name: "t", IDs: []string{"a", "b", "c", "d"}, Labels: []int{0, 0, 1, 1},
		Features: &mat.Dense{Rows: 4, Cols: 2, Data: []float32{1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9}},
	}
	return &datasets.Pairs{Items: items, A: []int{0, 2, 0, 1}, B: []int{1, 3, 2, 3}, Y: []int{1, 1, 0, 0}}
}

func TestPairScores(t *testing.T) {
	p := testPairs()
	scores, err := eval.PairScores(scaled{}, p)
	if err != nil {
		t.Fatal(err)
	}
	f := p.Items.Features
	for i, s := range scores {
		a, b := f.Row(p.A[i]), f.Row(p.B[i])
		dot := float64(a[0])*float64(b[0]) + float64(a[1])*float64(b[1])
		want := dot / math.Hypot(float64(a[0]), float64(a[1])) / math.Hypot(float64(b[0]), float64(b[1]))
		if math.Abs(s-want) > 1e-6 {
			t.Errorf("pair %d: score %v, want the cosine %v", i, s, want)
		}
	}
	if s, err := eval.PairScores(sparse{on: true}, p); err != nil || s[0] != 1 || s[3] != 1 {
		t.Errorf("sparse embedder: %v, %v; want cosines of 1", s, err)
	}
	if _, ok := eval.AsSparse(sparse{on: false}); ok {
		t.Error("AsSparse took an embedder whose Sparse() is false")
	}
}

func TestChoosePairThresholdAndValidation(t *testing.T) {
	p := testPairs()
	th, err := eval.ChoosePairThreshold(scaled{}, p)
	if err != nil {
		t.Fatal(err)
	}
	m, err := eval.VerifyAt(eval.Similarities(mustScores(t, p), p.Y), th)
	if err != nil || m.Accuracy != 1 {
		t.Errorf("accuracy at the chosen threshold %v: %v, %v; want 1", th, m.Accuracy, err)
	}
	if th, err := eval.ChoosePairThreshold(scaled{}, nil); err != nil || !math.IsNaN(th.Value) {
		t.Errorf("no pairs: threshold %v, %v; want NaN", th, err)
	}
	for _, c := range []struct {
		name  string
		items *datasets.Items
	}{{"MAP@R", p.Items}, {"AP", nil}} {
		v, err := eval.ValidationMetric(scaled{}, c.items, p)
		if err != nil || v != 1 {
			t.Errorf("%s: %v, %v; want 1", c.name, v, err)
		}
	}
}

func mustScores(t *testing.T, p *datasets.Pairs) []float64 {
	s, err := eval.PairScores(scaled{}, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
