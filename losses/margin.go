package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// Margin is PML's MarginLoss (Wu et al., 2017, "Sampling Matters in Deep Embedding Learning"): for each
// triplet (a, p, n) of a positive pair (a, p) and a negative pair (a, n) with the same anchor,
//
//	relu(d_ap − β + Margin) + relu(β − d_an + Margin)
//
// (with a similarity, PML's margin() flips the signs: β − s_ap, s_an − β). The sub-loss
// "margin_loss" is reduced by DivisorReducer with divisor #(positive parts > 0) + #(negative parts > 0)
// over the triplets. With LearnBeta, β is a parameter (one, or one per class when NumClasses > 0, picked
// by the anchor's label) and "beta_reg_loss" adds Nu·β (already reduced; per class, the sum of
// Nu·β_{y_a} over the triplets divided by the same divisor). No triplet gives 0, as in PML. The
// triplets are all of them (triplets_per_anchor="all"), each counted with the product of its two
// pairs' multiplicities; PML's random sampling of an integer triplets_per_anchor is not supported.
//
// Parameters: Compute uses the fixed Beta. ComputeWithBeta takes β as a graph node (shape [], [1] or
// [NumClasses]), so that a training loop can learn it; ComputeWithContext keeps it in a GoMLX context
// as the trainable variable "beta" (initialized to Beta) when LearnBeta is set.
//
// Memory: Compute with DivisorReducer (the default) sums the triplets in factored form,
// Σ_p w_ap·relu(…)·#N(a) + Σ_n w_an·relu(…)·#P(a), in O(N·M); Terms and the other reducers see the
// triplets themselves, an [N, M·M] "pos_pair" term as TripletMargin's (O(N·M²), one block).
//
// Defaults (NewMargin): Margin 0.2, Nu 0, Beta 1.2, LearnBeta false, NumClasses 0, LpDistance
// (normalized, p=2), DivisorReducer.
type Margin struct {
	Options
	Margin, Nu, Beta float64
	LearnBeta        bool
	NumClasses       int
}

// NewMargin returns MarginLoss with PML's defaults.
func NewMargin() *Margin {
	return &Margin{Options: defaultOptions(distances.NewLpDistance(), reducers.DivisorReducer{}), Margin: 0.2, Beta: 1.2}
}

// Terms implements TermsLoss with the fixed Beta: "margin_loss" per triplet (with its divisor) and,
// with LearnBeta and Nu ≠ 0, "beta_reg_loss".
func (l *Margin) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "MarginLoss", l.blockFor(nil, false))
}

// Compute implements PlainLoss with the fixed Beta (even with LearnBeta: use ComputeWithContext to
// learn β).
func (l *Margin) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.ComputeWithBeta(in, nil)
}

// ComputeWithBeta returns the loss with β given as a node: a scalar, [1], or [NumClasses] (one per class,
// indexed by the anchor's label; labels are then required). Nil means the fixed Beta.
func (l *Margin) ComputeWithBeta(in Inputs, beta *graph.Node) *graph.Node {
	o := l.Options
	_, factored := reducers.ReducerFor(o.Reducer, "margin_loss").(reducers.DivisorReducer)
	if !factored {
		o.BlockRows = -1 // The triplets: one block, as Terms.
	}
	return o.compute(in, "MarginLoss", l.blockFor(beta, factored))
}

// ComputeWithContext returns the loss with β read from ctx's variable "beta" (created with value Beta,
// trainable, shaped [1] or [NumClasses]) when LearnBeta is set; otherwise it is Compute.
func (l *Margin) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if !l.LearnBeta {
		return l.Compute(in)
	}
	if ctx == nil {
		exceptions.Panicf("MarginLoss: ComputeWithContext with LearnBeta needs a non-nil context (β lives in it)")
	}
	size := max(1, l.NumClasses)
	dt := in.Embeddings.DType()
	var init *tensors.Tensor
	if dt == dtypes.Float64 {
		v := make([]float64, size)
		for i := range v {
			v[i] = l.Beta
		}
		init = tensors.FromValue(v)
	} else {
		v := make([]float32, size)
		for i := range v {
			v[i] = float32(l.Beta)
		}
		init = tensors.FromValue(v)
	}
	beta := ctx.VariableWithValue("beta", init).ValueGraph(in.Embeddings.Graph())
	return l.ComputeWithBeta(in, graph.ConvertDType(beta, dt))
}

