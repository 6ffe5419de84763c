package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// VICReg is PML's VICRegLoss (Bardes et al., 2022, "VICReg: Variance-Invariance-Covariance
// Regularization for Self-Supervised Learning") for two views z (embeddings) and z' (ref), both [N, D]:
//
//	λ·mean_i ‖z_i − z'_i‖²/D + μ·[mean_d relu(1 − √(Var z_·d + ε))/2 + same for z']
//	  + ν·[Σ_{d≠e} Cov(z)_de²/D + same for z']
//
// with the unbiased variance and covariance over the batch (N − 1 in the denominator). Sub-losses, as
// PML's: "invariance_loss" (element, one per sample, already multiplied by λ), "variance_loss1" and
// "variance_loss2" (element, one per dimension, times μ) and "covariance_loss" (already reduced); each
// element sub-loss is reduced by Reducer and the results added. There are no labels, pairs or distance
// (PML rejects them). O(N·D + D²) memory.
//
// Defaults (NewVICReg): InvarianceLambda 25, VarianceMu 25, CovarianceV 1, Eps 1e-4, MeanReducer.
type VICReg struct {
	InvarianceLambda, VarianceMu, CovarianceV, Eps float64
	// Reducer reduces each element sub-loss (PML's reducer argument).
	Reducer reducers.Reducer
}

// NewVICReg returns VICRegLoss with PML's defaults.
func NewVICReg() *VICReg {
	return &VICReg{InvarianceLambda: 25, VarianceMu: 25, CovarianceV: 1, Eps: 1e-4, Reducer: reducers.MeanReducer{}}
}

// Terms returns the four sub-losses of the views emb and ref, unreduced.
func (l *VICReg) Terms(emb, ref *graph.Node) []reducers.SubLoss {
	if emb.Rank() != 2 || !emb.Shape().Equal(ref.Shape()) || !emb.DType().IsFloat() {
		exceptions.Panicf("VICRegLoss: emb and ref must be float [N, D] of the same shape, got %s and %s", emb.Shape(), ref.Shape())
	}
	n, d := emb.Shape().Dimensions[0], emb.Shape().Dimensions[1]
	if n < 2 {
		exceptions.Panicf("VICRegLoss: needs at least 2 samples for the variance, got %d", n)
	}
	invariance := graph.MulScalar(graph.ReduceMean(graph.Square(graph.Sub(emb, ref)), 1), l.InvarianceLambda)
	variance := func(z *graph.Node) *graph.Node {
		centred := graph.Sub(z, graph.InsertAxes(graph.ReduceMean(z, 0), 0))
		v := graph.DivScalar(graph.ReduceSum(graph.Square(centred), 0), float64(n-1))
		std := graph.Sqrt(graph.AddScalar(v, l.Eps))
		return graph.MulScalar(relu(graph.OneMinus(std)), l.VarianceMu/2)
	}
	offDiag := graph.NotEqual(graph.Iota(emb.Graph(), shapes.Make(dtypes.Int32, d, d), 0), graph.Iota(emb.Graph(), shapes.Make(dtypes.Int32, d, d), 1))
	covariance := func(z *graph.Node) *graph.Node {
		centred := graph.Sub(z, graph.InsertAxes(graph.ReduceMean(z, 0), 0))
		cov := graph.DivScalar(graph.MatMul(graph.Transpose(centred, 0, 1), centred), float64(n-1))
		sq := graph.Where(offDiag, graph.Square(cov), gmath.Zero(cov))
		return graph.DivScalar(graph.ReduceAllSum(sq), float64(d))
	}
	cov := graph.MulScalar(graph.Add(covariance(emb), covariance(ref)), l.CovarianceV)
	return []reducers.SubLoss{
		{Name: "invariance_loss", Kind: reducers.Element, Losses: invariance},
		{Name: "variance_loss1", Kind: reducers.Element, Losses: variance(emb)},
		{Name: "variance_loss2", Kind: reducers.Element, Losses: variance(ref)},
		{Name: "covariance_loss", Kind: reducers.AlreadyReduced, Losses: cov},
	}
}

// Compute returns the scalar loss of the views emb and ref (PML's VICRegLoss()(emb, ref_emb=ref)).
func (l *VICReg) Compute(emb, ref *graph.Node) *graph.Node {
	return reducers.ReduceAll(l.Reducer, l.Terms(emb, ref))
}
