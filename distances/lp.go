package distances

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/gmath"
)

// LpDistance is PML's LpDistance: the Lp distance between (by default L2-normalized) embeddings, raised to
// Power. The defaults (NewLpDistance) are p=2, power=1, normalized: the default distance of most losses.
type LpDistance struct {
	// P is the order of the norm (PML's p): 2 (default), 1, or any p >= 1.
	P float64
	// Power raises every distance (PML's power): 1 (default); 2 gives squared distances.
	Power float64
	// NormalizeEmbeddings divides each embedding by its Lp norm first (PML's normalize_embeddings).
	NormalizeEmbeddings bool
}

// NewLpDistance returns PML's default LpDistance(p=2, power=1, normalize_embeddings=True).
func NewLpDistance() *LpDistance { return &LpDistance{P: 2, Power: 1, NormalizeEmbeddings: true} }

// IsInverted is false: Lp is a distance.
func (d *LpDistance) IsInverted() bool { return false }

// String names the distance and its settings.
func (d *LpDistance) String() string {
	return fmt.Sprintf("LpDistance(p=%g, power=%g, normalize_embeddings=%v)", d.P, d.Power, d.NormalizeEmbeddings)
}

func (d *LpDistance) prepare(x *graph.Node) *graph.Node {
	if d.NormalizeEmbeddings {
		return normalizeP(x, d.P)
	}
	return x
}

// Matrix returns the [N, M] matrix of Lp distances to the power Power. For p=2 it uses
// ‖q‖² + ‖r‖² − 2 q·r, so memory stays O(N·M); other p broadcast to [N, M, D].
func (d *LpDistance) Matrix(query, ref *graph.Node) *graph.Node {
	q, r := d.prepare(query), d.prepare(ref)
	var mat *graph.Node
	if d.P == 2 {
		n, m := q.Shape().Dimensions[0], r.Shape().Dimensions[0]
		q2 := gmath.RowBroadcast(graph.ReduceSum(graph.Square(q), -1), m) // [N, M]: ‖q_i‖²
		r2 := gmath.ColBroadcast(graph.ReduceSum(graph.Square(r), -1), n) // [N, M]: ‖r_j‖²
		sq := graph.Sub(graph.Add(q2, r2), graph.MulScalar(matMulT(q, r), 2))
		sq = graph.Max(sq, gmath.Zero(sq)) // Rounding can make it slightly negative.
		if d.Power == 2 {
			return sq
		}
		mat = gmath.SafeSqrt(sq)
	} else {
		diff := graph.Sub(graph.InsertAxes(q, 1), graph.InsertAxes(r, 0)) // [N, M, D]
		mat = lpNorm(diff, d.P)
	}
	return applyPower(mat, d.Power, true)
}

// Pairwise returns the [N] distances between the rows of x and y.
func (d *LpDistance) Pairwise(x, y *graph.Node) *graph.Node {
	return applyPower(lpNorm(graph.Sub(d.prepare(x), d.prepare(y)), d.P), d.Power, true)
}
