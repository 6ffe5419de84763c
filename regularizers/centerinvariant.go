package regularizers

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/reducers"
)

// CenterInvariantRegularizer is PML's CenterInvariantRegularizer (Wu et al., 2017), for class
// weights: with s_i = ‖w_i‖² the squared L2 norm of row i and s̄ their mean, row i is penalized by
// (s_i − s̄)² / 4, pushing the classes' weight vectors to a common norm; reduced by Reducer
// (MeanReducer by default). Give it the weights with one row per class.
//
// Defaults (NewCenterInvariantRegularizer): MeanReducer. PML fixes the distance to
// LpDistance(power=1, normalize_embeddings=False) and accepts no other; gometric has no distance
// option.
type CenterInvariantRegularizer struct {
	Reducer reducers.Reducer
}

// NewCenterInvariantRegularizer returns PML's default CenterInvariantRegularizer.
func NewCenterInvariantRegularizer() *CenterInvariantRegularizer {
	return &CenterInvariantRegularizer{Reducer: reducers.MeanReducer{}}
}

// Compute implements Regularizer for w shaped [C, D].
func (r *CenterInvariantRegularizer) Compute(w *graph.Node) *graph.Node {
	sq := graph.ReduceSum(graph.Square(w), -1) // ‖w_i‖², the square of PML's get_norm.
	dev := graph.Sub(sq, graph.ReduceAllMean(sq))
	losses := graph.MulScalar(graph.Square(dev), 0.25)
	return reducerOr(r.Reducer, reducers.MeanReducer{}).Reduce(reducers.SubLoss{Name: "center_invariant_reg", Kind: reducers.Element, Losses: losses})
}

// reducerOr returns r, or def when r is nil.
func reducerOr(r, def reducers.Reducer) reducers.Reducer {
	if r == nil {
		return def
	}
	return r
}
