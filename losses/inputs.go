package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"
)

// pairsOf is Inputs resolved for a pair-based loss: embeddings, the references and the [N, M]
// selection weights of positive and negative pairs, in the embeddings' dtype.
type pairsOf struct {
	emb, ref     *graph.Node
	pos, neg     *graph.Node
	anchorLabels *graph.Node
}

// resolve validates in and derives the pair weights: the explicit Pos/Neg when given, else from the
// labels (same label: positive, different: negative; with no Ref, a query is not its own positive).
// Like every GoMLX graph function it panics on invalid input, with a message that names the problem.
func (in Inputs) resolve(lossName string) pairsOf {
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
	n := emb.Shape().Dimensions[0]
	ref, refLabels, selfRef := in.Ref, in.RefLabels, in.Ref == nil
	if selfRef {
		ref, refLabels = emb, in.Labels
		if in.RefLabels != nil {
			exceptions.Panicf("%s: RefLabels given without Ref", lossName)
		}
	} else {
		if ref.Rank() != 2 || ref.Shape().Dimensions[1] != emb.Shape().Dimensions[1] {
			exceptions.Panicf("%s: Ref must be [M, %d] like the embeddings' width, got shape %s", lossName, emb.Shape().Dimensions[1], ref.Shape())
		}
		if ref.DType() != emb.DType() {
			exceptions.Panicf("%s: Ref dtype %s differs from the embeddings' %s", lossName, ref.DType(), emb.DType())
		}
	}
	m := ref.Shape().Dimensions[0]
	out := pairsOf{emb: emb, ref: ref, anchorLabels: in.Labels}
	dt := emb.DType()

	if (in.Pos == nil) != (in.Neg == nil) {
		exceptions.Panicf("%s: Inputs.Pos and Inputs.Neg must be given together (an empty selection is all zeros)", lossName)
	}
	if in.Pos != nil {
		for _, w := range []*graph.Node{in.Pos, in.Neg} {
			if w.Rank() != 2 || w.Shape().Dimensions[0] != n || w.Shape().Dimensions[1] != m {
				exceptions.Panicf("%s: pair weights must be [%d, %d] (queries x references), got shape %s", lossName, n, m, w.Shape())
			}
		}
		out.pos, out.neg = graph.ConvertDType(in.Pos, dt), graph.ConvertDType(in.Neg, dt)
		return out
	}

	if in.Labels == nil {
		exceptions.Panicf("%s: Inputs needs Labels, or explicit pairs in Pos and Neg", lossName)
	}
	if !selfRef && refLabels == nil {
		exceptions.Panicf("%s: Ref given with Labels but without RefLabels; gometric does not reuse Labels for the references (PML silently does)", lossName)
	}
	checkLabels(lossName, "Labels", in.Labels, n)
	checkLabels(lossName, "RefLabels", refLabels, m)
	labels := graph.ConvertDType(in.Labels, dtypes.Int64)
	refL := graph.ConvertDType(refLabels, dtypes.Int64)
	same := graph.Equal(graph.InsertAxes(labels, -1), graph.InsertAxes(refL, 0)) // [N, M]
	one, zero := graph.Ones(emb.Graph(), shapeNM(dt, n, m)), graph.Zeros(emb.Graph(), shapeNM(dt, n, m))
	posMask := same
	if selfRef {
		posMask = graph.LogicalAnd(same, graph.LogicalNot(graph.Diagonal(emb.Graph(), n)))
	}
	out.pos = graph.Where(posMask, one, zero)
	out.neg = graph.Where(same, zero, one)
	return out
}

func checkLabels(lossName, what string, labels *graph.Node, n int) {
	if labels.Rank() != 1 || labels.Shape().Dimensions[0] != n {
		exceptions.Panicf("%s: %s must be [%d], got shape %s", lossName, what, n, labels.Shape())
	}
	if !labels.DType().IsInt() {
		exceptions.Panicf("%s: %s must be integers, got %s", lossName, what, labels.DType())
	}
}
