package miners

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// PairMiner selects pairs: Mine returns the [N, M] weights of the selected positive and negative
// pairs (query i, reference j), in the embeddings' dtype, ready for losses.Inputs{Pos, Neg}. Weights
// are 0/1 for pair miners and counts for triplet miners (a pair used by several triplets counts once
// per triplet, as PML's convert_to_pairs repeats it). Every miner in this package is a PairMiner.
type PairMiner interface {
	Mine(in losses.Inputs) (pos, neg *graph.Node)
}

// TripletMiner selects triplets: MineTriplets returns a [N, M, M] boolean mask, true at
// (anchor a, positive p, negative n) when the triplet is selected (a indexes the queries, p and n the
// references). The mask takes O(N·M²) memory (16 MB at N = M = 256): triplet miners are meant for
// batches of up to a few hundred. TripletPairs turns a mask into pair weights; every TripletMiner here
// is also a PairMiner that does so.
type TripletMiner interface {
	MineTriplets(in losses.Inputs) *graph.Node
}

// Apply mines in with m and returns in with the selection in Pos and Neg (the labels and references
// are kept, so losses that use labels beyond the pairs still get them).
func Apply(m PairMiner, in losses.Inputs) losses.Inputs {
	in.Pos, in.Neg = m.Mine(in)
	return in
}

// TripletPairs converts a [N, M, M] triplet mask into pair weights of the given dtype, the way PML's
// convert_to_pairs does: each selected triplet (a, p, n) contributes the positive pair (a, p) and the
// negative pair (a, n), so pos[a, p] = Σ_n mask[a, p, n] and neg[a, n] = Σ_p mask[a, p, n].
func TripletPairs(triplets *graph.Node, dtype dtypes.DType) (pos, neg *graph.Node) {
	if triplets.Rank() != 3 || triplets.Shape().Dimensions[1] != triplets.Shape().Dimensions[2] {
		exceptions.Panicf("TripletPairs: triplets must be [N, M, M], got shape %s", triplets.Shape())
	}
	t := graph.ConvertDType(triplets, dtype)
	return graph.ReduceSum(t, 2), graph.ReduceSum(t, 1)
}

// candidates are a miner's validated inputs: queries and references (gradients stopped: PML mines under
// no_grad) and the candidate positive and negative pairs, boolean [N, M].
type candidates struct {
	emb, ref *graph.Node
	pos, neg *graph.Node
	n, m     int
}

// resolve validates in for the miner called name. The candidates come from the labels (positives share
// a label, negatives do not; without Ref a query is never its own positive, like PML), or, when
// in.Pos and in.Neg are set, are the pairs with a nonzero weight there (PML's
// HDCMiner.set_idx_externally, for cascades of miners; multiplicities are ignored).
func resolve(name string, in losses.Inputs) candidates {
	emb := in.Embeddings
	if emb == nil {
		exceptions.Panicf("%s: Inputs.Embeddings is nil", name)
	}
	if emb.Rank() != 2 || !emb.DType().IsFloat() {
		exceptions.Panicf("%s: embeddings must be float [N, D], got shape %s", name, emb.Shape())
	}
	c := candidates{emb: graph.StopGradient(emb), n: emb.Shape().Dimensions[0]}
	selfRef := in.Ref == nil
	refLabels := in.RefLabels
	if selfRef {
		if in.RefLabels != nil {
			exceptions.Panicf("%s: RefLabels given without Ref", name)
		}
		c.ref, refLabels = c.emb, in.Labels
	} else {
		if in.Ref.Rank() != 2 || in.Ref.Shape().Dimensions[1] != emb.Shape().Dimensions[1] || in.Ref.DType() != emb.DType() {
			exceptions.Panicf("%s: Ref must be %s [M, %d] like the embeddings, got shape %s", name, emb.DType(), emb.Shape().Dimensions[1], in.Ref.Shape())
		}
		c.ref = graph.StopGradient(in.Ref)
	}
	c.m = c.ref.Shape().Dimensions[0]
	g := emb.Graph()

	if (in.Pos == nil) != (in.Neg == nil) {
		exceptions.Panicf("%s: Inputs.Pos and Inputs.Neg must be given together", name)
	}
	if in.Pos != nil {
		for _, w := range []*graph.Node{in.Pos, in.Neg} {
			if w.Rank() != 2 || w.Shape().Dimensions[0] != c.n || w.Shape().Dimensions[1] != c.m {
				exceptions.Panicf("%s: candidate pair weights must be [%d, %d], got shape %s", name, c.n, c.m, w.Shape())
			}
		}
		c.pos = graph.GreaterThan(in.Pos, graph.ScalarZero(g, in.Pos.DType()))
		c.neg = graph.GreaterThan(in.Neg, graph.ScalarZero(g, in.Neg.DType()))
		return c
	}
	if in.Labels == nil {
		exceptions.Panicf("%s: miners need Labels (or candidate pairs in Pos and Neg)", name)
	}
	if !selfRef && refLabels == nil {
		exceptions.Panicf("%s: Ref given with Labels but without RefLabels (PML silently reuses Labels)", name)
	}
	checkLabels(name, "Labels", in.Labels, c.n)
	checkLabels(name, "RefLabels", refLabels, c.m)
	same := graph.Equal(
		graph.InsertAxes(graph.ConvertDType(in.Labels, dtypes.Int64), -1),
		graph.InsertAxes(graph.ConvertDType(refLabels, dtypes.Int64), 0))
	c.pos, c.neg = same, graph.LogicalNot(same)
	if selfRef {
		c.pos = graph.LogicalAnd(same, notDiagonal(g, c.n))
	}
	return c
}