// betaRows returns β for each anchor row of a block: a scalar node, or [rows, 1] per class.
func (l *Margin) betaRows(p queryBlock, beta *graph.Node) (perRow *graph.Node, perClass bool) {
	g, dt := p.q.Graph(), p.q.DType()
	if beta == nil {
		return graph.Scalar(g, dt, l.Beta), false
	}
	beta = graph.ConvertDType(beta, dt)
	if beta.Shape().Size() == 1 && (beta.Rank() == 0 || l.NumClasses <= 1) {
		return graph.Reshape(beta), false
	}
	if beta.Rank() != 1 {
		exceptions.Panicf("MarginLoss: beta must be a scalar, [1] or [NumClasses], got %s", beta.Shape())
	}
	if p.anchorLabels == nil {
		exceptions.Panicf("MarginLoss: a beta per class needs Labels")
	}
	rows := graph.Gather(beta, graph.InsertAxes(graph.ConvertDType(p.anchorLabels, dtypes.Int32), -1)) // [rows]
	return graph.InsertAxes(rows, -1), true
}

func (l *Margin) blockFor(beta *graph.Node, factored bool) blockFn {
	return func(p queryBlock) blockResult {
		d := l.Distance
		mat := d.Matrix(p.q, p.ref)
		dt := mat.DType()
		b, perClass := l.betaRows(p, beta)
		posLoss := relu(graph.AddScalar(distances.Margin(d, mat, b), l.Margin)) // [rows, M]
		negLoss := relu(graph.AddScalar(distances.Margin(d, b, mat), l.Margin))
		active := func(x *graph.Node) *graph.Node { return graph.ConvertDType(graph.GreaterThan(x, gmath.Zero(x)), dt) }
		cntP, cntN := graph.ReduceSum(p.pos, 1), graph.ReduceSum(p.neg, 1) // [rows]
		tripletsPerRow := graph.Mul(cntP, cntN)
		numTriplets := graph.ReduceAllSum(tripletsPerRow)
		rowsN, rowsP := graph.InsertAxes(cntN, -1), graph.InsertAxes(cntP, -1)
		divisor := graph.Add(
			graph.ReduceAllSum(graph.Mul(graph.Mul(p.pos, active(posLoss)), rowsN)),
			graph.ReduceAllSum(graph.Mul(graph.Mul(p.neg, active(negLoss)), rowsP)))
		var terms []reducers.SubLoss
		if factored {
			combined := graph.Add(graph.Mul(graph.Mul(p.pos, posLoss), rowsN), graph.Mul(graph.Mul(p.neg, negLoss), rowsP))
			terms = append(terms, reducers.SubLoss{Name: "margin_loss", Kind: reducers.PosPair, Losses: combined, Divisor: divisor, AnchorLabels: p.anchorLabels})
		} else {
			rows, m := mat.Shape().Dimensions[0], mat.Shape().Dimensions[1]
			perTriplet := graph.Add(graph.InsertAxes(posLoss, -1), graph.InsertAxes(negLoss, 1)) // [rows, M, M]
			weights := graph.Mul(graph.InsertAxes(p.pos, -1), graph.InsertAxes(p.neg, 1))
			terms = append(terms, reducers.SubLoss{
				Name: "margin_loss", Kind: reducers.PosPair,
				Losses:  graph.Reshape(perTriplet, rows, m*m),
				Weights: graph.Reshape(weights, rows, m*m),
				Divisor: divisor, AnchorLabels: p.anchorLabels,
			})
		}
		if l.LearnBeta && l.Nu != 0 {
			if perClass {
				terms = append(terms, reducers.SubLoss{Name: "beta_reg_loss", Kind: reducers.Element,
					Losses: graph.MulScalar(graph.Reshape(b, -1), l.Nu), Weights: tripletsPerRow, Divisor: divisor, AnchorLabels: p.anchorLabels})
			} else {
				terms = append(terms, reducers.SubLoss{Name: "beta_reg_loss", Kind: reducers.AlreadyReduced, Losses: graph.MulScalar(b, l.Nu)})
			}
		}
		return blockResult{terms: terms, gatePos: numTriplets, gateNeg: numTriplets}
	}
}
