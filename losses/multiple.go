package losses

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"
)

// Miner selects the pairs a loss is computed on: Mine returns [N, M] weights of the selected positive
// and negative pairs, as Inputs.Pos and Inputs.Neg. It is package miners' PairMiner (declared here
// because package miners imports this one): every miner there is a Miner.
type Miner interface {
	Mine(in Inputs) (pos, neg *graph.Node)
}

// MultipleLosses is PML's MultipleLosses: the weighted sum Σ_i Weights[i] · Losses[i](in), each loss
// computed on the pairs its miner selects when Miners[i] is set (PML's miners list), else on in.
//
// Defaults (NewMultipleLosses): every weight 1 (Weights nil), no miners. As in PML, a loss with a
// miner cannot also be given explicit pairs (Inputs.Pos/Neg): that panics. The losses are given by
// the caller; the spec syntax writes a MultipleLosses as a weighted sum, "contrastive +
// 0.5*multisimilarity" (see Parse).
//
// ComputeWithContext passes ctx to each loss unchanged: those that own variables or state
// (ParametricLoss, DynamicSoftMargin, ...) keep them under their own scope (ClassOptions.Scope: two
// losses of the same kind need different scopes to have their own parameters). Unlike PML,
// MultipleLosses passes Inputs.Ref and RefLabels on to its losses (PML's forward takes no ref_emb).
type MultipleLosses struct {
	// Losses are the summed losses, at least one.
	Losses []Loss
	// Weights holds one weight per loss; nil means all 1.
	Weights []float64
	// Miners holds one miner per loss (nil entries for none); nil means no miners.
	Miners []Miner
}

// NewMultipleLosses returns the sum of losses with weights 1 and no miners.
func NewMultipleLosses(losses ...Loss) *MultipleLosses {
	return &MultipleLosses{Losses: losses}
}

// Validate reports an empty list, or weights or miners whose number is not the number of losses.
func (m *MultipleLosses) Validate() error {
	if len(m.Losses) == 0 {
		return fmt.Errorf("MultipleLosses: no loss")
	}
	for i, l := range m.Losses {
		if l == nil {
			return fmt.Errorf("MultipleLosses: loss %d is nil", i)
		}
	}
	if m.Weights != nil && len(m.Weights) != len(m.Losses) {
		return fmt.Errorf("MultipleLosses: %d weights for %d losses", len(m.Weights), len(m.Losses))
	}
	if m.Miners != nil && len(m.Miners) != len(m.Losses) {
		return fmt.Errorf("MultipleLosses: %d miners for %d losses", len(m.Miners), len(m.Losses))
	}
	return nil
}

// ComputeWithContext implements Loss: the weighted sum of the losses, each computed with ctx.
func (m *MultipleLosses) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if v := onHost(m, in); v != nil {
		return v
	}
	return m.sum(in, func(_ int, l Loss, in Inputs) *graph.Node {
		return l.ComputeWithContext(ctx, in)
	})
}

func (m *MultipleLosses) sum(in Inputs, compute func(i int, l Loss, in Inputs) *graph.Node) *graph.Node {
	if err := m.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	var total *graph.Node
	for i, l := range m.Losses {
		li := in
		if m.Miners != nil && m.Miners[i] != nil {
			if in.Pos != nil || in.Neg != nil {
				exceptions.Panicf("MultipleLosses: loss %d has a miner and Inputs has explicit pairs (PML asserts indices_tuple is None)", i)
			}
			li.Pos, li.Neg = m.Miners[i].Mine(in)
		}
		v := compute(i, l, li)
		if m.Weights != nil && m.Weights[i] != 1 {
			v = graph.MulScalar(v, m.Weights[i])
		}
		if total == nil {
			total = v
		} else {
			total = graph.Add(total, v)
		}
	}
	return total
}
