// Package gmath holds the small graph helpers gometric's packages share: scalar constants that
// broadcast (instead of full tensors of zeros or ones, which the pure-Go backend would materialize),
// and functions whose gradients stay finite where the textbook ones do not.
package gmath

import "github.com/gomlx/gomlx/pkg/core/graph"

// Zero returns a scalar 0 of x's dtype, for Where and comparisons (they broadcast scalars).
func Zero(x *graph.Node) *graph.Node { return graph.ScalarZero(x.Graph(), x.DType()) }

// One returns a scalar 1 of x's dtype.
func One(x *graph.Node) *graph.Node { return graph.ScalarOne(x.Graph(), x.DType()) }

// Relu is max(x, 0) with torch's gradient at 0 (zero), which GoMLX's Max does not share.
func Relu(x *graph.Node) *graph.Node {
	zero := Zero(x)
	return graph.Where(graph.GreaterThan(x, zero), x, zero)
}

// SafeSqrt is Sqrt with a zero gradient where x <= 0 (torch's cdist and norm behave this way), so a
// zero distance, such as a point's distance to itself, never turns a gradient into NaN.
func SafeSqrt(x *graph.Node) *graph.Node {
	positive := graph.GreaterThan(x, Zero(x))
	return graph.Where(positive, graph.Sqrt(graph.Where(positive, x, One(x))), Zero(x))
}

// SafePow is Pow(x, e) for x >= 0 with a zero gradient at x == 0.
func SafePow(x *graph.Node, e float64) *graph.Node {
	positive := graph.GreaterThan(x, Zero(x))
	return graph.Where(positive, graph.Pow(graph.Where(positive, x, One(x)), graph.Scalar(x.Graph(), x.DType(), e)), Zero(x))
}

// SafeDiv returns num / den where den > 0, else 0, with no NaN in the gradient.
func SafeDiv(num, den *graph.Node) *graph.Node {
	positive := graph.GreaterThan(den, Zero(den))
	safe := graph.Where(positive, den, One(den))
	return graph.Where(positive, graph.Div(num, safe), Zero(num))
}
