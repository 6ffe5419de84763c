package text

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/dotgrad"
	"github.com/gometric/gometric/encoders"
)

// TestMain installs dotgrad's DotGeneral gradient, as gometric's training does.
func TestMain(m *testing.M) {
	dotgrad.Install()
	os.Exit(m.Run())
}

// smallEncoder is an Encoder with a small table (fast tests).
func smallEncoder() *Encoder {
	e := NewEncoder(16)
	e.Tokeniser.Buckets = 1 << 12
	e.Bag.Buckets, e.Bag.Hidden = 1<<12, []int{32}
	return e
}

// embedder runs an Encoder on texts with one context (one set of weights).
type embedder struct {
	t    testing.TB
	e    *Encoder
	exec *context.Exec
}

func newEmbedder(t testing.TB, e *Encoder, ctx *context.Context) *embedder {
	exec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
		return e.EncodeInputs(ctx, nodes)
	})
	if err != nil {
		t.Fatal(err)
	}
	return &embedder{t: t, e: e, exec: exec}
}

// embed returns the embeddings of the texts packed into slots rows (0: as many as texts).
func (m *embedder) embed(texts []string, slots int) [][]float64 {
	b, err := m.e.Tokeniser.Pack(texts, slots)
	if err != nil {
		m.t.Fatal(err)
	}
	var args []any
	for _, x := range b.Tensors(dtypes.Float32) {
		args = append(args, x)
	}
	out, err := m.exec.Exec(args...)
	if err != nil {
		m.t.Fatal(err)
	}
	flat := tensors.MustCopyFlatData[float32](out[0])
	d := out[0].Shape().Dimensions[1]
	rows := make([][]float64, b.Slots)
	for i := range rows {
		for _, x := range flat[i*d : (i+1)*d] {
			rows[i] = append(rows[i], float64(x))
		}
	}
	return rows
}

func maxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

func TestEncoderDeterministicAndEquivalent(t *testing.T) {
	m := newEmbedder(t, smallEncoder(), context.New())
	texts := []string{"Müller GmbH", "Ｍüller gmbh", "MÜLLER  GMBH", "Miller GmbH", "Москва"}
	first := m.embed(texts, 0)
	again := m.embed(texts, 0)
	for i := range texts {
		if d := maxDiff(first[i], again[i]); d != 0 {
			t.Errorf("%q: two calls differ by %g", texts[i], d)
		}
	}
	for _, i := range []int{1, 2} {
		if d := maxDiff(first[0], first[i]); d != 0 {
			t.Errorf("%q and %q differ by %g, want the same embedding", texts[0], texts[i], d)
		}
	}
	for _, i := range []int{3, 4} {
		if d := maxDiff(first[0], first[i]); d == 0 {
			t.Errorf("%q and %q have the same embedding", texts[0], texts[i])
		}
	}
}

// TestEncoderPaddingInvariance: a text alone, or among longer texts (a larger budget) and padding
// slots, has the same embedding; padding slots give zero rows.
func TestEncoderPaddingInvariance(t *testing.T) {
	m := newEmbedder(t, smallEncoder(), context.New())
	alone := m.embed([]string{"Köln"}, 0)
	long := strings.Repeat("Nordrhein-Westfalen ", 12)
	among := m.embed([]string{long, "Köln", long + "x"}, 8)
	if d := maxDiff(alone[0], among[1]); d > 1e-6 {
		t.Errorf("alone and among longer texts: %g apart", d)
	}
	for _, row := range among[3:] {
		for _, x := range row {
			if x != 0 {
				t.Fatalf("padding slot has a non-zero embedding %v", row)
			}
		}
	}
}

// TestEncoderSpecRoundTrip: the spec, saved as JSON and read back, rebuilds an encoder that gives
// the same vectors with the same weights; a different tokeniser gives other vectors.
func TestEncoderSpecRoundTrip(t *testing.T) {
	e := NewEncoder(0) // the defaults, 2^18 buckets
	e.Bag.Pool = PoolSqrt
	ctx := context.New()
	texts := []string{"Bayern", "Bavière", "Baviera", "バイエルン州"}
	want := newEmbedder(t, e, ctx).embed(texts, 0)
	raw, err := json.Marshal(e.Spec())
	if err != nil {
		t.Fatal(err)
	}
	var spec encoders.Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for rebuild := range 2 {
		e2, err := EncoderFromSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		if e2.String() != e.String() {
			t.Errorf("rebuilt %s, want %s", e2, e)
		}
		got := newEmbedder(t, e2, ctx).embed(texts, 0)
		for i := range texts {
			if d := maxDiff(got[i], want[i]); d != 0 {
				t.Errorf("rebuild %d, %q: %g from the original", rebuild, texts[i], d)
			}
		}
	}
	other, _ := EncoderFromSpec(spec)
	other.Tokeniser.MaxN = 3
	got := newEmbedder(t, other, ctx).embed(texts, 0)
	if d := maxDiff(got[0], want[0]); d == 0 {
		t.Error("a tokeniser without 4-grams gives the same vector")
	}
}

