package losses

import (
	"fmt"

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
// Computation: R is accumulated in an [N, N] matrix by a pivot loop (see pivotLoop): each query takes
// the smaller of its positive and negative sides as pivots and adds, per pivot, the sigmoids against
// the whole other side; the gradient of R is a second such loop (hand-written, with torch's clamp
// gradient, as the general formulation). O(N²·K) time, K = max_i min(|P(i)|, |N(i)|) (2 for two
// samples per class, the query counting as its own positive), and O(N²) memory, where PML builds
// [N, N, N] tensors. Compute still goes block by block for large batches (see Options.BlockRows).
// The sigmoid is smooth, so the triples cannot be counted by sorting as TripletMargin's hinge could:
// a batch with few classes (K near N/2) costs O(N³) time, in O(N²) memory.
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
	if err := l.Validate(); err != nil {
		exceptions.Panicf("%v", err)
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
func (l *PNP) Terms(in Inputs) []reducers.SubLoss {
	in, n := l.inputs(in)
	return l.terms(in, "PNPLoss", l.blockFor(n))
}

// Compute implements PlainLoss, block by block for large batches (see the type's documentation).
func (l *PNP) Compute(in Inputs) *graph.Node {
	in, n := l.inputs(in)
	return l.compute(in, "PNPLoss", l.blockFor(n))
}

func (l *PNP) blockFor(n int) blockFn {
	return func(p queryBlock) blockResult {
		sim := l.Distance.Matrix(p.q, p.ref) // [rows, M]
		g, dt := sim.Graph(), sim.DType()
		rows := sim.Shape().Dimensions[0]
		r := pnpRanks(sim, p.posSel, p.negSel, l.Anneal)
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
		terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: total}}
		return blockResult{terms: terms}
	}
}

// pnpRanks returns R[i, j] = Σ_{k: negSel[i,k]} σ((s_ik − s_ij)/anneal) at the entries where
// posSel[i, j] (0 elsewhere), σ(x) = 1/(1 + e^{clamp(−x, −50, 50)}), with the gradient of that
// formula with respect to s (zero where the clamp is active), both by pivot loops.
func pnpRanks(s, posSel, negSel *graph.Node, anneal float64) *graph.Node {
	g, dt := s.Graph(), s.DType()
	n, m := s.Shape().Dimensions[0], s.Shape().Dimensions[1]
	ss := graph.StopGradient(s)
	sd := chooseSides(posSel, negSel, dt)
	// With d = s_other − v (v the pivot's value) and sign = ±1 by side, sign·d = s_ik − s_ij.
	signB := gmath.RowBroadcast(sd.sign, m)
	zero, one := graph.ScalarZero(g, dt), graph.ScalarOne(g, dt)
	annealNode, invAnneal := graph.Scalar(g, dt, anneal), graph.Scalar(g, dt, 1/anneal)
	lo, hi := graph.Scalar(g, dt, -50.0), graph.Scalar(g, dt, 50.0)
	// terms returns, for one pivot, the sigmoid of each of the row's other-side entries (0 elsewhere,
	// and in a row without a pivot), and the factor that turns the sigmoid's argument's gradient into
	// the derivative of the sigmoid (0 where the clamp is active).
	terms := func(it pivotIter, derivative bool) (sig, dsig, others *graph.Node) {
		v := it.at(ss)
		diff := graph.Mul(signB, graph.Sub(ss, gmath.RowBroadcast(v, m))) // s_ik − s_ij
		expo := graph.Div(graph.Neg(diff), annealNode)
		clampLo, clampHi := graph.LessThan(expo, lo), graph.GreaterThan(expo, hi)
		expo = graph.Where(clampLo, lo, graph.Where(clampHi, hi, expo))
		ex := graph.Exp(expo)
		u := graph.Add(ex, one)
		others = graph.LogicalAnd(sd.otherSel, gmath.RowBroadcast(it.has, m))
		sig = graph.Where(others, graph.Div(one, u), zero)
		if derivative {
			// dσ/d(s_ik − s_ij) = e^expo/(1 + e^expo)²/anneal where the clamp is not active.
			active := graph.LogicalAnd(others, graph.LogicalNot(graph.LogicalOr(clampLo, clampHi)))
			dsig = graph.Where(active, graph.Mul(graph.Div(ex, graph.Mul(u, u)), invAnneal), zero)
		}
		return sig, dsig, others
	}
	// Positive pivot j: R[i, j] = Σ_k σ_k. Negative pivot k: R[i, j] += σ_j for every positive j.
	flipB := gmath.RowBroadcast(sd.flip, m)
	notFlip := graph.LogicalNot(sd.flip)
	out := pivotLoop(sd.pivotSel, []*graph.Node{graph.Zeros(g, shapeNM(dt, n, m))}, func(it pivotIter, st []*graph.Node) []*graph.Node {
		r := st[0]
		sig, _, _ := terms(it, false)
		r = graph.Add(r, graph.Where(flipB, sig, zero))
		r = it.addAt(r, graph.Where(notFlip, graph.ReduceSum(sig, 1), zero)) // sig is 0 in a row without a pivot
		return []*graph.Node{r}
	})
	return withGradient(out[0], s, func(gr *graph.Node) *graph.Node {
		// gr = dL/dR, non-zero only at the positive entries. The gradient of a term σ(s_ik − s_ij)
		// weighted w = gr[i, j] is w·σ' to s_ik and −w·σ' to s_ij: to the other side with the row's
		// sign, and the opposite to the pivot.
		gr = graph.StopGradient(gr)
		res := pivotLoop(sd.pivotSel, []*graph.Node{graph.Zeros(g, shapeNM(dt, n, m))}, func(it pivotIter, st []*graph.Node) []*graph.Node {
			grad := st[0]
			_, dsig, others := terms(it, true)
			// The weight of each (pivot, other) term: gr at its positive entry, the pivot's or the other's.
			w := graph.Where(flipB, gr, gmath.RowBroadcast(it.at(gr), m))
			c := graph.Where(others, graph.Mul(w, dsig), zero)
			grad = graph.Add(grad, graph.Mul(signB, c))
			total := graph.Mul(sd.sign, graph.ReduceSum(c, 1))
			grad = it.addAt(grad, graph.Neg(total)) // c is 0 in a row without a pivot
			return []*graph.Node{grad}
		})
		return res[0]
	})
}

// Validate reports an unknown Variant or a distance that is not a similarity (PML's assertions).
func (l *PNP) Validate() error {
	switch l.Variant {
	case PNPO, PNPDs, PNPDq, PNPIu, PNPIb:
	default:
		return fmt.Errorf("PNPLoss: unknown variant %q (Ds, Dq, Iu, Ib or O)", l.Variant)
	}
	if !l.Distance.IsInverted() {
		return fmt.Errorf("PNPLoss: the distance must be a similarity, got %s", l.Distance)
	}
	return nil
}
