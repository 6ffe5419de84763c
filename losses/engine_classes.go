package losses

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/internal/gemm"
)

// HostParametricLoss is a HostLoss with learnable parameters (class weights, proxies): HostCompute
// takes their values in HostInputs.Params and returns their gradients in HostResult.ParamGradients,
// both in the order of HostParameters.
type HostParametricLoss interface {
	HostLoss
	ParametricLoss
	// HostParameters returns the loss's parameters as nodes of g, creating its variables in ctx
	// (initialised as ComputeWithContext would) when they do not exist yet. The training step's
	// first stage reads their current values with it, and its last stage applies their gradients.
	HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node
}

// classKernel computes a class loss from the [N, M] matrix of the embeddings' similarities (or
// distances) to the M class vectors: it returns the loss and writes dLoss/dmat into grad (every
// entry: grad arrives with a past step's values, or NaN in the tests). labels are class ids. norms
// gives the losses whose logits also depend on the vectors' lengths (LargeMarginSoftmax) those
// lengths, and takes the gradients with respect to them.
type classKernel[T hostFloat] func(mat, grad []T, n, m int, labels []int64, norms *classNorms) float64

// classNorms holds the lengths of the embeddings (X) and of the class vectors (P) before their
// normalization, and a kernel's gradients of the loss with respect to them (GX, GP: zero unless the
// kernel adds to them).
type classNorms struct {
	X, P, GX, GP []float64
}

// classLayout says how a loss stores its class vectors: as the columns of a [D, M] matrix (PML's W)
// or as the rows of an [M, D] matrix (proxies).
type classLayout int

const (
	classColumns classLayout = iota
	classRows
	// classColumnsRenorm is classColumns with the vectors scaled as torch's renorm(2, 1, 1e-5)·1e5
	// does instead of normalized, and their gradient passed straight through (P2SGrad).
	classColumnsRenorm
)

// hostClassCompute runs a class loss on the host: the embeddings and the class vectors normalized,
// their [N, M] cosine matrix with one GEMM (squared distances for metricL2Sq), the kernel, and the
// gradients of both with two more GEMMs.
func hostClassCompute(hd hostDistance, layout classLayout, numClasses int, in HostInputs, k32 classKernel[float32], k64 classKernel[float64]) (HostResult, error) {
	labels, err := hostLabels(in)
	if err != nil {
		return HostResult{}, err
	}
	for i, y := range labels {
		if y < 0 || y >= int64(numClasses) {
			return HostResult{}, fmt.Errorf("host loss engine: label %d of sample %d is not a class id in [0, %d)", y, i, numClasses)
		}
	}
	if len(in.Params) != 1 || in.Params[0] == nil || in.Params[0].Rank() != 2 {
		return HostResult{}, fmt.Errorf("host loss engine: want the loss's class matrix as the one parameter")
	}
	if in.Params[0].DType() != in.Embeddings.DType() {
		return HostResult{}, fmt.Errorf("host loss engine: parameters are %s, embeddings %s", in.Params[0].DType(), in.Embeddings.DType())
	}
	if !hd.normalize || hd.metric == metricL2 {
		return HostResult{}, fmt.Errorf("host loss engine: class losses need normalized cosines or squared distances")
	}
	switch in.Embeddings.DType() {
	case dtypes.Float32:
		return hostClassComputeT(hd, layout, in, labels, k32, gemm.MatMulT32)
	case dtypes.Float64:
		return hostClassComputeT(hd, layout, in, labels, k64, gemm.MatMulT64)
	}
	return HostResult{}, fmt.Errorf("host loss engine: embeddings must be float32 or float64, got %s", in.Embeddings.DType())
}

