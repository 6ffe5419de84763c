package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// keepKind is which entries of a sub-loss a reducer counts.
type keepKind int

const (
	keepAll      keepKind = iota // Mean, Sum, ClassWeighted, PerAnchor: every selected entry.
	keepPositive                 // AvgNonZero: the entries with a loss > 0.
	keepWindow                   // Threshold: the entries with Low < loss < High.
)

// keepRule is a reducer's selection of entries, which the fast all-triplet paths apply inside their
// loop: they reduce each anchor's triplets to a sum and a weight without materializing them.
type keepRule struct {
	kind      keepKind
	low, high *float64
}

// keepRuleFor returns the selection of the reducer that r applies to the sub-loss called name, and
// false for a reducer the fast paths do not know (the loss then uses its general formulation).
func keepRuleFor(r reducers.Reducer, name string) (keepRule, bool) {
	switch red := reducers.ReducerFor(r, name).(type) {
	case reducers.MeanReducer, *reducers.MeanReducer, reducers.SumReducer, *reducers.SumReducer,
		*reducers.ClassWeightedReducer, *reducers.PerAnchorReducer:
		return keepRule{kind: keepAll}, true
	case reducers.AvgNonZeroReducer, *reducers.AvgNonZeroReducer:
		return keepRule{kind: keepPositive}, true
	case *reducers.ThresholdReducer:
		return keepRule{kind: keepWindow, low: red.Low, high: red.High}, true
	}
	return keepRule{}, false
}

// masker returns the function that restricts a selection sel to the entries whose loss l the rule
// keeps. Its constants are made here, so that the function can be used inside a pivot loop.
func (k keepRule) masker(g *graph.Graph, dt dtypes.DType) func(sel, l *graph.Node) *graph.Node {
	zero := graph.ScalarZero(g, dt)
	var low, high *graph.Node
	if k.low != nil {
		low = graph.Scalar(g, dt, *k.low)
	}
	if k.high != nil {
		high = graph.Scalar(g, dt, *k.high)
	}
	return func(sel, l *graph.Node) *graph.Node {
		switch k.kind {
		case keepPositive:
			sel = graph.LogicalAnd(sel, graph.GreaterThan(l, zero))
		case keepWindow:
			if low != nil {
				sel = graph.LogicalAnd(sel, graph.GreaterThan(l, low))
			}
			if high != nil {
				sel = graph.LogicalAnd(sel, graph.LessThan(l, high))
			}
		}
		return sel
	}
}

// rowTerms returns the pair term that stands for a sub-loss whose kept entries in row i add up to
// rowSum[i] with total weight rowCount[i]: losses rowSum/rowCount and weights rowCount, shaped [N, 1].
// Every reducer keepRuleFor accepts reduces it to the value it gives the entries themselves: the
// weighted sums and counts are the same, a per-anchor average is the row's, and the average of kept
// entries is itself kept (positive, or strictly inside the threshold window).
func rowTerms(name string, rowSum, rowCount, anchorLabels *graph.Node) reducers.SubLoss {
	avg := gmath.SafeDiv(rowSum, rowCount)
	return reducers.SubLoss{
		Name: name, Kind: reducers.PosPair,
		Losses:       graph.InsertAxes(avg, -1),
		Weights:      graph.InsertAxes(rowCount, -1),
		AnchorLabels: anchorLabels,
	}
}

