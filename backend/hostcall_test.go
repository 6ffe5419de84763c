package backend

import (
	"errors"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// doubleAndSum is a host function: x → (2x, Σx, number of calls so far).
func doubleAndSum(calls *int) HostFunc {
	return func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		*calls++
		x := in[0].Value().([]float32)
		twice := make([]float32, len(x))
		var sum float32
		for i, v := range x {
			twice[i], sum = 2*v, sum+v
		}
		return []*tensors.Tensor{tensors.FromValue(twice), tensors.FromValue(sum)}, nil
	}
}

// A host call's outputs enter the graph where it is built, the graph's other inputs keep their
// order (also one created after the call), and the call runs once per execution.
func TestHostCall(t *testing.T) {
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	g := graph.NewGraph(b, "hostcall")
	defer g.Finalize()
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 3))
	if !HostCallsSupported(g) || !HostCallInputs(x) {
		t.Fatal("host calls not supported on New(go)")
	}
	out := HostCall(doubleAndSum(&calls), []shapes.Shape{shapes.Make(dtypes.Float32, 3), shapes.Make(dtypes.Float32)}, x)
	y := graph.Parameter(g, "y", shapes.Make(dtypes.Float32, 3)) // after the call's parameters
	g.Compile(graph.Add(out[0], y), graph.Mul(out[1], graph.ReduceSum(y)))
	for round := 1; round <= 2; round++ {
		res := g.Run([]float32{1, 2, 3}, []float32{10, 20, 30})
		if got := res[0].Value().([]float32); got[0] != 12 || got[1] != 24 || got[2] != 36 {
			t.Errorf("2x + y = %v, want [12 24 36]", got)
		}
		if got := res[1].Value().(float32); got != 360 {
			t.Errorf("Σx·Σy = %v, want 360", got)
		}
		if calls != round {
			t.Errorf("host function ran %d times after %d executions", calls, round)
		}
	}
}

// A host call's value joins a gradient the way gometric's losses join theirs: value + (Σ x·g −
// stop(Σ x·g)) has the host value and the gradient g.
func TestHostCallGradient(t *testing.T) {
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	square := func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0].Value().([]float64)
		var v float64
		g := make([]float64, len(x))
		for i, xi := range x {
			v, g[i] = v+xi*xi, 2*xi
		}
		return []*tensors.Tensor{tensors.FromValue(v), tensors.FromValue(g)}, nil
	}
	exec, err := graph.NewExec(b, func(x *graph.Node) (*graph.Node, *graph.Node) {
		out := HostCall(square, []shapes.Shape{shapes.Make(dtypes.Float64), x.Shape()}, x)
		link := graph.ReduceAllSum(graph.Mul(x, out[1]))
		v := graph.MulScalar(graph.Add(out[0], graph.Sub(link, graph.StopGradient(link))), 3)
		return v, graph.Gradient(v, x)[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Exec([]float64{1, -2})
	if err != nil {
		t.Fatal(err)
	}
	if got := res[0].Value().(float64); got != 15 {
		t.Errorf("3·Σx² = %v, want 15", got)
	}
	if got := res[1].Value().([]float64); got[0] != 6 || got[1] != -12 {
		t.Errorf("gradient %v, want [6 -12]", got)
	}
}

// A host function's error is the execution's error; inputs that are not parameters are refused.
func TestHostCallErrors(t *testing.T) {
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	fail := func([]*tensors.Tensor) ([]*tensors.Tensor, error) { return nil, errors.New("no luck") }
	exec, err := graph.NewExec(b, func(x *graph.Node) *graph.Node {
		return HostCall(fail, []shapes.Shape{x.Shape()}, x)[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Exec([]float32{1}); err == nil || !strings.Contains(err.Error(), "no luck") {
		t.Errorf("error %v, want the host function's", err)
	}
	wrongShape := func([]*tensors.Tensor) ([]*tensors.Tensor, error) {
		return []*tensors.Tensor{tensors.FromValue([]float32{1, 2})}, nil
	}
	exec, err = graph.NewExec(b, func(x *graph.Node) *graph.Node {
		return HostCall(wrongShape, []shapes.Shape{x.Shape()}, x)[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Exec([]float32{1}); err == nil || !strings.Contains(err.Error(), "want (Float32)[1]") {
		t.Errorf("error %v, want one about the output's shape", err)
	}
	g := graph.NewGraph(b, "computed")
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 2))
	if HostCallInputs(graph.Neg(x)) {
		t.Error("a computed node accepted as a host call input")
	}
	g.Finalize()
}

// Host calls are off with "nohostcalls" (GraphOnly), on other backends, and the option leaves the
// rest of the configuration alone.
func TestNoHostCalls(t *testing.T) {
	b, err := New("go:" + NoHostCalls)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.NewGraph(b, "plain")
	defer g.Finalize()
	if HostCallsSupported(g) {
		t.Error("host calls supported with nohostcalls")
	}
	if !IsPureGo(b) {
		t.Error("go:nohostcalls is not the pure-Go backend")
	}
	for _, c := range []struct{ in, want string }{
		{"go", "go"},
		{"go:nohostcalls", "go"},
		{"go:ops_parallel,nohostcalls", "go:ops_parallel"},
		{"xla:cuda", "xla:cuda"},
	} {
		if got, _ := withoutOption(c.in, NoHostCalls); got != c.want {
			t.Errorf("withoutOption(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// NewHostOutput's tensors reach the graph as they are; an output that is one of the inputs (a view
// of the graph's buffer) is copied, so the graph's own input stays intact.
func TestHostOutput(t *testing.T) {
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	var made *tensors.Tensor
	fn := func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		out, err := NewHostOutput(b, in[0].Shape())
		if err != nil {
			return nil, err
		}
		tensors.ConstFlatData(in[0], func(x []float32) {
			tensors.ConstFlatData(out, func(o []float32) {
				for i, v := range x {
					o[i] = 10 * v
				}
			})
		})
		made = out
		return []*tensors.Tensor{out, in[0]}, nil
	}
	exec, err := graph.NewExec(b, func(x *graph.Node) (*graph.Node, *graph.Node, *graph.Node) {
		out := HostCall(fn, []shapes.Shape{x.Shape(), x.Shape()}, x)
		return graph.Add(out[0], x), graph.Neg(out[1]), graph.Mul(x, x)
	})
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.FromValue([]float32{1, 2})
	for round := range 2 {
		res, err := exec.Exec(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := res[0].Value().([]float32); got[0] != 11 || got[1] != 22 {
			t.Errorf("round %d: 10x + x = %v, want [11 22]", round, got)
		}
		if got := res[1].Value().([]float32); got[0] != -1 || got[1] != -2 {
			t.Errorf("round %d: -x = %v, want [-1 -2]", round, got)
		}
		if got := res[2].Value().([]float32); got[0] != 1 || got[1] != 4 {
			t.Errorf("round %d: x·x = %v, want [1 4]", round, got)
		}
		if got := x.Value().([]float32); got[0] != 1 || got[1] != 2 {
			t.Errorf("round %d: the caller's x is %v, want [1 2]", round, got)
		}
		if made.CheckValid() == nil { // Handing its buffer over leaves the tensor empty.
			t.Errorf("round %d: NewHostOutput's tensor still holds its buffer: it was copied, not handed over", round)
		}
	}
	plain, err := GraphOnly()
	if err != nil {
		t.Fatal(err)
	}
	if local, err := NewHostOutput(plain, shapes.Make(dtypes.Float32, 2)); err != nil || !local.IsLocal() {
		t.Errorf("NewHostOutput(GraphOnly()) = %v, %v, want a local tensor", local, err)
	}
}
