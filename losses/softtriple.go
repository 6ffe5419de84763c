package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// SoftTriple is PML's SoftTripleLoss (Qian et al., 2019): each class has K = CentersPerClass centers;
// with s_ck the similarity of x to center k of class c, the class similarity is the softmax-weighted
//
//	S_c = Σ_k softmax_k(s_ck/γ)·s_ck
//
// and each sample's loss is the softmax cross entropy of λ·(S − δ·onehot_y), λ = La, γ = Gamma,
// δ = Margin, reduced by Reducer. Inputs and sample weights are as in LargeMarginSoftmax; the weight
// regularizer gets fcᵀ (one row per center). As in PML, the paper's center regularizer is not built in.
//
// Parameters: "fc", shaped [EmbeddingSize, NumClasses·CentersPerClass] (column c·K + k is center k of
// class c, PML's layout), initialized like PML's kaiming_uniform_(a=√5): U(−b, b) with
// b = 1/√(NumClasses·CentersPerClass); under ctx.In(Scope), Scope "softtriple" by default.
//
// Logits(ctx, emb) is PML's get_logits: the class similarities S_c [N, C], without λ or δ, [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewSoftTriple): CentersPerClass 10, La 20, Gamma 0.1, Margin 0.01, CosineSimilarity (any
// similarity; PML asserts IsInverted), MeanReducer.
type SoftTriple struct {
	Options
	ClassOptions
	// CentersPerClass is K.
	CentersPerClass int
	// La (λ) scales the logits, Gamma (γ) is the temperature of the softmax over a class's centers and
	// Margin (δ) is subtracted from the target class similarity.
	La, Gamma, Margin float64
}

// NewSoftTriple returns SoftTripleLoss with PML's defaults for numClasses classes and embeddings of
// width embeddingSize.
func NewSoftTriple(numClasses, embeddingSize int) *SoftTriple {
	return &SoftTriple{
		Options:         defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		ClassOptions:    defaultClassOptions("softtriple", numClasses, embeddingSize),
		CentersPerClass: 10, La: 20, Gamma: 0.1, Margin: 0.01,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *SoftTriple) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	const name = "SoftTripleLoss"
	k := l.check(name)
	c := l.resolveClass(name, in, true)
	fc := l.variable(ctx, name, "fc", c.emb.Graph(), c.dt, kaimingUniformInit(ctx), l.EmbeddingSize, l.NumClasses*k)
	classSim := softTripleClassSim(l.Distance, c.emb, fc, l.NumClasses, k, l.Gamma) // [N, C]
	logits := graph.MulScalar(graph.Sub(classSim, graph.MulScalar(c.oneHot, l.Margin)), l.La)
	terms := []reducers.SubLoss{c.elementTerms(crossEntropy(logits, c.oneHot))}
	return l.reduce(&l.Options, c, terms, graph.Transpose(fc, 0, 1))
}
