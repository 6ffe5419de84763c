package losses

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// The losses without variables or state implement Loss by ignoring the context: each
// ComputeWithContext below is its Compute.

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *Angular) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node { return l.Compute(in) }

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *Circle) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node { return l.Compute(in) }

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *Contrastive) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *FastAP) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node { return l.Compute(in) }

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *GeneralizedLiftedStructure) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *Histogram) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *Instance) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *IntraPairVariance) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *LiftedStructure) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *MultiSimilarity) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *NCA) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node { return l.Compute(in) }

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *NPairs) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node { return l.Compute(in) }

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *NTXent) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node { return l.Compute(in) }

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *PNP) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node { return l.Compute(in) }

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *RankedList) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *SupCon) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node { return l.Compute(in) }

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *ThresholdConsistentMargin) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *TripletMargin) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}

// ComputeWithContext implements Loss: ctx is ignored (it may be nil); see Compute.
func (l *TupletMargin) ComputeWithContext(_ *context.Context, in Inputs) *graph.Node {
	return l.Compute(in)
}
