package losses

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// Angular is PML's AngularLoss (Wang et al., 2017, "Deep Metric Learning with Angular Loss"): for each
// positive pair (a, p), with t = tan²(Alpha) and x the L2-normalized embeddings,
//
//	log(1 + Σ_{n: y_n ≠ y_a} exp(4t·(x_a + x_p)ᵀx_n − 2(1 + t)·x_aᵀx_p))
//
// The negatives are every reference whose label differs from the anchor's (as PML: with explicit
// pairs, Neg only decides whether the loss is zero, and labels are still required). The loss is 0
// when the selection has no positive or no negative pair.
//
// PML does not normalize the negatives x_n (§5 bug 7: it uses the raw reference embeddings in the
// exponent, so the loss depends on their norms). The default is PML's behaviour (RawNegatives true,
// so that a PML user's numbers carry over); RawNegatives false (option raw_negatives=false)
// normalizes the negatives as the paper's formula does, which makes the loss independent of the
// references' norms.
//
// Computation: the exponent of a triple is 4t·(x_a + x_p)·x_n minus a term of the pair, so each
// positive pair needs one row of logits against the references and its log-sum-exp over the
// negatives: a loop over each anchor's positives does it in O(N·M·D) per positive, O(N·M·D·K) in all
// (K = the largest number of positives of an anchor, 1 for two samples per class), and when K is
// large (few classes) the sum over the negatives is instead a matrix product of shifted
// exponentials, O(N·M·(M + D)); the gradient is hand-written for both (see angularLSE). O(N·M + M²)
// memory, where PML builds all N·M² triples; Compute still goes block by block for large inputs (see
// Options.BlockRows).
//
// Defaults (NewAngular): Alpha 40 (degrees), RawNegatives true (PML), LpDistance (p=2, power 1, normalized:
// asserted, as PML), MeanReducer (over positive pairs).
type Angular struct {
	Options
	// Alpha is the angle in degrees.
	Alpha float64
	// RawNegatives uses the negatives' embeddings without normalization, PML's behaviour (the
	// default); false normalizes them.
	RawNegatives bool
}

// NewAngular returns AngularLoss with PML's defaults, raw (unnormalized) negatives included.
func NewAngular() *Angular {
	return &Angular{Options: defaultOptions(distances.NewLpDistance(), reducers.MeanReducer{}), Alpha: 40, RawNegatives: true}
}

// inputs checks in and, with explicit pairs, replaces Neg by the label-derived negatives (kept only if
// Neg selects any pair).
func (l *Angular) inputs(in Inputs) Inputs {
	d, ok := l.Distance.(*distances.LpDistance)
	if !ok || d.P != 2 || d.Power != 1 || !d.NormalizeEmbeddings {
		exceptions.Panicf("AngularLoss: the distance must be LpDistance(p=2, power=1, normalized), got %s", l.Distance)
	}
	if in.Labels == nil {
		exceptions.Panicf("AngularLoss: needs Labels (the negatives are all references of another label)")
	}
	if in.Pos == nil || in.Neg == nil {
		return in
	}
	refLabels := in.RefLabels
	if in.Ref == nil {
		refLabels = in.Labels
	}
	if refLabels == nil {
		exceptions.Panicf("AngularLoss: Ref given without RefLabels")
	}
	diff := graph.NotEqual(graph.InsertAxes(graph.ConvertDType(in.Labels, dtypes.Int64), -1), graph.InsertAxes(graph.ConvertDType(refLabels, dtypes.Int64), 0))
	negF := graph.ConvertDType(in.Neg, in.Embeddings.DType())
	anyNeg := graph.ReduceAllMax(graph.ConvertDType(graph.GreaterThan(negF, gmath.Zero(negF)), negF.DType()))
	out := in
	out.Neg = graph.Mul(graph.ConvertDType(diff, negF.DType()), anyNeg)
	return out
}

// Terms implements TermsLoss: one "loss" pair term per positive pair.
func (l *Angular) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(l.inputs(in), "AngularLoss", l.block)
}

// Compute implements PlainLoss, block by block for large inputs (see the type's documentation).
func (l *Angular) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(l.inputs(in), "AngularLoss", l.block)
}

