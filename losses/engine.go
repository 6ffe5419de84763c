package losses

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/fastmath"
	"github.com/gometric/gometric/internal/gemm"
	"github.com/gometric/gometric/internal/parallel"
	"github.com/gometric/gometric/reducers"
)

// HostLoss is implemented by losses that can also compute their value and its gradient with
// respect to the embeddings on the host, without a graph: the host loss engine. On GoMLX's pure-Go
// backend every graph op is its own pass over the [N, M] matrix (dozens per loss step, forward and
// backward); the engine computes the similarity matrix and the embeddings' gradient with gometric's
// GEMM kernels (internal/gemm) and everything in between in one or two fused passes over each row,
// on all cores. The training loop uses it as a two-stage step (as GradCache does): the encoder's
// forward graph gives the embeddings, the engine the loss and its gradient, and the encoder's
// backward graph takes that gradient as its cotangent.
//
// The engine covers a loss's common settings; HostCheck says whether it covers this one (else use
// the graph). Both paths agree to float rounding and both are checked against PML's golden values
// (float64).
type HostLoss interface {
	Loss
	// HostCheck returns nil when HostCompute supports the loss's current settings, else the reason.
	HostCheck() error
	// HostCompute returns the loss and its gradient with respect to in.Embeddings.
	HostCompute(in HostInputs) (HostResult, error)
}

// HostInputs are the inputs of HostLoss.HostCompute: a batch of embeddings with class labels. The
// references are the embeddings themselves (no Ref), and the pairs come from the labels (no explicit
// Pos/Neg).
type HostInputs struct {
	// Embeddings is [N, D], float32 or float64.
	Embeddings *tensors.Tensor
	// Labels is [N], any integer type.
	Labels *tensors.Tensor
	// Params are the values of a HostParametricLoss's parameters, in the order of its
	// HostParameters; nil for the other losses.
	Params []*tensors.Tensor

	// outputs is the graph's backend when a host call runs the engine (hostLossNode): the results
	// are then made in its buffers (newResult). Nil: local tensors.
	outputs backends.Backend
}

// HostResult is the output of HostLoss.HostCompute.
type HostResult struct {
	// Loss is the loss value (computed in float64 whatever the embeddings' dtype).
	Loss float64
	// Gradient is dLoss/dEmbeddings, [N, D], in the embeddings' dtype.
	Gradient *tensors.Tensor
	// ParamGradients are the gradients of a HostParametricLoss's parameters (HostInputs.Params).
	ParamGradients []*tensors.Tensor
}

// Host returns l as a HostLoss when it implements the host engine and supports its current
// settings, and otherwise the reason it does not.
func Host(l Loss) (HostLoss, error) {
	h, ok := l.(HostLoss)
	if !ok {
		return nil, fmt.Errorf("%T has no host implementation", l)
	}
	if err := h.HostCheck(); err != nil {
		return nil, err
	}
	return h, nil
}

// hostFloat is an element type of the host engine.
type hostFloat interface{ ~float32 | ~float64 }

// hostMetric is the distance of a pair loss in a form the engine computes.
type hostMetric int

const (
	metricDot  hostMetric = iota // similarity x̂·ŷ (CosineSimilarity, DotProductSimilarity; power 1)
	metricL2                     // ‖x̂ − ŷ‖ (LpDistance p=2, power 1)
	metricL2Sq                   // ‖x̂ − ŷ‖² (LpDistance p=2, power 2)
	metricSNR                    // (‖x̃‖² + ‖ỹ‖² − 2 x̃·ỹ)/‖x̃‖², x̃ = x̂ minus its mean (SNRDistance, power 1)
)

// hostDistance is a distance the engine supports: the metric, whether it normalizes the embeddings
// first, and whether it is a similarity (PML's is_inverted).
type hostDistance struct {
	metric    hostMetric
	normalize bool
}

func (h hostDistance) inverted() bool { return h.metric == metricDot }

// hostDistanceOf maps a distances.Distance to the engine's form, or says why it cannot.
func hostDistanceOf(d distances.Distance) (hostDistance, error) {
	switch d := d.(type) {
	case *distances.CosineSimilarity:
		if d.Power == 1 {
			return hostDistance{metric: metricDot, normalize: true}, nil
		}
	case *distances.DotProductSimilarity:
		if d.Power == 1 {
			return hostDistance{metric: metricDot, normalize: d.NormalizeEmbeddings}, nil
		}
	case *distances.SNRDistance:
		if d.Power == 1 {
			return hostDistance{metric: metricSNR, normalize: d.NormalizeEmbeddings}, nil
		}
	case *distances.LpDistance:
		if d.P == 2 && d.Power == 1 {
			return hostDistance{metric: metricL2, normalize: d.NormalizeEmbeddings}, nil
		}
		if d.P == 2 && d.Power == 2 {
			return hostDistance{metric: metricL2Sq, normalize: d.NormalizeEmbeddings}, nil
		}
	}
	return hostDistance{}, fmt.Errorf("host loss engine: distance %v is not supported", d)
}

