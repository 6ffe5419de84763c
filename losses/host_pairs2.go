package losses

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/fastmath"
	"github.com/gometric/gometric/internal/gemm"
	"github.com/gometric/gometric/reducers"
)

// More host-engine kernels (see HostLoss and host_pairs.go): Circle, GeneralizedLiftedStructure,
// IntraPairVariance, NPairs, RankedList, LiftedStructure, TupletMargin and FastAP. Each is a function
// of the batch's [N, N] matrix and matches its graph path (value and gradient, the same reducer
// counting); pairs come from the labels (positives: the other samples with the anchor's label;
// negatives: the samples with another label).

// softplus64 is the graph's softplus, max(x, 0) + log1p(e^−|x|).
func softplus64(x float64) float64 { return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

// sigmoid64 is the derivative of softplus64.
func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// isFloat32 reports whether T is float32 (the graph's clamps and sentinels depend on the dtype).
func isFloat32[T hostFloat]() bool {
	var z T
	_, ok := any(z).(float32)
	return ok
}

var errHostNeedsSimilarity = errors.New("host loss engine: the loss needs a similarity")

// ---- Circle ----

// HostCheck implements HostLoss.
func (l *Circle) HostCheck() error {
	hd, err := hostCheckOptions(&l.Options, reducers.AvgNonZeroReducer{})
	if err == nil && !hd.inverted() {
		return errHostNeedsSimilarity
	}
	return err
}

// HostCompute implements HostLoss.
func (l *Circle) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	return hostCompute(hd, in, circleKernel[float32](l.M, l.Gamma), circleKernel[float64](l.M, l.Gamma))
}

// circleKernel: per anchor with positives and negatives, v_i = softplus(LSE_P(lp) + LSE_N(ln)) with
// lp = −γ·[1+m−s]₊·(s − (1−m)), ln = γ·[s+m]₊·(s − m) (the weights detached), averaged over the
// anchors with v_i > 0 (AvgNonZeroReducer). v_i is 0 only when softplus underflows (x < −745), so
// each row is scaled while in cache by the count of anchors with positives and negatives, and a
// second sweep corrects the rare batches where some v_i is 0.
func circleKernel[T hostFloat](m, gamma float64) pairKernel[T] {
	return func(mat, grad []T, n int, labels []int64) float64 {
		perClass := map[int64]int{}
		for _, y := range labels {
			perClass[y]++
		}
		var guess float64
		for _, y := range labels {
			if c := perClass[y]; c > 1 && c < n {
				guess++
			}
		}
		if guess == 0 {
			clear(grad)
			return 0
		}
		v := make([]float64, n)
		parallelRows(n, n, func(lo, hi int) {
			zb := make([]float64, n)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				mp, mn := math.Inf(-1), math.Inf(-1)
				yi := labels[i]
				for j, x := range row {
					s := float64(x)
					switch {
					case j == i:
					case labels[j] == yi:
						mp = max(mp, -gamma*max(1+m-s, 0)*(s-(1-m)))
					default:
						mn = max(mn, gamma*max(s+m, 0)*(s-m))
					}
				}
				if math.IsInf(mp, -1) || math.IsInf(mn, -1) {
					clear(g)
					continue
				}
				for j, x := range row {
					s := float64(x)
					switch {
					case j == i:
						zb[j] = math.Inf(-1)
					case labels[j] == yi:
						zb[j] = -gamma*max(1+m-s, 0)*(s-(1-m)) - mp
					default:
						zb[j] = gamma*max(s+m, 0)*(s-m) - mn
					}
				}
				fastmath.ExpInPlace(zb)
				var sp, sn float64
				for j, x := range row {
					s, e := float64(x), zb[j]
					switch {
					case j == i:
					case labels[j] == yi:
						sp += e
						e *= -gamma * max(1+m-s, 0)
					default:
						sn += e
						e *= gamma * max(s+m, 0)
					}
					g[j] = T(e)
				}
				xi := mp + math.Log(sp) + mn + math.Log(sn)
				v[i] = softplus64(xi)
				if !(v[i] > 0) {
					clear(g)
					continue
				}
				c := sigmoid64(xi) / guess
				cp, cn := c/sp, c/sn
				scaleRowByLabel(g, labels, i, cp, cn)
			}
		})
		var sum, count float64
		for _, x := range v {
			if x > 0 {
				sum, count = sum+x, count+1
			}
		}
		if count == 0 {
			return 0 // every row was cleared
		}
		if count != guess {
			f := guess / count
			parallelRows(n, n, func(lo, hi int) {
				g := grad[lo*n : hi*n]
				for j := range g {
					g[j] = T(float64(g[j]) * f)
				}
			})
		}
		return sum / count
	}
}