func checkLabels(name, what string, labels *graph.Node, n int) {
	if labels.Rank() != 1 || labels.Shape().Dimensions[0] != n || !labels.DType().IsInt() {
		exceptions.Panicf("%s: %s must be integers [%d], got shape %s", name, what, n, labels.Shape())
	}
}

// notDiagonal is the boolean [n, n] matrix that is false on the diagonal.
func notDiagonal(g *graph.Graph, n int) *graph.Node {
	s := shapes.Make(dtypes.Int32, n, n)
	return graph.NotEqual(graph.Iota(g, s, 0), graph.Iota(g, s, 1))
}

// defaultDistance returns d, or PML's BaseMiner default LpDistance (p=2, power 1, normalized) when nil.
func defaultDistance(d distances.Distance) distances.Distance {
	if d == nil {
		return distances.NewLpDistance()
	}
	return d
}

// inf returns ±infinity of x's dtype as a scalar.
func inf(x *graph.Node, sign int) *graph.Node {
	return graph.Scalar(x.Graph(), x.DType(), math.Inf(sign))
}

// pickPerRow chooses in each row of mat, among the entries where mask is true, the largest value
// (largest) or the smallest. It returns the [N] values, the [N] int32 column indices (the lowest index
// on ties, where PML's torch.max/min index is device-dependent) and the [N] boolean "row has a
// candidate". Rows without a candidate get ∓inf and index 0.
func pickPerRow(mat, mask *graph.Node, largest bool) (values, indices, ok *graph.Node) {
	sign := 1
	if largest {
		sign = -1
	}
	masked := graph.Where(mask, mat, inf(mat, sign))
	if largest {
		indices = graph.ArgMax(masked, 1)
		values = graph.ReduceMax(masked, 1)
	} else {
		indices = graph.ArgMin(masked, 1)
		values = graph.ReduceMin(masked, 1)
	}
	return values, indices, graph.ReduceLogicalOr(mask, 1)
}

// oneHotRows turns per-row column indices [N] into [N, M] 0/1 weights of dtype dt, zero where keep is false.
func oneHotRows(indices, keep *graph.Node, m int, dt dtypes.DType) *graph.Node {
	w := graph.OneHot(indices, m, dt)
	return graph.Where(keep, w, graph.ScalarZero(w.Graph(), dt)) // A [N] condition broadcasts over the rows.
}

// weights converts a boolean selection into weights of dtype dt.
func weights(sel *graph.Node, dt dtypes.DType) *graph.Node { return graph.ConvertDType(sel, dt) }

// farther is true where a is farther than b under d (a > b for a distance, a < b for a similarity).
func farther(d distances.Distance, a, b *graph.Node) *graph.Node { return distances.Closer(d, b, a) }