// tripletSums returns, for each anchor row i of the distance matrix d, the sum over its triplets
// (i, p, n) kept by keep of w_ip·w_in·f(x), x = (d_ip − d_in) + margin (s_in − s_ip + margin for a
// similarity, inverted), f = relu or softplus (smooth), and the sum of their weights w_ip·w_in. It
// never builds the [N, M, M] triplets: a pivot loop (pivotLoop) takes in each row the smaller of its
// positive and negative sides as pivots, so the work is O(N·M·K), K = max_i min(|P(i)|, |N(i)|), and
// the memory O(N·M).
//
// rowSum carries a hand-written gradient with respect to d, accumulated in the same loop: for a
// triplet with x kept, w·f'(x) goes to d_ip and −w·f'(x) to d_in (signs flipped for a similarity), with
// relu'(0) = 0 and the softplus derivative that GoMLX's autodiff gives relu(x) + log1p(e^−|x|), as the
// general formulation has. The pair weights, when explicit, are taken as selections with
// multiplicities: entries ≤ 0 are not selected and carry no gradient.
func tripletSums(d *graph.Node, p queryBlock, inverted bool, margin float64, smooth bool, keep keepRule) (rowSum, rowCount *graph.Node) {
	g, dt := d.Graph(), d.DType()
	n, m := d.Shape().Dimensions[0], d.Shape().Dimensions[1]
	zero, one := graph.ScalarZero(g, dt), graph.ScalarOne(g, dt)
	ds := graph.StopGradient(d)
	if inverted {
		ds = graph.Neg(ds) // Larger is farther, for positives and negatives alike.
	}
	posSel, negSel := p.posSel, p.negSel
	var posW, negW *graph.Node
	if p.weighted {
		posW = graph.Where(posSel, graph.StopGradient(p.pos), zero)
		negW = graph.Where(negSel, graph.StopGradient(p.neg), zero)
	}
	sd := chooseSides(posSel, negSel, dt)
	nPos, nNeg, flip, pivotSel, otherSel, sign := sd.nPos, sd.nNeg, sd.flip, sd.pivotSel, sd.otherSel, sd.sign
	// The loss is symmetric in the two sides: with e = sign·ds, x = (e_pivot − e_other) + margin
	// whichever side the pivots are.
	var pivotW, otherW *graph.Node
	if p.weighted {
		pivotW = graph.Where(flip, negW, posW)
		otherW = graph.Where(flip, posW, negW)
	}
	e := graph.Mul(ds, gmath.RowBroadcast(sign, m))
	veryNegative, marginNode := graph.Scalar(g, dt, lowest(dt)), graph.Scalar(g, dt, margin)
	keepMask := keep.masker(g, dt)

	state := []*graph.Node{graph.Zeros(g, shapes.Make(dt, n)), graph.Zeros(g, shapes.Make(dt, n)), graph.Zeros(g, shapeNM(dt, n, m))}
	out := pivotLoop(pivotSel, state, func(it pivotIter, s []*graph.Node) []*graph.Node {
		sum, cnt, gE := s[0], s[1], s[2]
		// A row without a pivot gets x = −huge: f(x) = 0, f'(x) = 0, and it is dropped by every rule.
		v := graph.Where(it.has, it.at(e), veryNegative)
		x := graph.Add(graph.Sub(gmath.RowBroadcast(v, m), e), marginNode)
		var l, dl *graph.Node
		xPos := graph.GreaterThan(x, zero)
		if smooth {
			t := graph.Exp(graph.Neg(graph.Abs(x)))
			onePlusT := graph.Add(t, one)
			l = graph.Add(graph.Where(xPos, x, zero), graph.Log1p(t))
			dl = graph.Sub(graph.Where(xPos, one, zero), graph.Mul(graph.Sign(x), graph.Div(t, onePlusT)))
		}
		var kept *graph.Node
		switch {
		case smooth:
			kept = keepMask(otherSel, l)
		case keep.kind == keepPositive:
			// relu(x) > 0 exactly where x > 0, and the kept losses are x itself.
			l, kept = x, graph.LogicalAnd(otherSel, xPos)
		default:
			l = graph.Where(xPos, x, zero)
			kept = keepMask(otherSel, l)
		}
		lw, w := l, one
		if otherW != nil {
			lw, w = graph.Mul(l, otherW), otherW
		}
		rowVal := graph.ReduceSum(graph.Where(kept, lw, zero), 1)
		var gx *graph.Node // d(row's sum)/dx of each kept triplet, before the pivot's weight.
		switch {
		case smooth:
			gx = graph.Where(kept, graph.Mul(dl, w), zero)
		case keep.kind == keepPositive: // kept implies x > 0.
			gx = graph.Where(kept, w, zero)
		default:
			gx = graph.Where(graph.LogicalAnd(kept, xPos), w, zero)
		}
		rowGrad := graph.ReduceSum(gx, 1)
		var rowCnt *graph.Node
		switch {
		case keep.kind == keepPositive && !smooth:
			rowCnt = rowGrad // gx is the kept weight itself.
		case keep.kind != keepAll:
			rowCnt = graph.ReduceSum(graph.Where(kept, w, zero), 1)
		}
		if pivotW != nil {
			wp := graph.Where(it.has, it.at(pivotW), zero)
			rowVal, rowGrad = graph.Mul(rowVal, wp), graph.Mul(rowGrad, wp)
			if rowCnt != nil {
				rowCnt = graph.Mul(rowCnt, wp)
			}
			gx = graph.Mul(gx, gmath.RowBroadcast(wp, m))
		}
		sum = graph.Add(sum, rowVal)
		if rowCnt != nil {
			cnt = graph.Add(cnt, rowCnt)
		}
		// dx/de_other = −1, dx/de_pivot = +1.
		gE = graph.Sub(gE, gx)
		gE = it.addAt(gE, rowGrad) // 0 in a row without a pivot (x = −huge there).
		return []*graph.Node{sum, cnt, gE}
	})
	rowSum, rowCount = out[0], out[1]
	if keep.kind == keepAll {
		if p.weighted {
			rowCount = graph.Mul(graph.ReduceSum(posW, 1), graph.ReduceSum(negW, 1))
		} else {
			rowCount = graph.Mul(nPos, nNeg)
		}
	}
	if inverted {
		sign = graph.Neg(sign)
	}
	gD := graph.Mul(out[2], gmath.RowBroadcast(sign, m)) // de/dd = sign (·−1 for a similarity).
	rowSum = withGradient(rowSum, d, func(v *graph.Node) *graph.Node {
		return graph.Mul(gD, gmath.RowBroadcast(v, m))
	})
	return rowSum, rowCount
}

// sides is each row's choice of pivots for pivotLoop: the smaller of its positive and negative
// selections.
type sides struct {
	nPos, nNeg         *graph.Node // [N] sizes of the selections, in the float dtype given to chooseSides.
	flip               *graph.Node // [N] bool: the pivots are the negatives (more positives than negatives).
	pivotSel, otherSel *graph.Node // [N, M] bool
	sign               *graph.Node // [N]: +1 where the pivots are positives, −1 where they are negatives.
}

// chooseSides returns the rows' pivot sides; counts and signs are in dtype dt.
func chooseSides(posSel, negSel *graph.Node, dt dtypes.DType) sides {
	g := posSel.Graph()
	count := func(sel *graph.Node) *graph.Node { return graph.ReduceSum(graph.ConvertDType(sel, dt), 1) }
	var s sides
	s.nPos, s.nNeg = count(posSel), count(negSel)
	s.flip = graph.GreaterThan(s.nPos, s.nNeg)
	s.pivotSel = graph.Where(s.flip, negSel, posSel)
	s.otherSel = graph.Where(s.flip, posSel, negSel)
	s.sign = graph.Where(s.flip, graph.Scalar(g, dt, -1), graph.ScalarOne(g, dt))
	return s
}
