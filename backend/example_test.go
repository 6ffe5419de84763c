package backend_test

import (
	"fmt"
	"os"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
)

func Example() {
	os.Unsetenv(backend.EnvVar)
	fmt.Println(backend.Config())
	b, err := backend.New("")
	if err != nil {
		panic(err)
	}
	fmt.Println(b.Name() != "")
	// Output:
	// go
	// true
}

// A host call: Go code computes a node of the graph (here y = x², and its gradient 2x joined to the
// value as gometric's losses join theirs) before the compiled graph runs.
func ExampleHostCall() {
	b, err := backend.New("go")
	if err != nil {
		panic(err)
	}
	square := func(in []*tensors.Tensor) ([]*tensors.Tensor, error) {
		x := in[0].Value().(float64)
		return []*tensors.Tensor{tensors.FromValue(x * x), tensors.FromValue(2 * x)}, nil
	}
	exec, err := graph.NewExec(b, func(x *graph.Node) (*graph.Node, *graph.Node) {
		out := backend.HostCall(square, []shapes.Shape{x.Shape(), x.Shape()}, x)
		y := graph.Add(out[0], graph.Sub(graph.Mul(x, out[1]), graph.StopGradient(graph.Mul(x, out[1]))))
		return y, graph.Gradient(y, x)[0]
	})
	if err != nil {
		panic(err)
	}
	res, err := exec.Exec(3.0)
	if err != nil {
		panic(err)
	}
	fmt.Println(res[0].Value(), res[1].Value())
	// Output: 9 6
}
