package golden

import (
	"fmt"
	"sync/atomic"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/losses"
)

// hostChecked counts the loss cases also checked on the host loss engine since the last
// takeHostChecked (the golden test prints it after each file's losses).
var hostChecked atomic.Int64

func takeHostChecked() int64 { return hostChecked.Swap(0) }

// hostProblems checks a case on the host loss engine as well, when the engine covers the loss's
// settings and the case's kind (labels, or the label construction of pairs, whose labels the case
// carries): the same loss and gradients as PML's, in float64, or the problems. A parametric loss's
// single parameter is initial[name] and its expected gradient wantGrads[name].
func hostProblems(c *lossCase, loss losses.Loss, names []string, initial, wantGrads map[string][][]float64) []string {
	switch c.Spec.Kind {
	case "", "labels", "pairs_label_trick":
	default:
		return nil
	}
	if c.Spec.Wrapper != "" || c.Labels == nil {
		return nil
	}
	h, err := losses.Host(loss)
	if err != nil {
		return nil
	}
	var params []*tensors.Tensor
	if _, ok := h.(losses.HostParametricLoss); ok {
		if len(names) != 1 {
			return nil
		}
		params = []*tensors.Tensor{tensors.FromValue(initial[names[0]])}
	}
	labels := make([]int64, len(c.Labels))
	for i, y := range c.Labels {
		labels[i] = int64(y)
	}
	res, err := h.HostCompute(losses.HostInputs{Embeddings: tensors.FromValue(c.Embeddings), Labels: tensors.FromValue(labels), Params: params})
	if err != nil {
		return []string{"host engine: " + err.Error()}
	}
	hostChecked.Add(1)
	problems := lossProblems("host engine: ", res.Loss, *c.Loss, res.Gradient.Value().([][]float64), c.Grad)
	if params != nil {
		if len(res.ParamGradients) != 1 {
			return append(problems, fmt.Sprintf("host engine: %d parameter gradients, want 1", len(res.ParamGradients)))
		}
		if e, ok := gradClose(res.ParamGradients[0].Value().([][]float64), wantGrads[names[0]]); !ok {
			problems = append(problems, fmt.Sprintf("host engine: parameter_grads[%s] relative error %.3g", names[0], e))
		}
	}
	return problems
}
