package losses_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/regularizers"
)

// parametricNames are the registry's losses with learnable class parameters (Info.NeedsClasses).
var parametricNames = func() []string {
	var out []string
	for _, e := range losses.Infos() {
		if e.NeedsClasses {
			out = append(out, e.Name)
		}
	}
	return out
}()

// TestParametricTrainingStep runs a training-like step of every classification / proxy loss in
// float32: the loss and its gradients with respect to the embeddings and to every trainable variable
// of the context are finite and not all zero, and a second graph reuses the variables.
func TestParametricTrainingStep(t *testing.T) {
	const n, d, c = 12, 6, 3
	emb := tensors.FromValue(testutil.To32(randEmb(3, n, d)))
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % c)
	}
	for _, name := range parametricNames {
		t.Run(name, func(t *testing.T) {
			loss, err := losses.ByNameWithClasses(name, c, d)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.New()
			if err := ctx.SetRNGStateFromSeed(1); err != nil {
				t.Fatal(err)
			}
			step := func(ctx *context.Context, in []*graph.Node) []*graph.Node {
				l := loss.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: in[1]})
				grads := append(graph.Gradient(l, in[0]), ctx.BuildTrainableVariablesGradientsGraph(l)...)
				return append([]*graph.Node{l}, grads...)
			}
			outs, err := runWithContext(ctx, step, emb, labels)
			if err != nil {
				t.Fatal(err)
			}
			if len(outs) != 3 {
				t.Fatalf("got %d outputs, want loss, embedding gradient and one parameter gradient", len(outs))
			}
			for i, what := range []string{"loss", "embedding gradient", "parameter gradient"} {
				if finite, nonZero := finiteNonZero(outs[i]); !finite || !nonZero {
					t.Errorf("%s: finite=%v, nonzero=%v", what, finite, nonZero)
				}
			}
			// A second graph (an eval step, say) reuses the variables: same loss.
			again, err := runWithContext(ctx, step, emb, labels)
			if err != nil {
				t.Fatalf("second graph: %v", err)
			}
			if again[0].(float32) != outs[0].(float32) {
				t.Errorf("second graph: loss %v, first %v", again[0], outs[0])
			}
		})
	}
}

// TestParametricErrors checks the errors and panics of the classification / proxy losses.
func TestParametricErrors(t *testing.T) {
	const n, d, c = 4, 3, 3
	emb := randEmb(5, n, d)
	arc := func() *losses.ArcFace { return losses.NewArcFace(c, d) }
	run := func(l losses.ParametricLoss, fn func(g *graph.Graph, in []*graph.Node) losses.Inputs, extra ...any) ([]any, error) {
		return runWithContext(context.New(), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
			return []*graph.Node{l.ComputeWithContext(ctx, fn(in[0].Graph(), in))}
		}, append([]any{emb}, extra...)...)
	}
	constLabels := func(labels ...int) func(g *graph.Graph, in []*graph.Node) losses.Inputs {
		return func(g *graph.Graph, in []*graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, labels)}
		}
	}
	tests := []struct {
		name string
		loss losses.ParametricLoss
		in   func(g *graph.Graph, in []*graph.Node) losses.Inputs
		want string
	}{
		{"label too large", arc(), constLabels(0, 1, 2, 3), "label 3 of item 3 is out of range [0, 3)"},
		{"negative label", losses.NewProxyAnchor(c, d), constLabels(0, -1, 2, 1), "out of range"},
		{"no labels", arc(), func(_ *graph.Graph, in []*graph.Node) losses.Inputs { return losses.Inputs{Embeddings: in[0]} }, "Labels are required"},
		{"ref", losses.NewCosFace(c, d), func(g *graph.Graph, in []*graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, []int{0, 1, 2, 0}), Ref: in[0]}
		}, "Ref and RefLabels are not supported"},
		{"wrong width", losses.NewSoftTriple(c, d+1), constLabels(0, 1, 2, 0), "EmbeddingSize"},
		{"no classes", func() losses.ParametricLoss {
			l, _ := losses.New("arcface")
			return l.(losses.ParametricLoss)
		}(), constLabels(0, 1, 2, 0), "NumClasses (0) and EmbeddingSize (0) must be set"},
		{"p2sgrad pairs", losses.NewP2SGrad(c, d), func(g *graph.Graph, in []*graph.Node) losses.Inputs {
			z := graph.Zeros(g, shapes.Make(dtypes.Float32, n, n))
			return losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, []int{0, 1, 2, 0}), Pos: z, Neg: z}
		}, "explicit pairs"},
		{"p2sgrad weight regularizer", func() losses.ParametricLoss {
			l := losses.NewP2SGrad(c, d)
			l.WeightRegularizer = regularizers.NewLpRegularizer()
			return l
		}(), constLabels(0, 1, 2, 0), "no weight regularizer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(tc.loss, tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}

	// Labels computed at run time cannot be checked while building the graph: the loss is NaN.
	for _, l := range []losses.ParametricLoss{arc(), losses.NewProxyAnchor(c, d), losses.NewP2SGrad(c, d)} {
		outs, err := run(l, func(_ *graph.Graph, in []*graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: in[0], Labels: in[1]}
		}, []int32{0, 1, 7, 2})
		if err != nil {
			t.Fatal(err)
		}
		if v := outs[0].(float64); !math.IsNaN(v) {
			t.Errorf("%T with a run-time label out of range: loss %v, want NaN", l, v)
		}
	}
}

