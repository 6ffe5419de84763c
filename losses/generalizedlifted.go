package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/reducers"
)

// GeneralizedLiftedStructure is PML's GeneralizedLiftedStructureLoss (the "generalized" lifted
// structure loss of Hermans et al., 2017, "In Defense of the Triplet Loss", p. 4): for each anchor i,
//
//	relu( LSE_{p∈P(i)}(d_ip − PosMargin) + LSE_{n∈N(i)}(NegMargin − d_in) )
//
// (with a similarity, PML's margin() flips the signs: PosMargin − s_ip and s_in − NegMargin). A part
// whose anchor has no pair of that kind is 0, as PML's masked logsumexp; every anchor counts in the
// mean. Selections count once each (PML turns them into 0/1 masks). O(N·M) memory, row-separable.
//
// Defaults (NewGeneralizedLiftedStructure): NegMargin 1, PosMargin 0, LpDistance (normalized, p=2),
// MeanReducer (over anchors).
type GeneralizedLiftedStructure struct {
	Options
	NegMargin, PosMargin float64
}

// NewGeneralizedLiftedStructure returns GeneralizedLiftedStructureLoss with PML's defaults.
func NewGeneralizedLiftedStructure() *GeneralizedLiftedStructure {
	return &GeneralizedLiftedStructure{
		Options:   defaultOptions(distances.NewLpDistance(), reducers.MeanReducer{}),
		NegMargin: 1, PosMargin: 0,
	}
}

// Terms implements TermsLoss: one "loss" element term per anchor.
func (l *GeneralizedLiftedStructure) Terms(in Inputs) []reducers.SubLoss {
	return l.terms(in, "GeneralizedLiftedStructureLoss", l.block)
}

// Compute implements PlainLoss.
func (l *GeneralizedLiftedStructure) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	return l.compute(in, "GeneralizedLiftedStructureLoss", l.block)
}

func (l *GeneralizedLiftedStructure) block(p queryBlock) blockResult {
	mat := l.Distance.Matrix(p.q, p.ref)
	g, dt := mat.Graph(), mat.DType()
	posLSE, _ := maskedLogSumExp(distances.Margin(l.Distance, mat, graph.Scalar(g, dt, l.PosMargin)), selectedMask(p.pos))
	negLSE, _ := maskedLogSumExp(distances.Margin(l.Distance, graph.Scalar(g, dt, l.NegMargin), mat), selectedMask(p.neg))
	perAnchor := relu(graph.Add(posLSE, negLSE))
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms}
}
