package losses

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
)

// The host loss engine inside a graph. On the pure-Go backend every graph op is its own pass over
// the [N, N] matrix while the engine's fused kernels make one or two (docs/PERFORMANCE.md), so a
// loss's Compute (and a class loss's ComputeWithContext) builds a host call (backend.HostCall) that
// runs HostCompute when it can:
//   - the graph's backend supports host calls (the pure-Go backend of backend.New, not
//     "go:nohostcalls" nor XLA, which fuses the graph formulation itself);
//   - HostCheck accepts the loss's settings;
//   - the pairs come from labels ([N] integers; no Ref, RefLabels, Pos or Neg);
//   - the embeddings, the labels (and a class loss's parameters) are parameters of the graph: a
//     host call runs before the graph, so it cannot read what the graph computes. This is the case
//     of a loss computed on given embeddings; a graph that computes the embeddings with an encoder
//     keeps the graph formulation (gometric's training runs the engine between two graphs instead:
//     train.LossEngineHost).
//
// Otherwise the graph formulation follows. The value is HostCompute's loss; the gradients are joined
// to it (gradientLink) so that GoMLX's graph.Gradient (and a context's trainable-variable gradients)
// give the engine's gradients, scaled by whatever the graph does with the loss afterwards.

// onHost returns l's value for in computed by the host engine in a host call, or nil when the
// conditions above do not hold.
func onHost(l HostLoss, in Inputs) *graph.Node {
	if !hostGraphInputs(in) || l.HostCheck() != nil {
		return nil
	}
	return hostLossNode(l, in, nil)
}

// onHostWithContext is onHost for a class loss, whose parameters live in ctx (created there as
// ComputeWithContext creates them when they do not exist yet).
func onHostWithContext(ctx *context.Context, l HostParametricLoss, in Inputs) *graph.Node {
	if ctx == nil || !hostGraphInputs(in) || l.HostCheck() != nil {
		return nil
	}
	params := l.HostParameters(ctx, in.Embeddings.Graph(), in.Embeddings.DType())
	if !backend.HostCallInputs(append([]*graph.Node{in.Embeddings, in.Labels}, params...)...) {
		return nil
	}
	return hostLossNode(l, in, params)
}

// hostGraphInputs reports whether in can feed a host call: labelled [N, D] float embeddings and [N]
// integer labels, both parameters of a graph whose backend supports host calls.
func hostGraphInputs(in Inputs) bool {
	e, y := in.Embeddings, in.Labels
	if e == nil || y == nil || in.Ref != nil || in.RefLabels != nil || in.Pos != nil || in.Neg != nil {
		return false
	}
	if e.Rank() != 2 || (e.DType() != dtypes.Float32 && e.DType() != dtypes.Float64) ||
		y.Rank() != 1 || !y.DType().IsInt() || y.Shape().Dimensions[0] != e.Shape().Dimensions[0] {
		return false
	}
	return backend.HostCallsSupported(e.Graph()) && backend.HostCallInputs(e, y)
}

// hostLossNode builds the host call of l on in (and params) and joins its gradients to its value.
func hostLossNode(l HostLoss, in Inputs, params []*graph.Node) *graph.Node {
	e := in.Embeddings
	dt := e.DType()
	inputs := append([]*graph.Node{e, in.Labels}, params...)
	outputs := []shapes.Shape{shapes.Make(dt)}
	for _, x := range append([]*graph.Node{e}, params...) {
		outputs = append(outputs, x.Shape())
	}
	b := e.Graph().Backend()
	fn := func(ts []*tensors.Tensor) ([]*tensors.Tensor, error) {
		res, err := l.HostCompute(HostInputs{Embeddings: ts[0], Labels: ts[1], Params: ts[2:], outputs: b})
		if err != nil {
			return nil, err
		}
		value := tensors.FromValue(res.Loss)
		if dt == dtypes.Float32 {
			value = tensors.FromValue(float32(res.Loss))
		}
		return append([]*tensors.Tensor{value, res.Gradient}, res.ParamGradients...), nil
	}
	outs := backend.HostCall(fn, outputs, inputs...)
	value := outs[0]
	var cotangent *graph.Node
	for i, x := range append([]*graph.Node{e}, params...) {
		value = graph.Add(value, gradientLink(x, outs[1+i], &cotangent))
	}
	// The value's cotangent, noted for the links: graph.Gradient visits the nodes from the newest,
	// so this identity's gradient function runs before theirs.
	return graph.IdentityWithCustomGradient(value, func(_, v *graph.Node) *graph.Node {
		cotangent = v
		return v
	})
}

// gradientLink returns a scalar node whose value is 0 and whose gradient with respect to x is grad
// times *cotangent (the cotangent of the value the link joins, which hostLossNode notes before the
// link's gradient is built): it joins a gradient computed elsewhere to a value. It reads one element
// of x (through an identity with that gradient) rather than Σ x·grad, which would cost the pure-Go
// backend two passes over x forward and two backward; and its gradient does not read the
// cotangent that reaches x's identity (zero but at x's first element), so the backend never builds
// that [N, D] array (an unused node is not executed).
func gradientLink(x, grad *graph.Node, cotangent **graph.Node) *graph.Node {
	linked := graph.IdentityWithCustomGradient(x, func(_, v *graph.Node) *graph.Node {
		c := *cotangent
		if c == nil { // Not reached through hostLossNode's value: the cotangent is v's first element.
			c = firstElement(v)
		}
		if isConstantOne(c) {
			return grad // The loss itself is differentiated (graph.Gradient's seed): no pass to scale.
		}
		return graph.Mul(grad, c)
	})
	s := firstElement(linked)
	return graph.Sub(s, graph.StopGradient(s))
}

// isConstantOne reports whether the scalar node c is the constant 1, possibly broadcast or
// reshaped (graph.Gradient's seed is Ones: a broadcast scalar constant).
func isConstantOne(c *graph.Node) bool {
	for c.Shape().Size() == 1 && (c.Type() == graph.NodeTypeBroadcastInDim || c.Type() == graph.NodeTypeReshape) {
		c = c.Inputs()[0]
	}
	t := c.ConstantValue()
	if t == nil || t.Size() != 1 {
		return false
	}
	switch v := t.Value().(type) {
	case float32:
		return v == 1
	case float64:
		return v == 1
	}
	return false
}

// firstElement returns x's first element as a scalar.
func firstElement(x *graph.Node) *graph.Node {
	ranges := make([]graph.SliceAxisSpec, x.Rank())
	for i := range ranges {
		ranges[i] = graph.AxisRange(0, 1)
	}
	return graph.Reshape(graph.Slice(x, ranges...))
}