// TestParametricNilContextPanics checks that a loss with learnable parameters computed without a
// context panics with a message saying so.
func TestParametricNilContextPanics(t *testing.T) {
	emb := randEmb(1, 4, 3)
	for _, name := range parametricNames {
		loss, err := losses.ByNameWithClasses(name, 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		_, err = testutil.Exec(func(in []*graph.Node) []*graph.Node {
			return []*graph.Node{loss.ComputeWithContext(nil, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), []int{0, 1, 0, 1})})}
		}, emb)
		if err == nil || !strings.Contains(err.Error(), "needs a non-nil context") {
			t.Errorf("%s: ComputeWithContext(nil, ...) gave %v, want a panic saying it needs a context", name, err)
		}
	}
}

// TestByNameWithClasses checks the constructor by name.
func TestByNameWithClasses(t *testing.T) {
	l, err := losses.ByNameWithClasses("SubCenterArcFaceLoss", 7, 5)
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := l.(*losses.SubCenterArcFace)
	if !ok || sc.NumClasses != 7 || sc.EmbeddingSize != 5 || sc.SubCenters != 3 || sc.Scope != "subcenterarcface" {
		t.Errorf("got %#v", l)
	}
	for _, tc := range []struct {
		name    string
		c, d    int
		wantErr string
	}{
		{"ntxent", 3, 4, "no learnable class parameters"},
		{"nope", 3, 4, "unknown loss"},
		{"arcface", 0, 4, "must be positive"},
	} {
		if _, err := losses.ByNameWithClasses(tc.name, tc.c, tc.d); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ByNameWithClasses(%q, %d, %d): %v, want %q", tc.name, tc.c, tc.d, err, tc.wantErr)
		}
	}
}

// TestArcFaceAtClassWeight checks the clamp of the target cosine: an embedding equal to its class
// weight (cosine 1, or a rounding above) keeps the loss and the gradients finite, in float32 and
// float64, where PML's acos gradient is infinite.
func TestArcFaceAtClassWeight(t *testing.T) {
	w := [][]float64{{0.3, -1.2, 0.5}, {0.7, 0.1, -0.4}} // [D=2, C=3]
	emb := [][]float64{{0.3, 0.7}, {-1.2, 0.1}, {1.5, 3.5}, {-0.3, -0.7}}
	labels := []int{0, 1, 0, 0} // Item 2 is 5·W_0; item 3 is −W_0 (cosine −1).
	for _, f32 := range []bool{false, true} {
		for _, l := range []losses.ParametricLoss{losses.NewArcFace(3, 2), losses.NewSubCenterArcFace(3, 2)} {
			var wv, ev any = w, emb
			if sc, ok := l.(*losses.SubCenterArcFace); ok {
				sc.SubCenters = 1
			}
			if f32 {
				wv, ev = testutil.To32(w), testutil.To32(emb)
			}
			ctx := context.New()
			v := ctx.In(scopeOf(l)).VariableWithValue("W", wv)
			outs, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
				loss := l.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
				return append([]*graph.Node{loss}, graph.Gradient(loss, in[0], v.ValueGraph(in[0].Graph()))...)
			}, ev)
			if err != nil {
				t.Fatal(err)
			}
			for i, what := range []string{"loss", "embedding gradient", "weight gradient"} {
				if finite, nonZero := finiteNonZero(outs[i]); !finite || !nonZero {
					t.Errorf("%T float32=%v: %s finite=%v, nonzero=%v: %v", l, f32, what, finite, nonZero, outs[i])
				}
			}
		}
	}
}

func scopeOf(l losses.ParametricLoss) string {
	switch x := l.(type) {
	case *losses.ArcFace:
		return x.Scope
	case *losses.SubCenterArcFace:
		return x.Scope
	}
	panic("scopeOf")
}

