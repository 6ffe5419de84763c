package miners

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/losses"
)

// EmbeddingsAlreadyPackagedAsTriplets is PML's EmbeddingsAlreadyPackagedAsTriplets miner: the batch is
// laid out as triplets, (anchor, positive, negative) = (3i, 3i+1, 3i+2), and the miner selects exactly
// those, whatever the labels and the embeddings (PML uses it for the synthetic triplets of
// DeepAdversarialMetricLearning). Labels are ignored and may be nil; with Ref, the positives and
// negatives index the references, as in PML. It has no options (no distance).
//
// N must be a multiple of 3 (PML's output assertion fails otherwise) and Ref, when given, must have
// at least N rows (PML's indices would run past it).
type EmbeddingsAlreadyPackagedAsTriplets struct{}

// NewEmbeddingsAlreadyPackagedAsTriplets returns the miner (it has no options).
func NewEmbeddingsAlreadyPackagedAsTriplets() *EmbeddingsAlreadyPackagedAsTriplets {
	return &EmbeddingsAlreadyPackagedAsTriplets{}
}

// packagedTripletsName is PML's class name, used in errors.
const packagedTripletsName = "EmbeddingsAlreadyPackagedAsTriplets"

// MineTriplets implements TripletMiner: the [N, M, M] mask, true at (3i, 3i+1, 3i+2).
func (*EmbeddingsAlreadyPackagedAsTriplets) MineTriplets(in losses.Inputs) *graph.Node {
	g, n, m := packagedSizes(in)
	s := shapes.Make(dtypes.Int32, n, m, m)
	a, p, ng := graph.Iota(g, s, 0), graph.Iota(g, s, 1), graph.Iota(g, s, 2)
	anchor := graph.Equal(graph.ModScalar(a, 3), graph.ScalarZero(g, dtypes.Int32))
	return graph.LogicalAnd(anchor, graph.LogicalAnd(
		graph.Equal(p, graph.AddScalar(a, 1)), graph.Equal(ng, graph.AddScalar(a, 2))))
}

// Mine implements PairMiner: the positive pairs (3i, 3i+1) and the negative pairs (3i, 3i+2), weight 1,
// in the embeddings' dtype (what TripletPairs gives of MineTriplets).
func (*EmbeddingsAlreadyPackagedAsTriplets) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	g, n, m := packagedSizes(in)
	s := shapes.Make(dtypes.Int32, n, m)
	a, j := graph.Iota(g, s, 0), graph.Iota(g, s, 1)
	anchor := graph.Equal(graph.ModScalar(a, 3), graph.ScalarZero(g, dtypes.Int32))
	dt := in.Embeddings.DType()
	pos = graph.ConvertDType(graph.LogicalAnd(anchor, graph.Equal(j, graph.AddScalar(a, 1))), dt)
	neg = graph.ConvertDType(graph.LogicalAnd(anchor, graph.Equal(j, graph.AddScalar(a, 2))), dt)
	return pos, neg
}

// packagedSizes validates in and returns its graph, N and M.
func packagedSizes(in losses.Inputs) (g *graph.Graph, n, m int) {
	emb := in.Embeddings
	if emb == nil || emb.Rank() != 2 || !emb.DType().IsFloat() {
		exceptions.Panicf("%s: embeddings must be float [N, D]", packagedTripletsName)
	}
	n, m = emb.Shape().Dimensions[0], emb.Shape().Dimensions[0]
	if n%3 != 0 {
		exceptions.Panicf("%s: N = %d embeddings are not whole triplets (a multiple of 3)", packagedTripletsName, n)
	}
	if in.Ref != nil {
		if in.Ref.Rank() != 2 || in.Ref.Shape().Dimensions[1] != emb.Shape().Dimensions[1] || in.Ref.DType() != emb.DType() {
			exceptions.Panicf("%s: Ref must be %s [M, %d] like the embeddings, got shape %s", packagedTripletsName, emb.DType(), emb.Shape().Dimensions[1], in.Ref.Shape())
		}
		if m = in.Ref.Shape().Dimensions[0]; m < n {
			exceptions.Panicf("%s: Ref has %d rows, fewer than the %d the triplets index", packagedTripletsName, m, n)
		}
	}
	return emb.Graph(), n, m
}
