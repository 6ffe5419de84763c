package regularizers

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/reducers"
)

// ZeroMeanRegularizer is PML's ZeroMeanRegularizer: row i is penalized by |Σ_d x_id|, the absolute
// sum of its components, pushing each embedding (or weight vector) to a zero mean; reduced by Reducer
// (MeanReducer by default).
//
// Defaults (NewZeroMeanRegularizer): MeanReducer. PML's distance argument is accepted there but not
// used; gometric has no distance option.
type ZeroMeanRegularizer struct {
	Reducer reducers.Reducer
}

// NewZeroMeanRegularizer returns PML's default ZeroMeanRegularizer.
func NewZeroMeanRegularizer() *ZeroMeanRegularizer {
	return &ZeroMeanRegularizer{Reducer: reducers.MeanReducer{}}
}

// Compute implements Regularizer for x shaped [N, D].
func (r *ZeroMeanRegularizer) Compute(x *graph.Node) *graph.Node {
	losses := graph.Abs(graph.ReduceSum(x, -1))
	return reducerOr(r.Reducer, reducers.MeanReducer{}).Reduce(reducers.SubLoss{Name: "zero_mean_reg", Kind: reducers.Element, Losses: losses})
}
