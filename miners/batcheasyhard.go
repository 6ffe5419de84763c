package miners

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// Strategy is how BatchEasyHard picks the positive or the negative of each anchor.
type Strategy string

// BatchEasyHard's strategies (PML's pos_strategy / neg_strategy).
const (
	// Hard picks the hardest pair: the farthest positive, or the closest negative.
	Hard Strategy = "hard"
	// Semihard picks, for positives, the farthest positive still closer than the chosen negative; for
	// negatives, the closest negative still farther than the chosen positive.
	Semihard Strategy = "semihard"
	// Easy picks the easiest pair: the closest positive, or the farthest negative.
	Easy Strategy = "easy"
	// All keeps every candidate pair of that kind.
	All Strategy = "all"
)

// Range is an inclusive range [Lo, Hi] of distance (or similarity) values.
type Range struct{ Lo, Hi float64 }

// BatchEasyHard is PML's BatchEasyHardMiner (Xuan et al., 2020, "Improved Embeddings with Easy
// Positive Triplet Mining"): for each anchor one positive and one negative, chosen by PosStrategy and
// NegStrategy (see Strategy); an anchor is kept only if it has both. With All for one side, every
// candidate pair of that side is kept, and the other side keeps every anchor that has a pick.
// PosRange and NegRange, when set, drop candidates whose value lies outside the range before picking
// (PML's allowed_pos_range, allowed_neg_range; not applied to an All side, like PML).
//
// Semihard thresholds are strict: a semihard negative is strictly farther than the chosen positive, a
// semihard positive strictly closer than the chosen negative. Both strategies cannot be Semihard, and
// Semihard cannot be combined with All (PML raises the same errors; Mine panics, Validate returns them).
//
// Defaults (NewBatchEasyHard): PosStrategy Easy, NegStrategy Semihard, no ranges, LpDistance (p=2,
// normalized). Ties go to the lowest reference index (PML's torch.max/min index is device-dependent).
// Unlike PML, a row's pick is taken among its candidates only (PML's "max" multiplies by a 0/1 mask, so
// with a similarity it can pick a non-candidate when all candidates are negative).
type BatchEasyHard struct {
	// PosStrategy and NegStrategy are PML's pos_strategy and neg_strategy.
	PosStrategy, NegStrategy Strategy
	// PosRange and NegRange restrict the candidate values (nil: no restriction).
	PosRange, NegRange *Range
	// Distance compares the embeddings; nil means LpDistance.
	Distance distances.Distance
}

// NewBatchEasyHard returns BatchEasyHardMiner with PML's defaults.
func NewBatchEasyHard() *BatchEasyHard {
	return &BatchEasyHard{PosStrategy: Easy, NegStrategy: Semihard}
}

// Validate reports an invalid combination of strategies, with PML's rules.
func (m *BatchEasyHard) Validate() error {
	for _, s := range []Strategy{m.PosStrategy, m.NegStrategy} {
		switch s {
		case Hard, Semihard, Easy, All:
		default:
			return fmt.Errorf("BatchEasyHardMiner: unknown strategy %q (want hard, semihard, easy or all)", s)
		}
	}
	if m.PosStrategy == Semihard && m.NegStrategy == Semihard {
		return fmt.Errorf("BatchEasyHardMiner: PosStrategy and NegStrategy cannot both be semihard")
	}
	if (m.PosStrategy == All && m.NegStrategy == Semihard) || (m.NegStrategy == All && m.PosStrategy == Semihard) {
		return fmt.Errorf("BatchEasyHardMiner: semihard cannot be combined with all")
	}
	return nil
}

// Mine implements PairMiner: 0/1 weights, at most one positive and one negative per anchor (except
// for an All side).
func (m *BatchEasyHard) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	if err := m.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	c := resolve("BatchEasyHardMiner", in)
	d := defaultDistance(m.Distance)
	mat := d.Matrix(c.emb, c.ref)
	dt := mat.DType()

	inRange := func(mask *graph.Node, r *Range) *graph.Node {
		if r == nil {
			return mask
		}
		g := mat.Graph()
		ok := graph.LogicalAnd(graph.GreaterOrEqual(mat, graph.Scalar(g, dt, r.Lo)), graph.LessOrEqual(mat, graph.Scalar(g, dt, r.Hi)))
		return graph.LogicalAnd(mask, ok)
	}
	// pick chooses per row: farthest (largest distance / smallest similarity) or closest, among mask,
	// restricted to values strictly closer (or farther) than threshold when given.
	pick := func(mask *graph.Node, r *Range, farthest bool, threshold *graph.Node, closerThanThreshold bool) (vals, idx, ok *graph.Node) {
		mask = inRange(mask, r)
		if threshold != nil {
			t := graph.InsertAxes(threshold, -1)
			if closerThanThreshold {
				mask = graph.LogicalAnd(mask, distances.Closer(d, mat, t))
			} else {
				mask = graph.LogicalAnd(mask, farther(d, mat, t))
			}
		}
		return pickPerRow(mat, mask, farthest != d.IsInverted())
	}
	posFarthest := m.PosStrategy == Hard || m.PosStrategy == Semihard
	negFarthest := m.NegStrategy == Easy

	var pVals, pIdx, pOK, nVals, nIdx, nOK *graph.Node
	switch {
	case m.PosStrategy == Semihard:
		nVals, nIdx, nOK = pick(c.neg, m.NegRange, negFarthest, nil, false)
		_, pIdx, pOK = pick(c.pos, m.PosRange, posFarthest, nVals, true)
	case m.NegStrategy == Semihard:
		pVals, pIdx, pOK = pick(c.pos, m.PosRange, posFarthest, nil, false)
		_, nIdx, nOK = pick(c.neg, m.NegRange, negFarthest, pVals, false)
	default:
		if m.PosStrategy != All {
			_, pIdx, pOK = pick(c.pos, m.PosRange, posFarthest, nil, false)
		}
		if m.NegStrategy != All {
			_, nIdx, nOK = pick(c.neg, m.NegRange, negFarthest, nil, false)
		}
	}
	switch {
	case m.PosStrategy == All && m.NegStrategy == All:
		return weights(c.pos, dt), weights(c.neg, dt)
	case m.PosStrategy == All:
		return weights(c.pos, dt), oneHotRows(nIdx, nOK, c.m, dt)
	case m.NegStrategy == All:
		return oneHotRows(pIdx, pOK, c.m, dt), weights(c.neg, dt)
	}
	keep := graph.LogicalAnd(pOK, nOK)
	return oneHotRows(pIdx, keep, c.m, dt), oneHotRows(nIdx, keep, c.m, dt)
}
