package losses_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/dotgrad"
	"github.com/gometric/gometric/losses"
)

// computeOn runs l's ComputeWithContext on be with the embeddings and labels as the graph's inputs,
// and returns the loss, the gradients of 2.5 times it (embeddings first, then the context's trainable
// variables in their order) followed by the gradient of the loss itself with respect to the
// embeddings, and whether the graph has a host call (its carrier node).
func computeOn(t *testing.T, be backends.Backend, l losses.Loss, emb any, labels []int32) (float64, [][]float64, bool) {
	t.Helper()
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(3); err != nil {
		t.Fatal(err)
	}
	hostCall := false
	exec, err := context.NewExec(be, ctx, func(ctx *context.Context, e, y *graph.Node) []*graph.Node {
		v := l.ComputeWithContext(ctx, losses.Inputs{Embeddings: e, Labels: y})
		for _, n := range e.Graph().Nodes() {
			hostCall = hostCall || n.Type() == graph.NodeTypeFusedDense
		}
		// The gradients of 2.5·loss: the engine's gradients must follow the cotangent they receive.
		scaled := graph.MulScalar(v, 2.5)
		outs := []*graph.Node{v, graph.Gradient(scaled, e)[0]}
		outs = append(outs, ctx.BuildTrainableVariablesGradientsGraph(scaled)...)
		// And of the loss itself, whose cotangent is graph.Gradient's constant seed.
		return append(outs, graph.Gradient(v, e)[0])
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Exec(tensors.FromAnyValue(emb), labels)
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	switch v := res[0].Value().(type) {
	case float32:
		loss = float64(v)
	case float64:
		loss = v
	}
	var grads [][]float64
	for _, g := range res[1:] {
		var flat []float64
		g.ConstFlatData(func(f any) {
			switch f := f.(type) {
			case []float32:
				for _, x := range f {
					flat = append(flat, float64(x))
				}
			case []float64:
				flat = append(flat, f...)
			}
		})
		grads = append(grads, flat)
	}
	return loss, grads, hostCall
}

// Every loss with a host engine runs it inside its graph on the shared pure-Go backend when the
// embeddings and labels are the graph's inputs: the same value and the same gradients (the
// embeddings' and the class parameters') as its graph formulation (backend.GraphOnly), in float64
// to 1e-9 and float32 to 2e-4 relative.
func TestComputeRunsHostEngine(t *testing.T) {
	defer losses.PoisonBuffers()() // A kernel that reads an entry it did not write fails.
	dotgrad.Install()
	shared, err := backend.Shared()
	if err != nil {
		t.Fatal(err)
	}
	if !backend.IsPureGo(shared) {
		t.Skip("host calls are for the pure-Go backend")
	}
	graphOnly, err := backend.GraphOnly()
	if err != nil {
		t.Fatal(err)
	}
	const n, d, classes = 24, 8, 12
	r := rand.New(rand.NewPCG(5, 8))
	emb64 := make([][]float64, n)
	emb32 := make([][]float32, n)
	labels := make([]int32, n)
	for i := range emb64 {
		emb64[i], emb32[i] = make([]float64, d), make([]float32, d)
		for j := range emb64[i] {
			emb64[i][j] = r.NormFloat64()
			emb32[i][j] = float32(emb64[i][j])
		}
		labels[i] = int32(i / 2)
	}
	covered := 0
	for _, name := range losses.Names() {
		var l losses.Loss
		if pl, err := losses.ByNameWithClasses(name, classes, d); err == nil {
			l = pl
		} else if pl, err := losses.ByName(name); err == nil {
			l = pl
		} else {
			continue
		}
		if _, err := losses.Host(l); err != nil {
			continue // No host engine for it: nothing to compare.
		}
		covered++
		for _, prec := range []string{"float64", "float32"} {
			t.Run(fmt.Sprintf("%s/%s", name, prec), func(t *testing.T) {
				var emb any = emb64
				tol := 1e-9
				if prec == "float32" {
					emb, tol = emb32, 2e-4
				}
				hostLoss, hostGrads, viaHost := computeOn(t, shared, l, emb, labels)
				graphLoss, graphGrads, viaGraph := computeOn(t, graphOnly, l, emb, labels)
				if !viaHost || viaGraph {
					t.Fatalf("host call on the shared backend: %v, on GraphOnly: %v; want true, false", viaHost, viaGraph)
				}
				if math.Abs(hostLoss-graphLoss) > tol*math.Max(1, math.Abs(graphLoss)) {
					t.Errorf("loss: in-graph host engine %.10g, graph %.10g", hostLoss, graphLoss)
				}
				if len(hostGrads) != len(graphGrads) {
					t.Fatalf("%d gradients, graph %d", len(hostGrads), len(graphGrads))
				}
				for k := range graphGrads {
					scale := 0.0
					for _, x := range graphGrads[k] {
						scale = math.Max(scale, math.Abs(x))
					}
					if scale == 0 {
						t.Fatalf("gradient %d of the graph is zero: the case checks nothing", k)
					}
					for i := range graphGrads[k] {
						if math.Abs(hostGrads[k][i]-graphGrads[k][i]) > tol*scale {
							t.Fatalf("gradient %d [%d]: in-graph host engine %.10g, graph %.10g", k, i, hostGrads[k][i], graphGrads[k][i])
						}
					}
				}
			})
		}
	}
	if covered < 25 {
		t.Errorf("only %d registered losses have a host engine, want at least 25", covered)
	}
}