// ---- GeneralizedLiftedStructure ----

// HostCheck implements HostLoss.
func (l *GeneralizedLiftedStructure) HostCheck() error {
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *GeneralizedLiftedStructure) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err != nil {
		return HostResult{}, err
	}
	sign := hostSign(hd.inverted())
	return hostCompute(hd, in, genLiftedKernel[float32](l.PosMargin, l.NegMargin, sign), genLiftedKernel[float64](l.PosMargin, l.NegMargin, sign))
}

// genLiftedKernel: v_i = relu(LSE_P(sign·(m − PosMargin)) + LSE_N(sign·(NegMargin − m))), an empty part
// being 0, averaged over all anchors.
func genLiftedKernel[T hostFloat](pm, nm, sign float64) pairKernel[T] {
	return func(mat, grad []T, n int, labels []int64) float64 {
		v := make([]float64, n)
		invN := 1 / float64(n)
		parallelRows(n, n, func(lo, hi int) {
			zb := make([]float64, n)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				mp, mn := math.Inf(-1), math.Inf(-1)
				yi := labels[i]
				for j, x := range row {
					switch {
					case j == i:
					case labels[j] == yi:
						mp = max(mp, sign*(float64(x)-pm))
					default:
						mn = max(mn, sign*(nm-float64(x)))
					}
				}
				for j, x := range row {
					switch {
					case j == i:
						zb[j] = math.Inf(-1)
					case labels[j] == yi:
						zb[j] = sign*(float64(x)-pm) - mp
					default:
						zb[j] = sign*(nm-float64(x)) - mn
					}
				}
				fastmath.ExpInPlace(zb)
				var sp, sn float64
				for j, e := range zb {
					switch {
					case j == i:
					case labels[j] == yi:
						sp += e
					default:
						sn += e
					}
					g[j] = T(e)
				}
				var lse float64
				if sp > 0 {
					lse += mp + math.Log(sp)
				}
				if sn > 0 {
					lse += mn + math.Log(sn)
				}
				if !(lse > 0) {
					clear(g)
					continue
				}
				v[i] = lse
				cp, cn := sign*invN/sp, -sign*invN/sn
				scaleRowByLabel(g, labels, i, cp, cn)
			}
		})
		sum := total(v)
		return sum * invN
	}
}

// ---- IntraPairVariance ----

// HostCheck implements HostLoss.
func (l *IntraPairVariance) HostCheck() error {
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *IntraPairVariance) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err != nil {
		return HostResult{}, err
	}
	// Each term is relu(a·μ + b·m)² (see IntraPairVariance's variance_with_eps).
	var ip intraPairCoef
	if hd.inverted() {
		ip = intraPairCoef{ap: 1 - l.PosEps, bp: -1, an: -(1 + l.NegEps), bn: 1}
	} else {
		ip = intraPairCoef{ap: -(1 + l.PosEps), bp: 1, an: 1 - l.NegEps, bn: -1}
	}
	return hostCompute(hd, in, intraPairKernel[float32](ip), intraPairKernel[float64](ip))
}

type intraPairCoef struct{ ap, bp, an, bn float64 }

