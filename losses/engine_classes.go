package losses

import (
	"fmt"
	"math"
	"unsafe"

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
// entry). labels are class ids. norms gives the losses whose logits also depend on the vectors'
// lengths (LargeMarginSoftmax) those lengths, and takes the gradients with respect to them.
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
	var p []T // class vectors as rows, [m, d]
	var m int
	tensors.ConstFlatData(in.Params[0], func(v []T) {
		if layout != classRows {
			m = pd[1]
			p = transpose(v, pd[0], pd[1])
		} else {
			m = pd[0]
			p = append([]T(nil), v...)
		}
	})
	if (layout != classRows && pd[0] != d) || (layout == classRows && pd[1] != d) {
		return HostResult{}, fmt.Errorf("host loss engine: class matrix %v does not fit embeddings of width %d", pd, d)
	}
	x := make([]T, n*d)
	tensors.ConstFlatData(in.Embeddings, func(v []T) { copy(x, v) })
	xn, xNorms := normalizeRows(x, n, d)
	pn, pNorms := normalizeRows(p, m, d)
	if layout == classColumnsRenorm {
		pn = torchRenormRows(p, m, d)
	}

	mat := getBuffer[T](n * m)
	defer putBuffer(mat)
	matmul(false, true, 1, 0, xn, pn, 1, n, m, d, mat)
	if hd.metric == metricL2Sq {
		sqx, sqp := rowSquares(xn, n, d), rowSquares(pn, m, d)
		for i := range n {
			for j := range m {
				mat[i*m+j] = max(T(sqx[i]+sqp[j])-2*mat[i*m+j], 0)
			}
		}
	}
	grad := getBuffer[T](n * m)
	defer putBuffer(grad)
	clear(grad)
	norms := &classNorms{X: rawNorms(x, n, d), P: rawNorms(p, m, d), GX: make([]float64, n), GP: make([]float64, m)}
	loss := kernel(mat, grad, n, m, labels, norms)

	gx, gp := make([]T, n*d), make([]T, m*d)
	if hd.metric == metricL2Sq {
		// d²_ij = ‖x̂_i‖² + ‖p̂_j‖² − 2 x̂_i·p̂_j: dx̂_i = 2 (Σ_j g_ij) x̂_i − 2 Σ_j g_ij p̂_j, and likewise p̂.
		matmul(false, false, -2, 0, grad, pn, 1, n, d, m, gx)
		matmul(true, false, -2, 0, grad, xn, 1, m, d, n, gp)
		addRowScaled(gx, xn, grad, n, m, d, false)
		addRowScaled(gp, pn, grad, n, m, d, true)
	} else {
		matmul(false, false, 1, 0, grad, pn, 1, n, d, m, gx)
		matmul(true, false, 1, 0, grad, xn, 1, m, d, n, gp)
	}
	normalizeBackward(gx, xn, xNorms, n, d)
	if layout != classColumnsRenorm {
		normalizeBackward(gp, pn, pNorms, m, d)
	}
	// The lengths' share: d‖v‖/dv = v̂ (0 at v = 0, as the graph's SafeSqrt).
	addNormGradient(gx, xn, norms.X, norms.GX, n, d)
	addNormGradient(gp, pn, norms.P, norms.GP, m, d)
	gParam := tensors.FromFlatDataAndDimensions(gp, m, d)
	if layout != classRows {
		gParam = tensors.FromFlatDataAndDimensions(transpose(gp, m, d), d, m)
	}
	return HostResult{Loss: loss, Gradient: tensors.FromFlatDataAndDimensions(gx, n, d), ParamGradients: []*tensors.Tensor{gParam}}, nil
}

// normalizeRows returns x with each row divided by max(‖row‖, 1e-12), and those norms.
func normalizeRows[T hostFloat](x []T, n, d int) ([]T, []float64) {
	out, norms := make([]T, n*d), make([]float64, n)
	for i := range n {
		var s float64
		for _, v := range x[i*d : (i+1)*d] {
			s += float64(v) * float64(v)
		}
		norms[i] = max(math.Sqrt(s), 1e-12)
		inv := 1 / norms[i]
		for j, v := range x[i*d : (i+1)*d] {
			out[i*d+j] = T(float64(v) * inv)
		}
	}
	return out, norms
}

// rowSquares returns the squared norms of the rows of x.
func rowSquares[T hostFloat](x []T, n, d int) []float64 {
	out := make([]float64, n)
	for i := range n {
		for _, v := range x[i*d : (i+1)*d] {
			out[i] += float64(v) * float64(v)
		}
	}
	return out
}

// addRowScaled adds 2·(Σ_j grad_ij)·v_i to each row i of g (v's rows), or with columns
// (2·(Σ_i grad_ij)·v_j) when byColumn: the squared norms' share of a squared-distance gradient.
func addRowScaled[T hostFloat](g, v, grad []T, n, m, d int, byColumn bool) {
	rows := n
	if byColumn {
		rows = m
	}
	sums := make([]float64, rows)
	for i := range n {
		for j := range m {
			if byColumn {
				sums[j] += float64(grad[i*m+j])
			} else {
				sums[i] += float64(grad[i*m+j])
			}
		}
	}
	for r := range rows {
		for k := range d {
			g[r*d+k] += T(2 * sums[r] * float64(v[r*d+k]))
		}
	}
}

// acosEps is acosClampEps for T: the cosine clamp of the angular losses.
func acosEps[T hostFloat]() float64 {
	var zero T
	if unsafe.Sizeof(zero) == 8 {
		return 1e-12
	}
	return 1e-6
}

// rawNorms returns the Euclidean lengths of the rows of x.
func rawNorms[T hostFloat](x []T, n, d int) []float64 {
	out := rowSquares(x, n, d)
	for i, v := range out {
		out[i] = math.Sqrt(v)
	}
	return out
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

// torchRenormRows returns the rows of x scaled as torch's x.renorm(2, 0, 1e-5).mul(1e5): rows longer
// than 1e-5 by 1e-5/(‖row‖ + 1e-7)·1e5, the others by 1e5.
func torchRenormRows[T hostFloat](x []T, n, d int) []T {
	out := make([]T, n*d)
	lengths := rawNorms(x, n, d)
	for i := range n {
		f := 1e5
		if lengths[i] > 1e-5 {
			f = 1e-5 / (lengths[i] + 1e-7) * 1e5
		}
		for k := range d {
			out[i*d+k] = T(float64(x[i*d+k]) * f)
		}
	}
	return out
}
