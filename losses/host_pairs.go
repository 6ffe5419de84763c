package losses

import (
	"errors"
	"math"
	"slices"

	"github.com/gometric/gometric/internal/fastmath"
	"github.com/gometric/gometric/reducers"
)

// The host engine's kernels of the pair losses whose value is a function of the batch's [N, N]
// matrix (see HostLoss). Each kernel reads the matrix row by row, on all cores, and writes
// dLoss/dmat; the engine does the rest. Pairs come from the labels: the positives of anchor i are
// the other samples with its label, its negatives the samples with another label (the diagonal is
// neither), as in the graph path.

// hostSign is +1 for a distance and −1 for a similarity: the direction in which a pair gets closer.
func hostSign(inverted bool) float64 {
	if inverted {
		return -1
	}
	return 1
}

// HostCheck implements HostLoss.
func (l *Contrastive) HostCheck() error {
	_, err := hostCheckOptions(&l.Options, reducers.AvgNonZeroReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *Contrastive) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckOptions(&l.Options, reducers.AvgNonZeroReducer{})
	if err != nil {
		return HostResult{}, err
	}
	return hostComputeSymmetric(hd, in, contrastiveKernel[float32](l, hd), contrastiveKernel[float64](l, hd))
}

// contrastiveKernel: pos terms relu(sign·(m − PosMargin)), neg terms relu(sign·(NegMargin − m)),
// each sub-loss averaged over its non-zero terms (AvgNonZeroReducer).
func contrastiveKernel[T hostFloat](l *Contrastive, hd hostDistance) pairKernel[T] {
	sign := hostSign(hd.inverted())
	pm, nm := l.PosMargin, l.NegMargin
	return func(mat, grad []T, n int, labels []int64) float64 {
		pos, neg := newRowSums(n), newRowSums(n)
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				var ps, pc, ns, nc float64
				for j, m := range mat[i*n : (i+1)*n] {
					switch {
					case j == i:
					case labels[j] == labels[i]:
						if t := sign * (float64(m) - pm); t > 0 {
							ps, pc = ps+t, pc+1
						}
					default:
						if t := sign * (nm - float64(m)); t > 0 {
							ns, nc = ns+t, nc+1
						}
					}
				}
				pos.sum[i], pos.count[i], neg.sum[i], neg.count[i] = ps, pc, ns, nc
			}
		})
		ps, pc := pos.total()
		ns, nc := neg.total()
		gp, gn := 0.0, 0.0
		loss := 0.0
		if pc > 0 {
			gp, loss = sign/pc, ps/pc
		}
		if nc > 0 {
			gn, loss = -sign/nc, loss+ns/nc
		}
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g := grad[i*n : (i+1)*n]
				for j, m := range mat[i*n : (i+1)*n] {
					var v float64
					switch {
					case j == i:
					case labels[j] == labels[i]:
						if sign*(float64(m)-pm) > 0 {
							v = gp
						}
					default:
						if sign*(nm-float64(m)) > 0 {
							v = gn
						}
					}
					g[j] = T(v)
				}
			}
		})
		return loss
	}
}

// HostCheck implements HostLoss.
func (l *SupCon) HostCheck() error {
	if err := l.Validate(); err != nil {
		return err
	}
	_, err := hostCheckOptions(&l.Options, reducers.AvgNonZeroReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *SupCon) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	return hostCompute(hd, in, supConKernel[float32](1/l.Temperature, hd), supConKernel[float64](1/l.Temperature, hd))
}

