package distances

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// SNRDistance is PML's SNRDistance, the signal-to-noise ratio distance of Yuan et al. (2019):
// Var(q − r) / Var(q), with unbiased variances over the embedding dimensions, after L2
// normalization (by default). It is computed from centred dot products, in O(N·M) memory. A query
// whose components are all equal has Var(q) = 0 and no defined SNR (infinite or NaN, as in PML).
type SNRDistance struct {
	// Power raises every distance (PML's power), 1 by default.
	Power float64
	// NormalizeEmbeddings L2-normalizes each embedding first (PML's default: true).
	NormalizeEmbeddings bool
}

// NewSNRDistance returns PML's default SNRDistance.
func NewSNRDistance() *SNRDistance { return &SNRDistance{Power: 1, NormalizeEmbeddings: true} }

// IsInverted is false: SNR is a distance.
func (d *SNRDistance) IsInverted() bool { return false }

// String names the distance and its settings.
func (d *SNRDistance) String() string {
	return fmt.Sprintf("SNRDistance(power=%g, normalize_embeddings=%v)", d.Power, d.NormalizeEmbeddings)
}

func (d *SNRDistance) centred(x *graph.Node) *graph.Node {
	if d.NormalizeEmbeddings {
		x = normalizeP(x, 2)
	}
	return graph.Sub(x, graph.InsertAxes(graph.ReduceMean(x, -1), -1))
}

// Matrix returns the [N, M] SNR distances: (‖q̃‖² + ‖r̃‖² − 2 q̃·r̃) / ‖q̃‖², where x̃ is x minus its
// mean (the (D−1) factors of the unbiased variances cancel).
func (d *SNRDistance) Matrix(query, ref *graph.Node) *graph.Node {
	q, r := d.centred(query), d.centred(ref)
	q2 := graph.InsertAxes(graph.ReduceSum(graph.Square(q), -1), -1)
	r2 := graph.InsertAxes(graph.ReduceSum(graph.Square(r), -1), 0)
	num := graph.Sub(graph.Add(q2, r2), graph.MulScalar(matMulT(q, r), 2))
	return applyPower(graph.Div(num, q2), d.Power, true)
}

// Pairwise returns the [N] SNR distances between the rows of x and y.
func (d *SNRDistance) Pairwise(x, y *graph.Node) *graph.Node {
	q, r := d.centred(x), d.centred(y)
	diff := graph.Sub(q, r)
	diff = graph.Sub(diff, graph.InsertAxes(graph.ReduceMean(diff, -1), -1))
	return applyPower(graph.Div(graph.ReduceSum(graph.Square(diff), -1), graph.ReduceSum(graph.Square(q), -1)), d.Power, true)
}
