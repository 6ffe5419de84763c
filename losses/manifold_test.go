package losses_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
)

// manifoldCase is one case of testdata/manifold-pml.json (written by testdata/gen_manifold.py: PML's
// ManifoldLoss with a float64 inverse).
type manifoldCase struct {
	Name        string         `json:"name"`
	Args        map[string]any `json:"args"`
	MetaClasses []int          `json:"meta_classes"`
	Proxies     [][]float64    `json:"proxies"`
	Embeddings  [][]float64    `json:"embeddings"`
	Loss        float64        `json:"loss"`
	Grad        [][]float64    `json:"grad"`
	ProxiesGrad [][]float64    `json:"proxies_grad"`
}

func loadManifoldCases(t *testing.T) []manifoldCase {
	t.Helper()
	data, err := os.ReadFile("testdata/manifold-pml.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Inverse string         `json:"inverse"`
		Cases   []manifoldCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.Inverse != "float64" || len(f.Cases) == 0 {
		t.Fatalf("manifold-pml.json: inverse %q, %d cases", f.Inverse, len(f.Cases))
	}
	return f.Cases
}

// spec writes the case's constructor arguments in the spec syntax (strings are calls, as written).
func (c manifoldCase) spec() string {
	keys := make([]string, 0, len(c.Args))
	for k := range c.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := make([]string, len(keys))
	for i, k := range keys {
		args[i] = fmt.Sprintf("%s=%v", k, c.Args[k])
	}
	return "ManifoldLoss(" + strings.Join(args, ", ") + ")"
}

// runManifold computes l on emb with the given meta classes and proxies (in the dtype of emb), and
// returns the loss and its gradients with respect to the embeddings and the proxies.
func runManifold(l *losses.Manifold, emb any, meta []int, proxies any) (loss float64, gEmb, gProxies any, err error) {
	ctx := context.New()
	v := ctx.In(l.Scope).VariableWithValue("proxies", proxies)
	outs, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		x := l.ComputeWithMetaClasses(ctx, in[0], graph.Const(g, meta))
		return append([]*graph.Node{x}, graph.Gradient(x, in[0], v.ValueGraph(g))...)
	}, emb)
	if err != nil {
		return 0, nil, nil, err
	}
	switch x := outs[0].(type) {
	case float64:
		loss = x
	case float32:
		loss = float64(x)
	}
	return loss, outs[1], outs[2], nil
}

// TestManifoldPML compares Manifold, built through Parse from PML's arguments, with PML's ManifoldLoss
// computed in float64 throughout (testdata/gen_manifold.py): loss and gradients with respect to the
// embeddings and the proxies at 1e-9 relative in float64, 1e-4 in float32.
func TestManifoldPML(t *testing.T) {
	for _, c := range loadManifoldCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			l, err := losses.Parse(c.spec())
			if err != nil {
				t.Fatal(err)
			}
			m, ok := l.(*losses.Manifold)
			if !ok {
				t.Fatalf("Parse(%q) gives %T", c.spec(), l)
			}
			loss, gEmb, gProxies, err := runManifold(m, c.Embeddings, c.MetaClasses, c.Proxies)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(loss-c.Loss) > 1e-9*math.Abs(c.Loss) {
				t.Errorf("float64 loss %.17g, want %.17g", loss, c.Loss)
			}
			if e := relErr(gEmb.([][]float64), c.Grad); !(e <= 1e-9) {
				t.Errorf("float64 embedding gradient: relative error %.3g", e)
			}
			if e := relErr(gProxies.([][]float64), c.ProxiesGrad); !(e <= 1e-9) {
				t.Errorf("float64 proxies gradient: relative error %.3g", e)
			}

			loss, gEmb, gProxies, err = runManifold(m, testutil.To32(c.Embeddings), c.MetaClasses, testutil.To32(c.Proxies))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(loss-c.Loss) > 1e-4*math.Abs(c.Loss) {
				t.Errorf("float32 loss %.9g, want %.9g", loss, c.Loss)
			}
			for what, pair := range map[string][2]any{"embedding": {gEmb, c.Grad}, "proxies": {gProxies, c.ProxiesGrad}} {
				diff, norm := diffNorms(pair[1].([][]float64), pair[0].([][]float32))
				if !(diff <= 1e-4*norm) {
					t.Errorf("float32 %s gradient: relative error %.3g", what, diff/norm)
				}
			}
		})
	}
}