// intraPairKernel: pos_loss = mean_P relu(ap·μ⁺ + bp·m)², neg_loss = mean_N relu(an·μ⁻ + bn·m)², μ the
// (not detached) means of m over the batch's positive and negative pairs. Three passes: the means,
// the terms and the sums of their derivatives (the means' share), the gradient.
func intraPairKernel[T hostFloat](c intraPairCoef) pairKernel[T] {
	return func(mat, grad []T, n int, labels []int64) float64 {
		ps, pc, ns, nc := newRowSums(n), newRowSums(n), newRowSums(n), newRowSums(n)
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				var sp, cp, sn, cn float64
				yi := labels[i]
				for j, x := range mat[i*n : (i+1)*n] {
					switch {
					case j == i:
					case labels[j] == yi:
						sp, cp = sp+float64(x), cp+1
					default:
						sn, cn = sn+float64(x), cn+1
					}
				}
				ps.sum[i], ps.count[i], ns.sum[i], ns.count[i] = sp, cp, sn, cn
			}
		})
		sumP, countP := ps.total()
		sumN, countN := ns.total()
		var muP, muN float64
		if countP > 0 {
			muP = sumP / countP
		}
		if countN > 0 {
			muN = sumN / countN
		}
		tp, tn := c.ap*muP, c.an*muN
		// pc, nc: per row, Σ relu(t)² (sum) and Σ 2·relu(t) (count).
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				var lp, dp, ln, dn float64
				yi := labels[i]
				for j, x := range mat[i*n : (i+1)*n] {
					switch {
					case j == i:
					case labels[j] == yi:
						if r := tp + c.bp*float64(x); r > 0 {
							lp, dp = lp+r*r, dp+2*r
						}
					default:
						if r := tn + c.bn*float64(x); r > 0 {
							ln, dn = ln+r*r, dn+2*r
						}
					}
				}
				pc.sum[i], pc.count[i], nc.sum[i], nc.count[i] = lp, dp, ln, dn
			}
		})
		lossP, dP := pc.total()
		lossN, dN := nc.total()
		var loss, invP, invN, shareP, shareN float64
		if countP > 0 {
			invP = 1 / countP
			loss += lossP * invP
			shareP = dP * invP * c.ap * invP // d pos_loss/dμ⁺ · dμ⁺/dm
		}
		if countN > 0 {
			invN = 1 / countN
			loss += lossN * invN
			shareN = dN * invN * c.an * invN
		}
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g := grad[i*n : (i+1)*n]
				yi := labels[i]
				for j, x := range mat[i*n : (i+1)*n] {
					var v float64
					switch {
					case j == i:
					case labels[j] == yi:
						v = shareP
						if r := tp + c.bp*float64(x); r > 0 {
							v += 2 * r * c.bp * invP
						}
					default:
						v = shareN
						if r := tn + c.bn*float64(x); r > 0 {
							v += 2 * r * c.bn * invN
						}
					}
					g[j] = T(v)
				}
			}
		})
		return loss
	}
}

// ---- NPairs ----

// HostCheck implements HostLoss.
func (l *NPairs) HostCheck() error {
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss. NPairs reads only the K×K similarities of its K ≤ N/2 anchors
// with their positives, so it does not go through the engine's [N, N] matrix: it gathers the anchors
// and the positives, computes their [K, K] matrix with one GEMM, and back-propagates with two
// (a quarter to three eighths of the engine's work).
func (l *NPairs) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err != nil {
		return HostResult{}, err
	}
	labels, err := hostLabels(in)
	if err != nil {
		return HostResult{}, err
	}
	sign := -hostSign(hd.inverted()) // z = s, or −d
	switch in.Embeddings.DType() {
	case dtypes.Float32:
		return npairsHost(hd, in.Embeddings, labels, in.outputs, sign, gemm.MatMulT32)
	case dtypes.Float64:
		return npairsHost(hd, in.Embeddings, labels, in.outputs, sign, gemm.MatMulT64)
	}
	return HostResult{}, fmt.Errorf("host loss engine: embeddings must be float32 or float64, got %s", in.Embeddings.DType())
}

// npairsAnchors returns PML's N-pairs with labels: for each label with two samples at least, its
// first sample (the anchor) and its second (the positive), in the anchors' order.
func npairsAnchors(labels []int64) (anchors, positives []int) {
	first := map[int64]int{}
	type pair struct{ a, p int }
	var pairs []pair
	for i, y := range labels {
		f, ok := first[y]
		switch {
		case !ok:
			first[y] = i
		case f >= 0:
			pairs = append(pairs, pair{f, i})
			first[y] = -1
		}
	}
	slices.SortFunc(pairs, func(x, y pair) int { return x.a - y.a })
	for _, p := range pairs {
		anchors, positives = append(anchors, p.a), append(positives, p.p)
	}
	return anchors, positives
}