// hostCheckOptions checks the settings every host pair loss shares: a supported distance, the
// loss's default reducer type, and no embedding regularizer.
func hostCheckOptions(o *Options, reducer reducers.Reducer) (hostDistance, error) {
	hd, err := hostDistanceOf(o.Distance)
	if err != nil {
		return hd, err
	}
	if fmt.Sprintf("%T", o.Reducer) != fmt.Sprintf("%T", reducer) {
		return hd, fmt.Errorf("host loss engine: reducer %T is not supported (only %T)", o.Reducer, reducer)
	}
	if o.EmbeddingRegularizer != nil {
		return hd, fmt.Errorf("host loss engine: embedding regularizers are not supported")
	}
	return hd, nil
}

// pairKernel computes a pair loss from the [N, N] matrix of distances (or similarities) of a batch
// with itself: it returns the loss and writes dLoss/dmat into grad (same layout; every entry
// written). labels are the batch's labels.
type pairKernel[T hostFloat] func(mat, grad []T, n int, labels []int64) float64

// hostCompute runs a pair loss on the host: prepare (normalize) the embeddings, compute the matrix
// with one GEMM, run the kernel, and back-propagate its matrix gradient to the embeddings with one
// more GEMM.
func hostCompute(hd hostDistance, in HostInputs, k32 pairKernel[float32], k64 pairKernel[float64]) (HostResult, error) {
	return hostComputePairs(hd, false, in, k32, k64)
}

// hostComputeSymmetric is hostCompute for a kernel whose terms depend only on mat_ij and on whether
// i and j share a label: with a symmetric matrix (every metric but SNR's, whose denominator is the
// query's norm) its gradient is symmetric too, and the backward needs one GEMM instead of two.
func hostComputeSymmetric(hd hostDistance, in HostInputs, k32 pairKernel[float32], k64 pairKernel[float64]) (HostResult, error) {
	return hostComputePairs(hd, hd.metric != metricSNR, in, k32, k64)
}

func hostComputePairs(hd hostDistance, symmetric bool, in HostInputs, k32 pairKernel[float32], k64 pairKernel[float64]) (HostResult, error) {
	labels, err := hostLabels(in)
	if err != nil {
		return HostResult{}, err
	}
	switch in.Embeddings.DType() {
	case dtypes.Float32:
		return hostComputeT(hd, symmetric, in.Embeddings, labels, in.outputs, k32, gemm.MatMulT32)
	case dtypes.Float64:
		return hostComputeT(hd, symmetric, in.Embeddings, labels, in.outputs, k64, gemm.MatMulT64)
	default:
		return HostResult{}, fmt.Errorf("host loss engine: embeddings must be float32 or float64, got %s", in.Embeddings.DType())
	}
}

// hostLabels checks the shapes of in and returns its labels as int64.
func hostLabels(in HostInputs) ([]int64, error) {
	if in.Embeddings == nil || in.Embeddings.Rank() != 2 {
		return nil, fmt.Errorf("host loss engine: embeddings must be [N, D]")
	}
	n := in.Embeddings.Shape().Dimensions[0]
	if in.Labels == nil || in.Labels.Rank() != 1 || in.Labels.Shape().Dimensions[0] != n {
		return nil, fmt.Errorf("host loss engine: labels must be [%d]", n)
	}
	out := make([]int64, n)
	switch v := in.Labels.Value().(type) {
	case []int32:
		for i, x := range v {
			out[i] = int64(x)
		}
	case []int64:
		copy(out, v)
	case []int:
		for i, x := range v {
			out[i] = int64(x)
		}
	default:
		return nil, fmt.Errorf("host loss engine: labels must be int32 or int64, got %s", in.Labels.DType())
	}
	return out, nil
}

// matMulFn is gemm.MatMulT32 or MatMulT64: c = alpha·op(a)·op(b) + beta·c, op transposing an operand
// stored transposed.
type matMulFn[T hostFloat] func(transA, transB bool, alpha, beta T, a, b []T, batch, m, n, k int, c []T)

