package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// NTXent is PML's NTXentLoss (InfoNCE; SimCLR's NT-Xent): for each positive pair (a, p),
//
//	−log( e^{s_ap/τ} / (e^{s_ap/τ} + Σ_{n ∈ N(a)} e^{s_an/τ}) )
//
// where N(a) are the negatives of the same anchor a; other positives of a are not in the
// denominator. With a distance, s = −d.
//
// gometric computes it as softplus(LSE_{n∈N(a)}(s_an/τ) − s_ap/τ) over the [N, M] similarity matrix:
// O(N·M) memory (PML builds a positives × negatives matrix, O(N³) for a batch of N) and exact for
// any logits, where PML's log(num/den + tiny) caps the loss near 87 in float32. Anchors with no
// negative give 0, as in PML.
//
// Defaults (NewNTXent): Temperature 0.07, CosineSimilarity, MeanReducer (over positive pairs).
type NTXent struct {
	Options
	Temperature float64
}

// NewNTXent returns NTXentLoss with PML's defaults.
func NewNTXent() *NTXent {
	return &NTXent{Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}), Temperature: 0.07}
}

// Terms implements TermsLoss: one "loss" pair term per positive pair.
func (l *NTXent) Terms(in Inputs) []reducers.SubLoss { return l.terms(in, "NTXentLoss", l.block) }

// Compute implements PlainLoss.
func (l *NTXent) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "NTXentLoss", l.block)
}

func (l *NTXent) block(p queryBlock) blockResult {
	logits := l.Distance.Matrix(p.q, p.ref)
	if !l.Distance.IsInverted() {
		logits = graph.Neg(logits)
	}
	logits = graph.DivScalar(logits, l.Temperature)
	perPair := ntxentPairs(logits, p)
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.PosPair, Losses: perPair, Weights: p.pos, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms}
}

// ntxentPairs returns, at the selected positive pairs, softplus(LSE_{n∈N(i)}(x_in) − x_ij) (0 at the
// other entries; the LSE is weighted by the negative weights, and an anchor with no negative gives
// 0), with a hand-written gradient: the forward is about a dozen passes over the [N, M] matrix and
// the backward five, where the autodiff of the same ops took some thirty. Softplus and its
// transcendental functions only do real work at the positive pairs: elsewhere their argument is −huge,
// which math.Exp and math.Log1p return at once.
func ntxentPairs(x *graph.Node, p queryBlock) *graph.Node {
	g, dt := x.Graph(), x.DType()
	xs := graph.StopGradient(x)
	var w *graph.Node
	if p.weighted {
		w = graph.StopGradient(p.neg)
	}
	me := newMaskedExp(xs, p.negSel, w)
	veryNegative := graph.Scalar(g, dt, lowest(dt))
	lse := graph.Where(me.nonEmpty, graph.Add(me.rowMax, me.logS), veryNegative) // [N]
	m := x.Shape().Dimensions[1]
	d := graph.Where(p.posSel, graph.Sub(gmath.RowBroadcast(lse, m), xs), veryNegative)
	threshold := graph.Scalar(g, dt, softplusThreshold(dt))
	ed := graph.Exp(graph.Min(d, threshold))
	perPair := graph.Where(graph.GreaterThan(d, threshold), d, graph.Log1p(ed))
	// d softplus(d)/dd = σ(d) = e^d / (1 + e^d): 1 beyond the threshold, 0 where d is −huge.
	// a = v·σ(d): the gradient with respect to d; coef[i] = Σ_j a[i,j] / s[i], the weight of row i's
	// softmax over its negatives. (Both fns build the same nodes, which the backend computes once.)
	grads := func(v *graph.Node) (a, coef *graph.Node) {
		a = graph.Mul(v, graph.Div(ed, graph.Add(ed, gmath.One(ed))))
		return a, gmath.RowBroadcast(gmath.SafeDiv(gmath.RowSum(a), me.s), m)
	}
	out := withGradient(perPair, x, func(v *graph.Node) *graph.Node {
		a, coef := grads(v)
		return graph.Sub(graph.Mul(me.e, coef), a)
	})
	if w != nil {
		// The gradient with respect to the negative weights, as the autodiff of w·e^x gives it.
		out = withGradient(out, p.neg, func(v *graph.Node) *graph.Node {
			_, coef := grads(v)
			return graph.Mul(me.eRaw, coef)
		})
	}
	return out
}

// Validate reports a temperature that is not a positive finite number (the logits are divided by
// it; PML does not check, and a temperature of 0 or below gives NaN or a loss that rewards pushing
// positives apart).
func (l *NTXent) Validate() error { return checkTemperature("NTXentLoss", l.Temperature) }