func hostClassComputeT[T float32 | float64](hd hostDistance, layout classLayout, in HostInputs, labels []int64, kernel classKernel[T], matmul matMulFn[T]) (HostResult, error) {
	n, d := in.Embeddings.Shape().Dimensions[0], in.Embeddings.Shape().Dimensions[1]
	pd := in.Params[0].Shape().Dimensions
	rows := layout == classRows // class vectors as the rows of [m, d], else the columns of [d, m]
	m := pd[1]
	if rows {
		m = pd[0]
	}
	if (!rows && pd[0] != d) || (rows && pd[1] != d) {
		return HostResult{}, fmt.Errorf("host loss engine: class matrix %v does not fit embeddings of width %d", pd, d)
	}
	if !rows && hd.metric == metricL2Sq {
		return HostResult{}, fmt.Errorf("host loss engine: squared distances need class vectors as rows")
	}
	var p, x []T                                               // Read only; a local tensor's data stays put.
	tensors.ConstFlatData(in.Params[0], func(v []T) { p = v }) // as stored
	tensors.ConstFlatData(in.Embeddings, func(v []T) { x = v })
	xn, xNorms, xLengths := normalizeRows(x, n, d)
	defer putBuffer(xn)
	var pn []T
	var pNorms, pLengths []float64
	switch {
	case rows:
		pn, pNorms, pLengths = normalizeRows(p, m, d)
	case layout == classColumnsRenorm:
		pLengths = columnLengths(p, d, m)
		pn = getBuffer[T](d * m)
		hostRenormColumns(pn, p, pLengths, d, m)
	default:
		pn, pNorms, pLengths = hostNormalizeColumns(p, d, m)
	}
	defer putBuffer(pn)

	// mat = x̂·p̂ᵀ ([n, m]): the class vectors as rows are p̂ stored transposed; as columns, p̂ itself.
	mat := getBuffer[T](n * m)
	defer putBuffer(mat)
	matmul(false, rows, 1, 0, xn, pn, 1, n, m, d, mat)
	if hd.metric == metricL2Sq {
		sqx, sqp := rowSquares(xn, n, d), rowSquares(pn, m, d)
		parallelRows(n, m, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row, sx := mat[i*m:(i+1)*m], T(sqx[i])
				for j, dot := range row {
					row[j] = max(sx+T(sqp[j])-2*dot, 0)
				}
			}
		})
	}
	grad := getBuffer[T](n * m)
	defer putBuffer(grad)
	norms := &classNorms{X: xLengths, P: pLengths, GX: make([]float64, n), GP: make([]float64, m)}
	loss := kernel(mat, grad, n, m, labels, norms) // It writes every entry (the tests poison the buffers).

	// dx̂ = grad·p̂ and dp̂ = gradᵀ·x̂ (as rows; as columns its transpose x̂ᵀ·grad, in p's layout).
	scale := T(1)
	if hd.metric == metricL2Sq {
		scale = -2 // d²_ij = ‖x̂_i‖² + ‖p̂_j‖² − 2 x̂_i·p̂_j
	}
	gxT, gx := newResult[T](in.outputs, n, d)
	gpT, gp := newResult[T](in.outputs, pd...)
	if rows {
		matmul(false, false, scale, 0, grad, pn, 1, n, d, m, gx)
		matmul(true, false, scale, 0, grad, xn, 1, m, d, n, gp)
	} else {
		matmul(false, true, scale, 0, grad, pn, 1, n, d, m, gx)
		matmul(true, false, scale, 0, xn, grad, 1, d, m, n, gp)
	}
	// With squared distances, the squared norms' share of the gradients (2·Σ_j g_ij·x̂_i and
	// 2·Σ_i g_ij·p̂_j) points along x̂_i and p̂_j, which the normalization's backward projects out.
	normalizeBackward(gx, xn, xNorms, n, d)
	// The lengths' share: d‖v‖/dv = v̂ (0 at v = 0, as the graph's SafeSqrt).
	addNormGradient(gx, xn, norms.X, norms.GX, n, d)
	switch {
	case rows:
		normalizeBackward(gp, pn, pNorms, m, d)
		addNormGradient(gp, pn, norms.P, norms.GP, m, d)
	case layout == classColumnsRenorm:
		// Straight through the renormalization; P2SGrad has no length term.
	default:
		normalizeColumnsBackward(gp, pn, pNorms, d, m)
		addColumnNormGradient(gp, pn, norms.P, norms.GP, d, m)
	}
	return HostResult{Loss: loss, Gradient: gxT, ParamGradients: []*tensors.Tensor{gpT}}, nil
}

