package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/gometric/gometric/internal/gmath"
)

func shapeNM(dt dtypes.DType, n, m int) shapes.Shape { return shapes.Make(dt, n, m) }

func relu(x *graph.Node) *graph.Node { return gmath.Relu(x) }

// softplus is log(1 + e^x), computed as max(x, 0) + log1p(e^−|x|): exact for large |x| in both
// directions and free of overflow.
func softplus(x *graph.Node) *graph.Node {
	return graph.Add(relu(x), graph.Log1p(graph.Exp(graph.Neg(graph.Abs(x)))))
}

// weightedLogSumExp returns, per row, log Σ_j w[i,j]·exp(x[i,j]) over the entries with w > 0, and
// whether the row had any. An empty row gives a very negative finite value (not −inf) and a zero
// gradient, so that softplus of it is exactly 0 and nothing downstream turns into NaN.
func weightedLogSumExp(x, w *graph.Node) (lse, nonEmpty *graph.Node) {
	g, dt := x.Graph(), x.DType()
	keep := graph.GreaterThan(w, gmath.Zero(w))
	veryNegative := graph.Scalar(g, dt, lowest(dt))
	xm := graph.Where(keep, x, veryNegative)
	rowMax := graph.StopGradient(graph.ReduceMax(xm, 1)) // [N]
	shifted := graph.Sub(xm, graph.InsertAxes(rowMax, -1))
	e := graph.Where(keep, graph.Mul(w, graph.Exp(shifted)), gmath.Zero(x))
	s := graph.ReduceSum(e, 1)
	nonEmpty = graph.GreaterThan(s, gmath.Zero(s))
	safe := graph.Where(nonEmpty, s, gmath.One(s))
	lse = graph.Where(nonEmpty, graph.Add(rowMax, graph.Log(safe)), veryNegative)
	return lse, nonEmpty
}

// lowest is a large negative number that stands for −inf: a quarter of the dtype's lowest value, so
// that adding or subtracting ordinary values never overflows to −inf.
func lowest(dt dtypes.DType) float64 {
	switch dt {
	case dtypes.Float64:
		return -1e300
	case dtypes.Float16, dtypes.BFloat16:
		return -1e4
	default:
		return -1e37
	}
}
