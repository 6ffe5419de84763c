package losses_test

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
)

// randEmb returns n random embeddings of d standard normal values, the same for the same seed.
func randEmb(seed uint64, n, d int) [][]float64 {
	return testutil.RandMatrix(rand.New(rand.NewPCG(seed, 7)).NormFloat64, n, d)
}

// bothPrecisions yields emb as float64 then as float32, each with its name ("float64", "float32").
func bothPrecisions(emb [][]float64) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if yield("float64", emb) {
			yield("float32", testutil.To32(emb))
		}
	}
}

// firstDiff returns the first position where a and b differ by more than tol; ok is false when there
// is none.
func firstDiff(a, b [][]float64, tol float64) (i, j int, ok bool) {
	for i := range a {
		for j := range a[i] {
			if math.Abs(a[i][j]-b[i][j]) > tol {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// diffNorms returns the Euclidean norms of a−b and of a: a float64 gradient against its float32
// counterpart.
func diffNorms(a [][]float64, b [][]float32) (diff, norm float64) {
	for i := range a {
		for j := range a[i] {
			diff += (a[i][j] - float64(b[i][j])) * (a[i][j] - float64(b[i][j]))
			norm += a[i][j] * a[i][j]
		}
	}
	return math.Sqrt(diff), math.Sqrt(norm)
}

// finiteNonZero reports whether v (a matrix or a scalar, float32 or float64) holds neither NaN nor
// Inf, and whether any of its values is not 0.
func finiteNonZero(v any) (finite, nonZero bool) {
	finite = true
	check := func(x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			finite = false
		}
		if x != 0 {
			nonZero = true
		}
	}
	switch m := v.(type) {
	case [][]float32:
		for _, r := range m {
			for _, x := range r {
				check(float64(x))
			}
		}
	case [][]float64:
		for _, r := range m {
			for _, x := range r {
				check(x)
			}
		}
	case float32:
		check(float64(m))
	case float64:
		check(m)
	default:
		panic(fmt.Sprintf("unexpected %T", v))
	}
	return finite, nonZero
}

// runWithContext builds fn in ctx, runs it once on the inputs and returns its outputs as Go values; a
// panic is returned as an error.
func runWithContext(ctx *context.Context, fn func(ctx *context.Context, in []*graph.Node) []*graph.Node, inputs ...any) (outs []any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	be, err := backend.GraphOnly() // The graph formulation: the reference of the host engine's tests.
	if err != nil {
		return nil, err
	}
	exec, err := context.NewExec(be, ctx, fn)
	if err != nil {
		return nil, err
	}
	res, err := exec.Exec(inputs...)
	if err != nil {
		return nil, err
	}
	for _, t := range res {
		outs = append(outs, t.Value())
	}
	return outs, nil
}

// blockData is what the blockwise tests give a loss besides the embeddings: labels, the references'
// labels and explicit pairs.
type blockData struct {
	labels, refLabels []int32
	pos, neg          *tensors.Tensor
	// pairsOnly: the explicit inputs come without labels.
	pairsOnly bool
}

// inputs returns the builder of the loss inputs of kind "labels", "ref" (the references are in[1]) or
// "explicit", for the embeddings in[0].
func (d blockData) inputs(kind string) func(in []*graph.Node) losses.Inputs {
	return func(in []*graph.Node) losses.Inputs {
		g := in[0].Graph()
		switch kind {
		case "ref":
			return losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, d.labels), Ref: in[1], RefLabels: graph.Const(g, d.refLabels)}
		case "explicit":
			if d.pairsOnly {
				return losses.Inputs{Embeddings: in[0], Pos: graph.Const(g, d.pos), Neg: graph.Const(g, d.neg)}
			}
			return losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, d.labels), Pos: graph.Const(g, d.pos), Neg: graph.Const(g, d.neg)}
		}
		return losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, d.labels)}
	}
}

// lossResult is a loss's value and its gradients with respect to each input.
type lossResult struct {
	loss  float64
	grads []any
}

// oneBlockAndBlocks computes a loss and its gradients with respect to args twice: in one block
// (BlockRows -1), then in blocks of 3 rows, the last one smaller. newLoss returns a fresh loss
// computed in blocks of rows; inputs builds its inputs from the graph's parameters.
func oneBlockAndBlocks(t *testing.T, newLoss func(rows int) losses.Loss, inputs func(in []*graph.Node) losses.Inputs, args ...any) (one, blocks lossResult) {
	t.Helper()
	var results [2]lossResult
	for i, rows := range []int{-1, 3} {
		l := newLoss(rows)
		loss, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
			return l.ComputeWithContext(nil, inputs(in))
		}, args...)
		if err != nil {
			t.Fatal(err)
		}
		results[i] = lossResult{loss, grads}
	}
	return results[0], results[1]
}

// checkBlocksMatch fails t unless blocks has one's value (to 1e-12, relative) and gradients (to
// 1e-12).
func checkBlocksMatch(t *testing.T, one, blocks lossResult) {
	t.Helper()
	if math.Abs(one.loss-blocks.loss) > 1e-12*math.Max(1, math.Abs(one.loss)) {
		t.Errorf("loss: one block %.15g, blocks %.15g", one.loss, blocks.loss)
	}
	for k := range one.grads {
		a, b := one.grads[k].([][]float64), blocks.grads[k].([][]float64)
		if i, j, ok := firstDiff(a, b, 1e-12); ok {
			t.Fatalf("gradient %d differs at %d,%d: one block %.15g, blocks %.15g", k, i, j, a[i][j], b[i][j])
		}
	}
}
