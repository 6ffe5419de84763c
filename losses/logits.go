package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
)

// LogitsLoss is a loss with learnable class parameters that also scores embeddings against its
// classes: PML's get_logits(embeddings), on LargeMarginSoftmax, ArcFace, CosFace, SphereFace,
// SubCenterArcFace, NormalizedSoftmax, ProxyAnchor, ProxyNCA and SoftTriple (P2SGrad has none in PML).
//
// Logits returns the [N, NumClasses] matrix PML's get_logits returns for the embeddings emb [N,
// EmbeddingSize], from the loss's variables in ctx (created on first use, under the same scope, name,
// shape and initializer as ComputeWithContext, so either may come first). No margin is applied and no
// labels are needed: these are the scores a classifier head built on the loss would use (PML's
// TrainWithClassifier and accuracy on classes). Each loss documents its formula; note that for
// ProxyAnchor and ProxyNCA they are PML's raw distance matrix (for ProxyNCA's default LpDistance with
// power 2, squared distances: smaller means closer, as in PML).
type LogitsLoss interface {
	ParametricLoss
	Logits(ctx *context.Context, emb *graph.Node) *graph.Node
}

var (
	_ LogitsLoss = (*LargeMarginSoftmax)(nil)
	_ LogitsLoss = (*ArcFace)(nil)
	_ LogitsLoss = (*CosFace)(nil)
	_ LogitsLoss = (*SphereFace)(nil)
	_ LogitsLoss = (*SubCenterArcFace)(nil)
	_ LogitsLoss = (*NormalizedSoftmax)(nil)
	_ LogitsLoss = (*ProxyAnchor)(nil)
	_ LogitsLoss = (*ProxyNCA)(nil)
	_ LogitsLoss = (*SoftTriple)(nil)
)

// Logits is PML's LargeMarginSoftmaxLoss.get_logits: s·‖W_j‖·‖x‖·cos θ_j for every class j (no
// margin), [N, NumClasses].
func (l *LargeMarginSoftmax) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	return lmsLogits(ctx, emb, "LargeMarginSoftmaxLoss", &l.Options, &l.ClassOptions, l.Scale, true)
}

// Logits is PML's SphereFaceLoss.get_logits: s·‖x‖·cos θ_j for every class j (no margin),
// [N, NumClasses].
func (l *SphereFace) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	return lmsLogits(ctx, emb, "SphereFaceLoss", &l.Options, &l.ClassOptions, l.Scale, false)
}

// lmsLogits is the get_logits of LargeMarginSoftmax (weightNorms true) and SphereFace (false).
func lmsLogits(ctx *context.Context, emb *graph.Node, name string, opts *Options, co *ClassOptions, scale float64, weightNorms bool) *graph.Node {
	co.checkEmbeddings(name, emb)
	w := co.variable(ctx, name, "W", emb.Graph(), emb.DType(), normalInit(ctx), co.EmbeddingSize, co.NumClasses)
	cos := cosineToColumns(name, opts.Distance, emb, w)
	return graph.MulScalar(graph.Mul(cos, lmsMagnitudes(emb, w, weightNorms)), scale)
}

// lmsMagnitudes returns ‖x‖ [N, 1], times ‖W_j‖ ([N, C]) when weightNorms: PML's scale_logits of
// LargeMarginSoftmax (and SphereFace, without the weight norms) before the scale.
func lmsMagnitudes(emb, w *graph.Node, weightNorms bool) *graph.Node {
	mag := graph.InsertAxes(rowNorms(emb), -1) // [N, 1]
	if weightNorms {
		mag = graph.Mul(mag, graph.InsertAxes(rowNorms(graph.Transpose(w, 0, 1)), 0))
	}
	return mag
}

// Logits is PML's ArcFaceLoss.get_logits: s·cos θ_j for every class j (no margin), [N, NumClasses].
func (l *ArcFace) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	const name = "ArcFaceLoss"
	l.checkEmbeddings(name, emb)
	w := l.variable(ctx, name, "W", emb.Graph(), emb.DType(), normalInit(ctx), l.EmbeddingSize, l.NumClasses)
	return graph.MulScalar(cosineToColumns(name, l.Distance, emb, w), l.Scale)
}

// Logits is PML's CosFaceLoss.get_logits: s·cos θ_j for every class j (no margin), [N, NumClasses].
func (l *CosFace) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	const name = "CosFaceLoss"
	l.checkEmbeddings(name, emb)
	w := l.variable(ctx, name, "W", emb.Graph(), emb.DType(), normalInit(ctx), l.EmbeddingSize, l.NumClasses)
	return graph.MulScalar(cosineToColumns(name, l.Distance, emb, w), l.Scale)
}

// Logits is PML's SubCenterArcFaceLoss.get_logits (ArcFace's, with SubCenterArcFace's get_cosine):
// s·max_k cos(x, W_{j·K+k}) for every class j (no margin), [N, NumClasses].
func (l *SubCenterArcFace) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	const name = "SubCenterArcFaceLoss"
	l.checkEmbeddings(name, emb)
	k := l.subCenters(name)
	w := l.variable(ctx, name, "W", emb.Graph(), emb.DType(), normalInit(ctx), l.EmbeddingSize, l.NumClasses*k)
	return graph.MulScalar(subCenterCosine(name, l.Distance, emb, w, l.NumClasses, k), l.Scale)
}

