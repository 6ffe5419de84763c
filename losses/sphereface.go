package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// SphereFace is PML's SphereFaceLoss (A-Softmax, Liu et al., 2017): LargeMarginSoftmax with the logits
// scaled by the embedding's norm only (the class weights count by direction):
//
//	z_j = s·‖x‖·cos θ_j  (j ≠ y),   z_y = s·‖x‖·ψ(θ_y),   ψ(θ) = (−1)^k·cos(mθ) − 2k,  k = ⌊θ·m/π⌋
//
// followed by a softmax cross entropy per sample, reduced by Reducer. See LargeMarginSoftmax for ψ,
// the inputs, the sample weights and the weight regularizer.
//
// Parameters: "W", shaped [EmbeddingSize, NumClasses] (one column per class), initialized N(0, 1)
// (PML's normal_), under ctx.In(Scope), Scope "sphereface" by default.
//
// Logits(ctx, emb) is PML's get_logits: s·‖x‖·cos θ_j for every class (without ψ), [N, NumClasses] (see LogitsLoss).
//
// Defaults (NewSphereFace): Margin 4, Scale 1, CosineSimilarity (required, as PML asserts), MeanReducer.
type SphereFace struct {
	Options
	ClassOptions
	// Margin is the integer angle multiplier m (PML truncates a fractional margin with int()).
	Margin float64
	// Scale multiplies every logit.
	Scale float64
}

// NewSphereFace returns SphereFaceLoss with PML's defaults for numClasses classes and embeddings of
// width embeddingSize.
func NewSphereFace(numClasses, embeddingSize int) *SphereFace {
	return &SphereFace{
		Options:      defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		ClassOptions: defaultClassOptions("sphereface", numClasses, embeddingSize),
		Margin:       4, Scale: 1,
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *SphereFace) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	return lmsCompute(ctx, in, "SphereFaceLoss", &l.Options, &l.ClassOptions, l.Margin, l.Scale, false)
}
