package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/internal/gmath"
)

// resolved is Inputs validated: the queries, the references, and where the pairs come from (explicit
// weights, or labels), for a loss named lossName.
type resolved struct {
	lossName          string
	emb, ref          *graph.Node
	selfRef           bool
	labels, refLabels *graph.Node // int64, nil when the pairs are explicit.
	anchorLabels      *graph.Node // Inputs.Labels as given (for ClassWeightedReducer), may be nil.
	pos, neg          *graph.Node // Explicit weights in the embeddings' dtype, or nil.
	n, m              int
}

// queryBlock is one block of query rows of a resolved input: queries q (rows [start, start+size)
// of the embeddings), all references, and the block's [size, M] weights of positive and negative
// pairs.
type queryBlock struct {
	q, ref       *graph.Node
	pos, neg     *graph.Node
	anchorLabels *graph.Node
	// posSel and negSel are the boolean selections pos > 0 and neg > 0. With labels they are the masks
	// pos and neg are converted from, so a loss that needs only the selection skips the conversion.
	posSel, negSel *graph.Node
	// weighted is true when pos and neg are explicit weights (any values), false when they are 0/1 masks.
	weighted bool
}

// resolve validates in. Like every GoMLX graph function it panics on invalid input, with a message
// that names the loss and the problem.
func (in Inputs) resolve(lossName string) resolved {
	emb := in.Embeddings
	if emb == nil {
		exceptions.Panicf("%s: Inputs.Embeddings is nil", lossName)
	}
	if emb.Rank() != 2 {
		exceptions.Panicf("%s: embeddings must be [N, D], got shape %s", lossName, emb.Shape())
	}
	if !emb.DType().IsFloat() {
		exceptions.Panicf("%s: embeddings must be floats, got %s", lossName, emb.DType())
	}
	r := resolved{lossName: lossName, emb: emb, ref: in.Ref, selfRef: in.Ref == nil, anchorLabels: in.Labels}
	r.n = emb.Shape().Dimensions[0]
	refLabels := in.RefLabels
	if r.selfRef {
		r.ref, refLabels = emb, in.Labels
		if in.RefLabels != nil {
			exceptions.Panicf("%s: RefLabels given without Ref", lossName)
		}
	} else {
		if r.ref.Rank() != 2 || r.ref.Shape().Dimensions[1] != emb.Shape().Dimensions[1] {
			exceptions.Panicf("%s: Ref must be [M, %d] like the embeddings' width, got shape %s", lossName, emb.Shape().Dimensions[1], r.ref.Shape())
		}
		if r.ref.DType() != emb.DType() {
			exceptions.Panicf("%s: Ref dtype %s differs from the embeddings' %s", lossName, r.ref.DType(), emb.DType())
		}
	}
	r.m = r.ref.Shape().Dimensions[0]
	dt := emb.DType()

	if (in.Pos == nil) != (in.Neg == nil) {
		exceptions.Panicf("%s: Inputs.Pos and Inputs.Neg must be given together (an empty selection is all zeros)", lossName)
	}
	if in.Pos != nil {
		for _, w := range []*graph.Node{in.Pos, in.Neg} {
			if w.Rank() != 2 || w.Shape().Dimensions[0] != r.n || w.Shape().Dimensions[1] != r.m {
				exceptions.Panicf("%s: pair weights must be [%d, %d] (queries x references), got shape %s", lossName, r.n, r.m, w.Shape())
			}
		}
		r.pos, r.neg = graph.ConvertDType(in.Pos, dt), graph.ConvertDType(in.Neg, dt)
		return r
	}
	if in.Labels == nil {
		exceptions.Panicf("%s: Inputs needs Labels, or explicit pairs in Pos and Neg", lossName)
	}
	if !r.selfRef && refLabels == nil {
		exceptions.Panicf("%s: Ref given with Labels but without RefLabels; gometric does not reuse Labels for the references (PML silently does)", lossName)
	}
	checkLabels(lossName, "Labels", in.Labels, r.n)
	checkLabels(lossName, "RefLabels", refLabels, r.m)
	r.labels = graph.ConvertDType(in.Labels, dtypes.Int64)
	r.refLabels = graph.ConvertDType(refLabels, dtypes.Int64)
	return r
}

// all returns the whole input as one block.
func (r resolved) all() queryBlock {
	return r.block(r.emb, r.ref, 0, r.n, nil)
}

// block returns the pairs of rows [start, start+size) with queries q (already those rows) and
// references ref. chain, when not nil, is a scalar int32 zero computed from the previous block: adding
// it to this block's first inputs makes the block wait for the previous one (see blockwise.go).
func (r resolved) block(q, ref *graph.Node, start, size int, chain *graph.Node) queryBlock {
	g, dt := q.Graph(), q.DType()
	p := queryBlock{q: q, ref: ref}
	rows := func(x *graph.Node) *graph.Node {
		if start == 0 && size == x.Shape().Dimensions[0] && chain == nil {
			return x
		}
		x = graph.Slice(x, graph.AxisRange(start, start+size))
		if chain != nil {
			x = graph.Add(x, graph.ConvertDType(chain, x.DType()))
		}
		return x
	}
	if r.anchorLabels != nil {
		p.anchorLabels = rows(r.anchorLabels)
	}
	if r.pos != nil {
		p.pos, p.neg, p.weighted = rows(r.pos), rows(r.neg), true
		p.posSel, p.negSel = graph.GreaterThan(p.pos, graph.ScalarZero(g, dt)), graph.GreaterThan(p.neg, graph.ScalarZero(g, dt))
		return p
	}
	// Both sides broadcast explicitly to [size, M] (gmath: much faster than an implicit broadcast on
	// the pure-Go backend).
	same := graph.Equal(gmath.RowBroadcast(rows(r.labels), r.m), gmath.ColBroadcast(r.refLabels, size)) // [size, M]
	posMask := same
	if r.selfRef {
		// A query is not its own positive: exclude the (global) diagonal, a constant of the graph.
		posMask = graph.LogicalAnd(same, notDiagonal(g, start, size, r.m))
	}
	p.posSel, p.negSel = posMask, graph.LogicalNot(same)
	p.pos = graph.ConvertDType(p.posSel, dt)
	p.neg = graph.ConvertDType(p.negSel, dt)
	return p
}

func checkLabels(lossName, what string, labels *graph.Node, n int) {
	if labels.Rank() != 1 || labels.Shape().Dimensions[0] != n {
		exceptions.Panicf("%s: %s must be [%d], got shape %s", lossName, what, n, labels.Shape())
	}
	if !labels.DType().IsInt() {
		exceptions.Panicf("%s: %s must be integers, got %s", lossName, what, labels.DType())
	}
}

// notDiagonal returns the constant [size, m] mask that is false at (i, start+i), the block's part of
// the diagonal of an [n, m] matrix.
func notDiagonal(g *graph.Graph, start, size, m int) *graph.Node {
	mask := make([]bool, size*m)
	for i := range mask {
		mask[i] = true
	}
	for i := range size {
		if j := start + i; j < m {
			mask[i*m+j] = false
		}
	}
	return graph.Const(g, tensors.FromFlatDataAndDimensions(mask, size, m))
}
