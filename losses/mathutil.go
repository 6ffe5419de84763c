package losses

import (
	"fmt"
	"math"

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
	shifted := graph.Sub(xm, gmath.RowBroadcast(rowMax, x.Shape().Dimensions[1]))
	e := graph.Where(keep, graph.Mul(w, graph.Exp(shifted)), gmath.Zero(x))
	s := gmath.RowSum(e)
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

// withGradient returns a node whose value is value and whose gradient with respect to x is vjp(v), v
// being the gradient with respect to the result, added to whatever gradient value has itself (usually
// none: value is computed from StopGradient inputs). value has x's shape, or x's shape without its last axis. This lets a
// loss give a hand-written backward of a few passes over the [N, M] matrix where the autodiff of the
// forward ops would take many.
//
// The result is value + (c − StopGradient(c)), with c = x or c = x's first column: the added term is
// exactly 0 for finite x, and carries the upstream gradient to a custom-gradient identity of x.
func withGradient(value, x *graph.Node, vjp func(v *graph.Node) *graph.Node) *graph.Node {
	if value.Shape().Equal(x.Shape()) {
		xid := graph.IdentityWithCustomGradient(x, func(_, v *graph.Node) *graph.Node { return vjp(v) })
		return graph.Add(value, graph.Sub(xid, graph.StopGradient(xid)))
	}
	last := x.Rank() - 1
	if value.Rank() != last || x.Shape().Dimensions[last] == 0 {
		panic("losses: internal error: withGradient shapes")
	}
	firstColumn := func(t *graph.Node) *graph.Node {
		ranges := make([]graph.SliceAxisSpec, x.Rank())
		for i := range ranges {
			ranges[i] = graph.AxisRange()
		}
		ranges[last] = graph.AxisRange(0, 1)
		return graph.Reshape(graph.Slice(t, ranges...), value.Shape().Dimensions...)
	}
	xid := graph.IdentityWithCustomGradient(x, func(_, v *graph.Node) *graph.Node { return vjp(firstColumn(v)) })
	c := firstColumn(xid)
	return graph.Add(value, graph.Sub(c, graph.StopGradient(c)))
}

// withGradientFlat is withGradient for a value of any shape: the result's value is value, and its
// gradient with respect to x is vjp(v), v being the gradient with respect to the result (value's
// shape).
func withGradientFlat(value, x *graph.Node, vjp func(v *graph.Node) *graph.Node) *graph.Node {
	return withGradients(value, []*graph.Node{x}, func(v *graph.Node) []*graph.Node { return []*graph.Node{vjp(v)} })
}

// withGradients returns a node whose value is value (any shape) and whose gradients with respect to
// xs (any shapes, one dtype; the same node may appear twice, its gradients add up) are vjp(v), v being
// the gradient with respect to the result. The upstream gradient reaches a custom-gradient identity of
// the concatenated, flattened xs through a slice of it (padded with zeros when the xs have fewer
// entries than value), which adds exactly 0 to the value.
func withGradients(value *graph.Node, xs []*graph.Node, vjp func(v *graph.Node) []*graph.Node) *graph.Node {
	g, dt := value.Graph(), xs[0].DType()
	nv := value.Shape().Size()
	flat := make([]*graph.Node, len(xs))
	nx := 0
	for i, x := range xs {
		flat[i] = graph.Reshape(x, x.Shape().Size())
		nx += x.Shape().Size()
	}
	pad := max(0, nv-nx)
	if pad > 0 {
		flat = append(flat, graph.Zeros(g, shapes.Make(dt, pad)))
	}
	carrier := flat[0]
	if len(flat) > 1 {
		carrier = graph.Concatenate(flat, 0)
	}
	cid := graph.IdentityWithCustomGradient(carrier, func(_, vc *graph.Node) *graph.Node {
		v := graph.Reshape(graph.Slice(vc, graph.AxisRange(0, nv)), value.Shape().Dimensions...)
		grads := vjp(v)
		parts := make([]*graph.Node, len(grads), len(grads)+1)
		for i, gx := range grads {
			parts[i] = graph.Reshape(gx, xs[i].Shape().Size())
		}
		if pad > 0 {
			parts = append(parts, graph.Zeros(g, shapes.Make(dt, pad)))
		}
		if len(parts) == 1 {
			return parts[0]
		}
		return graph.Concatenate(parts, 0)
	})
	c := graph.Reshape(graph.Slice(cid, graph.AxisRange(0, nv)), value.Shape().Dimensions...)
	if c.DType() != value.DType() {
		panic("losses: internal error: withGradients dtypes")
	}
	return graph.Add(value, graph.Sub(c, graph.StopGradient(c)))
}

// maskedExp is the shared forward of a log-sum-exp over the entries of each row of x selected by keep
// (optionally weighted by w, w > 0 where keep): e = w·exp(x − rowMax) (0 outside keep), its row sums s,
// whether a row has any entry (s > 0), and log s (0 for an empty row). x must have no gradient path.
// The row's log-sum-exp is rowMax + logS; its gradient with respect to x[i, j] is e[i, j] / s[i].
type maskedExp struct {
	e, eRaw, s, nonEmpty, rowMax, logS *graph.Node
	// shifted is x − rowMax where keep (−huge elsewhere).
	shifted *graph.Node
}

func newMaskedExp(x, keep, w *graph.Node) maskedExp {
	g, dt := x.Graph(), x.DType()
	veryNegative := graph.Scalar(g, dt, lowest(dt))
	xm := graph.Where(keep, x, veryNegative)
	rowMax := graph.ReduceMax(xm, 1) // [N]
	// An empty row's maximum is veryNegative: shift it by 0 instead, so that its entries give exp(−huge) = 0.
	rowMax = graph.Where(graph.LessOrEqual(rowMax, veryNegative), gmath.Zero(rowMax), rowMax)
	var me maskedExp
	me.rowMax = rowMax
	me.shifted = graph.Sub(xm, gmath.RowBroadcast(rowMax, x.Shape().Dimensions[1]))
	me.eRaw = graph.Exp(me.shifted)
	me.e = me.eRaw
	if w != nil {
		me.e = graph.Mul(w, me.eRaw)
	}
	me.s = gmath.RowSum(me.e)
	me.nonEmpty = graph.GreaterThan(me.s, gmath.Zero(me.s))
	me.logS = graph.Where(me.nonEmpty, graph.Log(graph.Where(me.nonEmpty, me.s, gmath.One(me.s))), gmath.Zero(me.s))
	return me
}

// softplusThreshold is where log1p(e^x) equals x in the dtype: beyond it softplus returns x, and e^x
// is never evaluated above it (no overflow).
func softplusThreshold(dt dtypes.DType) float64 {
	switch dt {
	case dtypes.Float64:
		return 40
	case dtypes.Float16, dtypes.BFloat16:
		return 10
	default:
		return 20
	}
}

// checkTemperature reports a softmax temperature that is not a positive finite number.
func checkTemperature(lossName string, t float64) error {
	if !(t > 0) || math.IsInf(t, 1) {
		return fmt.Errorf("%s: temperature must be a positive number, got %v", lossName, t)
	}
	return nil
}