// l2Normalize divides each row by its L2 norm, clamped below at 1e-12 (torch's normalize).
func l2Normalize(x *graph.Node) *graph.Node {
	norm := gmath.SafeSqrt(graph.ReduceSum(graph.Square(x), -1))
	norm = graph.Max(norm, graph.Scalar(x.Graph(), x.DType(), 1e-12))
	return graph.Div(x, graph.InsertAxes(norm, -1))
}

func (l *Angular) block(p queryBlock) blockResult {
	xa, xp := l2Normalize(p.q), l2Normalize(p.ref)
	xn := xp
	if l.RawNegatives {
		xn = p.ref
	}
	t := math.Pow(math.Tan(l.Alpha*math.Pi/180), 2)
	// z[a, p] = LSE_{n ∈ N(a)} 4t(x_a + x_p)·x_n − 2(1+t) x_a·x_p at the positive pairs.
	z := angularLogits(xa, xp, xn, p.posSel, p.negSel, 4*t, 2*(1+t), l.RawNegatives)
	perPair := softplus(z) // log(1 + Σ e^x); no negative: 0.
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.PosPair, Losses: perPair, Weights: p.pos, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms, gatePos: countSelected(p.pos), gateNeg: countSelected(p.neg)}
}

// angularLogits returns, at the entries (a, p) of posSel, z[a, p] = log Σ_{n: negSel[a, n]}
// e^{c·(x_a + x_p)·x_n} − k·x_a·x_p (the log-sum-exp is a very negative finite value for an anchor
// without negatives; the other entries are unspecified), with a hand-written gradient with respect
// to xa, xp and xn. It takes one of two exact routes, chosen at run time by K, the largest number of
// positives of an anchor:
//
//   - a pivot loop over each anchor's positives: per pivot, the logits c·(x_a + x_p)·x_nᵀ of the
//     whole row and their log-sum-exp over the negatives, O(N·M·D) per pivot, O(N·M·D·K) in all;
//   - a matrix product: the exponent separates, Σ_n e^{A_an}·e^{B_pn} with A = c·x_a·x_n (over the
//     negatives of a) and B = c·x_p·x_n, each shifted by its row's maximum, is the product
//     e^{A − maxA}·(e^{B − maxB})ᵀ: O(N·M·(M + D)), exact while e^{A + B − maxA − maxB} does not
//     underflow for every negative of a pair: the exponent spread is at most 4c with normalized
//     negatives (11.3 for the default angle, 33 at 55°); with raw negatives (wide) it grows with
//     their norms, and in float32 the product is then computed in float64 (exact while the norms stay
//     below about 60 at the default angle).
//
// The loop is taken when K·(D + 64) < M, the product otherwise (few classes). Memory: O(N·M + M·D)
// for the loop, O(N·M + M²) for the product. Every matrix product runs inside the routes' loops, one
// at a time (see after and serial): the pure-Go backend deadlocks when a loop and several matrix
// products wait for its workers at once.
func angularLogits(xa, xp, xn, posSel, negSel *graph.Node, c, k float64, wide bool) *graph.Node {
	g, dt := xa.Graph(), xa.DType()
	rows, m, d := xa.Shape().Dimensions[0], xp.Shape().Dimensions[0], xa.Shape().Dimensions[1]
	zero, one := graph.ScalarZero(g, dt), graph.ScalarOne(g, dt)
	cNode, kNode, veryNegative := graph.Scalar(g, dt, c), graph.Scalar(g, dt, k), graph.Scalar(g, dt, lowest(dt))
	xnT := graph.Transpose(xn, 0, 1)
	pivots := graph.ReduceAllMax(graph.ReduceSum(graph.ConvertDType(posSel, dtypes.Int32), 1))
	useLoop := graph.LessThan(graph.Mul(pivots, graph.Const(g, int32(d+64))), graph.Const(g, int32(m)))
	switch angularRoute {
	case 1:
		useLoop = graph.Const(g, true)
	case 2:
		useLoop = graph.Const(g, false)
	}

	// rowLSE returns, per row, the log-sum-exp of logits over the negatives, its maximum-shifted
	// exponentials e (0 outside the negatives) and their sum s (0: no negative).
	rowLSE := func(logits *graph.Node) (lse, e, s *graph.Node) {
		mx := graph.ReduceMax(graph.Where(negSel, logits, veryNegative), 1)
		e = graph.Where(negSel, graph.Exp(graph.Sub(logits, gmath.RowBroadcast(mx, m))), zero)
		s = graph.ReduceSum(e, 1)
		nonEmpty := graph.GreaterThan(s, zero)
		lse = graph.Where(nonEmpty, graph.Add(mx, graph.Log(graph.Where(nonEmpty, s, one))), veryNegative)
		return lse, e, s
	}
	// pivotLogits returns the pivot's reference embedding, x_a + x_p and the row's logits.
	pivotLogits := func(it pivotIter) (xpk, v, logits *graph.Node) {
		xpk = graph.Gather(xp, graph.InsertAxes(it.col, -1)) // [rows, D]
		v = graph.Add(xa, xpk)
		return xpk, v, graph.Mul(graph.MatMul(v, xnT), cNode)
	}
	// product returns the shifted exponentials of the product route, [rows, M] and [M, M], their
	// product s and the shifts, in dtype pdt (float64 for wide float32 inputs), and the inputs in it.
	pdt := dt
	if wide && dt == dtypes.Float32 {
		pdt = dtypes.Float64
	}
	pZero, pOne, pNegative := graph.ScalarZero(g, pdt), graph.ScalarOne(g, pdt), graph.Scalar(g, pdt, lowest(pdt))
	pc := graph.Scalar(g, pdt, c)
	product := func(mm *serial) (ea, eb, s, aMax, bMax, xaP, xpP, xnP *graph.Node) {
		xaP, xpP, xnP = graph.ConvertDType(xa, pdt), graph.ConvertDType(xp, pdt), graph.ConvertDType(xn, pdt)
		xnPT := graph.Transpose(xnP, 0, 1)
		a := graph.Mul(mm.matMul(xaP, xnPT), pc)
		b := graph.Mul(mm.matMul(xpP, xnPT), pc)
		aMax = graph.ReduceMax(graph.Where(negSel, a, pNegative), 1) // [rows]
		aMax = graph.Where(graph.GreaterThan(aMax, pNegative), aMax, pZero)
		bMax = graph.ReduceMax(b, 1) // [M]
		ea = graph.Where(negSel, graph.Exp(graph.Sub(a, gmath.RowBroadcast(aMax, m))), pZero)
		eb = graph.Exp(graph.Sub(b, gmath.RowBroadcast(bMax, m)))
		return ea, eb, mm.matMul(ea, graph.Transpose(eb, 0, 1)), aMax, bMax, xaP, xpP, xnP
	}

	// Each route runs in its own loop, of no iteration when not chosen (see pivotLoopIf), one after the
	// other (see after).
	loopValue := pivotLoopIf(useLoop, posSel, []*graph.Node{graph.Zeros(g, shapeNM(dt, rows, m))}, func(it pivotIter, st []*graph.Node) []*graph.Node {
		xpk, _, logits := pivotLogits(it)
		lse, _, _ := rowLSE(logits)
		z := graph.Sub(lse, graph.Mul(graph.ReduceSum(graph.Mul(xa, xpk), 1), kNode))
		return []*graph.Node{it.addAt(st[0], graph.Where(it.has, z, zero))}
	})[0]
	productValue := runIf(graph.LogicalNot(useLoop), []*graph.Node{after(graph.Zeros(g, shapeNM(dt, rows, m)), loopValue)}, func([]*graph.Node) []*graph.Node {
		mm := &serial{}
		_, _, s, aMax, bMax, _, _, _ := product(mm)
		nonEmpty := graph.GreaterThan(s, pZero)
		shift := graph.Add(gmath.RowBroadcast(aMax, m), graph.BroadcastToDims(graph.InsertAxes(bMax, 0), rows, m))
		lse := graph.Where(nonEmpty, graph.ConvertDType(graph.Add(shift, graph.Log(graph.Where(nonEmpty, s, pOne))), dt), veryNegative)
		ap := mm.matMul(xa, graph.Transpose(xp, 0, 1))
		return []*graph.Node{graph.Sub(lse, graph.Mul(ap, kNode))}
	})[0]
	value := graph.Where(useLoop, loopValue, productValue)

	return withGradients(value, []*graph.Node{xa, xp, xn}, func(gr *graph.Node) []*graph.Node {
		gr = graph.Where(posSel, graph.StopGradient(gr), zero)
		xaS, xpS, xnS := graph.StopGradient(xa), graph.StopGradient(xp), graph.StopGradient(xn)
		state := []*graph.Node{graph.ZerosLike(xaS), graph.ZerosLike(xpS), graph.ZerosLike(xnS)}
		loopGrad := pivotLoopIf(useLoop, posSel, state, func(it pivotIter, st []*graph.Node) []*graph.Node {
			mm := &serial{}
			xpk, v, logits := pivotLogits(it)
			_, e, s := rowLSE(logits)
			g := graph.Where(it.has, it.at(gr), zero)
			mm.last = logits
			// d lse/d logits = e/s over the negatives; logits = c·v·x_nᵀ; v = x_a + x_p.
			coef := graph.Mul(gmath.SafeDiv(g, s), cNode)
			dLogits := graph.Mul(e, gmath.RowBroadcast(coef, m)) // already times c
			dv := mm.matMul(dLogits, xnS)                        // [rows, D]
			dxn := graph.Add(st[2], mm.matMul(graph.Transpose(dLogits, 0, 1), v))
			// −k·x_a·x_p: −k·g·x_p to x_a, −k·g·x_a to x_p.
			gk := graph.InsertAxes(graph.Mul(g, kNode), -1)
			dxa := graph.Sub(dv, graph.Mul(xpk, gk))
			dxpk := graph.Sub(dv, graph.Mul(xaS, gk))
			idx := graph.InsertAxes(it.col, -1)
			dxp := graph.Add(st[1], graph.ScatterSum(graph.ZerosLike(st[1]), idx, dxpk, false, false))
			return []*graph.Node{graph.Add(st[0], dxa), dxp, dxn}
		})
		chained := make([]*graph.Node, len(state))
		for i, x := range state {
			chained[i] = after(x, loopGrad[0])
		}
		productGrad := runIf(graph.LogicalNot(useLoop), chained, func([]*graph.Node) []*graph.Node {
			mm := &serial{}
			ea, eb, s, _, _, xaP, xpP, xnP := product(mm)
			grP := graph.ConvertDType(gr, pdt)
			ds := gmath.SafeDiv(grP, s)                                   // [rows, M]
			da := graph.Mul(mm.matMul(ds, eb), ea)                        // [rows, M] (n)
			db := graph.Mul(mm.matMul(graph.Transpose(ds, 0, 1), ea), eb) // [M, M] (p, n)
			da, db = graph.Mul(da, pc), graph.Mul(db, pc)
			dxa := mm.matMul(da, xnP)
			dxp := mm.matMul(db, xnP)
			dxn := graph.Add(mm.matMul(graph.Transpose(da, 0, 1), xaP), mm.matMul(graph.Transpose(db, 0, 1), xpP))
			// −k·x_a·x_p: −k·gr·x_p to x_a, −k·grᵀ·x_a to x_p.
			grK := graph.Mul(gr, kNode)
			dxa = graph.Sub(graph.ConvertDType(dxa, dt), mm.matMul(grK, xpS))
			dxp = graph.Sub(graph.ConvertDType(dxp, dt), mm.matMul(graph.Transpose(grK, 0, 1), xaS))
			return []*graph.Node{dxa, dxp, graph.ConvertDType(dxn, dt)}
		})
		grads := make([]*graph.Node, 3)
		for i := range grads {
			grads[i] = graph.Where(useLoop, loopGrad[i], productGrad[i])
		}
		return grads
	})
}

// serial makes matrix products that run one after another (see after): each waits for the previous.
type serial struct{ last *graph.Node }

func (s *serial) matMul(a, b *graph.Node) *graph.Node {
	if s.last != nil {
		a = after(a, s.last)
	}
	s.last = graph.MatMul(a, b)
	return s.last
}

// angularRoute forces angularLogits' route in tests: 0 chooses at run time, 1 the loop, 2 the product.
var angularRoute = 0