type matMulTFn[T hostFloat] func(transA, transB bool, alpha, beta T, a, b []T, batch, m, n, k int, c []T)

// npairsHost: for the K pairs (a_k, p_k), v_k = LSE_l z(a_k, p_l) − z(a_k, p_k), averaged over the
// pairs, with z = sign·mat on the [K, K] matrix of anchors × positives (computed as the engine does).
func npairsHost[T float32 | float64](hd hostDistance, embT *tensors.Tensor, labels []int64, outputs backends.Backend, sign float64, mm matMulTFn[T]) (HostResult, error) {
	n, d := embT.Shape().Dimensions[0], embT.Shape().Dimensions[1]
	result, gx := newResult[T](outputs, n, d)
	clear(gx) // Only the anchors' and positives' rows are written below.
	anchors, positives := npairsAnchors(labels)
	k := len(anchors)
	if k == 0 {
		return HostResult{Loss: 0, Gradient: result}, nil
	}
	// Gather (and normalize) the anchors and the positives.
	a, p := make([]T, k*d), make([]T, k*d)
	normA, normP := make([]float64, k), make([]float64, k)
	sqA, sqP := make([]float64, k), make([]float64, k)
	tensors.ConstFlatData(embT, func(x []T) {
		gather := func(dst []T, rows []int, norms, sq []float64) {
			for r, i := range rows {
				src, out := x[i*d:(i+1)*d], dst[r*d:(r+1)*d]
				copy(out, src)
				if hd.normalize {
					var s float64
					for _, v := range src {
						s += float64(v) * float64(v)
					}
					norms[r] = math.Max(math.Sqrt(s), 1e-12)
					inv := 1 / norms[r]
					for j, v := range src {
						out[j] = T(float64(v) * inv)
					}
				}
				var s float64
				for _, v := range out {
					s += float64(v) * float64(v)
				}
				sq[r] = s
			}
		}
		gather(a, anchors, normA, sqA)
		gather(p, positives, normP, sqP)
	})
	mat := make([]T, k*k)
	mm(false, true, 1, 0, a, p, 1, k, k, d, mat)
	if hd.metric != metricDot {
		sqrt := hd.metric == metricL2
		for r := range k {
			row, sqr := mat[r*k:(r+1)*k], T(sqA[r])
			for l, dot := range row {
				v := max(sqr+T(sqP[l])-2*dot, 0)
				if sqrt {
					v = T(math.Sqrt(float64(v)))
				}
				row[l] = v
			}
		}
	}
	// The cross entropy and dLoss/dmat.
	grad := make([]T, k*k)
	v := make([]float64, k)
	invK := 1 / float64(k)
	parallelRows(k, k, func(lo, hi int) {
		zb := make([]float64, k)
		for r := lo; r < hi; r++ {
			row, g := mat[r*k:(r+1)*k], grad[r*k:(r+1)*k]
			mx := math.Inf(-1)
			for _, x := range row {
				mx = max(mx, sign*float64(x))
			}
			expShiftedRow(zb, row, sign, mx, -1)
			var s float64
			for l, e := range zb {
				g[l] = T(e)
				s += e
			}
			v[r] = mx + math.Log(s) - sign*float64(row[r])
			c := sign * invK / s
			for l := range g {
				g[l] = T(float64(g[l]) * c)
			}
			g[r] = T(float64(g[r]) - sign*invK)
		}
	})
	var loss float64
	for _, x := range v {
		loss += x
	}
	loss *= invK
	// Back to the anchors and the positives.
	da, dp := make([]T, k*d), make([]T, k*d)
	if hd.metric == metricDot {
		mm(false, false, 1, 0, grad, p, 1, k, d, k, da)
		mm(true, false, 1, 0, grad, a, 1, k, d, k, dp)
	} else {
		if hd.metric == metricL2 {
			for i, m := range mat {
				if m > 0 {
					grad[i] = T(float64(grad[i]) / (2 * float64(m)))
				} else {
					grad[i] = 0 // SafeSqrt: no gradient at 0.
				}
			}
		}
		// sq_kl = ‖a_k‖² + ‖p_l‖² − 2 a_k·p_l.
		mm(false, false, -2, 0, grad, p, 1, k, d, k, da)
		mm(true, false, -2, 0, grad, a, 1, k, d, k, dp)
		rowSum, colSum := make([]float64, k), make([]float64, k)
		for r := range k {
			for l, h := range grad[r*k : (r+1)*k] {
				rowSum[r] += float64(h)
				colSum[l] += float64(h)
			}
		}
		for r := range k {
			for j := range d {
				da[r*d+j] += T(2 * rowSum[r] * float64(a[r*d+j]))
				dp[r*d+j] += T(2 * colSum[r] * float64(p[r*d+j]))
			}
		}
	}
	if hd.normalize {
		normalizeBackward(da, a, normA, k, d)
		normalizeBackward(dp, p, normP, k, d)
	}
	for r := range k {
		copy(gx[anchors[r]*d:(anchors[r]+1)*d], da[r*d:(r+1)*d])
		copy(gx[positives[r]*d:(positives[r]+1)*d], dp[r*d:(r+1)*d])
	}
	return HostResult{Loss: loss, Gradient: result}, nil
}

