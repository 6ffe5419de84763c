package graphs

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/dotgrad"
)

// TestMain installs dotgrad's DotGeneral gradient, as gometric's training does: GoMLX's own rule
// makes a [N, 64, 64] tensor per Dense layer and a training step 10× slower.
func TestMain(m *testing.M) {
	dotgrad.Install()
	os.Exit(m.Run())
}

// encoder runs a GIN on packed batches, reusing one context (so one set of weights).
type encoder struct {
	t    testing.TB
	ctx  *context.Context
	m    *GIN
	exec *context.Exec
}

func newEncoder(t testing.TB, m *GIN, s Schema) *encoder {
	ctx := context.New()
	exec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
		return m.Encode(ctx, NewInputs(s, nodes))
	})
	if err != nil {
		t.Fatal(err)
	}
	return &encoder{t: t, ctx: ctx, m: m, exec: exec}
}

// run returns the embeddings of the batch's graph slots, as float64.
func (e *encoder) run(b *Batch, dtype dtypes.DType) [][]float64 {
	out, err := e.exec.Exec(args(b.Tensors(dtype))...)
	if err != nil {
		e.t.Fatal(err)
	}
	return rows(out[0])
}

func args(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

func rows(t *tensors.Tensor) [][]float64 {
	dims := t.Shape().Dimensions
	var flat []float64
	switch t.DType() {
	case dtypes.Float32:
		for _, x := range tensors.MustCopyFlatData[float32](t) {
			flat = append(flat, float64(x))
		}
	default:
		flat = tensors.MustCopyFlatData[float64](t)
	}
	out := make([][]float64, dims[0])
	for i := range out {
		out[i] = flat[i*dims[1] : (i+1)*dims[1]]
	}
	return out
}

func maxDiff(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// permuted returns g with its nodes renumbered, its edges shuffled and, when undirected, each
// edge written either way round.
func permuted(r *rand.Rand, g *Graph) *Graph {
	n := g.NumNodes()
	perm := r.Perm(n) // old node v becomes perm[v]
	h := &Graph{ID: g.ID, Label: g.Label, Directed: g.Directed, Features: g.Features}
	if g.NodeLabels != nil {
		h.NodeLabels = make([]string, n)
	}
	if g.NodeFeatures != nil {
		h.NodeFeatures = make([][]float32, n)
	}
	for v := range n {
		if g.NodeLabels != nil {
			h.NodeLabels[perm[v]] = g.NodeLabels[v]
		}
		if g.NodeFeatures != nil {
			h.NodeFeatures[perm[v]] = g.NodeFeatures[v]
		}
	}
	for _, k := range r.Perm(len(g.Edges)) {
		e := [2]int{perm[g.Edges[k][0]], perm[g.Edges[k][1]]}
		if !g.Directed && r.IntN(2) == 0 {
			e[0], e[1] = e[1], e[0]
		}
		h.Edges = append(h.Edges, e)
		if g.EdgeLabels != nil {
			h.EdgeLabels = append(h.EdgeLabels, g.EdgeLabels[k])
		}
		if g.EdgeFeatures != nil {
			h.EdgeFeatures = append(h.EdgeFeatures, g.EdgeFeatures[k])
		}
	}
	return h
}

func TestGINPermutationInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		var gs, ps []*Graph
		for i := range 6 {
			g := randomGraph(r, string(rune('a'+i)), 2+r.IntN(15), fullSchema, i%3 == 0)
			gs, ps = append(gs, g), append(ps, permuted(r, g))
		}
		vocab := NewVocab(gs)
		p := NewPacker(fullSchema, vocab, 0)
		m := NewGIN(fullSchema, vocab, 16)
		m.LearnEps = true
		enc := newEncoder(t, m, fullSchema)
		b1, err := p.Pack(gs)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := p.Pack(ps)
		if err != nil {
			t.Fatal(err)
		}
		e1, e2 := enc.run(b1, dtype), enc.run(b2, dtype)
		for i := range gs {
			// Summation order changes with the permutation: 1e-5 relative to the embedding's size
			// (float32 has 24 bits, about 6e-8 relative per rounding).
			scale := maxDiff(e1[i], make([]float64, len(e1[i])))
			if d := maxDiff(e1[i], e2[i]); d > 1e-5*max(1, scale) {
				t.Errorf("%s: graph %d: permuted embedding differs by %g (largest |value| %g)", dtype, i, d, scale)
			}
		}
		for i := len(gs); i < len(e1); i++ {
			if maxDiff(e1[i], make([]float64, len(e1[i]))) != 0 {
				t.Errorf("%s: padding graph %d has a non-zero embedding", dtype, i)
			}
		}
		if len(e1[0]) != 16 {
			t.Errorf("embedding dim %d", len(e1[0]))
		}
	}
}

func TestGINPaddingInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var gs []*Graph
	for i := range 5 {
		gs = append(gs, randomGraph(r, string(rune('a'+i)), 2+r.IntN(12), fullSchema, false))
	}
	vocab := NewVocab(gs)
	m := NewGIN(fullSchema, vocab, 8)
	enc := newEncoder(t, m, fullSchema)
	all, err := NewPacker(fullSchema, vocab, 0).Pack(gs)
	if err != nil {
		t.Fatal(err)
	}
	eAll := enc.run(all, dtypes.Float32)
	big := &Packer{Schema: fullSchema, Vocab: vocab, Fixed: []Budget{{Graphs: 16, Nodes: 256, Edges: 1024}}}
	for i, g := range gs {
		alone, err := NewPacker(fullSchema, vocab, 0).Pack([]*Graph{g})
		if err != nil {
			t.Fatal(err)
		}
		padded, err := big.Pack([]*Graph{g})
		if err != nil {
			t.Fatal(err)
		}
		// In the big budget, at the end of a batch of others.
		last, err := big.Pack(append(append([]*Graph{}, gs[:i]...), append(gs[i+1:], g)...))
		if err != nil {
			t.Fatal(err)
		}
		e1, e2, e3 := enc.run(alone, dtypes.Float32)[0], enc.run(padded, dtypes.Float32)[0], enc.run(last, dtypes.Float32)[len(gs)-1]
		for _, e := range [][]float64{e1, e2, e3} {
			if d := maxDiff(eAll[i], e); d > 1e-5 {
				t.Errorf("graph %d: embedding differs by %g with other padding or batch mates", i, d)
			}
		}
	}
}

// TestGINGradient checks the gradient of the encoder output w.r.t. node features against finite
// differences (float64), and that padding node features get a zero gradient.
func TestGINGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var gs []*Graph
	for i := range 3 {
		gs = append(gs, randomGraph(r, string(rune('a'+i)), 3+r.IntN(6), fullSchema, i == 1))
	}
	vocab := NewVocab(gs)
	m := NewGIN(fullSchema, vocab, 6)
	m.Hidden = 8
	m.LearnEps = true
	b, err := NewPacker(fullSchema, vocab, 0).Pack(gs)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	weights := make([]float64, b.Budget.Graphs*6)
	for i := range weights {
		weights[i] = r.NormFloat64()
	}
	loss := func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
		out := m.Encode(ctx, NewInputs(fullSchema, nodes))
		w := graph.Const(out.Graph(), tensors.FromFlatDataAndDimensions(weights, b.Budget.Graphs, 6))
		return graph.ReduceAllSum(graph.Mul(out, w))
	}
	lossExec, err := context.NewExec(backend.MustShared(), ctx, loss)
	if err != nil {
		t.Fatal(err)
	}
	gradExec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
		in := NewInputs(fullSchema, nodes)
		return graph.Gradient(loss(ctx, nodes), in.NodeFeatures)[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := b.Tensors(dtypes.Float64)
	const featIdx = 7 // Place of NodeFeatures among the tensors of fullSchema.
	eval := func(feats []float64) float64 {
		in := append([]*tensors.Tensor{}, ts...)
		in[featIdx] = tensors.FromFlatDataAndDimensions(feats, b.Budget.Nodes, fullSchema.NodeFeatures)
		out, err := lossExec.Exec(args(in)...)
		if err != nil {
			t.Fatal(err)
		}
		return tensors.MustCopyFlatData[float64](out[0])[0]
	}
	base := tensors.MustCopyFlatData[float64](ts[featIdx])
	eval(base) // Initialises the variables.
	out, err := gradExec.Exec(args(ts)...)
	if err != nil {
		t.Fatal(err)
	}
	grad := tensors.MustCopyFlatData[float64](out[0])
	F := fullSchema.NodeFeatures
	nReal := b.NodeStart[b.NumGraphs]
	const h = 1e-6
	for k := 0; k < nReal*F; k++ {
		plus, minus := append([]float64{}, base...), append([]float64{}, base...)
		plus[k] += h
		minus[k] -= h
		fd := (eval(plus) - eval(minus)) / (2 * h)
		if math.Abs(fd-grad[k]) > 1e-5*max(1, math.Abs(fd)) {
			t.Errorf("node feature %d: gradient %g, finite difference %g", k, grad[k], fd)
		}
	}
	for k := nReal * F; k < len(grad); k++ {
		if grad[k] != 0 {
			t.Fatalf("padding node feature %d has gradient %g", k, grad[k])
		}
	}
}

