package train

import (
	"errors"
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // GoMLX's idiom for graph code
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
)

// Loss engines (Config.LossEngine): where the training step computes the metric loss and its
// gradient with respect to the embeddings.
const (
	// LossEngineAuto uses the host engine where it applies (LossEngineHost's conditions) on the
	// pure-Go backend, and the graph otherwise (XLA fuses the graph formulation itself).
	LossEngineAuto = "auto"
	// LossEngineGraph computes the loss inside the training graph, differentiated by GoMLX.
	LossEngineGraph = "graph"
	// LossEngineHost computes the loss and its gradient with gometric's host loss engine
	// (losses.HostLoss) in a two-stage step: the encoder's forward graph gives the batch's
	// embeddings, the engine the loss and its gradient, and the training graph then runs the
	// encoder again with that gradient as the cotangent of its output (GradCache's step; the
	// encoder's forward runs twice). It needs a loss and settings the engine covers (losses.Host),
	// labels (class batches, or pair batches in label-construction or positives-only mode), no
	// miner and the metric loss alone (no classifier head, weight 1).
	LossEngineHost = "host"
)

// LossEngines lists the values of Config.LossEngine ("" means LossEngineAuto).
var LossEngines = []string{LossEngineAuto, LossEngineGraph, LossEngineHost}

// hostStep is the two-stage step of LossEngineHost: embed (stage 1) runs the encoder over the
// training context's variables and builds the loss inputs exactly as the training graph does; the
// host engine computes the loss and its gradient (stage 2), which hostSource passes to the training
// graph as two extra label tensors, where hostObjective turns them into the objective (stage 3).
type hostStep struct {
	loss  losses.HostLoss
	embed *context.Exec
}

// chooseLossEngine returns the host loss of f's loss when f's configuration asks for the host engine,
// or allows it and it applies; nil for the graph. An explicit LossEngineHost that does not apply is
// an error naming the reason.
func (f *fitter) chooseLossEngine() (losses.HostLoss, error) {
	engine := f.cfg.LossEngine
	if engine == "" {
		engine = LossEngineAuto
	}
	if engine == LossEngineGraph {
		return nil, nil
	}
	h, why := f.hostLoss()
	switch {
	case engine == LossEngineHost && why != nil:
		return nil, fmt.Errorf("--loss-engine host: %w", why)
	case engine == LossEngineHost:
		return h, nil
	case why != nil || !backend.IsPureGo(f.b):
		return nil, nil
	}
	return h, nil
}

// hostLoss returns the host loss of f's configuration, or why the host engine does not apply.
func (f *fitter) hostLoss() (losses.HostLoss, error) {
	h, err := losses.Host(f.loss)
	switch {
	case err != nil:
		return nil, err
	case f.miner != nil:
		return nil, errors.New("the host loss engine takes no miner")
	case f.obj.Classifier != 0 || f.obj.Metric != 1:
		return nil, errors.New("the host loss engine computes the metric loss alone (no classifier head, weight 1)")
	case f.pairBatches && f.mode.String() == "explicit":
		return nil, errors.New("the host loss engine needs labels: explicit pairs are not supported")
	}
	return h, nil
}

// newHostStep builds stage 1: the encoder's embeddings of a batch, as the loss sees them.
func (f *fitter) newHostStep(h losses.HostLoss) (*hostStep, error) {
	var exec *context.Exec
	err := exceptions.TryCatch[error](func() {
		var err error
		exec, err = context.NewExec(f.b, f.ctx, func(ctx *context.Context, args []*Node) []*Node {
			numInputs := len(args) - f.numLabels
			preds := f.encode(ctx, args[:numInputs])
			in := f.lossInputs(args[numInputs:], preds)
			outs := []*Node{in.Embeddings, in.Labels}
			if hp, ok := h.(losses.HostParametricLoss); ok {
				// The loss's parameters (created here on the first step, as the graph path would).
				outs = append(outs, hp.HostParameters(ctx, in.Embeddings.Graph(), in.Embeddings.DType())...)
			}
			return outs
		})
		if err != nil {
			panic(err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("host loss engine: %w", err)
	}
	return &hostStep{loss: h, embed: exec}, nil
}

// hostSource is a batch source whose batches carry, after their own labels, the gradient of the
// metric loss with respect to the loss's embeddings and the loss value (stages 1 and 2).
type hostSource struct {
	batchSource
	step *hostStep
}

// Yield implements train.Dataset.
func (s *hostSource) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	spec, inputs, labels, err = s.batchSource.Yield()
	if err != nil {
		return spec, inputs, labels, err
	}
	args := make([]any, 0, len(inputs)+len(labels))
	for _, t := range inputs {
		args = append(args, t)
	}
	for _, t := range labels {
		args = append(args, t)
	}
	var outs []*tensors.Tensor
	if err = exceptions.TryCatch[error](func() { outs = s.step.embed.MustExec(args...) }); err != nil {
		return nil, nil, nil, fmt.Errorf("host loss engine, embeddings: %w", err)
	}
	res, err := s.step.loss.HostCompute(losses.HostInputs{Embeddings: outs[0], Labels: outs[1], Params: outs[2:]})
	for _, o := range outs {
		o.FinalizeAll()
	}
	if err != nil {
		return nil, nil, nil, err
	}
	value := tensors.FromScalar(float32(res.Loss))
	if res.Gradient.DType().Size() == 8 {
		value = tensors.FromScalar(res.Loss)
	}
	// A new slice: the source may reuse its own between batches.
	out := make([]*tensors.Tensor, 0, len(labels)+2+len(res.ParamGradients))
	out = append(append(append(out, labels...), res.Gradient), res.ParamGradients...)
	return spec, inputs, append(out, value), nil
}

// objective is stage 3's objective, from the batch's extra labels (the loss's gradients and value,
// as hostSource appends them): its value is the host loss and its gradients with respect to the
// embeddings (and the loss's parameters) the host gradients.
func (h *hostStep) objective(ctx *context.Context, emb *Node, extra []*Node) *Node {
	vars := []*Node{emb}
	if hp, ok := h.loss.(losses.HostParametricLoss); ok {
		vars = append(vars, hp.HostParameters(ctx, emb.Graph(), emb.DType())...)
	}
	if len(extra) != len(vars)+1 {
		exceptions.Panicf("host loss engine: %d extra label tensors, want %d", len(extra), len(vars)+1)
	}
	return hostObjective(vars, extra[:len(vars)], extra[len(vars)])
}

// hostObjective returns a node whose value is value and whose gradient with respect to each of vars
// is the matching grads: value + Σ_k (Σ vars_k·grads_k − stop(Σ vars_k·grads_k)).
func hostObjective(vars, grads []*Node, value *Node) *Node {
	total := ConvertDType(StopGradient(value), vars[0].DType())
	for k, v := range vars {
		dot := ReduceAllSum(Mul(v, StopGradient(ConvertDType(grads[k], v.DType()))))
		total = Add(total, Sub(dot, StopGradient(dot)))
	}
	return total
}