func hostComputeT[T float32 | float64](hd hostDistance, symmetric bool, embT *tensors.Tensor, labels []int64, outputs backends.Backend, kernel pairKernel[T], matmul matMulFn[T]) (HostResult, error) {
	n, d := embT.Shape().Dimensions[0], embT.Shape().Dimensions[1]
	var x []T
	tensors.ConstFlatData(embT, func(v []T) { x = v }) // Read only; a local tensor's data stays put.

	// Prepare: x̂ = x / max(‖x‖, 1e-12), as torch's F.normalize.
	var norms []float64
	xn := x
	if hd.normalize {
		xn, norms, _ = normalizeRows(x, n, d)
		defer putBuffer(xn)
	}

	// SNR works on the centred vectors x̃ = x̂ − mean(x̂): xn is x̃ from here on, base keeps x̂.
	base := xn
	if hd.metric == metricSNR {
		xn = getBuffer[T](n * d)
		defer putBuffer(xn)
		for i := range n {
			var mean float64
			for _, v := range base[i*d : (i+1)*d] {
				mean += float64(v)
			}
			mean /= float64(d)
			for j, v := range base[i*d : (i+1)*d] {
				xn[i*d+j] = T(float64(v) - mean)
			}
		}
	}

	// mat = x̂·x̂ᵀ, then distances.
	mat := getBuffer[T](n * n)
	defer putBuffer(mat)
	matmul(false, true, 1, 0, xn, xn, 1, n, n, d, mat)
	var sq []float64
	if hd.metric != metricDot {
		sq = rowSquares(xn, n, d)
		sqrt, snr := hd.metric == metricL2, hd.metric == metricSNR
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row, sqi := mat[i*n:(i+1)*n], T(sq[i])
				sqr := sq[:len(row)]
				if snr {
					for j, dot := range row {
						row[j] = (sqi + T(sqr[j]) - 2*dot) / sqi
					}
					continue
				}
				for j, dot := range row {
					v := max(sqi+T(sqr[j])-2*dot, 0)
					if sqrt {
						v = T(math.Sqrt(float64(v)))
					}
					row[j] = v
				}
			}
		})
	}

	grad := getBuffer[T](n * n)
	defer putBuffer(grad)
	loss := kernel(mat, grad, n, labels) // It writes every entry (the tests poison the buffers).

	// Back to the dot products x̂_i·x̂_j, whose gradient is grad (or, for L2, w = grad/(2·mat) on the
	// squared distances), then to the embeddings: the batch is both the queries and the references,
	// so dx̂ = (grad + gradᵀ)·x̂, one GEMM that forms the sum as it packs grad (matMulSymA).
	scale := T(1)
	var sums []float64 // L2: Σ_j w_ij + Σ_j w_ji for each i
	switch {
	case hd.metric == metricDot:
	case hd.normalize && hd.metric != metricSNR:
		// The squared norms' share of the gradient, 2·sums_i·x̂_i, points along x̂_i, which the
		// normalization's backward projects out: only w = dL/dsq is needed.
		scale = -2
		if hd.metric == metricL2 {
			parallelRows(n, n, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
					for j, m := range row {
						if m > 0 {
							g[j] = T(float64(g[j]) / (2 * float64(m)))
						} else {
							g[j] = 0 // SafeSqrt: no gradient at 0.
						}
					}
				}
			})
		}
	default:
		scale = -2
		sums = make([]float64, n)
		cols := parallelColumnSums(n, n, func(lo, hi int, colSums []float64) {
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				var rs float64
				for j, m := range row {
					w := float64(g[j])
					switch hd.metric {
					case metricL2:
						if m > 0 {
							w /= 2 * float64(m)
						} else {
							w = 0 // SafeSqrt: no gradient at 0.
						}
						g[j] = T(w)
					case metricSNR:
						// mat_ij = (sq_i + sq_j − 2 dot_ij)/sq_i: with w = g/sq_i, dL/ddot_ij = −2w,
						// dL/dsq_i gets w·(1 − mat_ij) and dL/dsq_j gets w.
						w /= sq[i]
						g[j] = T(w)
						rs += w * (1 - float64(m))
						colSums[j] += w
						continue
					}
					rs += w
					colSums[j] += w
				}
				sums[i] = rs
			}
		})
		for i, c := range cols {
			sums[i] += c
		}
	}
	result, gx := newResult[T](outputs, n, d)
	if symmetric {
		matmul(false, false, 2*scale, 0, grad, xn, 1, n, d, n, gx)
	} else {
		matMulSymA(scale, grad, xn, n, d, gx)
	}
	if sums != nil {
		// sq_ij = ‖x̂_i‖² + ‖x̂_j‖² − 2 x̂_i·x̂_j: the norms' share, 2·sums_i·x̂_i.
		for i := range n {
			for j := range d {
				gx[i*d+j] += T(2 * sums[i] * float64(xn[i*d+j]))
			}
		}
	}
	if hd.metric == metricSNR {
		// Back through the centring: dx̂ = dx̃ − mean(dx̃).
		for i := range n {
			var mean float64
			for _, v := range gx[i*d : (i+1)*d] {
				mean += float64(v)
			}
			mean /= float64(d)
			for j := range d {
				gx[i*d+j] = T(float64(gx[i*d+j]) - mean)
			}
		}
	}
	if hd.normalize {
		normalizeBackward(gx, base, norms, n, d)
	}
	return HostResult{Loss: loss, Gradient: result}, nil
}