// supConKernel: per anchor with positives, v_i = log Σ_{k≠i} e^{z_ik} − mean_{p∈P(i)} z_ip with
// z = −sign·mat/τ, averaged over the anchors with v_i > 0; zero unless the batch has a positive and a
// negative pair. dv_i/dz_ij = softmax_ij − [j∈P(i)]/|P(i)|.
func supConKernel[T hostFloat](invTemp float64, hd hostDistance) pairKernel[T] {
	scale := -hostSign(hd.inverted()) * invTemp
	return func(mat, grad []T, n int, labels []int64) float64 {
		v, numPos, numNeg := make([]float64, n), make([]float64, n), make([]float64, n)
		logS, rowMax := make([]float64, n), make([]float64, n)
		parallelRows(n, n, func(lo, hi int) {
			zb := make([]float64, n)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				mx := math.Inf(-1)
				for j, m := range row {
					if j != i {
						mx = max(mx, scale*float64(m))
					}
				}
				expShiftedRow(zb, row, scale, mx, i)
				var s, sumPos, np float64
				for j, m := range row {
					if j == i {
						g[j] = 0
						continue
					}
					e := zb[j]
					g[j] = T(e)
					s += e
					if labels[j] == labels[i] {
						sumPos += scale*float64(m) - mx
						np++
					}
				}
				rowMax[i], logS[i], numPos[i], numNeg[i] = mx, math.Log(s), np, float64(n-1)-np
				if np > 0 {
					v[i] = logS[i] - sumPos/np
				}
			}
		})
		var totalPos, totalNeg, sum, count float64
		for i := range n {
			totalPos += numPos[i]
			totalNeg += numNeg[i]
			if v[i] > 0 {
				sum, count = sum+v[i], count+1
			}
		}
		if totalPos == 0 || totalNeg == 0 || count == 0 {
			clear(grad)
			return 0
		}
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g := grad[i*n : (i+1)*n]
				if !(v[i] > 0) {
					clear(g)
					continue
				}
				c := scale / count
				invS := fastmath.Exp(-logS[i])
				for j := range g {
					if j == i {
						continue
					}
					d := float64(g[j]) * invS
					if labels[j] == labels[i] {
						d -= 1 / numPos[i]
					}
					g[j] = T(c * d)
				}
			}
		})
		return sum / count
	}
}

// HostCheck implements HostLoss.
func (l *MultiSimilarity) HostCheck() error {
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *MultiSimilarity) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err != nil {
		return HostResult{}, err
	}
	return hostCompute(hd, in, multiSimilarityKernel[float32](l, hd), multiSimilarityKernel[float64](l, hd))
}

// multiSimilarityKernel: v_i = (1/α) log(1 + Σ_{P(i)} e^{a_ij}) + (1/β) log(1 + Σ_{N(i)} e^{b_ij}) with
// a = α·sign·(m − λ) and b = β·sign·(λ − m), averaged over all anchors (MeanReducer). Each sum is
// shifted by max(0, max x) so that nothing overflows.
func multiSimilarityKernel[T hostFloat](l *MultiSimilarity, hd hostDistance) pairKernel[T] {
	sign := hostSign(hd.inverted())
	alpha, beta, base := l.Alpha, l.Beta, l.Base
	return func(mat, grad []T, n int, labels []int64) float64 {
		v := make([]float64, n)
		invN := 1 / float64(n)
		parallelRows(n, n, func(lo, hi int) {
			zb := make([]float64, n)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				mp, mn := 0.0, 0.0 // max(0, max x) of each part
				for j, m := range row {
					switch {
					case j == i:
					case labels[j] == labels[i]:
						mp = max(mp, alpha*sign*(float64(m)-base))
					default:
						mn = max(mn, beta*sign*(base-float64(m)))
					}
				}
				sp, sn := fastmath.Exp(-mp), fastmath.Exp(-mn) // the "1 +" shifted
				for j, m := range row {
					switch {
					case j == i:
						zb[j] = math.Inf(-1)
					case labels[j] == labels[i]:
						zb[j] = alpha*sign*(float64(m)-base) - mp
					default:
						zb[j] = beta*sign*(base-float64(m)) - mn
					}
				}
				fastmath.ExpInPlace(zb)
				for j, e := range zb {
					switch {
					case j == i:
					case labels[j] == labels[i]:
						sp += e
					default:
						sn += e
					}
					g[j] = T(e)
				}
				v[i] = (mp+math.Log(sp))/alpha + (mn+math.Log(sn))/beta
				// d/dm of (1/α)·log(…): e/s·sign for a positive, −e/s·sign for a negative.
				cp, cn := sign*invN/sp, -sign*invN/sn
				scaleRowByLabel(g, labels, i, cp, cn)
			}
		})
		sum := total(v)
		return sum * invN
	}
}