// TestManifoldOptions checks what the PML cases do not reach: LambdaC = +Inf is the context loss alone
// (the difference of LambdaC 1 and 0), and the errors of bad options and inputs.
func TestManifoldOptions(t *testing.T) {
	c := loadManifoldCases(t)[0]
	value := func(lambdaC float64) float64 {
		t.Helper()
		m := losses.NewManifold()
		m.K, m.LambdaC = len(c.Proxies), lambdaC
		ctx := context.New()
		ctx.In(m.Scope).VariableWithValue("proxies", c.Proxies)
		outs, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
			return []*graph.Node{m.ComputeWithMetaClasses(ctx, in[0], graph.Const(in[0].Graph(), c.MetaClasses))}
		}, c.Embeddings)
		if err != nil {
			t.Fatal(err)
		}
		return outs[0].(float64)
	}
	both, intOnly, ctxOnly := value(1), value(0), value(math.Inf(1))
	if want := both - intOnly; math.Abs(ctxOnly-want) > 1e-12*math.Abs(want) || want <= 0 {
		t.Errorf("LambdaC=+Inf: %.17g, want the context loss %.17g", ctxOnly, want)
	}
	if both != c.Loss && math.Abs(both-c.Loss) > 1e-9*c.Loss {
		t.Errorf("defaults: %.17g, want %.17g", both, c.Loss)
	}

	for _, tc := range []struct{ spec, want string }{
		{"manifold(alpha=1)", "alpha=1"},
		{"manifold(alpha=-0.1)", "alpha=-0.1"},
		{"manifold(lambdaC=-1)", "lambdaC=-1"},
		{"manifold(K=0)", "K=0"},
		{"manifold(l=-2)", "l=-2"},
		{"manifold(lambda_c=1)", "lambda_c"},
	} {
		if _, err := losses.Parse(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): error %v, want one naming %q", tc.spec, err, tc.want)
		}
	}

	emb := randEmb(5, 6, 3)
	for name, in := range map[string]func(g *graph.Graph, e *graph.Node) losses.Inputs{
		"Ref": func(g *graph.Graph, e *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: e, Ref: e, RefLabels: graph.Const(g, []int{0, 1, 0, 1, 0, 1})}
		},
		"wrong width": func(g *graph.Graph, e *graph.Node) losses.Inputs {
			return losses.Inputs{Embeddings: graph.Concatenate([]*graph.Node{e, e}, 1)}
		},
	} {
		m := losses.NewManifold()
		m.L, m.K = 3, 2
		_, err := runWithContext(context.New(), func(ctx *context.Context, x []*graph.Node) []*graph.Node {
			return []*graph.Node{m.ComputeWithContext(ctx, in(x[0].Graph(), x[0]))}
		}, emb)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestManifoldRandomMetaClasses checks the meta classes ComputeWithContext draws: ComputeWithContext is
// ComputeWithMetaClasses of RandomMetaClasses drawn from the same random state and ignores Labels;
// each draw holds every proxy (N ≥ K) or N distinct proxies (N < K); and over 1,000 draws the first
// embedding's meta class is uniform over the proxies (chi-square below df + 6·sqrt(2·df)).
func TestManifoldRandomMetaClasses(t *testing.T) {
	emb := randEmb(11, 9, 4)
	labels := []int32{0, 0, 0, 1, 1, 1, 2, 2, 2}
	m := losses.NewManifold()
	m.K = 4
	var got [2]float64
	for i := range got {
		ctx := context.New()
		if err := ctx.SetRNGStateFromSeed(3); err != nil {
			t.Fatal(err)
		}
		outs, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
			g := in[0].Graph()
			if i == 0 {
				return []*graph.Node{m.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, labels)})}
			}
			return []*graph.Node{m.ComputeWithMetaClasses(ctx, in[0], m.RandomMetaClasses(ctx, g, 9))}
		}, emb)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = outs[0].(float64)
	}
	if got[0] != got[1] || !(got[0] > 0) {
		t.Errorf("ComputeWithContext %.17g, ComputeWithMetaClasses(RandomMetaClasses) %.17g", got[0], got[1])
	}

	for _, n := range []int{9, 3} {
		m := losses.NewManifold()
		m.K = 4
		ctx := context.New()
		if err := ctx.SetRNGStateFromSeed(int64(n)); err != nil {
			t.Fatal(err)
		}
		exec, err := context.NewExec(backend.MustShared(), ctx, func(ctx *context.Context, g *graph.Graph) *graph.Node {
			return m.RandomMetaClasses(ctx, g, n)
		})
		if err != nil {
			t.Fatal(err)
		}
		const draws = 1000
		first := make([]float64, m.K)
		for range draws {
			out, err := exec.Exec()
			if err != nil {
				t.Fatal(err)
			}
			meta := out[0].Value().([]int64)
			counts := make([]int, m.K)
			for _, k := range meta {
				counts[k]++
			}
			for k, c := range counts {
				if (n >= m.K && c == 0) || (n < m.K && c > 1) {
					t.Fatalf("N=%d, K=%d: draw %v has proxy %d %d times", n, m.K, meta, k, c)
				}
			}
			first[meta[0]]++
		}
		var chi2 float64
		for _, o := range first {
			e := float64(draws) / float64(m.K)
			chi2 += (o - e) * (o - e) / e
		}
		if df := float64(m.K - 1); chi2 > df+6*math.Sqrt(2*df) {
			t.Errorf("N=%d: first meta class counts %v, chi-square %.1f", n, first, chi2)
		}
	}
}
