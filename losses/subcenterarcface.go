package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// SubCenterArcFace is PML's SubCenterArcFaceLoss (Deng et al., 2020): ArcFace where each class has K =
// SubCenters weight vectors and the class cosine is the largest of its sub-centers',
//
//	cos θ_c = max_k cos(x, W_{c·K+k}),   z_y = s·cos(θ_y + m) (or s·(cos θ_y − m·sin m) past π − m),   z_j = s·cos θ_j
//
// followed by a softmax cross entropy per sample, reduced by Reducer. See ArcFace for the margin, the
// clamp of the target cosine and the inputs.
//
// Deliberate difference from PML (pitfall 9): every option (Distance, Reducer, regularizers) is used;
// PML's constructor drops its keyword arguments, so there they are silently ignored. PML's
// get_outliers (finding samples far from their dominant sub-center) is not provided.
//
// Parameters: "W", shaped [EmbeddingSize, NumClasses·SubCenters] (column c·K + k is sub-center k of
// class c, PML's layout), initialized N(0, 1) (PML's normal_), under ctx.In(Scope), Scope
// "subcenterarcface" by default. The weight regularizer gets Wᵀ (one row per sub-center).
//
// Logits(ctx, emb) is PML's get_logits: s·cos θ_j for every class, cos θ_j the largest sub-center cosine (no margin), [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewSubCenterArcFace): Margin 28.6 (degrees), Scale 64, SubCenters 3, CosineSimilarity
// (required), MeanReducer.
type SubCenterArcFace struct {
	Options
	ClassOptions
	// Margin is the additive angular margin in degrees; Scale multiplies every logit.
	Margin, Scale float64
	// SubCenters is K, the number of weight vectors per class.
	SubCenters int
}

// NewSubCenterArcFace returns SubCenterArcFaceLoss with PML's defaults for numClasses classes and
// embeddings of width embeddingSize.
func NewSubCenterArcFace(numClasses, embeddingSize int) *SubCenterArcFace {
	return &SubCenterArcFace{
		Options:      defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		ClassOptions: defaultClassOptions("subcenterarcface", numClasses, embeddingSize),
		Margin:       28.6, Scale: 64, SubCenters: 3,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *SubCenterArcFace) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	const name = "SubCenterArcFaceLoss"
	c := l.resolveClass(name, in, true)
	k := l.subCenters(name)
	w := l.variable(ctx, name, "W", c.emb.Graph(), c.dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses*k)
	cos := subCenterCosine(name, l.Distance, c.emb, w, l.NumClasses, k) // [N, C]
	return arcFaceReduce(&l.Options, &l.ClassOptions, c, cos, w, l.Margin, l.Scale)
}
