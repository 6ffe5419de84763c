package miners

import (
	"math"
	"math/bits"

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
// Shapes stay static: the cut (the k-th hardest value) is found by bisection, about 90 counting passes
// over the N·M values and no sort, and ties at the cut go to the lowest flat index i·M + j (PML's
// torch.topk breaks them arbitrarily). k is computed in float64, as PML's math.ceil.
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
//
// It needs no sort (GoMLX's pure-Go backend sorts through a comparator closure, seconds for 65k
// entries): the k-th largest value is found by bisection over the order-preserving int64 image of the
// float64 values (at most 68 counting passes over the N·M entries), and the ties at that value by
// bisection over the flat index.
func keepHardest(hardness, cand *graph.Node, f float64) *graph.Node {
	g := hardness.Graph()
	n, m := hardness.Shape().Dimensions[0], hardness.Shape().Dimensions[1]
	i64 := func(v int64) *graph.Node { return graph.Const(g, v) }
	count := func(sel *graph.Node) *graph.Node { // Scalar int64 number of true entries among the candidates.
		return graph.ReduceAllSum(graph.ConvertDType(graph.LogicalAnd(sel, cand), dtypes.Int64))
	}
	numCand := graph.ReduceAllSum(graph.ConvertDType(cand, dtypes.Float64))
	k := graph.ConvertDType(graph.Ceil(graph.MulScalar(numCand, f)), dtypes.Int64)

	key := sortableKey(hardness)
	lo := graph.ReduceAllMin(graph.Where(cand, key, i64(math.MaxInt64)))
	hi := graph.Add(graph.ReduceAllMax(graph.Where(cand, key, i64(math.MinInt64))), i64(1))
	// Invariant: count(key ≥ lo) ≥ k > count(key ≥ hi). Each step at least halves hi − lo (up to 1).
	for range 68 {
		lo, hi = bisect(lo, hi, func(mid *graph.Node) *graph.Node {
			return graph.GreaterOrEqual(count(graph.GreaterOrEqual(key, mid)), k)
		})
	}
	threshold := lo // The key of the k-th largest hardness.
	greater := graph.GreaterThan(key, threshold)
	ties := graph.Equal(key, threshold)
	need := graph.Sub(k, count(greater)) // How many of the ties to keep, ≥ 1.

	// Smallest bound b with count(ties and index < b) ≥ need. Invariant: count(< lo) < need ≤ count(< hi).
	idx := graph.Iota(g, shapes.Make(dtypes.Int64, n, m), 0)
	idx = graph.Add(graph.MulScalar(idx, float64(m)), graph.Iota(g, shapes.Make(dtypes.Int64, n, m), 1))
	lo, hi = i64(0), i64(int64(n*m))
	for range bits.Len(uint(n*m)) + 2 {
		lo, hi = bisect(lo, hi, func(mid *graph.Node) *graph.Node {
			return graph.LessThan(count(graph.LogicalAnd(ties, graph.LessThan(idx, mid))), need)
		})
	}
	keep := graph.LogicalOr(greater, graph.LogicalAnd(ties, graph.LessThan(idx, hi)))
	return graph.LogicalAnd(graph.LogicalAnd(keep, cand), graph.GreaterThan(k, i64(0)))
}

// bisect does one step of a bisection over int64 with lo < hi: mid is strictly between them when
// hi − lo ≥ 2 (computed without overflow), and becomes the new lo if up(mid), else the new hi.
func bisect(lo, hi *graph.Node, up func(mid *graph.Node) *graph.Node) (newLo, newHi *graph.Node) {
	g := lo.Graph()
	two, one := graph.Const(g, int64(2)), graph.Const(g, int64(1))
	mid := graph.Add(graph.Div(lo, two), graph.Div(hi, two)) // ≈ (lo + hi)/2, no overflow.
	mid = graph.Max(graph.Add(lo, one), graph.Min(mid, graph.Sub(hi, one)))
	active := graph.LessThan(graph.Add(lo, one), hi) // hi − lo ≥ 2 (lo + 1 cannot overflow as lo < hi).
	goUp := up(mid)
	newLo = graph.Where(graph.LogicalAnd(active, goUp), mid, lo)
	newHi = graph.Where(graph.LogicalAnd(active, graph.LogicalNot(goUp)), mid, hi)
	return newLo, newHi
}

// sortableKey maps each value to an int64 with the same order (float64 bits, negatives flipped; −0
// counts as +0).
func sortableKey(x *graph.Node) *graph.Node {
	g := x.Graph()
	x64 := graph.ConvertDType(x, dtypes.Float64)
	zero := graph.ScalarZero(g, dtypes.Float64)
	x64 = graph.Where(graph.Equal(x64, zero), zero, x64)
	b := graph.Bitcast(x64, dtypes.Int64)
	flipped := graph.BitwiseXor(b, graph.Const(g, int64(math.MaxInt64)))
	return graph.Where(graph.LessThan(b, graph.Const(g, int64(0))), flipped, b)
}
