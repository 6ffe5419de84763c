package regularizers

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// Regularizer turns a batch of vectors (embeddings or weights, [N, D]) into a scalar penalty.
type Regularizer interface {
	// Compute returns the reduced scalar penalty of x.
	Compute(x *graph.Node) *graph.Node
}

// LpRegularizer penalizes the Lp norm of each row, ‖x_i‖_p^Power, reduced by Reducer (MeanReducer
// by default): PML's LpRegularizer.
type LpRegularizer struct {
	P, Power float64
	Reducer  reducers.Reducer
}

// NewLpRegularizer returns PML's default LpRegularizer(p=2, power=1) with a MeanReducer.
func NewLpRegularizer() *LpRegularizer {
	return &LpRegularizer{P: 2, Power: 1, Reducer: reducers.MeanReducer{}}
}

// Compute implements Regularizer.
func (r *LpRegularizer) Compute(x *graph.Node) *graph.Node {
	g, dt := x.Graph(), x.DType()
	var norms *graph.Node
	switch r.P {
	case 2:
		norms = gmath.SafeSqrt(graph.ReduceSum(graph.Square(x), -1))
	case 1:
		norms = graph.ReduceSum(graph.Abs(x), -1)
	default:
		norms = graph.Pow(graph.ReduceSum(graph.Pow(graph.Abs(x), graph.Scalar(g, dt, r.P)), -1), graph.Scalar(g, dt, 1/r.P))
	}
	if r.Power != 1 {
		norms = graph.Pow(norms, graph.Scalar(g, dt, r.Power))
	}
	red := r.Reducer
	if red == nil {
		red = reducers.MeanReducer{}
	}
	return red.Reduce(reducers.SubLoss{Name: "lp_reg", Kind: reducers.Element, Losses: norms})
}