// ---- RankedList ----

// HostCheck implements HostLoss.
func (l *RankedList) HostCheck() error {
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *RankedList) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err != nil {
		return HostResult{}, err
	}
	return hostCompute(hd, in, rankedListKernel[float32](l), rankedListKernel[float64](l))
}

// rankedListKernel: v_i = (1−λ)·Σ_P' w·(d − b)/(Σ_P' w + ε) + λ·Σ_N' w·(α − d)/(Σ_N' w + ε), P' the
// positives with d > b = α − margin, N' the negatives with 0 < d < α, w = e^{T·violation} (not
// detached), ε = N·1e-5, averaged over all anchors. With L = Σ w v / (S + ε):
// dL/dv_j = w_j·(1 + T·v_j − T·L)/(S + ε).
func rankedListKernel[T hostFloat](l *RankedList) pairKernel[T] {
	alpha := l.alpha()
	bound := alpha - l.Margin
	tp, tn, lambda := l.Tp, l.Tn, l.Imbalance
	return func(mat, grad []T, n int, labels []int64) float64 {
		v := make([]float64, n)
		eps := float64(n) * 1e-5
		invN := 1 / float64(n)
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				yi := labels[i]
				var sp, np, sn, nn float64
				for j, x := range row {
					d := float64(x)
					var w float64
					switch {
					case j == i:
					case labels[j] == yi:
						if d > bound {
							w = math.Exp(tp * (d - bound))
							sp, np = sp+w, np+w*(d-bound)
						}
					default:
						if d < alpha && d > 0 {
							w = math.Exp(tn * (alpha - d))
							sn, nn = sn+w, nn+w*(alpha-d)
						}
					}
					g[j] = T(w)
				}
				lp, ln := np/(sp+eps), nn/(sn+eps)
				v[i] = (1-lambda)*lp + lambda*ln
				cp, cn := (1-lambda)*invN/(sp+eps), -lambda*invN/(sn+eps)
				for j, x := range row {
					d := float64(x)
					switch {
					case j == i:
					case labels[j] == yi:
						if d > bound {
							g[j] = T(float64(g[j]) * (1 + tp*(d-bound) - tp*lp) * cp)
						}
					default:
						if d < alpha && d > 0 {
							g[j] = T(float64(g[j]) * (1 + tn*(alpha-d) - tn*ln) * cn)
						}
					}
				}
			}
		})
		sum := total(v)
		return sum * invN
	}
}

// ---- LiftedStructure ----

// HostCheck implements HostLoss.
func (l *LiftedStructure) HostCheck() error {
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *LiftedStructure) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err != nil {
		return HostResult{}, err
	}
	sign := hostSign(hd.inverted())
	return hostCompute(hd, in, liftedKernel[float32](l.PosMargin, l.NegMargin, sign), liftedKernel[float64](l.PosMargin, l.NegMargin, sign))
}

