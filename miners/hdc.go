package miners

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// HDC is PML's HDCMiner (Yuan et al., 2017, "Hard-Aware Deeply Cascaded Embedding"): of all #P
// candidate positive pairs it keeps the ceil(FilterPercentage·#P) hardest (largest distances, or
// smallest similarities), and of all #N negative pairs the ceil(FilterPercentage·#N) hardest (smallest
// distances, or largest similarities). The count is taken over the whole batch, not per anchor.
//
// Shapes stay static: the pairs are ranked by one stable sort of the N·M values (O(N·M·log(N·M))), and
// ties at the cut go to the lowest flat index i·M + j (PML's torch.topk breaks them arbitrarily). k is
// computed in float64, as PML's math.ceil.
//
// PML's set_idx_externally (mine within an earlier selection, for cascades) is Inputs.Pos and
// Inputs.Neg: when set, their nonzero entries are the candidates (every miner here accepts them).
//
// Defaults (NewHDC): FilterPercentage 0.5, LpDistance (p=2, normalized).
type HDC struct {
	// FilterPercentage is the fraction of each kind of pair kept, in (0, 1] (PML's filter_percentage).
	FilterPercentage float64
	// Distance compares the embeddings; nil means LpDistance.
	Distance distances.Distance
}

// NewHDC returns HDCMiner with PML's defaults.
func NewHDC() *HDC { return &HDC{FilterPercentage: 0.5} }

// Mine implements PairMiner: 0/1 weights.
func (h *HDC) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	if !(h.FilterPercentage > 0 && h.FilterPercentage <= 1) {
		exceptions.Panicf("HDCMiner: FilterPercentage must be in (0, 1], got %g", h.FilterPercentage)
	}
	c := resolve("HDCMiner", in)
	d := defaultDistance(h.Distance)
	mat := d.Matrix(c.emb, c.ref)
	dt := mat.DType()
	// Hardness: larger is harder. Positives are hard when far, negatives when close.
	far, near := mat, graph.Neg(mat)
	if d.IsInverted() {
		far, near = near, far
	}
	pos = weights(keepHardest(far, c.pos, h.FilterPercentage), dt)
	neg = weights(keepHardest(near, c.neg, h.FilterPercentage), dt)
	return pos, neg
}

// keepHardest returns the boolean [N, M] mask of the ceil(f·#candidates) candidates with the largest
// hardness (ties: lowest flat index).
func keepHardest(hardness, cand *graph.Node, f float64) *graph.Node {
	g := hardness.Graph()
	n, m := hardness.Shape().Dimensions[0], hardness.Shape().Dimensions[1]
	size := n * m
	flat := graph.Reshape(graph.Where(cand, hardness, inf(hardness, -1)), size)
	idx := graph.Iota(g, shapes.Make(dtypes.Int32, size), 0)
	comparator := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		lhs := graph.Parameter(g, "lhs", shapes.Make(flat.DType()))
		rhs := graph.Parameter(g, "rhs", shapes.Make(flat.DType()))
		_ = graph.Parameter(g, "lhs_idx", shapes.Make(dtypes.Int32))
		_ = graph.Parameter(g, "rhs_idx", shapes.Make(dtypes.Int32))
		return []*graph.Node{graph.GreaterThan(lhs, rhs)}
	})
	sortedIdx := graph.SortFunc(comparator, 0, true, flat, idx)[1] // Hardest first; stable: ties by index.

	count := graph.ReduceAllSum(graph.ConvertDType(cand, dtypes.Float64))
	k := graph.ConvertDType(graph.Ceil(graph.MulScalar(count, f)), dtypes.Int32)
	inTop := graph.ConvertDType(graph.LessThan(idx, k), dtypes.Int32) // Rank r < k, in sorted order.
	keep := graph.Scatter(graph.InsertAxes(sortedIdx, -1), inTop, shapes.Make(dtypes.Int32, size), false, true)
	keep = graph.Reshape(graph.GreaterThan(keep, graph.ScalarZero(g, dtypes.Int32)), n, m)
	return graph.LogicalAnd(keep, cand)
}