// HostCheck implements HostLoss.
func (l *NCA) HostCheck() error {
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *NCA) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err != nil {
		return HostResult{}, err
	}
	return hostCompute(hd, in, ncaKernel[float32](l.SoftmaxScale, hd), ncaKernel[float64](l.SoftmaxScale, hd))
}

// ncaKernel: per anchor with positives, v_i = LSE_{j≠i}(z_ij) − LSE_{j∈P(i)}(z_ij) with
// z = −sign·scale·mat, averaged over those anchors. dv_i/dz_ij = softmax_{j≠i} − softmax_{P(i)}.
func ncaKernel[T hostFloat](softmaxScale float64, hd hostDistance) pairKernel[T] {
	scale := -hostSign(hd.inverted()) * softmaxScale
	return func(mat, grad []T, n int, labels []int64) float64 {
		v, has := make([]float64, n), make([]bool, n)
		sAll, sPos := make([]float64, n), make([]float64, n)
		parallelRows(n, n, func(lo, hi int) {
			zb := make([]float64, n)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				mx := math.Inf(-1)
				for j, m := range row {
					if j != i {
						mx = max(mx, scale*float64(m))
					}
				}
				expShiftedRow(zb, row, scale, mx, i)
				var sa, sp float64
				for j := range row {
					if j == i {
						g[j] = 0
						continue
					}
					e := zb[j]
					g[j] = T(e)
					sa += e
					if labels[j] == labels[i] {
						sp += e
					}
				}
				sAll[i], sPos[i] = sa, sp
				if sp > 0 {
					has[i], v[i] = true, math.Log(sa)-math.Log(sp)
				}
			}
		})
		var sum, count float64
		for i := range n {
			if has[i] {
				sum, count = sum+v[i], count+1
			}
		}
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g := grad[i*n : (i+1)*n]
				if !has[i] {
					clear(g)
					continue
				}
				c := scale / count
				ia, ip := 1/sAll[i], 1/sPos[i]
				for j := range g {
					if j == i {
						continue
					}
					d := float64(g[j]) * ia
					if labels[j] == labels[i] {
						d -= float64(g[j]) * ip
					}
					g[j] = T(c * d)
				}
			}
		})
		if count == 0 {
			return 0
		}
		return sum / count
	}
}

// HostCheck implements HostLoss.
func (l *Instance) HostCheck() error {
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err == nil && !hd.inverted() {
		// The logits are Gamma·mat whatever the distance (as PML): supported, but only similarities
		// make sense; keep the graph for the rest.
		return errHostInstanceDistance
	}
	return err
}

var errHostInstanceDistance = errors.New("host loss engine: InstanceLoss only with a similarity")

// HostCompute implements HostLoss.
func (l *Instance) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	return hostCompute(hd, in, instanceKernel[float32](l.Gamma), instanceKernel[float64](l.Gamma))
}

