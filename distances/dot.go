package distances

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// DotProductSimilarity is PML's DotProductSimilarity: q·r. Like PML it L2-normalizes the embeddings by
// default (NewDotProductSimilarity), which makes it equal to cosine similarity; set NormalizeEmbeddings to false
// for the raw dot product.
type DotProductSimilarity struct {
	// Power raises every similarity (PML's power), 1 by default.
	Power float64
	// NormalizeEmbeddings L2-normalizes each embedding first (PML's default: true).
	NormalizeEmbeddings bool
}

// NewDotProductSimilarity returns PML's default DotProductSimilarity (normalized, power 1).
func NewDotProductSimilarity() *DotProductSimilarity {
	return &DotProductSimilarity{Power: 1, NormalizeEmbeddings: true}
}

// IsInverted is true: larger is closer.
func (d *DotProductSimilarity) IsInverted() bool { return true }

// String names the similarity and its settings.
func (d *DotProductSimilarity) String() string {
	return fmt.Sprintf("DotProductSimilarity(power=%g, normalize_embeddings=%v)", d.Power, d.NormalizeEmbeddings)
}

func (d *DotProductSimilarity) prepare(x *graph.Node) *graph.Node {
	if d.NormalizeEmbeddings {
		return normalizeP(x, 2)
	}
	return x
}

// Matrix returns the [N, M] similarities.
func (d *DotProductSimilarity) Matrix(query, ref *graph.Node) *graph.Node {
	return applyPower(matMulT(d.prepare(query), d.prepare(ref)), d.Power, false)
}

// Pairwise returns the [N] similarities between the rows of x and y.
func (d *DotProductSimilarity) Pairwise(x, y *graph.Node) *graph.Node {
	return applyPower(graph.ReduceSum(graph.Mul(d.prepare(x), d.prepare(y)), -1), d.Power, false)
}

// CosineSimilarity is PML's CosineSimilarity: the dot product of L2-normalized embeddings (normalization cannot
// be turned off).
type CosineSimilarity struct {
	// Power raises every similarity (PML's power), 1 by default.
	Power float64
}

// NewCosineSimilarity returns PML's CosineSimilarity().
func NewCosineSimilarity() *CosineSimilarity { return &CosineSimilarity{Power: 1} }

// IsInverted is true: larger is closer.
func (d *CosineSimilarity) IsInverted() bool { return true }

// String names the similarity.
func (d *CosineSimilarity) String() string { return fmt.Sprintf("CosineSimilarity(power=%g)", d.Power) }

func (d *CosineSimilarity) dot() *DotProductSimilarity {
	return &DotProductSimilarity{Power: d.Power, NormalizeEmbeddings: true}
}

// Matrix returns the [N, M] cosine similarities.
func (d *CosineSimilarity) Matrix(query, ref *graph.Node) *graph.Node {
	return d.dot().Matrix(query, ref)
}

// Pairwise returns the [N] cosine similarities between the rows of x and y.
func (d *CosineSimilarity) Pairwise(x, y *graph.Node) *graph.Node { return d.dot().Pairwise(x, y) }
