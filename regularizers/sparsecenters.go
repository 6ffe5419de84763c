package regularizers

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// SparseCentersRegularizer is PML's SparseCentersRegularizer (from SoftTriple, Qian et al., 2019), for
// the centers of a loss with several centers per class (SoftTripleLoss's weights, one row per center,
// the CentersPerClass centers of class c in rows c·K … c·K+K−1): for every pair i < j of centers of
// the same class, with s_ij their cosine similarity, the term is √(2 + tiny − min(2·s_ij, 2)) (tiny:
// the dtype's smallest normal number, PML's small_val), the L2 distance of the normalized centers. The
// terms are reduced by Reducer, by default DivisorReducer with divisor 2 × (number of pairs), as PML
// does.
//
// Defaults (NewSparseCentersRegularizer): DivisorReducer. NumClasses and CentersPerClass have no
// default (PML's required arguments); CentersPerClass must be > 1, and the weights must have
// NumClasses·CentersPerClass rows. PML fixes the distance to CosineSimilarity; gometric has no distance
// option.
type SparseCentersRegularizer struct {
	NumClasses, CentersPerClass int
	Reducer                     reducers.Reducer
}

// NewSparseCentersRegularizer returns PML's SparseCentersRegularizer(num_classes, centers_per_class).
func NewSparseCentersRegularizer(numClasses, centersPerClass int) *SparseCentersRegularizer {
	return &SparseCentersRegularizer{NumClasses: numClasses, CentersPerClass: centersPerClass, Reducer: reducers.DivisorReducer{}}
}

// Validate reports settings PML rejects: NumClasses < 1 or CentersPerClass ≤ 1.
func (r *SparseCentersRegularizer) Validate() error {
	if r.NumClasses < 1 {
		return fmt.Errorf("num_classes (%d) must be at least 1", r.NumClasses)
	}
	if r.CentersPerClass <= 1 {
		return fmt.Errorf("centers_per_class (%d) must be greater than 1", r.CentersPerClass)
	}
	return nil
}

// Compute implements Regularizer for w shaped [NumClasses·CentersPerClass, D].
func (r *SparseCentersRegularizer) Compute(w *graph.Node) *graph.Node {
	if err := r.Validate(); err != nil {
		exceptions.Panicf("SparseCentersRegularizer: %v", err)
	}
	total := r.NumClasses * r.CentersPerClass
	if w.Rank() != 2 || w.Shape().Dimensions[0] != total {
		exceptions.Panicf("SparseCentersRegularizer: weights must be [%d, D] (num_classes·centers_per_class rows), got shape %s", total, w.Shape())
	}
	g, dt := w.Graph(), w.DType()
	sim := distances.NewCosineSimilarity().Matrix(w, w)
	// The same-class pairs i < j (PML's same_class_mask) are constants: gather them from the flattened
	// matrix.
	var idx [][]int32
	for c := range r.NumClasses {
		s := c * r.CentersPerClass
		for i := s; i < s+r.CentersPerClass; i++ {
			for j := i + 1; j < s+r.CentersPerClass; j++ {
				idx = append(idx, []int32{int32(i*total + j)})
			}
		}
	}
	pairs := graph.Gather(graph.Reshape(sim, total*total), graph.Const(g, idx)) // [P]
	twice := graph.MinScalar(graph.MulScalar(pairs, 2), 2)
	losses := graph.Sqrt(graph.Sub(graph.Scalar(g, dt, 2+smallestNormal(dt)), twice))
	return reducerOr(r.Reducer, reducers.DivisorReducer{}).Reduce(reducers.SubLoss{
		Name: "sparse_centers_reg", Kind: reducers.Element, Losses: losses,
		Divisor: graph.Scalar(g, dt, float64(2*len(idx))),
	})
}

// smallestNormal is torch.finfo(dt).tiny, PML's small_val.
func smallestNormal(dt dtypes.DType) float64 {
	switch dt {
	case dtypes.Float32:
		return math.Ldexp(1, -126)
	case dtypes.Float16:
		return math.Ldexp(1, -14)
	case dtypes.BFloat16:
		return math.Ldexp(1, -126)
	}
	return math.Ldexp(1, -1022)
}
