package losses

import (
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
)

// Row passes of the host engine: the normalization of the embeddings (and of class vectors) and its
// backward. Each is one pass over an [n, d] matrix, split over the cores (parallelRows); the sums
// run in float64 with four partial sums, whose independent additions the core overlaps (one
// dependent chain costs an addition's latency, four cycles, per element).

// dotRow returns Σ a_i·b_i in float64 (len(b) ≥ len(a)).
func dotRow[T hostFloat](a, b []T) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// normalizeRows returns x with each row divided by max(‖row‖, 1e-12) (torch's F.normalize), in a
// buffer from getBuffer, those clamped norms, and the rows' lengths.
func normalizeRows[T hostFloat](x []T, n, d int) (out []T, norms, lengths []float64) {
	out, norms, lengths = getBuffer[T](n*d), make([]float64, n), make([]float64, n)
	parallelRows(n, d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row, o := x[i*d:(i+1)*d], out[i*d:(i+1)*d]
			lengths[i] = math.Sqrt(dotRow(row, row))
			norms[i] = max(lengths[i], 1e-12)
			inv := 1 / norms[i]
			for j, v := range row {
				o[j] = T(float64(v) * inv)
			}
		}
	})
	return out, norms, lengths
}

// rowSquares returns the squared norms of the rows of x.
func rowSquares[T hostFloat](x []T, n, d int) []float64 {
	out := make([]float64, n)
	for i := range n {
		row := x[i*d : (i+1)*d]
		out[i] = dotRow(row, row)
	}
	return out
}

// normalizeBackward turns the gradient with respect to x̂ = x/‖x‖ into the gradient with respect to
// x, in place: (g − x̂ (x̂·g)) / ‖x‖; below the 1e-12 clamp the norm is a constant and g/1e-12 is
// the gradient.
func normalizeBackward[T hostFloat](g, xn []T, norms []float64, n, d int) {
	parallelRows(n, d, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gr, xr := g[i*d:(i+1)*d], xn[i*d:(i+1)*d]
			inv := 1 / norms[i]
			if norms[i] <= 1e-12 {
				for j := range gr {
					gr[j] = T(float64(gr[j]) * inv)
				}
				continue
			}
			dot := dotRow(gr, xr)
			for j := range gr {
				gr[j] = T((float64(gr[j]) - float64(xr[j])*dot) * inv)
			}
		}
	})
}

// newResult returns a new tensor of T with the given dimensions and its data, for a kernel to write
// its result in place (rather than into a slice that the tensor would then copy). Inside a host
// call (outputs: the graph's backend; HostInputs.outputs) the tensor is a buffer of that backend,
// which the graph then reads without a copy (backend.NewHostOutput), and its initial values are a
// reused buffer's (NaN under poisonBuffers): the kernels write every entry. Otherwise it is a
// local tensor of zeros.
func newResult[T float32 | float64](outputs backends.Backend, dims ...int) (*tensors.Tensor, []T) {
	shape := shapes.Make(dtypes.FromGenericsType[T](), dims...)
	if outputs != nil {
		if t, err := backend.NewHostOutput(outputs, shape); err == nil {
			data := resultData[T](t)
			if poisonBuffers.Load() {
				nan := T(math.NaN())
				for i := range data {
					data[i] = nan
				}
			}
			return t, data
		}
	}
	t := tensors.FromShape(shape)
	return t, resultData[T](t)
}

// resultData returns the storage of a result tensor (newResult's, or a local one), for the engine
// to write: ConstFlatData gives the storage itself, where MutableFlatData would first copy a
// backend's buffer to a local one. The storage of either stays put.
func resultData[T float32 | float64](t *tensors.Tensor) []T {
	var data []T
	tensors.ConstFlatData(t, func(flat []T) { data = flat })
	return data
}
