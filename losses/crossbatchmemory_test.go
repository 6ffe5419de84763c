package losses_test

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

// xbmStep is one call of a CrossBatchMemory case of testdata/xbm-pml.json.
type xbmStep struct {
	Embeddings  [][]float64 `json:"embeddings"`
	Labels      []int32     `json:"labels"`
	EnqueueMask []bool      `json:"enqueue_mask"`
	Pairs       [][]int     `json:"pairs"`    // A user indices_tuple (a1, p, a2, n).
	Triplets    [][]int     `json:"triplets"` // A user indices_tuple (a, p, n).
	Loss        float64     `json:"loss"`
	Grad        [][]float64 `json:"grad"`
}

// xbmCase is one CrossBatchMemory object of testdata/xbm-pml.json (written by testdata/gen_xbm.py),
// called on consecutive batches.
type xbmCase struct {
	Name          string    `json:"name"`
	Loss          string    `json:"loss"`
	Miner         *string   `json:"miner"`
	MemorySize    int       `json:"memory_size"`
	EmbeddingSize int       `json:"embedding_size"`
	Steps         []xbmStep `json:"steps"`
}

// userSelection returns the step's indices_tuple as pair weights [N, MemorySize] (TripletWeights for
// triplets, PML's convert_to_pairs), or nils.
func (s xbmStep) userSelection(t *testing.T, memorySize int) (pos, neg *tensors.Tensor) {
	t.Helper()
	n := len(s.Embeddings)
	var err error
	switch {
	case s.Pairs != nil:
		pos, neg, err = losses.PairWeights(n, memorySize, s.Pairs[0], s.Pairs[1], s.Pairs[2], s.Pairs[3])
	case s.Triplets != nil:
		pos, neg, err = losses.TripletWeights(n, memorySize, s.Triplets[0], s.Triplets[1], s.Triplets[2])
	}
	if err != nil {
		t.Fatal(err)
	}
	return pos, neg
}

// TestCrossBatchMemoryPML compares CrossBatchMemory with a miner (pair and triplet miners), an
// enqueue mask (with and without a miner) and a user selection (pairs, triplets, and pairs with a
// triplet miner) with PML's, step by step over a memory that wraps around: loss and gradient at 1e-9
// in float64; in float32 the loss at 1e-4.
func TestCrossBatchMemoryPML(t *testing.T) {
	data, err := os.ReadFile("testdata/xbm-pml.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []xbmCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 11 {
		t.Fatalf("%d cases, want 11", len(f.Cases))
	}
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, dt := range []string{"float64", "float32"} {
				got, grads := runXBM(t, c, dt == "float32")
				nonZero := false
				for k, s := range c.Steps {
					tol := 1e-9
					if dt == "float32" {
						tol = 1e-4
					}
					if math.Abs(got[k]-s.Loss) > tol*math.Max(math.Abs(s.Loss), 1e-3) {
						t.Errorf("%s step %d: loss %.17g, want %.17g", dt, k, got[k], s.Loss)
					}
					if dt == "float64" {
						if e := relErr(grads[k], s.Grad); !(e <= 1e-9) {
							t.Errorf("step %d: gradient relative error %.3g", k, e)
						}
					}
					nonZero = nonZero || s.Loss != 0
				}
				if !nonZero {
					t.Fatal("every step's loss is 0: the case tests nothing")
				}
			}
		})
	}
}