// liftedKernel: for each positive pair (a, p), ½·relu(logaddexp(R_a, R_p) + sign·(m_ap − PosMargin))²
// with R_x = LSE_{N(x)}(sign·(NegMargin − m)) (a missing R drops out; none gives 0), averaged over
// the positive pairs; 0 unless the batch has a positive and a negative pair. Three passes: each
// row's R (its softmax kept in grad), the pairs (with each R's total derivative, a row's own pairs
// and, through per-worker column sums, the pairs where it is the positive), the negatives' gradient.
func liftedKernel[T hostFloat](pm, nm, sign float64) pairKernel[T] {
	return func(mat, grad []T, n int, labels []int64) float64 {
		lseR, sR := make([]float64, n), make([]float64, n)
		hasR := make([]bool, n)
		counts := newRowSums(n) // sum: positives, count: negatives
		parallelRows(n, n, func(lo, hi int) {
			zb := make([]float64, n)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				yi := labels[i]
				mx := math.Inf(-1)
				var np, nn float64
				for j, x := range row {
					switch {
					case j == i:
					case labels[j] == yi:
						np++
					default:
						nn++
						mx = max(mx, sign*(nm-float64(x)))
					}
				}
				counts.sum[i], counts.count[i] = np, nn
				// e^{sign·(nm − x) − mx} = e^{−sign·x − (mx − sign·nm)}
				expShiftedRow(zb, row, -sign, mx-sign*nm, -1)
				var s float64
				for j := range row {
					var e float64
					if labels[j] != yi {
						e = zb[j]
						s += e
					}
					g[j] = T(e)
				}
				if nn > 0 {
					hasR[i], lseR[i], sR[i] = true, mx+math.Log(s), s
				}
			}
		})
		numPos, numNeg := counts.total()
		if numPos == 0 || numNeg == 0 {
			clear(grad)
			return 0
		}
		invP := 1 / numPos
		dR := make([]float64, n)  // d loss / d R_a from a's own pairs
		col := make([]float64, n) // … from the pairs (b, a)
		rowLoss := make([]float64, n)
		var mu sync.Mutex
		parallelRows(n, n, func(lo, hi int) {
			local := make([]float64, n)
			for a := lo; a < hi; a++ {
				row, g := mat[a*n:(a+1)*n], grad[a*n:(a+1)*n]
				ya := labels[a]
				var loss, da float64
				for p, x := range row {
					if p == a || labels[p] != ya {
						continue
					}
					var lse, wa, wp float64
					switch {
					case hasR[a] && hasR[p]:
						top := max(lseR[a], lseR[p])
						ea, ep := math.Exp(lseR[a]-top), math.Exp(lseR[p]-top)
						lse = top + math.Log(ea+ep)
						wa, wp = ea/(ea+ep), ep/(ea+ep)
					case hasR[a]:
						lse, wa = lseR[a], 1
					case hasR[p]:
						lse, wp = lseR[p], 1
					}
					r := max(lse+sign*(float64(x)-pm), 0)
					loss += r * r / 2
					c := r * invP
					g[p] = T(c * sign)
					da += c * wa
					local[p] += c * wp
				}
				rowLoss[a], dR[a] = loss, da
			}
			mu.Lock()
			for j, x := range local {
				col[j] += x
			}
			mu.Unlock()
		})
		parallelRows(n, n, func(lo, hi int) {
			for a := lo; a < hi; a++ {
				g := grad[a*n : (a+1)*n]
				ya := labels[a]
				if !hasR[a] {
					continue
				}
				c := -sign * (dR[a] + col[a]) / sR[a]
				for j := range g {
					if labels[j] != ya {
						g[j] = T(float64(g[j]) * c)
					}
				}
			}
		})
		sum := total(rowLoss)
		return sum * invP
	}
}

// ---- TupletMargin ----

// HostCheck implements HostLoss.
func (l *TupletMargin) HostCheck() error {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err == nil && !hd.inverted() {
		return errHostNeedsSimilarity
	}
	return err
}

// HostCompute implements HostLoss.
func (l *TupletMargin) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	m := l.Margin * math.Pi / 180
	return hostCompute(hd, in, tupletKernel[float32](m, l.Scale), tupletKernel[float64](m, l.Scale))
}

