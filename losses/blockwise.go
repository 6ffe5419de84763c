package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// blockFn computes a loss's sub-losses over one block of query rows against all references. compute
// goes block by block only for the losses the registry marks row-separable (Info.Blockwise): a row's
// terms depend only on its own row of the [N, M] matrix.
type blockFn func(p queryBlock) blockResult

// blockResult is what a loss computes over one block.
type blockResult struct {
	terms []reducers.SubLoss
	// gatePos and gateNeg, when set, are counts whose totals over all blocks must both be positive for
	// the loss to be non-zero (SupCon: a batch with no positive or no negative pair has a zero loss).
	gatePos, gateNeg *graph.Node
}

// autoBlockEntries is the size, in [rows, M] entries, above which Compute goes block by block when
// Options.BlockRows is 0: 4M entries, 16 MiB per float32 intermediate.
const autoBlockEntries = 1 << 22

// blockRows returns the number of query rows per block, or n for a single block.
func (o *Options) blockRows(r resolved) int {
	rows := o.BlockRows
	switch {
	case rows < 0:
		return r.n
	case rows == 0:
		if r.n*r.m <= autoBlockEntries {
			return r.n
		}
		rows = max(1, autoBlockEntries/r.m)
	}
	if rows >= r.n || !reducers.IsDecomposable(o.Reducer) {
		return r.n
	}
	return rows
}

// isActive returns the scalar boolean "both gate totals are positive", or nil when there is no gate.
func isActive(gatePos, gateNeg *graph.Node) *graph.Node {
	if gatePos == nil {
		return nil
	}
	return graph.LogicalAnd(graph.GreaterThan(gatePos, gmath.Zero(gatePos)), graph.GreaterThan(gateNeg, gmath.Zero(gateNeg)))
}

func gateValue(x, active *graph.Node) *graph.Node {
	if active == nil {
		return x
	}
	return graph.Where(active, x, gmath.Zero(x))
}

// terms returns the sub-losses of one block covering all rows, with the gate applied to their weights
// and the embedding regularization appended: the Terms of TermsLoss.
func (o *Options) terms(in Inputs, name string, fn blockFn) []reducers.SubLoss {
	r := in.resolve(name)
	res := fn(r.all())
	if active := isActive(res.gatePos, res.gateNeg); active != nil {
		for i, t := range res.terms {
			w := t.Weights
			if w == nil {
				w = graph.OnesLike(t.Losses)
			}
			res.terms[i].Weights = gateValue(graph.ConvertDType(w, t.Losses.DType()), active)
		}
	}
	return o.withRegularization(res.terms, r.emb)
}

// compute returns the scalar loss. Small inputs are one block, differentiated by GoMLX as usual.
// Large inputs (or Options.BlockRows > 0) go block by block: each block of rows computes its
// reducer partials and their gradients with respect to its queries and the references at once, and
// blocks are chained so that they run one after another; only one block's [rows, M] intermediates
// are alive at a time, instead of a dozen [N, M] matrices. The result's value is the loss and its
// gradient the accumulated one (see blockwiseLoss).
func (o *Options) compute(in Inputs, name string, fn blockFn) *graph.Node {
	r := in.resolve(name)
	rows := o.blockRows(r)
	if !rowsSeparable(name) {
		rows = r.n // One block: the registry says the rows are not separable (Info.Blockwise).
	}
	var loss *graph.Node
	if rows >= r.n {
		res := fn(r.all())
		loss = gateValue(reducers.ReduceAll(o.Reducer, res.terms), isActive(res.gatePos, res.gateNeg))
	} else {
		loss = o.blockwiseLoss(r, rows, fn)
	}
	for _, t := range o.withRegularization(nil, r.emb) {
		loss = graph.Add(loss, t.Losses)
	}
	return loss
}

// subLoss accumulates one sub-loss over the blocks: its partial sum and count, the gradient of the sum
// with respect to each block of queries, and with respect to the references.
type subLoss struct {
	partial reducers.Partial
	gradQ   []*graph.Node
	gradRef *graph.Node
}

