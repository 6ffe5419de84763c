// Package testutil runs small GoMLX graphs for gometric's tests and examples.
package testutil

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
)

// Exec builds fn over the given input values (converted with tensors.FromAnyValue), runs it once on the
// shared backend and returns the outputs as Go values ([][]float64, float64, ...). A panic while
// building or running the graph is returned as an error.
func Exec(fn func(inputs []*graph.Node) []*graph.Node, inputs ...any) (outs []any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	exec, err := graph.NewExecAny(backend.MustShared(), fn)
	if err != nil {
		return nil, err
	}
	args := make([]any, len(inputs))
	for i, in := range inputs {
		if t, ok := in.(*tensors.Tensor); ok {
			args[i] = t
		} else {
			args[i] = tensors.FromAnyValue(in)
		}
	}
	res, err := exec.Exec(args...)
	if err != nil {
		return nil, err
	}
	outs = make([]any, len(res))
	for i, t := range res {
		outs[i] = t.Value()
	}
	return outs, nil
}

// MustExec is Exec that panics on error, for examples.
func MustExec(fn func(inputs []*graph.Node) []*graph.Node, inputs ...any) []any {
	outs, err := Exec(fn, inputs...)
	if err != nil {
		panic(err)
	}
	return outs
}

// LossAndGrads returns fn's scalar value and its gradients with respect to each input.
func LossAndGrads(fn func(inputs []*graph.Node) *graph.Node, inputs ...any) (loss float64, grads []any, err error) {
	outs, err := Exec(func(in []*graph.Node) []*graph.Node {
		l := fn(in)
		return append([]*graph.Node{l}, graph.Gradient(l, in...)...)
	}, inputs...)
	if err != nil {
		return 0, nil, err
	}
	switch v := outs[0].(type) {
	case float64:
		loss = v
	case float32:
		loss = float64(v)
	default:
		return 0, nil, fmt.Errorf("loss is %T, not a float scalar", outs[0])
	}
	return loss, outs[1:], nil
}