// parallelRows calls f on contiguous ranges of [0, n) rows, on up to GOMAXPROCS goroutines when
// there is enough work (n rows of width cols).
func parallelRows(n, cols int, f func(lo, hi int)) {
	parallelChunks(n, cols, func(_, lo, hi int) { f(lo, hi) })
}

// rowSums is a per-row accumulator of a kernel's partial sums, combined after parallelRows.
type rowSums struct {
	sum   []float64
	count []float64
}

func newRowSums(n int) rowSums { return rowSums{sum: make([]float64, n), count: make([]float64, n)} }

func (r rowSums) total() (sum, count float64) {
	for i := range r.sum {
		sum += r.sum[i]
		count += r.count[i]
	}
	return sum, count
}

// parallelColumnSums is parallelRows for a pass that also sums columns: f gets its own zeroed
// colSums (length cols) to add to; their total is returned, added in row order whatever the
// goroutines' timing.
func parallelColumnSums(n, cols int, f func(lo, hi int, colSums []float64)) []float64 {
	parts := make([][]float64, rowChunks(n, cols))
	parallelChunks(n, cols, func(c, lo, hi int) {
		parts[c] = make([]float64, cols)
		f(lo, hi, parts[c])
	})
	total := parts[0]
	for _, part := range parts[1:] {
		for j, v := range part {
			total[j] += v
		}
	}
	return total
}

// rowChunks is the number of row ranges parallelChunks splits n rows of width cols into: one when
// the work is too small to share, else four per core, which the cores take as they become free (a
// core the VM or another goroutine holds up then delays the pass by a quarter of its share).
func rowChunks(n, cols int) int {
	workers := runtime.GOMAXPROCS(0)
	if n*cols < 1<<15 || workers < 2 || n < 2 {
		return 1
	}
	return min(n, 4*workers)
}

// parallelChunks calls f(c, lo, hi) for each of the rowChunks(n, cols) ranges c of [0, n), on the
// calling goroutine and up to GOMAXPROCS − 1 others.
func parallelChunks(n, cols int, f func(c, lo, hi int)) {
	chunks := rowChunks(n, cols)
	parallelTasks(chunks, func(c int) { f(c, c*n/chunks, (c+1)*n/chunks) })
}

// parallelTasks calls f(t) for every t in [0, tasks), the calling goroutine and up to GOMAXPROCS − 1
// others taking the next task as they become free.
func parallelTasks(tasks int, f func(t int)) {
	if tasks <= 1 {
		if tasks == 1 {
			f(0)
		}
		return
	}
	var next atomic.Int64
	parallel.Run(min(runtime.GOMAXPROCS(0), tasks), func() {
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				return
			}
			f(t)
		}
	})
}

// Buffers reused across calls, by element type and power-of-two capacity: a training step needs
// two [N, M] matrices and several [N, D] ones, whose allocation, zeroing and the garbage collections
// they cause cost as much as the kernels at small N. Their contents are not cleared: every user
// writes each entry before reading it.
var bufferPools [2][64]sync.Pool

// getBuffer returns a slice of length size from the pools (or a new one); putBuffer gives it back.
func getBuffer[T hostFloat](size int) []T {
	if size <= 0 {
		return nil
	}
	class := bits.Len(uint(size - 1))
	var b []T
	if p, ok := bufferPools[bufferPoolIndex[T]()][class].Get().(*[]T); ok {
		b = (*p)[:size]
	} else {
		b = make([]T, size, 1<<class)
	}
	if poisonBuffers.Load() {
		nan := T(math.NaN())
		for i := range b {
			b[i] = nan
		}
	}
	return b
}

// poisonBuffers makes getBuffer fill every buffer with NaN: the tests set it so that a kernel that
// reads an entry it did not write (a reused buffer's contents are not cleared) fails them.
var poisonBuffers atomic.Bool

