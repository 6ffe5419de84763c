package losses

import (
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// HostCheck implements HostLoss: every member must have a host path and no parameters, and no
// member a miner.
func (m *MultipleLosses) HostCheck() error {
	if len(m.Losses) == 0 {
		return errors.New("host loss engine: MultipleLosses has no loss")
	}
	if m.Weights != nil && len(m.Weights) != len(m.Losses) {
		return fmt.Errorf("host loss engine: MultipleLosses has %d weights for %d losses", len(m.Weights), len(m.Losses))
	}
	for _, mn := range m.Miners {
		if mn != nil {
			return errors.New("host loss engine: MultipleLosses with miners is not supported")
		}
	}
	for _, l := range m.Losses {
		if _, err := Host(l); err != nil {
			return err
		}
		if _, ok := l.(ParametricLoss); ok {
			return errors.New("host loss engine: MultipleLosses with class losses is not supported")
		}
	}
	return nil
}

// HostCompute implements HostLoss: the weighted sum of the members' values and gradients.
func (m *MultipleLosses) HostCompute(in HostInputs) (HostResult, error) {
	if err := m.HostCheck(); err != nil {
		return HostResult{}, err
	}
	var out HostResult
	for k, l := range m.Losses {
		w := 1.0
		if m.Weights != nil {
			w = m.Weights[k]
		}
		sub := HostInputs{Embeddings: in.Embeddings, Labels: in.Labels, outputs: in.outputs}
		r, err := l.(HostLoss).HostCompute(sub)
		if err != nil {
			return HostResult{}, err
		}
		out.Loss += w * r.Loss
		scaleTensor(r.Gradient, w)
		if out.Gradient == nil {
			out.Gradient = r.Gradient
		} else {
			addTensor(out.Gradient, r.Gradient)
			_ = r.Gradient.FinalizeAll() // A backend's buffer goes back to its pool.
		}
	}
	return out, nil
}

// scaleTensor multiplies a float32 or float64 tensor by w in place.
func scaleTensor(t *tensors.Tensor, w float64) {
	if w == 1 {
		return
	}
	if t.DType() == dtypes.Float64 {
		v := resultData[float64](t)
		for i := range v {
			v[i] *= w
		}
		return
	}
	v := resultData[float32](t)
	for i := range v {
		v[i] *= float32(w)
	}
}

// addTensor adds src to dst (same shape and dtype, float32 or float64) in place.
func addTensor(dst, src *tensors.Tensor) {
	if dst.DType() == dtypes.Float64 {
		addFlat[float64](dst, src)
		return
	}
	addFlat[float32](dst, src)
}

func addFlat[T float32 | float64](dst, src *tensors.Tensor) {
	d := resultData[T](dst)
	tensors.ConstFlatData(src, func(s []T) {
		for i := range d {
			d[i] += s[i]
		}
	})
}
