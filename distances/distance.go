package distances

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/dotorder"
	"github.com/gometric/gometric/internal/gmath"
)

// Distance computes the matrix of distances (or similarities) between N query embeddings and M
// reference embeddings, with PyTorch Metric Learning's semantics: embeddings are first normalized
// (when the distance says so), then Matrix returns mat[i, j] raised to the distance's power.
type Distance interface {
	// Matrix returns the [N, M] matrix between query [N, D] and ref [M, D].
	Matrix(query, ref *graph.Node) *graph.Node
	// Pairwise returns the [N] values between row i of x and row i of y (both [N, D]), through the
	// same code path as Matrix: normalization and power included (PML's pairwise_distance skips them,
	// a known inconsistency).
	Pairwise(x, y *graph.Node) *graph.Node
	// IsInverted is true for similarities (larger = closer) and false for distances.
	IsInverted() bool
	// String names the distance and its settings.
	String() string
}

// Margin returns x − y for a distance and y − x for a similarity: PML's BaseDistance.margin, the
// amount by which x is "farther" than y. Losses are written with Margin so that they work with both.
func Margin(d Distance, x, y *graph.Node) *graph.Node {
	if d.IsInverted() {
		return graph.Sub(y, x)
	}
	return graph.Sub(x, y)
}

// Closer returns a boolean node: true where a is closer than b under d (a < b for a distance, a > b
// for a similarity).
func Closer(d Distance, a, b *graph.Node) *graph.Node {
	if d.IsInverted() {
		return graph.GreaterThan(a, b)
	}
	return graph.LessThan(a, b)
}

// normalizeP divides each row of x by its Lp norm, like torch.nn.functional.normalize(x, p, dim=1):
// the norm is clamped below at 1e-12, so an all-zero row stays zero instead of turning into NaN.
func normalizeP(x *graph.Node, p float64) *graph.Node {
	norm := lpNorm(x, p)
	norm = graph.Max(norm, graph.Scalar(x.Graph(), x.DType(), 1e-12))
	return graph.Div(x, graph.InsertAxes(norm, -1))
}

// lpNorm returns the [N] Lp norms of the rows of x. The p=2 norm has a zero gradient at the zero
// vector (as torch's), instead of NaN.
func lpNorm(x *graph.Node, p float64) *graph.Node {
	g := x.Graph()
	switch p {
	case 2:
		return gmath.SafeSqrt(graph.ReduceSum(graph.Square(x), -1))
	case 1:
		return graph.ReduceSum(graph.Abs(x), -1)
	default:
		s := graph.ReduceSum(graph.Pow(graph.Abs(x), graph.Scalar(g, x.DType(), p)), -1)
		return gmath.SafePow(s, 1/p)
	}
}

// applyPower raises mat to power (1 leaves it untouched). Distances are >= 0, so a fractional power
// uses gmath.SafePow; similarities may be negative and use graph.Pow directly.
func applyPower(mat *graph.Node, power float64, nonNegative bool) *graph.Node {
	switch {
	case power == 1:
		return mat
	case power == 2:
		return graph.Square(mat)
	case nonNegative:
		return gmath.SafePow(mat, power)
	default:
		return graph.Pow(mat, graph.Scalar(mat.Graph(), mat.DType(), power))
	}
}

// matMulT returns q · rᵀ, [N, D] x [M, D] → [N, M], as a matmul-order product (package dotorder:
// the pure-Go backend's fast kernels take only that order).
func matMulT(q, r *graph.Node) *graph.Node {
	return dotorder.MatMulT(q, r)
}