func TestGINUnknownLabels(t *testing.T) {
	s := Schema{NodeLabels: true, EdgeLabels: true}
	train := []*Graph{{ID: "t", NodeLabels: []string{"C", "O"}, Edges: [][2]int{{0, 1}}, EdgeLabels: []string{"single"}}}
	vocab := NewVocab(train)
	xe := &Graph{ID: "xe", NodeLabels: []string{"C", "Xe"}, Edges: [][2]int{{0, 1}}, EdgeLabels: []string{"triple"}}
	kr := &Graph{ID: "kr", NodeLabels: []string{"C", "Kr"}, Edges: [][2]int{{0, 1}}, EdgeLabels: []string{"quadruple"}}
	b, err := NewPacker(s, vocab, 0).Pack([]*Graph{xe, kr, train[0]})
	if err != nil {
		t.Fatal(err)
	}
	if b.NodeLabels[1] != Unknown || b.NodeLabels[3] != Unknown || b.EdgeLabels[0] != Unknown || b.NodeLabels[0] != vocab.NodeID("C") {
		t.Fatalf("label ids %v %v", b.NodeLabels, b.EdgeLabels)
	}
	enc := newEncoder(t, NewGIN(s, vocab, 8), s)
	e := enc.run(b, dtypes.Float32)
	if d := maxDiff(e[0], e[1]); d != 0 {
		t.Errorf("two graphs differing only in unknown labels have embeddings %g apart", d)
	}
	if d := maxDiff(e[0], e[2]); d == 0 {
		t.Errorf("unknown labels encode as the known ones")
	}
}

// benchStep builds forward+backward of the GIN on a batch: the gradient of sum(embeddings²)
// w.r.t. every variable.
func benchStep(tb testing.TB, matmul bool, batch int) (run func(), b *Batch) {
	r := rand.New(rand.NewPCG(13, 14))
	s := Schema{NodeLabels: true, EdgeLabels: true}
	gs := sizedStream(r, batch, s)
	vocab := NewVocab(gs)
	b, err := NewPacker(s, vocab, batch).Pack(gs)
	if err != nil {
		tb.Fatal(err)
	}
	m := NewGIN(s, vocab, 0)
	m.readoutMatMul = matmul
	ctx := context.New()
	// First build creates the variables; then a graph that returns their gradients.
	fwd, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, nodes []*graph.Node) *graph.Node {
		return m.Encode(ctx, NewInputs(s, nodes))
	})
	if err != nil {
		tb.Fatal(err)
	}
	ts := args(b.Tensors(dtypes.Float32))
	if _, err := fwd.Exec(ts...); err != nil {
		tb.Fatal(err)
	}
	step, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, nodes []*graph.Node) []*graph.Node {
		out := m.Encode(ctx, NewInputs(s, nodes))
		loss := graph.ReduceAllSum(graph.Square(out))
		var vars []*graph.Node
		for v := range ctx.IterVariables() {
			vars = append(vars, v.ValueGraph(out.Graph()))
		}
		return graph.Gradient(loss, vars...)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return func() {
		if _, err := step.Exec(ts...); err != nil {
			tb.Fatal(err)
		}
	}, b
}

// BenchmarkGINForwardBackward times forward+backward for a batch of 128 graphs of ~25 nodes,
// pooling by ScatterSum or by a one-hot matrix product. Run with
// go test -run '^$' -bench GIN -benchtime 10x ./graphs/
func BenchmarkGINForwardBackward(bm *testing.B) {
	for _, c := range []struct {
		name   string
		matmul bool
	}{{"scatter", false}, {"matmul", true}} {
		bm.Run(c.name, func(bm *testing.B) {
			run, b := benchStep(bm, c.matmul, 128)
			run() // Compile.
			start := time.Now()
			bm.ResetTimer()
			for range bm.N {
				run()
			}
			bm.ReportMetric(float64(b.NumGraphs*bm.N)/time.Since(start).Seconds(), "graphs/s")
		})
	}
}
