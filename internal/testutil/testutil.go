// Package testutil runs small GoMLX graphs for gometric's tests and examples, and makes and checks
// their data.
package testutil

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
)

// Exec builds fn over the given input values (converted with tensors.FromAnyValue), runs it once on the
// shared backend without host calls (backend.GraphOnly: every loss its graph formulation, which the
// tests check against PML and against the host engine) and returns the outputs as Go values ([][]float64, float64, ...). A panic while
// building or running the graph is returned as an error.
func Exec(fn func(inputs []*graph.Node) []*graph.Node, inputs ...any) (outs []any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	be, err := backend.GraphOnly()
	if err != nil {
		return nil, err
	}
	exec, err := graph.NewExecAny(be, fn)
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

// RandMatrix returns an n×d matrix filled row by row with values drawn by next (a random
// generator's NormFloat64, say).
func RandMatrix(next func() float64, n, d int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, d)
		for j := range m[i] {
			m[i][j] = next()
		}
	}
	return m
}

// To32 returns x converted to float32.
func To32(x [][]float64) [][]float32 {
	out := make([][]float32, len(x))
	for i, row := range x {
		out[i] = make([]float32, len(row))
		for j, v := range row {
			out[i][j] = float32(v)
		}
	}
	return out
}

// Finite reports whether v, a [][]float64 or a [][]float32, holds neither NaN nor Inf; a value of
// any other type is reported as not finite.
func Finite(v any) bool {
	switch x := v.(type) {
	case [][]float64:
		for _, r := range x {
			for _, f := range r {
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return false
				}
			}
		}
	case [][]float32:
		for _, r := range x {
			for _, f := range r {
				if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
					return false
				}
			}
		}
	default:
		return false
	}
	return true
}