func putBuffer[T hostFloat](b []T) {
	if cap(b) == 0 {
		return
	}
	class := bits.Len(uint(cap(b) - 1))
	if 1<<class != cap(b) {
		return // not one of ours
	}
	bufferPools[bufferPoolIndex[T]()][class].Put(&b)
}

func bufferPoolIndex[T hostFloat]() int {
	if isFloat64[T]() {
		return 1
	}
	return 0
}

// isFloat64 says whether T is the 8-byte float (the engine's kernels are generic over T).
func isFloat64[T hostFloat]() bool {
	var zero T
	return unsafe.Sizeof(zero) == 8
}

// total returns the sum of v (four running sums, so that the additions do not wait on each other).
func total(v []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// maxScaled returns max_j scale·row[j] (−Inf for an empty row): the largest entry for scale ≥ 0,
// else the smallest, found with four running extremes (plain comparisons: Go's min and max also
// order NaNs, which costs several instructions each).
func maxScaled[T hostFloat](row []T, scale float64) float64 {
	if len(row) == 0 {
		return math.Inf(-1)
	}
	if scale < 0 {
		return scale * float64(rowMin(row))
	}
	return scale * float64(rowMax(row))
}

// rowMax returns the largest entry of row (not empty), with four running maxima that the core
// updates independently (half the time of one maximum of sign·row[j]).
func rowMax[T hostFloat](row []T) T {
	e0 := row[0]
	e1, e2, e3 := e0, e0, e0
	i := 0
	for ; i+4 <= len(row); i += 4 {
		r := row[i : i+4 : i+4]
		if r[0] > e0 {
			e0 = r[0]
		}
		if r[1] > e1 {
			e1 = r[1]
		}
		if r[2] > e2 {
			e2 = r[2]
		}
		if r[3] > e3 {
			e3 = r[3]
		}
	}
	for ; i < len(row); i++ {
		if row[i] > e0 {
			e0 = row[i]
		}
	}
	return max(e0, e1, e2, e3)
}

// rowMin is rowMax's smallest entry.
func rowMin[T hostFloat](row []T) T {
	e0 := row[0]
	e1, e2, e3 := e0, e0, e0
	i := 0
	for ; i+4 <= len(row); i += 4 {
		r := row[i : i+4 : i+4]
		if r[0] < e0 {
			e0 = r[0]
		}
		if r[1] < e1 {
			e1 = r[1]
		}
		if r[2] < e2 {
			e2 = r[2]
		}
		if r[3] < e3 {
			e3 = r[3]
		}
	}
	for ; i < len(row); i++ {
		if row[i] < e0 {
			e0 = row[i]
		}
	}
	return min(e0, e1, e2, e3)
}

// scaleRowByLabel multiplies row i's entries g[j] by cp where sample j shares sample i's label and
// by cn where it does not (the diagonal entry is left as it is).
func scaleRowByLabel[T hostFloat](g []T, labels []int64, i int, cp, cn float64) {
	yi := labels[i]
	for j := range g {
		switch {
		case j == i:
		case labels[j] == yi:
			g[j] = T(float64(g[j]) * cp)
		default:
			g[j] = T(float64(g[j]) * cn)
		}
	}
}

// expShiftedRow sets zb[j] = e^(scale·row[j] − shift) for every j, and zb[skip] = 0 unless skip < 0,
// with one vectorized fastmath.ExpInPlace over the row.
func expShiftedRow[T hostFloat](zb []float64, row []T, scale, shift float64, skip int) {
	zb = zb[:len(row)]
	for j, m := range row {
		zb[j] = scale*float64(m) - shift
	}
	if skip >= 0 {
		zb[skip] = math.Inf(-1)
	}
	fastmath.ExpInPlace(zb)
}

// matMulSymA is gemm.MatMulSymA32 or MatMulSymA64: c = alpha·(a + aᵀ)·b for a [n, n] and b [n, d],
// the sum formed while the GEMM packs a. Before, the engine symmetrized the gradient matrix in place
// and then multiplied (one GEMM), or multiplied it twice (two GEMMs, the second reading it
// transposed); the packing does the transposed read of the second without its arithmetic, and
// without the in-place pass's write of the whole matrix.
func matMulSymA[T float32 | float64](alpha T, a, b []T, n, d int, c []T) {
	switch a := any(a).(type) {
	case []float32:
		gemm.MatMulSymA32(any(alpha).(float32), 0, a, any(b).([]float32), 1, n, d, any(c).([]float32))
	case []float64:
		gemm.MatMulSymA64(any(alpha).(float64), 0, a, any(b).([]float64), 1, n, d, any(c).([]float64))
	}
}