// instanceKernel: v_i = LSE_j(γ·s_ij) − γ·s_{i,t(i)} over all columns (the diagonal included), t(i)
// the rank of y_i among the batch's distinct labels (PML's target; see Instance), averaged over the
// batch.
func instanceKernel[T hostFloat](gamma float64) pairKernel[T] {
	return func(mat, grad []T, n int, labels []int64) float64 {
		target := instanceTargets(labels)
		v := make([]float64, n)
		invN := 1 / float64(n)
		parallelRows(n, n, func(lo, hi int) {
			zb := make([]float64, n)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				mx := maxScaled(row, gamma)
				expShiftedRow(zb, row, gamma, mx, -1)
				s := total(zb[:n])
				t := target[i]
				v[i] = mx + math.Log(s) - gamma*float64(row[t])
				c := gamma * invN / s
				for j, e := range zb[:n] {
					g[j] = T(e * c)
				}
				g[t] = T(zb[t]*c - gamma*invN)
			}
		})
		sum := total(v)
		return sum * invN
	}
}

// instanceTargets returns, for each sample, the number of distinct labels in the batch smaller than
// its own.
func instanceTargets(labels []int64) []int {
	distinct := slices.Compact(slices.Sorted(slices.Values(labels)))
	out := make([]int, len(labels))
	for i, y := range labels {
		out[i], _ = slices.BinarySearch(distinct, y)
	}
	return out
}

// HostCheck implements HostLoss.
func (l *NTXent) HostCheck() error {
	if err := l.Validate(); err != nil {
		return err
	}
	_, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	return err
}

// HostCompute implements HostLoss.
func (l *NTXent) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	return hostCompute(hd, in, ntxentKernel[float32](1/l.Temperature, hd), ntxentKernel[float64](1/l.Temperature, hd))
}

// ntxentKernel: for each positive pair (i, j), softplus(LSE_{n∈N(i)}(z_in) − z_ij) with
// z = −sign·mat/τ, averaged over all positive pairs (MeanReducer; an anchor without negatives gives
// its pairs 0). One pass per row: with a_ij = σ(d_ij)/count, dz_ij = −a_ij for a positive and
// (Σ_j a_ij)·softmax_{N(i)}(z)_n for a negative.
func ntxentKernel[T hostFloat](invTemp float64, hd hostDistance) pairKernel[T] {
	scale := -hostSign(hd.inverted()) * invTemp
	return func(mat, grad []T, n int, labels []int64) float64 {
		count := float64(positivePairs(labels))
		rowLoss := make([]float64, n)
		if count == 0 {
			clear(grad)
			return 0
		}
		invCount := 1 / count
		parallelRows(n, n, func(lo, hi int) {
			zb := make([]float64, n)
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				mx, hasNeg := math.Inf(-1), false
				for j, m := range row {
					if labels[j] != labels[i] {
						mx, hasNeg = max(mx, scale*float64(m)), true
					}
				}
				if !hasNeg {
					clear(g) // no negatives: the anchor's pairs cost 0
					continue
				}
				expShiftedRow(zb, row, scale, mx, -1)
				var s float64
				for j := range row {
					if labels[j] != labels[i] {
						e := zb[j]
						g[j] = T(e)
						s += e
					}
				}
				lse := mx + math.Log(s)
				var loss, sumA float64
				for j, m := range row {
					if j == i || labels[j] != labels[i] {
						if j == i {
							g[j] = 0
						}
						continue
					}
					d := lse - scale*float64(m)
					var sp, sig float64
					if d > 40 {
						sp, sig = d, 1
					} else {
						e := fastmath.Exp(d)
						sp, sig = math.Log1p(e), e/(1+e)
					}
					loss += sp
					a := sig * invCount
					sumA += a
					g[j] = T(-a * scale)
				}
				rowLoss[i] = loss
				c := sumA / s * scale
				for j := range g {
					if labels[j] != labels[i] {
						g[j] = T(float64(g[j]) * c)
					}
				}
			}
		})
		sum := total(rowLoss)
		return sum * invCount
	}
}

// positivePairs returns the number of ordered pairs (i, j), i ≠ j, with the same label.
func positivePairs(labels []int64) int {
	perClass := map[int64]int{}
	for _, y := range labels {
		perClass[y]++
	}
	total := 0
	for _, c := range perClass {
		total += c * (c - 1)
	}
	return total
}