// hostNormalizeColumns returns the [d, m] matrix w with each column divided by max(‖column‖, 1e-12),
// in a buffer from getBuffer, those clamped norms, and the columns' lengths.
func hostNormalizeColumns[T hostFloat](w []T, d, m int) (out []T, norms, lengths []float64) {
	lengths = columnLengths(w, d, m)
	norms, inv := make([]float64, m), make([]float64, m)
	for j, v := range lengths {
		norms[j] = max(v, 1e-12)
		inv[j] = 1 / norms[j]
	}
	out = getBuffer[T](d * m)
	parallelRows(d, m, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			o := out[k*m : (k+1)*m]
			for j, v := range w[k*m : (k+1)*m] {
				o[j] = T(float64(v) * inv[j])
			}
		}
	})
	return out, norms, lengths
}

// columnLengths returns the Euclidean lengths of the columns of the [d, m] matrix w.
func columnLengths[T hostFloat](w []T, d, m int) []float64 {
	out := parallelColumnSums(d, m, func(lo, hi int, sums []float64) {
		for k := lo; k < hi; k++ {
			for j, v := range w[k*m : (k+1)*m] {
				sums[j] += float64(v) * float64(v)
			}
		}
	})
	for j, v := range out {
		out[j] = math.Sqrt(v)
	}
	return out
}

// normalizeColumnsBackward is normalizeBackward for the columns of [d, m] matrices.
func normalizeColumnsBackward[T hostFloat](g, wn []T, norms []float64, d, m int) {
	dots := parallelColumnSums(d, m, func(lo, hi int, sums []float64) {
		for k := lo; k < hi; k++ {
			gr, wr := g[k*m:(k+1)*m], wn[k*m:(k+1)*m]
			for j, v := range gr {
				sums[j] += float64(v) * float64(wr[j])
			}
		}
	})
	inv := make([]float64, m)
	for j, v := range norms {
		inv[j] = 1 / v
		if v <= 1e-12 {
			dots[j] = 0 // Below the clamp the norm is a constant: g/1e-12.
		}
	}
	parallelRows(d, m, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			gr, wr := g[k*m:(k+1)*m], wn[k*m:(k+1)*m]
			for j, v := range gr {
				gr[j] = T((float64(v) - float64(wr[j])*dots[j]) * inv[j])
			}
		}
	})
}

// addColumnNormGradient is addNormGradient for the columns of [d, m] matrices.
func addColumnNormGradient[T hostFloat](g, unit []T, lengths, gl []float64, d, m int) {
	factor := make([]float64, m)
	needed := false
	for j, v := range gl {
		if v != 0 && lengths[j] != 0 {
			factor[j], needed = v, true
		}
	}
	if !needed {
		return // The losses whose logits do not depend on the vectors' lengths.
	}
	parallelRows(d, m, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			gr, ur := g[k*m:(k+1)*m], unit[k*m:(k+1)*m]
			for j, f := range factor {
				gr[j] += T(f * float64(ur[j]))
			}
		}
	})
}

// acosEps is acosClampEps for the element type T.
func acosEps[T hostFloat]() float64 {
	if isFloat64[T]() {
		return acosClampEps(dtypes.Float64)
	}
	return acosClampEps(dtypes.Float32)
}

// addNormGradient adds g_i·v̂_i to row i of grad for each row with a non-zero length.
func addNormGradient[T hostFloat](grad, unit []T, lengths, g []float64, n, d int) {
	for i := range n {
		if g[i] == 0 || lengths[i] == 0 {
			continue
		}
		for k := range d {
			grad[i*d+k] += T(g[i] * float64(unit[i*d+k]))
		}
	}
}

// hostRenormColumns writes into out the columns of the [d, m] matrix w scaled as torch's
// w.renorm(2, 1, 1e-5).mul(1e5) does: columns longer than 1e-5 by 1e-5/(‖column‖ + 1e-7)·1e5, the
// others by 1e5. lengths are the columns' lengths.
func hostRenormColumns[T hostFloat](out, w []T, lengths []float64, d, m int) {
	f := make([]float64, m)
	for j, l := range lengths {
		f[j] = 1e5
		if l > 1e-5 {
			f[j] = 1e-5 / (l + 1e-7) * 1e5
		}
	}
	for k := range d {
		for j, v := range w[k*m : (k+1)*m] {
			out[k*m+j] = T(float64(v) * f[j])
		}
	}
}