// tupletKernel: for each positive pair (i, p), softplus(LSE_{N(i)}(k·s) − k·cos(θ_ip − m)) with
// cos(θ − m) = c·cos m + √(1−c²)·sin m, c = s clamped to ±(1 − ε) (no gradient outside), averaged over
// the positive pairs; an anchor without negatives gives its pairs 0; 0 unless the batch has a
// positive and a negative pair. One pass per row after the LSE: with a_p = σ(x_ip)/P, dm_ip =
// −a_p·k·dcos/ds and dm_in = k·(Σ_p a_p)·softmax_N(k·s)_n.
func tupletKernel[T hostFloat](m, k float64) pairKernel[T] {
	eps := 1e-12
	if isFloat32[T]() {
		eps = 1e-6
	}
	lo, hi := float64(T(-1+eps)), float64(T(1-eps))
	cosM, sinM := math.Cos(m), math.Sin(m)
	return func(mat, grad []T, n int, labels []int64) float64 {
		numPos := float64(positivePairs(labels))
		distinct := map[int64]bool{}
		for _, y := range labels {
			distinct[y] = true
		}
		if numPos == 0 || len(distinct) < 2 {
			clear(grad)
			return 0
		}
		invP := 1 / numPos
		rowLoss := make([]float64, n)
		parallelRows(n, n, func(rlo, rhi int) {
			zb := make([]float64, n)
			for i := rlo; i < rhi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				yi := labels[i]
				mx := math.Inf(-1)
				for j, x := range row {
					if labels[j] != yi {
						mx = max(mx, k*float64(x))
					}
				}
				if math.IsInf(mx, -1) {
					clear(g) // no negatives: the anchor's pairs cost 0
					continue
				}
				expShiftedRow(zb, row, k, mx, -1)
				var s float64
				for j := range row {
					var e float64
					if labels[j] != yi {
						e = zb[j]
						s += e
					}
					g[j] = T(e)
				}
				lse := mx + math.Log(s)
				var loss, sumA float64
				for j, x := range row {
					if j == i || labels[j] != yi {
						continue
					}
					sv := float64(x)
					c := min(max(sv, lo), hi)
					sinT := math.Sqrt(1 - c*c)
					z := lse - k*(c*cosM+sinT*sinM)
					loss += softplus64(z)
					a := sigmoid64(z) * invP
					sumA += a
					var dc float64
					if sv >= lo && sv <= hi {
						dc = cosM - c/sinT*sinM
					}
					g[j] = T(-a * k * dc)
				}
				rowLoss[i] = loss
				cn := k * sumA / s
				for j := range g {
					if labels[j] != yi {
						g[j] = T(float64(g[j]) * cn)
					}
				}
			}
		})
		sum := total(rowLoss)
		return sum * invP
	}
}

// ---- FastAP ----

// HostCheck implements HostLoss.
func (l *FastAP) HostCheck() error {
	if d, ok := l.Distance.(*distances.LpDistance); !ok || d.P != 2 || !d.NormalizeEmbeddings {
		return fmt.Errorf("host loss engine: FastAPLoss needs LpDistance with P=2 and NormalizeEmbeddings, got %s", l.Distance)
	}
	if l.NumBins < 1 {
		return fmt.Errorf("host loss engine: FastAPLoss: NumBins must be >= 1, got %d", l.NumBins)
	}
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *FastAP) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	hMax := 2.0
	if hd.metric == metricL2Sq {
		hMax = 4
	}
	return hostCompute(hd, in, fastAPKernel[float32](l.NumBins, hMax), fastAPKernel[float64](l.NumBins, hMax))
}