// blockwiseLoss computes the loss block by block with explicit gradients. With value L and gradient
// G = dL/d(embeddings) (and G_ref for the references), it returns
//
//	StopGradient(L) + (s − StopGradient(s)),  s = Σ embeddings·StopGradient(G) (+ Σ ref·StopGradient(G_ref))
//
// whose value is exactly L and whose gradient is exactly G. The gradient of each reducer's total is the
// sum of the blocks' gradients divided by the total count (counts are piecewise constant).
func (o *Options) blockwiseLoss(r resolved, rows int, fn blockFn) *graph.Node {
	// The blocks' gradients are taken with respect to these nodes. They must not be StopGradient nodes
	// (GoMLX propagates nothing into those); the result below is what hides the blocks from an outer
	// gradient. refNode is a node of its own, so that with self-reference the gradient with respect to
	// it does not also count the queries' path.
	refNode := graph.Identity(r.ref)
	var (
		names            []string
		subs             = map[string]*subLoss{}
		gatePos, gateNeg *graph.Node
		chain            *graph.Node
	)
	for b0 := 0; b0 < r.n; b0 += rows {
		size := min(rows, r.n-b0)
		q := graph.Slice(r.emb, graph.AxisRange(b0, b0+size))
		if chain != nil {
			q = graph.Add(q, graph.ConvertDType(chain, q.DType()))
		}
		res := fn(r.block(q, refNode, b0, size, chain))
		var last *graph.Node
		for _, t := range res.terms {
			part, ok := reducers.PartialOf(o.Reducer, t)
			if !ok {
				panic("losses: internal error: blockwise computation with a reducer that cannot reduce block by block")
			}
			grads := graph.Gradient(part.Sum, q, refNode)
			s, seen := subs[t.Name]
			if !seen {
				names = append(names, t.Name)
				s = &subLoss{partial: part, gradRef: grads[1]}
				subs[t.Name] = s
			} else {
				s.partial = s.partial.Add(part)
				s.gradRef = graph.Add(s.gradRef, grads[1])
			}
			s.gradQ = append(s.gradQ, grads[0])
			last = grads[0]
		}
		if res.gatePos != nil {
			if gatePos == nil {
				gatePos, gateNeg = res.gatePos, res.gateNeg
			} else {
				gatePos, gateNeg = graph.Add(gatePos, res.gatePos), graph.Add(gateNeg, res.gateNeg)
			}
		}
		// The next block starts only once this one is done: its inputs add a zero that depends on this
		// block's gradient through a comparison that is always false (x > x).
		probe := graph.ReduceAllSum(last)
		chain = graph.ConvertDType(graph.GreaterThan(probe, probe), dtypes.Int32)
	}

	var value, gradEmb, gradRef *graph.Node
	add := func(acc, x *graph.Node) *graph.Node {
		if acc == nil {
			return x
		}
		return graph.Add(acc, x)
	}
	for _, name := range names {
		s := subs[name]
		value = add(value, s.partial.Value())
		gq := s.gradQ[0]
		if len(s.gradQ) > 1 {
			gq = graph.Concatenate(s.gradQ, 0)
		}
		gradEmb = add(gradEmb, scaleByCount(gq, s.partial.Count))
		gradRef = add(gradRef, scaleByCount(s.gradRef, s.partial.Count))
	}
	active := isActive(gatePos, gateNeg)
	value = gateValue(value, active)
	if r.selfRef {
		gradEmb = graph.Add(gradEmb, gradRef)
	}
	surrogate := graph.ReduceAllSum(graph.Mul(r.emb, graph.StopGradient(gateValue(gradEmb, active))))
	if !r.selfRef {
		surrogate = graph.Add(surrogate, graph.ReduceAllSum(graph.Mul(r.ref, graph.StopGradient(gateValue(gradRef, active)))))
	}
	return graph.Add(graph.StopGradient(value), graph.Sub(surrogate, graph.StopGradient(surrogate)))
}

// scaleByCount divides a gradient by a reducer's count (nil: 1); a zero count gives a zero gradient.
func scaleByCount(grad, count *graph.Node) *graph.Node {
	if count == nil {
		return grad
	}
	return graph.Mul(grad, gmath.SafeDiv(gmath.One(count), count))
}