// runXBM runs the case's steps with one CrossBatchMemory and one context, returning each step's loss
// and gradient (float32 gradients converted to float64).
func runXBM(t *testing.T, c xbmCase, float32 bool) ([]float64, [][][]float64) {
	t.Helper()
	inner, err := losses.Parse(c.Loss)
	if err != nil {
		t.Fatal(err)
	}
	x := losses.NewCrossBatchMemory(inner, c.EmbeddingSize, c.MemorySize)
	if c.Miner != nil {
		if x.Miner, err = miners.Parse(*c.Miner); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.New()
	exec, err := context.NewExecAny(backend.MustShared(), ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		li := losses.Inputs{Embeddings: in[0], Labels: in[1]}
		var l *graph.Node
		switch {
		case c.Steps[0].EnqueueMask != nil:
			l = x.ComputeWithEnqueueMask(ctx, li, in[2])
		case len(in) > 2:
			li.Pos, li.Neg = in[2], in[3]
			l = x.ComputeWithContext(ctx, li)
		default:
			l = x.ComputeWithContext(ctx, li)
		}
		return []*graph.Node{graph.ConvertDType(l, dtypes.Float64), graph.ConvertDType(graph.Gradient(l, in[0])[0], dtypes.Float64)}
	})
	if err != nil {
		t.Fatal(err)
	}
	var stepLosses []float64
	var grads [][][]float64
	for k, s := range c.Steps {
		emb := tensors.FromValue(s.Embeddings)
		if float32 {
			emb = tensors.FromValue(testutil.To32(s.Embeddings))
		}
		args := []any{emb, tensors.FromValue(s.Labels)}
		if s.EnqueueMask != nil {
			args = append(args, tensors.FromValue(s.EnqueueMask))
		} else if pos, neg := s.userSelection(t, c.MemorySize); pos != nil {
			args = append(args, pos, neg)
		}
		outs, err := exec.Exec(args...)
		if err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
		stepLosses = append(stepLosses, tensors.ToScalar[float64](outs[0]))
		grads = append(grads, outs[1].Value().([][]float64))
	}
	return stepLosses, grads
}

// TestCrossBatchMemoryErrors checks the inputs CrossBatchMemory refuses: an enqueue mask with explicit
// pairs (mutually exclusive, as in PML), pair weights that are not [N, MemorySize], a mask that is not
// [N], and Ref.
func TestCrossBatchMemoryErrors(t *testing.T) {
	const n, d, m = 4, 3, 6
	emb := randEmb(9, n, d)
	labels := []int32{0, 1, 0, 1}
	for _, tc := range []struct {
		name, want string
		call       func(x *losses.CrossBatchMemory, ctx *context.Context, e *graph.Node) *graph.Node
	}{
		{"mask and pairs", "mutually exclusive", func(x *losses.CrossBatchMemory, ctx *context.Context, e *graph.Node) *graph.Node {
			g := e.Graph()
			w := graph.Zeros(g, shapes.Make(dtypes.Float64, n, m))
			return x.ComputeWithEnqueueMask(ctx, losses.Inputs{Embeddings: e, Labels: graph.Const(g, labels), Pos: w, Neg: w},
				graph.Const(g, []bool{true, false, true, false}))
		}},
		{"pairs shape", "queries x memory slots", func(x *losses.CrossBatchMemory, ctx *context.Context, e *graph.Node) *graph.Node {
			g := e.Graph()
			w := graph.Zeros(g, shapes.Make(dtypes.Float64, n, n))
			return x.ComputeWithContext(ctx, losses.Inputs{Embeddings: e, Labels: graph.Const(g, labels), Pos: w, Neg: w})
		}},
		{"mask shape", "enqueue mask must be", func(x *losses.CrossBatchMemory, ctx *context.Context, e *graph.Node) *graph.Node {
			g := e.Graph()
			return x.ComputeWithEnqueueMask(ctx, losses.Inputs{Embeddings: e, Labels: graph.Const(g, labels)}, graph.Const(g, []bool{true}))
		}},
		{"ref", "not supported", func(x *losses.CrossBatchMemory, ctx *context.Context, e *graph.Node) *graph.Node {
			g := e.Graph()
			return x.ComputeWithContext(ctx, losses.Inputs{Embeddings: e, Labels: graph.Const(g, labels), Ref: e, RefLabels: graph.Const(g, labels)})
		}},
	} {
		x := losses.NewCrossBatchMemory(losses.NewContrastive(), d, m)
		_, err := runWithContext(context.New(), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
			return []*graph.Node{tc.call(x, ctx, in[0])}
		}, emb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