// TestParametricSampleWeights checks PML's convert_to_weights: with an explicit selection, each
// sample's loss is weighted by its count relative to the largest, and the mean still counts every
// sample; an empty selection weighs every sample 1.
func TestParametricSampleWeights(t *testing.T) {
	const n, d, c = 5, 4, 3
	emb := randEmb(9, n, d)
	labels := []int{0, 1, 2, 0, 1}
	w := randEmb(10, d, c)
	lossOf := func(e [][]float64, lab []int, pos, neg [][]float64) float64 {
		ctx := context.New()
		ctx.In("cosface").VariableWithValue("W", w)
		outs, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
			g := in[0].Graph()
			li := losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, lab)}
			if pos != nil {
				li.Pos, li.Neg = graph.Const(g, pos), graph.Const(g, neg)
			}
			return []*graph.Node{losses.NewCosFace(c, d).ComputeWithContext(ctx, li)}
		}, e)
		if err != nil {
			t.Fatal(err)
		}
		return outs[0].(float64)
	}
	zeros := func() [][]float64 { return make([][]float64, n) }
	mat := func(entries ...[3]int) [][]float64 {
		m := zeros()
		for i := range m {
			m[i] = make([]float64, n)
		}
		for _, e := range entries {
			m[e[0]][e[1]] += float64(e[2])
		}
		return m
	}
	all := lossOf(emb, labels, nil, nil)
	pair := lossOf(emb[:2], labels[:2], nil, nil)
	single := lossOf(emb[2:3], labels[2:3], nil, nil)
	tests := []struct {
		name     string
		pos, neg [][]float64
		want     float64
	}{
		{"empty selection", mat(), mat(), all},
		// Items 0 and 1 appear once each: weights 1, others 0.
		{"one negative pair", mat(), mat([3]int{0, 1, 1}), 2 * pair / n},
		// Item 2 appears twice, 0 and 1 once: weights 1, ½, ½.
		{"item 2 twice", mat([3]int{2, 0, 1}), mat([3]int{1, 2, 1}), (single + pair) / n},
	}
	for _, tc := range tests {
		if got := lossOf(emb, labels, tc.pos, tc.neg); math.Abs(got-tc.want) > 1e-12*math.Abs(tc.want) {
			t.Errorf("%s: loss %.15g, want %.15g", tc.name, got, tc.want)
		}
	}
}

// TestParametricInitializers checks that each loss creates its variable with PML's layout and
// distribution: N(0, 1) (normal_), N(0, 2/C) (kaiming_normal_ fan_out), U(±1/√(C·K)) (kaiming_uniform_
// a=√5), unit columns (P2SGrad).
func TestParametricInitializers(t *testing.T) {
	const n, d, c = 4, 40, 60
	emb := tensors.FromValue(testutil.To32(randEmb(2, n, d)))
	labels := []int32{0, 1, 2, 3}
	type stats struct{ mean, std, maxAbs, minColNorm, maxColNorm float64 }
	tests := []struct {
		name, variable string
		rows, cols     int
		check          func(s stats) bool
	}{
		{"arcface", "W", d, c, func(s stats) bool { return math.Abs(s.std-1) < 0.05 }},
		{"subcenterarcface", "W", d, 3 * c, func(s stats) bool { return math.Abs(s.std-1) < 0.05 }},
		{"normalizedsoftmax", "W", d, c, func(s stats) bool { return math.Abs(s.std-1) < 0.05 }},
		{"proxynca", "proxies", c, d, func(s stats) bool { return math.Abs(s.std-1) < 0.05 }},
		{"proxyanchor", "proxies", c, d, func(s stats) bool { return math.Abs(s.std-math.Sqrt(2.0/c)) < 0.05*math.Sqrt(2.0/c) }},
		{"softtriple", "fc", d, 10 * c, func(s stats) bool {
			b := 1 / math.Sqrt(10*c)
			return s.maxAbs <= b && s.maxAbs > 0.99*b && math.Abs(s.std-b/math.Sqrt(3)) < 0.05*b
		}},
		{"p2sgrad", "weight", d, c, func(s stats) bool { return math.Abs(s.minColNorm-1) < 1e-5 && math.Abs(s.maxColNorm-1) < 1e-5 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loss, err := losses.ByNameWithClasses(tc.name, c, d)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.New()
			if err := ctx.SetRNGStateFromSeed(7); err != nil {
				t.Fatal(err)
			}
			if _, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
				return []*graph.Node{loss.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: in[1]})}
			}, emb, labels); err != nil {
				t.Fatal(err)
			}
			v := ctx.GetVariableByScopeAndName("/"+tc.name, tc.variable)
			if v == nil {
				t.Fatalf("no variable /%s/%s", tc.name, tc.variable)
			}
			m, ok := v.MustValue().Value().([][]float32)
			if !ok || len(m) != tc.rows || len(m[0]) != tc.cols {
				t.Fatalf("variable shape %s, want [%d, %d] float32", v.Shape(), tc.rows, tc.cols)
			}
			var s stats
			var sum, sum2 float64
			colNorms := make([]float64, tc.cols)
			for _, row := range m {
				for j, x := range row {
					sum += float64(x)
					sum2 += float64(x) * float64(x)
					s.maxAbs = max(s.maxAbs, math.Abs(float64(x)))
					colNorms[j] += float64(x) * float64(x)
				}
			}
			cnt := float64(tc.rows * tc.cols)
			s.mean = sum / cnt
			s.std = math.Sqrt(sum2/cnt - s.mean*s.mean)
			s.minColNorm, s.maxColNorm = math.Inf(1), 0
			for _, cn := range colNorms {
				s.minColNorm, s.maxColNorm = min(s.minColNorm, math.Sqrt(cn)), max(s.maxColNorm, math.Sqrt(cn))
			}
			if math.Abs(s.mean) > 0.1*max(s.std, 1e-3) || !tc.check(s) {
				t.Errorf("initial values: %+v", s)
			}
		})
	}
}