func TestEncoderFromSpecErrors(t *testing.T) {
	good := smallEncoder().Spec()
	for _, c := range []struct {
		name string
		edit func(*encoders.Spec)
		want string
	}{
		{"kind", func(s *encoders.Spec) { s.Kind = encoders.KindMLP }, "kind"},
		{"no items", func(s *encoders.Spec) { s.Items = nil }, "items"},
		{"unknown field", func(s *encoders.Spec) { s.Items = json.RawMessage(`{"tokenizer": {}}`) }, "unknown field"},
		{"version", func(s *encoders.Spec) {
			s.Items = json.RawMessage(strings.Replace(string(s.Items), `"version":1`, `"version":9`, 1))
		}, "version 9"},
		{"pool", func(s *encoders.Spec) {
			s.Items = json.RawMessage(strings.Replace(string(s.Items), `"pool":"mean"`, `"pool":"max"`, 1))
		}, "pool"},
		{"dim", func(s *encoders.Spec) { s.EmbeddingDim = 0 }, "embedding dimension"},
	} {
		s := good
		c.edit(&s)
		_, err := EncoderFromSpec(s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
}

// TestBagGradient checks the gradient of the encoder's output w.r.t. the id weights (through the
// pooling and the MLP) against central finite differences, in float64, for each pool.
func TestBagGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, pool := range []Pool{PoolMean, PoolSum, PoolSqrt} {
		e := smallEncoder()
		e.Bag.Pool = pool
		b, err := e.Tokeniser.Pack([]string{"Zürich", "Genève", "Ticino"}, 4)
		if err != nil {
			t.Fatal(err)
		}
		D := e.Bag.EmbeddingDim
		proj := make([]float64, b.Slots*D)
		for i := range proj {
			proj[i] = r.NormFloat64()
		}
		loss := func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
			out := e.EncodeInputs(ctx, nodes)
			return graph.ReduceAllSum(graph.Mul(out, graph.Const(out.Graph(), tensors.FromFlatDataAndDimensions(proj, b.Slots, D))))
		}
		ctx := context.New()
		lossExec, err := context.NewExec(backend.MustShared(), ctx, loss)
		if err != nil {
			t.Fatal(err)
		}
		gradExec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
			return graph.Gradient(loss(ctx, nodes), nodes[1])[0]
		})
		if err != nil {
			t.Fatal(err)
		}
		ts := b.Tensors(dtypes.Float64)
		base := tensors.MustCopyFlatData[float64](ts[1])
		eval := func(w []float64) float64 {
			out, err := lossExec.Exec(ts[0], tensors.FromFlatDataAndDimensions(w, b.Slots, b.Budget))
			if err != nil {
				t.Fatal(err)
			}
			return tensors.MustCopyFlatData[float64](out[0])[0]
		}
		eval(base) // Initialises the variables.
		out, err := gradExec.Exec(ts[0], ts[1])
		if err != nil {
			t.Fatal(err)
		}
		grad := tensors.MustCopyFlatData[float64](out[0])
		const h = 1e-6
		checked := 0
		for k, w := range base {
			if w == 0 {
				continue // padding: perturbing it would make it an id
			}
			plus, minus := append([]float64{}, base...), append([]float64{}, base...)
			plus[k] += h
			minus[k] -= h
			fd := (eval(plus) - eval(minus)) / (2 * h)
			if math.Abs(fd-grad[k]) > 1e-5*max(1, math.Abs(fd)) {
				t.Errorf("pool %s, weight %d: gradient %g, finite difference %g", pool, k, grad[k], fd)
			}
			checked++
		}
		if checked < 30 {
			t.Fatalf("pool %s: only %d weights checked", pool, checked)
		}
	}
}
