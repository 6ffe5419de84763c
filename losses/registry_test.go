package losses_test

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
)

// blockwise says whether the registry marks the loss of a test case ("pnp_dq": pnp's variant)
// row-separable (Info.Blockwise).
func blockwise(t *testing.T, name string) bool {
	t.Helper()
	base, _, _ := strings.Cut(name, "_")
	e, err := losses.Lookup(base)
	if err != nil {
		t.Fatal(err)
	}
	return e.Blockwise
}

// TestRegistry checks every entry of the loss registry against what it claims, one table for all
// the losses: names (gometric's, PML's class name, any case, "-" and "_"), the constructor, the
// spec registry, NeedsClasses (a ParametricLoss), KeepsState (only those need a context: the others
// are a PlainLoss, and deprecated ByName returns them), and Blockwise (blocks of 3 rows give the
// value and gradient of one block; the other losses ignore BlockRows).
func TestRegistry(t *testing.T) {
	infos := losses.Infos()
	names := losses.Names()
	if len(infos) != len(names) || !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("Names() = %v: want the %d registry names, sorted and unique", names, len(infos))
	}
	if _, err := losses.New("nope"); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Errorf("New(nope): %v", err)
	}
	emb := randEmb(71, 10, 5)
	labels := []int32{0, 1, 2, 0, 1, 2, 3, 3, 0, 1}
	for _, e := range infos {
		t.Run(e.Name, func(t *testing.T) {
			for _, name := range []string{e.Name, e.PMLName, strings.ToUpper(e.Name), strings.TrimSuffix(e.PMLName, "Loss")} {
				got, err := losses.Lookup(name)
				if err != nil || got.Name != e.Name {
					t.Errorf("Lookup(%q) = %q, %v; want %q", name, got.Name, err, e.Name)
				}
				if _, err := losses.Specs.Lookup(name); err != nil {
					t.Errorf("Specs.Lookup(%q): %v", name, err)
				}
			}
			if !strings.HasSuffix(e.PMLName, "Loss") {
				t.Errorf("PMLName %q is not a PML loss class name", e.PMLName)
			}
			l, err := losses.New(e.Name)
			if err != nil || l == nil {
				t.Fatalf("New: %v, %v", l, err)
			}
			if l2 := e.New(); l2 == nil || reflect.TypeOf(l2) != reflect.TypeOf(l) {
				t.Errorf("Info.New gives %T, New %T", l2, l)
			}
			_, parametric := l.(losses.ParametricLoss)
			if parametric != e.NeedsClasses {
				t.Errorf("NeedsClasses = %v, but %T is a ParametricLoss: %v", e.NeedsClasses, l, parametric)
			}
			if got := len(losses.ClassLosses(l)) > 0; got != e.NeedsClasses {
				t.Errorf("NeedsClasses = %v, ClassLosses finds %v", e.NeedsClasses, got)
			}
			_, plain := l.(losses.PlainLoss)
			if !e.KeepsState && !plain {
				t.Errorf("KeepsState is false but %T is not a PlainLoss", l)
			}
			if e.NeedsClasses && (plain || !e.KeepsState) {
				t.Errorf("a loss with class parameters keeps them in a context: PlainLoss %v, KeepsState %v", plain, e.KeepsState)
			}
			if _, err := losses.ByName(e.Name); (err == nil) != plain {
				t.Errorf("ByName: %v; PlainLoss %v", err, plain)
			}
			if e.NeedsClasses {
				if e.Blockwise {
					t.Errorf("a loss with class parameters has no query blocks")
				}
				return
			}
			checkBlockRows(t, e, emb, labels)
		})
	}
}

// checkBlockRows computes e's loss with its default options in one block and in blocks of 3 rows, and
// checks that both give the same value and gradient (Blockwise or not: the others compute one block).
func checkBlockRows(t *testing.T, e losses.Info, emb [][]float64, labels []int32) {
	t.Helper()
	var res [2]lossResult
	for i, rows := range []int{-1, 3} {
		l := e.New()
		o := reflect.ValueOf(l).Elem().FieldByName("Options")
		if !o.IsValid() {
			t.Fatalf("%T has no Options", l)
		}
		o.Addr().Interface().(*losses.Options).BlockRows = rows
		ctx := context.New()
		// The same random state for both runs: the losses that draw (Manifold's meta classes and
		// proxies) draw the same values.
		if err := ctx.SetRNGStateFromSeed(1); err != nil {
			t.Fatal(err)
		}
		fn := func(in []*graph.Node) *graph.Node {
			return l.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
		}
		var err error
		if e.KeepsState {
			var outs []any
			outs, err = runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
				v := fn(in)
				return []*graph.Node{v, graph.Gradient(v, in[0])[0]}
			}, emb)
			if err == nil {
				res[i] = lossResult{outs[0].(float64), []any{outs[1]}}
			}
		} else {
			res[i].loss, res[i].grads, err = testutil.LossAndGrads(fn, emb)
		}
		if err != nil {
			t.Fatalf("BlockRows %d: %v", rows, err)
		}
	}
	if res[0].loss == 0 || math.IsNaN(res[0].loss) {
		t.Fatalf("loss %g: the case tests nothing", res[0].loss)
	}
	checkBlocksMatch(t, res[0], res[1])
}
