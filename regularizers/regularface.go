package regularizers

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// RegularFaceRegularizer is PML's RegularFaceRegularizer (Zhao et al., 2019), for class weights: each
// row (one class's weight vector) is penalized by its largest cosine similarity to another row,
// max_{j≠i} cos(w_i, w_j), pushing classes apart; reduced by Reducer (MeanReducer by default). Give it
// the weights with one row per class (losses with a [D, C] weight matrix pass its transpose).
type RegularFaceRegularizer struct {
	Reducer reducers.Reducer
}

// NewRegularFaceRegularizer returns PML's default RegularFaceRegularizer.
func NewRegularFaceRegularizer() *RegularFaceRegularizer {
	return &RegularFaceRegularizer{Reducer: reducers.MeanReducer{}}
}

// Compute implements Regularizer for w shaped [C, D].
func (r *RegularFaceRegularizer) Compute(w *graph.Node) *graph.Node {
	g, dt := w.Graph(), w.DType()
	cos := distances.NewCosineSimilarity().Matrix(w, w)
	n := w.Shape().Dimensions[0]
	idx := graph.Iota(g, shapes.Make(dtypes.Int32, n), 0)
	self := graph.Equal(graph.InsertAxes(idx, -1), graph.InsertAxes(idx, 0))
	cos = graph.Where(self, graph.Scalar(g, dt, -2), cos) // Below any cosine: a row is never its own nearest.
	red := r.Reducer
	if red == nil {
		red = reducers.MeanReducer{}
	}
	return red.Reduce(reducers.SubLoss{Name: "regularface", Kind: reducers.Element, Losses: graph.ReduceMax(cos, 1)})
}
