package miners

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/dotorder"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/losses"
)

// Angular is PML's AngularMiner (Wang et al., 2017, "Deep Metric Learning with Angular Loss"): of all
// triplets (a, p, n), it keeps those whose angle at the negative exceeds Angle (in degrees):
//
//	atan(‖a − p‖ / (2‖n − c‖)) > Angle,   c = (a + p)/2
//
// Like PML it uses the raw embeddings (no normalization) and the Euclidean norm; there is no Distance
// setting. The norms come from Gram matrices (O(N·M²), no N·M²·D tensor); PML's
// torch.pairwise_distance adds 1e-6 to each difference, gometric does not, which can only matter for
// an angle within about 1e-6 of the threshold.
//
// Default (NewAngular): Angle 20.
type Angular struct {
	// Angle is the threshold in degrees (PML's angle).
	Angle float64
}

// NewAngular returns AngularMiner with PML's defaults.
func NewAngular() *Angular { return &Angular{Angle: 20} }

// MineTriplets implements TripletMiner.
func (am *Angular) MineTriplets(in losses.Inputs) *graph.Node {
	c := resolve("AngularMiner", in)
	q, r := c.emb, c.ref
	g, dt := q.Graph(), q.DType()
	dot := dotorder.MatMulT
	qr, rr := dot(q, r), dot(r, r)             // [N, M], [M, M].
	qq := graph.ReduceSum(graph.Square(q), -1) // [N]
	rn := graph.ReduceSum(graph.Square(r), -1) // [M]
	ap2 := graph.Sub(graph.Add(graph.InsertAxes(qq, -1), graph.InsertAxes(rn, 0)), graph.MulScalar(qr, 2))
	ap := gmath.SafeSqrt(ap2) // ‖a − p‖, [N, M].
	// ‖n − c‖² = ‖n‖² + ‖c‖² − 2 n·c, with ‖c‖² = (‖a‖² + ‖p‖² + 2 a·p)/4 and n·c = (n·a + n·p)/2.
	c2 := graph.MulScalar(graph.Add(graph.Add(graph.InsertAxes(qq, -1), graph.InsertAxes(rn, 0)), graph.MulScalar(qr, 2)), 0.25)
	nc2 := graph.Add(graph.InsertAxes(graph.InsertAxes(rn, 0), 0), graph.InsertAxes(c2, -1)) // [N, M(p), M(n)]
	nc2 = graph.Sub(nc2, graph.Add(graph.InsertAxes(qr, 1), graph.InsertAxes(rr, 0)))
	nc := gmath.SafeSqrt(nc2)
	angle := graph.Atan2(graph.InsertAxes(ap, -1), graph.MulScalar(nc, 2))
	keep := graph.GreaterThan(angle, graph.Scalar(g, dt, am.Angle*math.Pi/180))
	return graph.LogicalAnd(keep, tripletCandidates(c))
}

// Mine implements PairMiner: TripletPairs of MineTriplets.
func (am *Angular) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	return TripletPairs(am.MineTriplets(in), in.Embeddings.DType())
}
