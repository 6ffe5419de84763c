package gmath

import (
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The helpers below compute row broadcasts and row sums of an [N, M] matrix in the way that is
// fastest on GoMLX's pure-Go backend, and plainly elsewhere. That backend runs a binary op between
// an [N, 1] and an [N, M] operand (and BroadcastInDim, and ReduceSum over an axis) element by element
// through generic index iterators: 3–5 times slower than a same-shape op, the chunk copies of
// Concatenate, or a matrix product on gometric's GEMM kernels (measured on [1024, 1024], see
// docs/PERFORMANCE.md "Broadcasts and row sums"). XLA fuses all of these, so there they stay plain.

// pureGo reports whether g runs on GoMLX's pure-Go backend.
func pureGo(g *graph.Graph) bool {
	return strings.Contains(g.Backend().Name(), "SimpleGo")
}

// RowBroadcast returns the [N] vector v repeated along the M columns of an [N, M] matrix: out[i, j] =
// v[i]. Any dtype. On the pure-Go backend it doubles a column by concatenation.
func RowBroadcast(v *graph.Node, m int) *graph.Node {
	b := graph.InsertAxes(v, -1)
	if !pureGo(v.Graph()) {
		return graph.BroadcastToDims(b, v.Shape().Dimensions[0], m)
	}
	return doubleAlong(b, 1, m)
}

// ColBroadcast returns the [M] vector v repeated along the N rows of an [N, M] matrix: out[i, j] =
// v[j]. Any dtype. On the pure-Go backend it doubles a row by concatenation (whole-row copies).
func ColBroadcast(v *graph.Node, n int) *graph.Node {
	b := graph.InsertAxes(v, 0)
	if !pureGo(v.Graph()) {
		return graph.BroadcastToDims(b, n, v.Shape().Dimensions[0])
	}
	return doubleAlong(b, 0, n)
}

// doubleAlong repeats b (size 1 along axis) to size n along axis by doubling concatenations, then
// one partial concatenation.
func doubleAlong(b *graph.Node, axis, n int) *graph.Node {
	w := 1
	for 2*w <= n {
		b = graph.Concatenate([]*graph.Node{b, b}, axis)
		w *= 2
	}
	if w < n {
		rest := graph.SliceAxis(b, axis, graph.AxisRange(0, n-w))
		b = graph.Concatenate([]*graph.Node{b, rest}, axis)
	}
	return b
}

// RowSum returns the [N] sums of the rows of the [N, M] matrix x: ReduceSum(x, 1). On the pure-Go
// backend a float32 matrix is summed as the matrix product x · 1 (gometric's GEMM kernels; its
// gradient is an outer product, also a GEMM), in a different order than a sequential sum: the
// results agree to float32 rounding.
func RowSum(x *graph.Node) *graph.Node {
	if x.Rank() != 2 || x.DType() != dtypes.Float32 || !pureGo(x.Graph()) {
		return graph.ReduceSum(x, 1)
	}
	m := x.Shape().Dimensions[1]
	ones := graph.Ones(x.Graph(), shapes.Make(x.DType(), m, 1))
	return graph.Reshape(graph.MatMul(x, ones), x.Shape().Dimensions[0])
}