// fastAPKernel: per query with positives, 1 − (1/|P|)·Σ_b h⁺_b·H⁺_b/H_b over the bins where both
// h⁺_b·H⁺_b and H_b are positive (soft histograms h⁺, h of the positives and of all pairs by
// triangular pulses, H the cumulative sums), averaged over those queries. Each distance touches two
// neighbouring bins (fastAPBins); the bins' derivatives are suffix sums.
func fastAPKernel[T hostFloat](numBins int, hMax float64) pairKernel[T] {
	fb := newFastAPBins(numBins, hMax)
	edges := numBins + 1
	return func(mat, grad []T, n int, labels []int64) float64 {
		perClass := map[int64]int{}
		for _, y := range labels {
			perClass[y]++
		}
		var queries float64
		for _, y := range labels {
			if perClass[y] > 1 {
				queries++
			}
		}
		if queries == 0 {
			clear(grad)
			return 0
		}
		rowLoss := make([]float64, n)
		parallelRows(n, n, func(lo, hi int) {
			// One spare bin at the end: the second bin of a distance in the last one.
			hp, hn := make([]float64, edges+1), make([]float64, edges+1)
			dhp, dhn, dr := make([]float64, edges+1), make([]float64, edges+1), make([]float64, edges+1)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				yi := labels[i]
				nPos := float64(perClass[yi] - 1)
				if nPos == 0 {
					clear(g)
					continue
				}
				clear(hp)
				clear(hn)
				for j, x := range row {
					b, p0, p1, _, _ := fb.pulses(float64(x))
					switch {
					case j == i:
					case labels[j] == yi:
						hp[b] += p0
						hp[b+1] += p1
					default:
						hn[b] += p0
						hn[b+1] += p1
					}
				}
				// Forward, then the derivatives of Σ ratio_b: ratio_b = h⁺_b·H⁺_b/H_b depends on h⁺_b
				// itself (H⁺_b/H_b), on H⁺_b (h⁺_b/H_b) and on H_b (−ratio_b/H_b); H⁺_b and H_b on every
				// bin up to b, whence suffix sums.
				var cumP, cumA, sumRatio float64
				gScale := -1 / (nPos * queries)
				for b := range edges {
					cumP += hp[b]
					cumA += hp[b] + hn[b]
					dhp[b], dhn[b], dr[b] = 0, 0, 0
					if prod := hp[b] * cumP; prod > 0 && cumA > 0 {
						ratio := prod / cumA
						sumRatio += ratio
						dhp[b] = gScale * cumP / cumA
						dhn[b] = gScale * hp[b] / cumA
						dr[b] = gScale * (-ratio / cumA)
					}
				}
				var sufP, sufA float64
				for b := edges - 1; b >= 0; b-- {
					sufP += dhn[b]
					sufA += dr[b]
					dhp[b] += sufP + sufA
					dhn[b] = sufA
				}
				dhp[edges], dhn[edges] = 0, 0
				rowLoss[i] = 1 - sumRatio/nPos
				for j, x := range row {
					var v float64
					b, _, _, d0, d1 := fb.pulses(float64(x))
					switch {
					case j == i:
					case labels[j] == yi:
						v = dhp[b]*d0 + dhp[b+1]*d1
					default:
						v = dhn[b]*d0 + dhn[b+1]*d1
					}
					g[j] = T(v)
				}
			}
		})
		sum := total(rowLoss)
		return sum / queries
	}
}

// fastAPBins computes FastAP's triangular pulses relu(1 − |d − c_b|/Δ) (c_b = hMax·b/numBins, as
// torch.linspace) of a distance on its two neighbouring bins.
type fastAPBins struct {
	centers         []float64 // numBins+2 centres (one spare)
	delta, invDelta float64
	last            int
}

func newFastAPBins(numBins int, hMax float64) fastAPBins {
	f := fastAPBins{centers: make([]float64, numBins+2), delta: hMax / float64(numBins), last: numBins}
	f.invDelta = float64(numBins) / hMax
	for b := range f.centers {
		f.centers[b] = hMax * float64(b) / float64(numBins)
	}
	return f
}

// pulses returns the bin b ∈ [0, numBins] below d, the pulses p0, p1 of d on bins b and b+1 (bin
// numBins+1 is the spare), and their derivatives with respect to d (0 where the pulse is not
// positive, and where d is a bin's centre, as the graph's |·|).
func (f *fastAPBins) pulses(d float64) (b int, p0, p1, d0, d1 float64) {
	b = min(max(int(d*f.invDelta), 0), f.last)
	u0, u1 := d-f.centers[b], d-f.centers[b+1]
	p0, p1 = 1-math.Abs(u0)/f.delta, 1-math.Abs(u1)/f.delta
	if p0 > 0 {
		if u0 > 0 {
			d0 = -1 / f.delta
		} else if u0 < 0 {
			d0 = 1 / f.delta
		}
	} else {
		p0 = 0
	}
	if p1 > 0 {
		if u1 > 0 {
			d1 = -1 / f.delta
		} else if u1 < 0 {
			d1 = 1 / f.delta
		}
	} else {
		p1 = 0
	}
	return b, p0, p1, d0, d1
}