// subCenters returns SubCenters, checked.
func (l *SubCenterArcFace) subCenters(name string) int {
	if l.SubCenters < 1 {
		exceptions.Panicf("%s: SubCenters must be at least 1, got %d", name, l.SubCenters)
	}
	return l.SubCenters
}

// subCenterCosine returns the [N, C] class cosines max_k cos(x, W_{c·K+k}) for w [D, C·K].
func subCenterCosine(name string, d distances.Distance, emb, w *graph.Node, numClasses, k int) *graph.Node {
	cos := cosineToColumns(name, d, emb, w) // [N, C·K]
	n := emb.Shape().Dimensions[0]
	return graph.ReduceMax(graph.Reshape(cos, n, numClasses, k), 2)
}

// Logits is PML's NormalizedSoftmaxLoss.get_logits: sim(x, W_j/‖W_j‖)/T for every class j (cosines
// / T with the default normalized DotProductSimilarity), [N, NumClasses].
func (l *NormalizedSoftmax) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	const name = "NormalizedSoftmaxLoss"
	l.checkDistance(name)
	l.checkEmbeddings(name, emb)
	w := l.variable(ctx, name, "W", emb.Graph(), emb.DType(), normalInit(ctx), l.EmbeddingSize, l.NumClasses)
	return normalizedSoftmaxLogits(l.Distance, emb, w, l.Temperature)
}

// checkDistance panics unless Distance is a DotProductSimilarity (CosineSimilarity is one).
func (l *NormalizedSoftmax) checkDistance(name string) {
	switch l.Distance.(type) {
	case *distances.DotProductSimilarity, *distances.CosineSimilarity:
	default:
		exceptions.Panicf("%s: Distance must be DotProductSimilarity or CosineSimilarity (as PML asserts), got %v", name, l.Distance)
	}
}

// normalizedSoftmaxLogits is PML's NormalizedSoftmaxLoss.get_logits for w [D, C]: the distance to the
// normalized columns over T, negated for a distance that is not a similarity (as in PML; unreachable
// with the similarities checkDistance allows).
func normalizedSoftmaxLogits(d distances.Distance, emb, w *graph.Node, temperature float64) *graph.Node {
	logits := graph.DivScalar(d.Matrix(emb, graph.Transpose(normalizeColumns(w), 0, 1)), temperature)
	if !d.IsInverted() {
		logits = graph.Neg(logits)
	}
	return logits
}

// Logits is PML's ProxyAnchorLoss.get_logits: the Distance matrix between the embeddings and the
// proxies (cosine similarities by default), [N, NumClasses]; Margin and Alpha are not applied.
func (l *ProxyAnchor) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	const name = "ProxyAnchorLoss"
	l.checkEmbeddings(name, emb)
	proxies := l.variable(ctx, name, "proxies", emb.Graph(), emb.DType(), kaimingNormalFanOutInit(ctx), l.NumClasses, l.EmbeddingSize)
	return l.Distance.Matrix(emb, proxies)
}

// Logits is PML's ProxyNCALoss.get_logits: the Distance matrix between the embeddings and the proxies,
// [N, NumClasses], as is: with the default LpDistance (power 2) these are squared distances, smaller
// for a closer class, neither negated nor scaled by SoftmaxScale (the loss's softmax is over
// −SoftmaxScale times them).
func (l *ProxyNCA) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	const name = "ProxyNCALoss"
	l.checkEmbeddings(name, emb)
	proxies := l.variable(ctx, name, "proxies", emb.Graph(), emb.DType(), normalInit(ctx), l.NumClasses, l.EmbeddingSize)
	return l.Distance.Matrix(emb, proxies)
}

// Logits is PML's SoftTripleLoss.get_logits: the class similarities S_j = Σ_k softmax_k(s_jk/γ)·s_jk,
// [N, NumClasses], without La or Margin.
func (l *SoftTriple) Logits(ctx *context.Context, emb *graph.Node) *graph.Node {
	const name = "SoftTripleLoss"
	k := l.check(name)
	l.checkEmbeddings(name, emb)
	fc := l.variable(ctx, name, "fc", emb.Graph(), emb.DType(), kaimingUniformInit(ctx), l.EmbeddingSize, l.NumClasses*k)
	return softTripleClassSim(l.Distance, emb, fc, l.NumClasses, k, l.Gamma)
}

// check panics unless Distance is a similarity and CentersPerClass is positive; it returns
// CentersPerClass.
func (l *SoftTriple) check(name string) int {
	if l.Distance == nil || !l.Distance.IsInverted() {
		exceptions.Panicf("%s: Distance must be a similarity (as PML asserts), got %v", name, l.Distance)
	}
	if l.CentersPerClass < 1 {
		exceptions.Panicf("%s: CentersPerClass must be at least 1, got %d", name, l.CentersPerClass)
	}
	return l.CentersPerClass
}

// softTripleClassSim returns the [N, C] class similarities Σ_k softmax_k(s_ck/γ)·s_ck for fc [D, C·K].
func softTripleClassSim(d distances.Distance, emb, fc *graph.Node, numClasses, k int, gamma float64) *graph.Node {
	n := emb.Shape().Dimensions[0]
	sim := graph.Reshape(d.Matrix(emb, graph.Transpose(fc, 0, 1)), n, numClasses, k)
	prob := graph.Softmax(graph.DivScalar(sim, gamma), 2)
	return graph.ReduceSum(graph.Mul(prob, sim), 2)
}
