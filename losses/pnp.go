package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// PNP variants (PML's variant argument).
const (
	PNPO  = "O"  // R: the smoothed number of negatives ranked before each positive.
	PNPDs = "Ds" // log(1 + R).
	PNPDq = "Dq" // (1 + R)^−α, and the loss is 1 − mean.
	PNPIu = "Iu" // (1 + R)·log(1 + R).
	PNPIb = "Ib" // (b·R − log(1 + b·R)) / b².
)

// PNP is PML's PNPLoss (Li et al., 2022, "Rethinking the Optimization of Average Precision: Only
// Penalizing Negative Instances before Positive Ones is Enough"): for query i and each positive j
// (the query itself included, as PML does for every query that has a positive),
//
//	R_ij = Σ_{k∈N(i)} σ((s_ik − s_ij)/Anneal)
//
// with σ(x) = 1/(1 + e^{clamp(−x, −50, 50)}), transformed by Variant (O: R; Ds: log(1+R);
// Dq: (1+R)^−Alpha; Iu: (1+R)·log(1+R); Ib: (B·R − log(1+B·R))/B²), averaged over the positives of i,
// then summed over the queries and divided by N; for Dq the loss is 1 minus that. The result is
// already reduced (PML's reduction_type already_reduced: the reducer does not apply).
//
// Deliberate difference: a query without positives contributes 0 (PML divides 0 by 0 there, and
// the whole loss is NaN); the division is still by N, so the two agree whenever PML's is finite.
// Labels are required; Pos/Neg and Ref are rejected, as in PML; the distance must be a similarity
// (PML asserts CosineSimilarity).
//
// Memory: R needs every (query, positive, negative) triple, so a block of rows is a [rows, N, N]
// tensor: Compute goes block by block with rows·N² near 4M entries when BlockRows is 0 (exact value and
// gradient), O(rows·N²) memory.
//
// Defaults (NewPNP): B 2, Alpha 1, Anneal 0.01, Variant "O", CosineSimilarity.
type PNP struct {
	Options
	B, Alpha, Anneal float64
	Variant          string
}

// NewPNP returns PNPLoss with PML's defaults.
func NewPNP() *PNP {
	return &PNP{Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}), B: 2, Alpha: 1, Anneal: 0.01, Variant: PNPO}
}

// inputs checks in and returns it with PML's pair masks made explicit: positives include the query
// itself when it has any other positive.
func (l *PNP) inputs(in Inputs) (Inputs, int) {
	switch l.Variant {
	case PNPO, PNPDs, PNPDq, PNPIu, PNPIb:
	default:
		exceptions.Panicf("PNPLoss: unknown variant %q (Ds, Dq, Iu, Ib or O)", l.Variant)
	}
	if !l.Distance.IsInverted() {
		exceptions.Panicf("PNPLoss: the distance must be a similarity, got %s", l.Distance)
	}
	if in.Labels == nil || in.Pos != nil || in.Ref != nil || in.Embeddings == nil {
		exceptions.Panicf("PNPLoss: needs Embeddings and Labels, and supports neither explicit pairs (Pos/Neg) nor Ref (as PML)")
	}
	n := in.Embeddings.Shape().Dimensions[0]
	checkLabels("PNPLoss", "Labels", in.Labels, n)
	g, dt := in.Embeddings.Graph(), in.Embeddings.DType()
	labels := graph.ConvertDType(in.Labels, dtypes.Int64)
	same := graph.Equal(graph.InsertAxes(labels, -1), graph.InsertAxes(labels, 0))
	diag := graph.Equal(graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 0), graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 1))
	pos := graph.LogicalAnd(same, graph.LogicalNot(diag))
	hasPos := graph.InsertAxes(graph.ReduceLogicalOr(pos, 1), -1)
	pos = graph.LogicalOr(pos, graph.LogicalAnd(diag, hasPos))
	out := in
	out.Pos, out.Neg = graph.ConvertDType(pos, dt), graph.ConvertDType(graph.LogicalNot(same), dt)
	return out, n
}

// Terms implements TermsLoss: the already-reduced "loss".
func (l *PNP) Terms(in Inputs) []reducers.Terms {
	in, n := l.inputs(in)
	return l.terms(in, "PNPLoss", l.blockFor(n))
}

// Compute implements Loss, block by block for large batches (see the type's documentation).
func (l *PNP) Compute(in Inputs) *graph.Node {
	in, n := l.inputs(in)
	o := l.Options
	if o.BlockRows == 0 {
		o.BlockRows = tripletBlockRows(in)
	}
	return o.compute(in, "PNPLoss", l.blockFor(n))
}

func (l *PNP) blockFor(n int) blockFn {
	return func(p pairsOf) blockResult {
		sim := l.Distance.Matrix(p.q, p.ref) // [rows, M]
		g, dt := sim.Graph(), sim.DType()
		rows, m := sim.Shape().Dimensions[0], sim.Shape().Dimensions[1]
		// diff[i, j, k] = s_ik − s_ij; exponent = clamp(−diff/Anneal, −50, 50), torch's clamp gradient.
		diff := graph.Sub(graph.InsertAxes(sim, 1), graph.InsertAxes(sim, -1))
		expo := graph.DivScalar(graph.Neg(diff), l.Anneal)
		lo, hi := graph.Scalar(g, dt, -50.0), graph.Scalar(g, dt, 50.0)
		expo = graph.Where(graph.LessThan(expo, lo), lo, graph.Where(graph.GreaterThan(expo, hi), hi, expo))
		sig := graph.Reciprocal(graph.OnePlus(graph.Exp(expo)))
		neg := graph.BroadcastToDims(graph.InsertAxes(p.neg, 1), rows, m, m)
		r := graph.ReduceSum(graph.Mul(sig, neg), -1) // [rows, M]
		switch l.Variant {
		case PNPDs:
			r = graph.Log1p(r)
		case PNPDq:
			r = graph.Pow(graph.OnePlus(r), graph.Scalar(g, dt, -l.Alpha))
		case PNPIu:
			r = graph.Mul(graph.OnePlus(r), graph.Log1p(r))
		case PNPIb:
			br := graph.MulScalar(r, l.B)
			r = graph.DivScalar(graph.Sub(br, graph.Log1p(br)), l.B*l.B)
		}
		nPos := graph.ReduceSum(p.pos, 1)
		perQuery := gmath.SafeDiv(graph.ReduceSum(graph.Mul(r, p.pos), 1), nPos)
		total := graph.DivScalar(graph.ReduceAllSum(perQuery), float64(n))
		if l.Variant == PNPDq {
			total = graph.Sub(graph.Scalar(g, dt, float64(rows)/float64(n)), total) // Σ over blocks: 1 − mean.
		}
		terms := []reducers.Terms{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: total}}
		return blockResult{terms: terms}
	}
}
