package losses

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// P2SGrad is PML's P2SGradLoss (Zhang et al., 2019): the mean squared error between the cosines of the
// embeddings to the class weights and the one-hot labels, over all N·C entries,
//
//	(1/(N·C)) Σ_i Σ_c (clamp(cos θ_ic, −1, 1) − [c = y_i])²,   cos θ_ic = x_i·W_c / ‖x_i‖
//
// where W_c are unit columns: like PML, which renormalizes the stored weight in place before every
// call (torch's renorm: W_c·min(1, 10⁻⁵/(‖W_c‖ + 10⁻⁷))·10⁵), the loss renormalizes W the same way and
// takes the gradient with respect to the renormalized weight, passed unchanged to the variable
// (straight-through). The result is already reduced: Reducer is not used.
//
// Inputs: Labels are required (class ids in [0, NumClasses)); Ref and explicit pairs (Pos/Neg) are not
// supported, as in PML. PML has no weight regularizer for this loss: setting WeightRegularizer panics.
// An embedding of norm 0 is divided by 1e-12 instead of 0 (PML gives NaN).
//
// Parameters: "weight", shaped [EmbeddingSize, NumClasses] (PML's layout: one column per class),
// initialized like PML: U(−1, 1) with each column then scaled to unit norm; under ctx.In(Scope), Scope
// "p2sgrad" by default. PML's constructor takes (descriptors_dim, num_classes); NewP2SGrad takes
// (numClasses, embeddingSize) like the other losses.
type P2SGrad struct {
	Options
	ClassOptions
}

// NewP2SGrad returns P2SGradLoss for numClasses classes and embeddings of width embeddingSize (PML's
// num_classes and descriptors_dim).
func NewP2SGrad(numClasses, embeddingSize int) *P2SGrad {
	return &P2SGrad{
		Options:      defaultOptions(nil, reducers.MeanReducer{}),
		ClassOptions: defaultClassOptions("p2sgrad", numClasses, embeddingSize),
	}
}

// ComputeWithContext implements ParametricLoss.
func (l *P2SGrad) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHostWithContext(ctx, l, in); v != nil {
		return v
	}
	const name = "P2SGradLoss"
	if l.WeightRegularizer != nil {
		exceptions.Panicf("%s: has no weight regularizer (as in PML)", name)
	}
	c := l.resolveClass(name, in, false)
	g, dt := c.emb.Graph(), c.dt
	init := func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return torchRenormColumns(uniform(ctx, g, shape, 1))
	}
	w := l.variable(ctx, name, "weight", g, dt, init, l.EmbeddingSize, l.NumClasses)
	w = graph.Add(w, graph.StopGradient(graph.Sub(torchRenormColumns(w), w))) // Straight-through renorm.
	xNorm := graph.Max(rowNorms(c.emb), graph.Scalar(g, dt, 1e-12))
	cos := graph.Div(graph.MatMul(c.emb, w), graph.InsertAxes(xNorm, -1))
	one := gmath.One(cos)
	cos = graph.Where(graph.GreaterThan(cos, one), one, graph.Where(graph.LessThan(cos, graph.Neg(one)), graph.Neg(one), cos))
	mse := graph.ReduceAllMean(graph.Square(graph.Sub(cos, c.oneHot)))
	allValid := graph.ReduceAllMin(graph.ConvertDType(c.valid, dt))
	mse = graph.Where(graph.GreaterThan(allValid, gmath.Zero(allValid)), mse, graph.Scalar(g, dt, math.NaN())) // NaN for an invalid label.
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: mse}}
	return l.reduce(&l.Options, c, terms, nil)
}

// torchRenormColumns is torch's w.renorm(2, 1, 1e-5).mul(1e5): each column of norm above 1e-5 is scaled
// by 1e-5/(norm + 1e-7), then everything by 1e5.
func torchRenormColumns(w *graph.Node) *graph.Node {
	g, dt := w.Graph(), w.DType()
	norms := gmath.SafeSqrt(graph.ReduceSum(graph.Square(w), 0)) // [C]
	maxNorm := graph.Scalar(g, dt, 1e-5)
	factor := graph.Where(graph.GreaterThan(norms, maxNorm), graph.Div(maxNorm, graph.AddScalar(norms, 1e-7)), gmath.One(norms))
	return graph.MulScalar(graph.Mul(w, graph.InsertAxes(factor, 0)), 1e5)
}
