package losses

import (
	"fmt"
	"iter"
	"math"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/fastmath"
	"github.com/gometric/gometric/internal/gemm"
	"github.com/gometric/gometric/reducers"
)

// The host engine's kernels of the all-triplet losses (see HostLoss): TripletMargin, Margin,
// Histogram and Angular. Their value is a function of the batch's [N, N] matrix through every triplet (a, p, n)
// of a positive and a negative pair of the same anchor (N·M² of them), and none of them enumerates
// the triplets:
//
//   - TripletMargin's hinge relu(d_ap − d_an + margin) is a count: per anchor, the smaller of its two
//     sides (positives or negatives) is sorted, with prefix sums of its values, and each element of
//     the other side finds by binary search the pivots it makes a positive-loss triplet with; their
//     number and the prefix sums give the value and the gradient of both sides (a histogram of the
//     search results gives each pivot its count). O(N·M·log K) time, K = max_i min(|P(i)|, |N(i)|)
//     (O(N·M·log M) at worst), O(N·M) memory. With Swap the hinge depends on the pair (a, p)
//     through min(d_an, d_pn), and with SmoothLoss every triplet has a loss: every triplet is then
//     visited, O(N·M·K) (tripletVisit).
//   - Margin's two hinges are separable: the sum over triplets is Σ_p |N(a)|·relu(…) + Σ_n
//     |P(a)|·relu(…). O(N·M).
//   - Histogram uses the unordered pairs of the triplets, each once: O(N·M + NBins).
//   - Angular's log-sum-exp over the negatives of each positive pair is smooth, so it cannot be counted:
//     one pass over the row per positive pair, O(N·M·K), O(N·M) memory (O(N·M) for two samples per
//     class).

// tripletDivisor is how a triplet loss's reducer divides the sum of its kept triplets' losses.
type tripletDivisor int

const (
	divNonZero tripletDivisor = iota // AvgNonZeroReducer: by the number of triplets with a loss > 0.
	divMean                          // MeanReducer: by the number of triplets.
	divSum                           // SumReducer: by 1.
)

// hostTripletReducer maps the reducer of the sub-loss name to a tripletDivisor, or says why it cannot.
func hostTripletReducer(r reducers.Reducer, name string) (tripletDivisor, error) {
	switch red := reducers.ReducerFor(r, name).(type) {
	case reducers.AvgNonZeroReducer, *reducers.AvgNonZeroReducer:
		return divNonZero, nil
	case reducers.MeanReducer, *reducers.MeanReducer:
		return divMean, nil
	case reducers.SumReducer, *reducers.SumReducer:
		return divSum, nil
	default:
		return 0, fmt.Errorf("host loss engine: reducer %T is not supported (AvgNonZero, Mean or Sum)", red)
	}
}

// hostSettings returns the distance and divisor of the host path, or why it does not cover l.
func (l *TripletMargin) hostSettings() (hostDistance, tripletDivisor, error) {
	if l.EmbeddingRegularizer != nil {
		return hostDistance{}, 0, fmt.Errorf("host loss engine: embedding regularizers are not supported")
	}
	hd, err := hostDistanceOf(l.Distance)
	if err != nil {
		return hd, 0, err
	}
	div, err := hostTripletReducer(l.Reducer, "loss")
	return hd, div, err
}

// HostCheck implements HostLoss: LpDistance (p=2), CosineSimilarity or DotProductSimilarity, the
// reducers AvgNonZero (the default), Mean and Sum, with or without Swap and SmoothLoss; no
// regularizer.
func (l *TripletMargin) HostCheck() error {
	_, _, err := l.hostSettings()
	return err
}

// HostCompute implements HostLoss.
func (l *TripletMargin) HostCompute(in HostInputs) (HostResult, error) {
	hd, div, err := l.hostSettings()
	if err != nil {
		return HostResult{}, err
	}
	return hostCompute(hd, in, tripletMarginKernel[float32](l.Margin, hd, div, l.Swap, l.SmoothLoss), tripletMarginKernel[float64](l.Margin, hd, div, l.Swap, l.SmoothLoss))
}

// tripletMarginKernel: the triplets (a, p, n) with x = (e_ap − e_an) + margin > 0, e = sign·mat
// (larger is farther), x computed in the matrix's precision as the graph path does; the loss is the
// sum of their x divided by the reducer's divisor, dLoss/de_ap = #{n: kept}/divisor and
// dLoss/de_an = −#{p: kept}/divisor. Each row counts them by sorting its smaller side
// (tripletRow); a second pass scales the counts.
func tripletMarginKernel[T hostFloat](margin float64, hd hostDistance, div tripletDivisor, swap, smooth bool) pairKernel[T] {
	sign := T(hostSign(hd.inverted()))
	m := T(margin)
	return func(mat, grad []T, n int, labels []int64) float64 {
		sums := newRowSums(n)
		triplets := make([]float64, n)
		if swap || smooth {
			tripletVisit(mat, grad, n, labels, sign, m, swap, smooth, sums, triplets)
		} else {
			parallelRows(n, n, func(lo, hi int) {
				var w tripletWork[T]
				for i := lo; i < hi; i++ {
					sums.sum[i], sums.count[i], triplets[i] = w.row(mat[i*n:(i+1)*n], grad[i*n:(i+1)*n], i, labels, sign, m)
				}
			})
		}
		sum, kept := sums.total()
		var divisor float64
		switch div {
		case divNonZero:
			divisor = kept
		case divMean:
			for _, t := range triplets {
				divisor += t
			}
		case divSum:
			divisor = 1
		}
		if kept == 0 || divisor == 0 {
			clear(grad)
			return 0
		}
		scale := T(float64(sign) / divisor)
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				for j := range grad[i*n : (i+1)*n] {
					grad[i*n+j] *= scale
				}
			}
		})
		return sum / divisor
	}
}

// tripletVisit is tripletWork.row for every anchor when the hinge cannot be counted by sorting: with
// Swap a triplet's x is (e_ap − min(e_an, e_pn)) + m (PML's smallest_dist: e_pn when strictly closer,
// as the graph path's Where), which depends on the pair (a, p); with SmoothLoss every triplet has
// softplus(x) = relu(x) + log1p(e^−|x|) > 0 and the derivative the graph path's autodiff gives,
// [x > 0] − sign(x)·e^−|x|/(1 + e^−|x|). So every triplet is visited: O(N·M·K) time. A triplet's
// gradient goes to e_ap and to the chosen one of e_an and e_pn, in row a or row p of the same class, so
// the work is split by classes: a worker writes the rows of its classes only. It writes sums (the
// losses of the triplets, and the number of those > 0), triplets and grad (dLoss/de before the
// divisor) for every row.
func tripletVisit[T hostFloat](mat, grad []T, n int, labels []int64, sign, m T, swap, smooth bool, sums rowSums, triplets []float64) {
	members := make(map[int64][]int)
	var order []int64
	for i, l := range labels {
		if members[l] == nil {
			order = append(order, l)
		}
		members[l] = append(members[l], i)
	}
	clear(grad)
	// Each class is |class|²·N triplets of work (parallelRows' size estimate: rows × cols).
	parallelRows(len(order), n*n/max(1, len(order))*n, func(lo, hi int) {
		var negJ []int
		for _, l := range order[lo:hi] {
			rows := members[l]
			negJ = negJ[:0]
			for j := range n {
				if labels[j] != l {
					negJ = append(negJ, j)
				}
			}
			for _, a := range rows {
				ra, ga := mat[a*n:(a+1)*n], grad[a*n:(a+1)*n]
				var sum, kept float64
				for _, p := range rows {
					if p == a {
						continue
					}
					rp, gp := mat[p*n:(p+1)*n], grad[p*n:(p+1)*n]
					eap := sign * ra[p]
					var gap float64
					for _, j := range negJ {
						sel, dst := sign*ra[j], ga
						if swap {
							if epn := sign * rp[j]; epn < sel {
								sel, dst = epn, gp
							}
						}
						x := (eap - sel) + m
						if smooth {
							xf := float64(x)
							t := fastmath.Exp(-math.Abs(xf))
							v := max(xf, 0) + math.Log1p(t)
							d := t / (1 + t) // σ(x) for x < 0
							if xf > 0 {
								d = 1 - t/(1+t)
							} else if xf == 0 {
								d = 0
							}
							sum += v
							if v > 0 {
								kept++
							}
							gap += d
							dst[j] -= T(d)
							continue
						}
						k := 0
						if x > 0 {
							k = 1
						}
						sum += float64(k) * float64(x)
						kept += float64(k)
						gap += float64(k)
						dst[j] -= T(k)
					}
					ga[p] += T(gap)
				}
				sums.sum[a], sums.count[a] = sum, kept
				triplets[a] = float64(len(rows)-1) * float64(len(negJ))
			}
		}
	})
}

// tripletWork holds one worker's buffers for tripletWork.row.
type tripletWork[T hostFloat] struct {
	posV, negV []T       // the row's positives' and negatives' values e = sign·mat
	posJ, negJ []int32   // and their columns
	piv        []T       // the pivots' values, sorted ascending
	pre        []float64 // pre[r] = Σ piv[:r]
	hist       []int32   // hist[k]: how many elements of the other side have search result k
}

// row processes anchor i: it returns the sum of x over its kept triplets (float64), their number and
// the number of its triplets |P(i)|·|N(i)|, and writes into g each column's signed count: +#kept
// triplets for a positive, −#kept for a negative, 0 elsewhere.
//
// With e = sign·mat, a triplet is kept when (e_p − e_n) + m > 0 (in T's arithmetic, which is monotone:
// kept is nondecreasing in e_p and nonincreasing in e_n), so against the sorted pivots (the smaller
// side) the kept ones are a suffix (pivots = positives) or a prefix (pivots = negatives), found by
// binary search for each element of the other side. The search results' histogram, accumulated, gives
// each pivot its count, read at the rank of its value: ties share a count, since a search result
// never falls inside a run of equal values.
func (w *tripletWork[T]) row(row, g []T, i int, labels []int64, sign, m T) (sum, kept, triplets float64) {
	li := labels[i]
	posV, negV, posJ, negJ := w.posV[:0], w.negV[:0], w.posJ[:0], w.negJ[:0]
	for j, v := range row {
		if labels[j] == li {
			if j != i {
				posV, posJ = append(posV, sign*v), append(posJ, int32(j))
			}
		} else {
			negV, negJ = append(negV, sign*v), append(negJ, int32(j))
		}
	}
	w.posV, w.negV, w.posJ, w.negJ = posV, negV, posJ, negJ
	clear(g)
	if len(posV) == 0 || len(negV) == 0 {
		return 0, 0, 0
	}
	pivPos := len(posV) <= len(negV) // the pivots are the positives
	pivV, pivJ, othV, othJ := posV, posJ, negV, negJ
	if !pivPos {
		pivV, pivJ, othV, othJ = negV, negJ, posV, posJ
	}
	k := len(pivV)
	piv := append(w.piv[:0], pivV...)
	slices.Sort(piv)
	w.piv = piv
	w.pre = slices.Grow(w.pre[:0], k+1)[:k+1]
	w.hist = slices.Grow(w.hist[:0], k+1)[:k+1]
	pre, hist := w.pre, w.hist
	clear(hist)
	pre[0] = 0
	for r, v := range piv {
		pre[r+1] = pre[r] + float64(v)
	}
	var nKept int
	if k == 1 && pivPos {
		// One positive (two samples per class): a branch-free pass over the negatives.
		p, fp, fm := piv[0], pre[1], float64(m)
		for t, e := range othV {
			c := 0
			if (p-e)+m > 0 {
				c = 1
			}
			sum += float64(c) * (fp - (float64(e) - fm))
			nKept += c
			g[othJ[t]] = T(-c)
		}
		g[pivJ[0]] = T(nKept)
		return sum, float64(nKept), float64(len(negV))
	}
	if pivPos {
		// e is a negative; kept pivots p: (p − e) + m > 0, a suffix [lo, k).
		for t, e := range othV {
			lo := 0
			if k <= linearPivots {
				for _, p := range piv {
					if !((p-e)+m > 0) {
						lo++
					}
				}
			} else {
				// Branch-free search: the first kept index lies in [lo, lo+w].
				for w := k; w > 1; {
					half := w >> 1
					if !((piv[lo+half]-e)+m > 0) {
						lo += half
					}
					w -= half
				}
				if !((piv[lo]-e)+m > 0) {
					lo++
				}
			}
			hist[lo]++
			if c := k - lo; c > 0 {
				sum += (pre[k] - pre[lo]) - float64(c)*(float64(e)-float64(m))
				nKept += c
				g[othJ[t]] = T(-c)
			}
		}
		// Positive at rank r: #{negatives whose suffix starts at or before r}.
		acc := int32(0)
		for r := range hist {
			acc += hist[r]
			hist[r] = acc
		}
		for t, e := range pivV {
			g[pivJ[t]] = T(hist[lowerBound(piv, e)])
		}
	} else {
		// e is a positive; kept pivots n: (e − n) + m > 0, a prefix [0, lo).
		for t, e := range othV {
			lo := 0
			if k <= linearPivots {
				for _, n := range piv {
					if (e-n)+m > 0 {
						lo++
					}
				}
			} else {
				// Branch-free search: the first index not kept lies in [lo, lo+w].
				for w := k; w > 1; {
					half := w >> 1
					if (e-piv[lo+half])+m > 0 {
						lo += half
					}
					w -= half
				}
				if (e-piv[lo])+m > 0 {
					lo++
				}
			}
			hist[lo]++
			if lo > 0 {
				sum += float64(lo)*(float64(e)+float64(m)) - pre[lo]
				nKept += lo
				g[othJ[t]] = T(lo)
			}
		}
		// Negative at rank r: −#{positives whose prefix extends past r}.
		acc := int32(0)
		for r := k; r >= 0; r-- {
			v := hist[r]
			hist[r] = acc
			acc += v
		}
		for t, e := range pivV {
			g[pivJ[t]] = -T(hist[lowerBound(piv, e)])
		}
	}
	return sum, float64(nKept), float64(len(posV)) * float64(len(negV))
}

// linearPivots is the number of pivots up to which tripletWork.row counts the kept ones by a linear
// scan (monotone predicate: the count is the search result) rather than a binary search.
const linearPivots = 8

// lowerBound returns the first index r of the ascending s with s[r] ≥ v (len(s) if none).
func lowerBound[T hostFloat](s []T, v T) int {
	lo, hi := 0, len(s)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s[mid] < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// hostSettings returns the distance of the host path, or why it does not cover l.
func (l *Margin) hostSettings() (hostDistance, error) {
	if l.LearnBeta {
		return hostDistance{}, fmt.Errorf("host loss engine: MarginLoss with LearnBeta is not supported (β is not a HostParametricLoss parameter)")
	}
	if l.EmbeddingRegularizer != nil {
		return hostDistance{}, fmt.Errorf("host loss engine: embedding regularizers are not supported")
	}
	if _, ok := reducers.ReducerFor(l.Reducer, "margin_loss").(reducers.DivisorReducer); !ok {
		return hostDistance{}, fmt.Errorf("host loss engine: MarginLoss needs its DivisorReducer, got %T", l.Reducer)
	}
	return hostDistanceOf(l.Distance)
}

// HostCheck implements HostLoss: the fixed β (LearnBeta false), DivisorReducer, a distance the
// engine supports, no regularizer.
func (l *Margin) HostCheck() error {
	_, err := l.hostSettings()
	return err
}

// HostCompute implements HostLoss.
func (l *Margin) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := l.hostSettings()
	if err != nil {
		return HostResult{}, err
	}
	return hostCompute(hd, in, marginKernel[float32](l.Margin, l.Beta, hd), marginKernel[float64](l.Margin, l.Beta, hd))
}

// marginKernel: per anchor, Σ_p |N(a)|·relu(sign·(mat_ap − β) + margin) + Σ_n |P(a)|·relu(sign·(β −
// mat_an) + margin), summed and divided by the number of positive parts over the triplets
// (Σ_a |N(a)|·#{p active} + |P(a)|·#{n active}); 0 without triplets.
func marginKernel[T hostFloat](margin, beta float64, hd hostDistance) pairKernel[T] {
	sign := T(hostSign(hd.inverted()))
	m, b := T(margin), T(beta)
	return func(mat, grad []T, n int, labels []int64) float64 {
		sums := newRowSums(n)
		counts := make([][2]float64, n) // |P(i)|, |N(i)|
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				li := labels[i]
				var nPos, nNeg, actP, actN, sumP, sumN float64
				for j, v := range row {
					switch {
					case j == i:
						g[j] = 0
					case labels[j] == li:
						nPos++
						if x := sign*(v-b) + m; x > 0 {
							actP, sumP = actP+1, sumP+float64(x)
							g[j] = 1
						} else {
							g[j] = 0
						}
					default:
						nNeg++
						if x := sign*(b-v) + m; x > 0 {
							actN, sumN = actN+1, sumN+float64(x)
							g[j] = -1
						} else {
							g[j] = 0
						}
					}
				}
				counts[i] = [2]float64{nPos, nNeg}
				sums.sum[i] = nNeg*sumP + nPos*sumN
				sums.count[i] = nNeg*actP + nPos*actN
			}
		})
		sum, divisor := sums.total()
		var triplets float64
		for _, c := range counts {
			triplets += c[0] * c[1]
		}
		if triplets == 0 || divisor == 0 {
			clear(grad)
			return 0
		}
		s := float64(sign) / divisor
		parallelRows(n, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				gp, gn := T(counts[i][1]*s), T(counts[i][0]*s)
				for j, v := range grad[i*n : (i+1)*n] {
					switch {
					case v > 0:
						grad[i*n+j] = gp
					case v < 0:
						grad[i*n+j] = -gn
					}
				}
			}
		})
		return sum / divisor
	}
}

// hostSettings returns the distance of the host path, or why it does not cover l.
func (l *Histogram) hostSettings() (hostDistance, error) {
	if l.NBins < 1 {
		return hostDistance{}, fmt.Errorf("HistogramLoss: NBins must be >= 1, got %d", l.NBins)
	}
	hd, err := hostCheckOptions(&l.Options, reducers.MeanReducer{})
	if err != nil {
		return hd, err
	}
	if hd.metric != metricDot || !hd.normalize {
		return hd, fmt.Errorf("HistogramLoss: the distance must be a similarity in [-1, 1] (CosineSimilarity, or normalized DotProductSimilarity, power 1), got %s", l.Distance)
	}
	return hd, nil
}

// HostCheck implements HostLoss: CosineSimilarity or normalized DotProductSimilarity (power 1), its
// default reducer (the loss is already reduced), no regularizer.
func (l *Histogram) HostCheck() error {
	_, err := l.hostSettings()
	return err
}

// HostCompute implements HostLoss.
func (l *Histogram) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := l.hostSettings()
	if err != nil {
		return HostResult{}, err
	}
	return hostCompute(hd, in, histogramKernel[float32](l.NBins), histogramKernel[float64](l.NBins))
}

// histogramKernel: the unordered positive pairs {i, j} (i < j, same label, i or j with a negative)
// and negative pairs (i < j, different labels, i or j with a positive), each with the value mat[i, j],
// are spread over the NBins+1 nodes by linear interpolation into densities p⁺ and p⁻ (each divided by
// its number of pairs); L = Σ_r p⁻(r)·φ(r), φ = cumsum p⁺. With ψ(r) = Σ_{r' ≥ r} p⁻(r'), a positive
// pair in bin r* gets dL/ds = (ψ(r*+1) − ψ(r*))/(Δ·#pos) and a negative one (φ(r*+1) − φ(r*))/(Δ·#neg).
// 0 without triplets.
func histogramKernel[T hostFloat](nBins int) pairKernel[T] {
	delta := 2 / float64(nBins)
	bin := func(s T) (r int, up float64) {
		scaled := float64((s + 1) / T(delta))
		rs := math.Min(math.Max(math.Floor(scaled), 0), float64(nBins-1))
		return int(rs), scaled - rs
	}
	return func(mat, grad []T, n int, labels []int64) float64 {
		nPos, nNeg := sideCounts(labels)
		var triplets float64
		for i := range n {
			triplets += nPos[i] * nNeg[i]
		}
		clear(grad)
		if triplets == 0 {
			return 0
		}
		nodes := nBins + 1
		// Each range of rows has its own densities, added in row order (deterministic).
		type partial struct {
			lo       int
			dp, dn   []float64
			cpo, cne float64
		}
		var parts []partial
		var mu sync.Mutex
		parallelRows((n+1)/2, 2*n, func(lo, hi int) {
			dp, dn := make([]float64, nodes), make([]float64, nodes)
			var cp, cn float64
			for i := range balancedRows(lo, hi, n) {
				for j := i + 1; j < n; j++ {
					var d []float64
					switch {
					case labels[j] == labels[i]:
						if nNeg[i] == 0 && nNeg[j] == 0 {
							continue
						}
						d, cp = dp, cp+1
					default:
						if nPos[i] == 0 && nPos[j] == 0 {
							continue
						}
						d, cn = dn, cn+1
					}
					r, up := bin(mat[i*n+j])
					d[r+1] += up
					d[r] += 1 - up
				}
			}
			mu.Lock()
			parts = append(parts, partial{lo, dp, dn, cp, cn})
			mu.Unlock()
		})
		slices.SortFunc(parts, func(a, b partial) int { return a.lo - b.lo })
		pPos, pNeg := make([]float64, nodes), make([]float64, nodes)
		var cPos, cNeg float64
		for _, p := range parts {
			for r := range nodes {
				pPos[r] += p.dp[r]
				pNeg[r] += p.dn[r]
			}
			cPos, cNeg = cPos+p.cpo, cNeg+p.cne
		}
		for r := range nodes {
			if cPos > 0 {
				pPos[r] /= cPos
			}
			if cNeg > 0 {
				pNeg[r] /= cNeg
			}
		}
		phi, psi := make([]float64, nodes), make([]float64, nodes)
		var loss, acc float64
		for r := range nodes {
			acc += pPos[r]
			phi[r] = acc
			loss += pNeg[r] * acc
		}
		acc = 0
		for r := nodes - 1; r >= 0; r-- {
			acc += pNeg[r]
			psi[r] = acc
		}
		// dL/ds per bin, for a positive and for a negative pair.
		gPos, gNeg := make([]float64, nBins), make([]float64, nBins)
		for r := range nBins {
			if cPos > 0 {
				gPos[r] = (psi[r+1] - psi[r]) / (delta * cPos)
			}
			if cNeg > 0 {
				gNeg[r] = (phi[r+1] - phi[r]) / (delta * cNeg)
			}
		}
		parallelRows((n+1)/2, 2*n, func(lo, hi int) {
			for i := range balancedRows(lo, hi, n) {
				for j := i + 1; j < n; j++ {
					var gb []float64
					switch {
					case labels[j] == labels[i]:
						if nNeg[i] == 0 && nNeg[j] == 0 {
							continue
						}
						gb = gPos
					default:
						if nPos[i] == 0 && nPos[j] == 0 {
							continue
						}
						gb = gNeg
					}
					r, _ := bin(mat[i*n+j])
					grad[i*n+j] = T(gb[r])
				}
			}
		})
		return loss
	}
}

// sideCounts returns each sample's numbers of positives (the other samples with its label) and of
// negatives.
func sideCounts(labels []int64) (nPos, nNeg []float64) {
	count := make(map[int64]int, len(labels))
	for _, l := range labels {
		count[l]++
	}
	nPos, nNeg = make([]float64, len(labels)), make([]float64, len(labels))
	for i, l := range labels {
		nPos[i], nNeg[i] = float64(count[l]-1), float64(len(labels)-count[l])
	}
	return nPos, nNeg
}

// balancedRows yields, for the pseudo-rows [lo, hi) of [0, (n+1)/2), the rows r and n−1−r of an
// [n, n] upper triangle: each pseudo-row has n − 1 entries to the right of the diagonal, so that
// parallelRows gives its workers equal work.
func balancedRows(lo, hi, n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for r := lo; r < hi; r++ {
			if !yield(r) {
				return
			}
			if n-1-r != r && !yield(n-1-r) {
				return
			}
		}
	}
}

// hostSettings says why the host path does not cover l, if it does not.
func (l *Angular) hostSettings() error {
	if d, ok := l.Distance.(*distances.LpDistance); !ok || d.P != 2 || d.Power != 1 || !d.NormalizeEmbeddings {
		return fmt.Errorf("AngularLoss: the distance must be LpDistance(p=2, power=1, normalized), got %s", l.Distance)
	}
	if fmt.Sprintf("%T", l.Reducer) != fmt.Sprintf("%T", reducers.MeanReducer{}) {
		return fmt.Errorf("host loss engine: reducer %T is not supported (only %T)", l.Reducer, reducers.MeanReducer{})
	}
	if l.EmbeddingRegularizer != nil {
		return fmt.Errorf("host loss engine: embedding regularizers are not supported")
	}
	return nil
}

// HostCheck implements HostLoss: the required distance, MeanReducer, no regularizer; raw (PML) or
// normalized negatives.
func (l *Angular) HostCheck() error { return l.hostSettings() }

// HostCompute implements HostLoss. The engine gives the kernel the cosine similarities S = x̂·x̂ᵀ;
// with raw negatives the logits use x̂_a·x_n = S_an·‖x_n‖, so the kernel also returns the gradient
// with respect to the norms ‖x_n‖, added here to the embeddings' gradient (d‖x_n‖/dx_n = x̂_n).
func (l *Angular) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.hostSettings(); err != nil {
		return HostResult{}, err
	}
	if in.Embeddings == nil || in.Embeddings.Rank() != 2 {
		return HostResult{}, fmt.Errorf("host loss engine: embeddings must be [N, D]")
	}
	n, d := in.Embeddings.Shape().Dimensions[0], in.Embeddings.Shape().Dimensions[1]
	var x []float64
	switch in.Embeddings.DType() {
	case dtypes.Float32:
		tensors.ConstFlatData(in.Embeddings, func(v []float32) {
			x = make([]float64, len(v))
			for i, f := range v {
				x[i] = float64(f)
			}
		})
	case dtypes.Float64:
		tensors.ConstFlatData(in.Embeddings, func(v []float64) { x = slices.Clone(v) })
	default:
		return HostResult{}, fmt.Errorf("host loss engine: embeddings must be float32 or float64, got %s", in.Embeddings.DType())
	}
	// The norms as the engine computes them (max(‖x‖, 1e-12)).
	norms := make([]float64, n)
	for i := range n {
		var s float64
		for _, v := range x[i*d : (i+1)*d] {
			s += v * v
		}
		norms[i] = math.Max(math.Sqrt(s), 1e-12)
	}
	t := math.Pow(math.Tan(l.Alpha*math.Pi/180), 2)
	c, k := 4*t, 2*(1+t)
	var nu []float64 // the negatives' scale: ‖x_n‖ (raw) or nil (normalized)
	if l.RawNegatives {
		nu = norms
	}
	dNu := make([]float64, n)
	hd := hostDistance{metric: metricDot, normalize: true}
	res, err := hostCompute(hd, in, angularKernel[float32](c, k, nu, dNu), angularKernel[float64](c, k, nu, dNu))
	if err != nil || nu == nil {
		return res, err
	}
	// d‖x_n‖/dx_n = x_n/‖x_n‖ (no gradient below the clamp).
	add := func(i int, f func(j int, v float64)) {
		if norms[i] <= 1e-12 || dNu[i] == 0 {
			return
		}
		s := dNu[i] / norms[i]
		for j := range d {
			f(j, s*x[i*d+j])
		}
	}
	switch g := res.Gradient; g.DType() {
	case dtypes.Float32:
		v := resultData[float32](g)
		for i := range n {
			add(i, func(j int, a float64) { v[i*d+j] = float32(float64(v[i*d+j]) + a) })
		}
	case dtypes.Float64:
		v := resultData[float64](g)
		for i := range n {
			add(i, func(j int, a float64) { v[i*d+j] += a })
		}
	}
	return res, nil
}

// angularKernel: mat is S = x̂·x̂ᵀ. For each positive pair (a, p) (ordered, a ≠ p),
// z_ap = LSE_{n ∈ N(a)} c·(R_an + R_pn) − k·S_ap with R_an = S_an·ν_n (raw negatives; S_an when nu
// is nil), loss softplus(z_ap) (0 when a has no negative), averaged over all positive pairs; 0
// unless the batch has a positive and a negative pair. N(a) = N(p) (same label), so z_ap = z_pa and
// each row owns its whole gradient: with g = σ(z_ap)/#pairs and w the softmax of the logits over
// N(a), dR_an = 2c·Σ_p g_ap·w_apn (as anchor and as positive) and dS_ap = −k·g_ap (the engine adds
// the transpose). With raw negatives, dS_an = dR_an·ν_n and dν_n = Σ_a dR_an·S_an, returned in dNu.
// O(N·M·K) time (K = the largest number of positives of an anchor), O(N·M) memory.
func angularKernel[T hostFloat](c, k float64, nu, dNu []float64) pairKernel[T] {
	return func(mat, grad []T, n int, labels []int64) float64 {
		var pairs, negs float64
		nPos, nNeg := sideCounts(labels)
		for i := range n {
			pairs, negs = pairs+nPos[i], negs+nNeg[i]
		}
		clear(grad)
		clear(dNu)
		if pairs == 0 || negs == 0 {
			return 0
		}
		// cnu[j] = c·ν_j: logit_apj = S_aj·cnu[j] + S_pj·cnu[j].
		cnu := make([]float64, n)
		for j := range cnu {
			cnu[j] = c
			if nu != nil {
				cnu[j] = c * nu[j]
			}
		}
		rowLoss := make([]float64, n)
		// Classes with more than angularLoopK positives per anchor: the product route.
		members := make(map[int64][]int)
		var order []int64
		for i, l := range labels {
			if members[l] == nil {
				order = append(order, l)
			}
			members[l] = append(members[l], i)
		}
		done := make([]bool, n)
		for _, l := range order {
			rows := members[l]
			if len(rows)-1 > angularLoopK && nNeg[rows[0]] > 0 &&
				angularProduct(mat, grad, n, rows, l, labels, cnu, c, k, pairs, nu != nil, rowLoss, dNu) {
				for _, i := range rows {
					done[i] = true
				}
			}
		}
		type partial struct {
			lo  int
			dNu []float64
		}
		var parts []partial
		var mu sync.Mutex
		parallelRows(n, n, func(lo, hi int) {
			var posJ []int
			// Dense rows over all columns; the columns that are not negatives of the row have
			// a = −Inf, so that their exponentials are 0.
			a, e, acc := make([]float64, n), make([]float64, n), make([]float64, n)
			var part []float64
			if nu != nil {
				part = make([]float64, n)
			}
			for i := lo; i < hi; i++ {
				if nPos[i] == 0 || nNeg[i] == 0 || done[i] {
					continue
				}
				row, g := mat[i*n:(i+1)*n], grad[i*n:(i+1)*n]
				posJ = posJ[:0]
				li := labels[i]
				for j, v := range row {
					if labels[j] == li {
						a[j] = math.Inf(-1)
						if j != i {
							posJ = append(posJ, j)
						}
					} else {
						a[j] = float64(v) * cnu[j]
					}
				}
				clear(acc)
				var loss float64
				for _, p := range posJ {
					rp := mat[p*n : (p+1)*n]
					mx := math.Inf(-1)
					for j, v := range rp[:len(a)] {
						x := a[j] + float64(v)*cnu[j]
						e[j] = x
						if x > mx {
							mx = x
						}
					}
					for j := range e {
						e[j] -= mx
					}
					fastmath.ExpInPlace(e)
					var s float64
					for _, ev := range e {
						s += ev
					}
					z := mx + math.Log(s) - k*float64(row[p])
					loss += max(z, 0) + math.Log1p(fastmath.Exp(-math.Abs(z)))
					gz := 1 / (1 + fastmath.Exp(-z)) / pairs
					g[p] = T(-k * gz)
					f := 2 * gz / s
					for j, ev := range e[:len(acc)] {
						acc[j] += f * ev
					}
				}
				rowLoss[i] = loss
				// dR_aj = c·acc_j; dS_aj = dR_aj·ν_j = acc_j·cnu_j; dν_j += dR_aj·S_aj.
				for j, v := range acc[:len(row)] {
					if v == 0 {
						continue
					}
					g[j] = T(v * cnu[j])
					if part != nil {
						part[j] += c * v * float64(row[j])
					}
				}
			}
			if part != nil {
				mu.Lock()
				parts = append(parts, partial{lo, part})
				mu.Unlock()
			}
		})
		slices.SortFunc(parts, func(a, b partial) int { return a.lo - b.lo })
		for _, p := range parts {
			for j, v := range p.dNu {
				dNu[j] += v
			}
		}
		var loss float64
		for _, v := range rowLoss {
			loss += v
		}
		return loss / pairs
	}
}

// angularLoopK is the number of positives per anchor above which Angular's kernel takes the product
// route for a class.
const angularLoopK = 16

// angularProduct computes Angular's rows of one class (rows, label li; each has a negative) by matrix
// products, in float64: with E_aj = e^{cR_aj − α_a} over the class's negatives (0 on its own columns;
// α_a the row's maximum), the sum over the negatives of a positive pair is G = E·Eᵀ (shifted by
// α_a + α_p, since N(a) = N(p)), and the gradient's Σ_p g_ap·w_apn is E_an·(H·E)_an with
// H_ap = g_ap/G_ap: O(m²·N) multiply-adds in the GEMM kernels for a class of m, and O(m·N) memory,
// where the loop route evaluates m²·N exponentials. It returns false, having written nothing the loop
// route does not overwrite, when a pair's sum underflows (an exponent spread beyond float64's range),
// so that the caller takes the loop route for the class. The rows' losses go to rowLoss, their
// gradients to grad (as the loop route), the norms' gradient is added to dNu when raw.
func angularProduct[T hostFloat](mat, grad []T, n int, rows []int, li int64, labels []int64, cnu []float64, c, k, pairs float64, raw bool, rowLoss, dNu []float64) bool {
	m := len(rows)
	e := make([]float64, m*n)
	alpha := make([]float64, m)
	parallelRows(m, n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row, er := mat[rows[r]*n:(rows[r]+1)*n], e[r*n:(r+1)*n]
			mx := math.Inf(-1)
			for j, v := range row {
				if labels[j] == li {
					er[j] = math.Inf(-1)
				} else {
					x := float64(v) * cnu[j]
					er[j] = x
					if x > mx {
						mx = x
					}
				}
			}
			alpha[r] = mx
			for j := range er {
				er[j] -= mx
			}
			fastmath.ExpInPlace(er)
		}
	})
	g := make([]float64, m*m)
	gemm.MatMulT64(false, true, 1, 0, e, e, 1, m, m, n, g)
	for r := range m {
		for q := range m {
			if q != r && !(g[r*m+q] > 1e-250) {
				return false
			}
		}
	}
	h := make([]float64, m*m) // H_ap = 2·g_ap/G_ap (0 on the diagonal)
	parallelRows(m, m, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			a := rows[r]
			var loss float64
			for q, p := range rows {
				if q == r {
					continue
				}
				s := g[r*m+q]
				z := alpha[r] + alpha[q] + math.Log(s) - k*float64(mat[a*n+p])
				loss += max(z, 0) + math.Log1p(fastmath.Exp(-math.Abs(z)))
				gz := 1 / (1 + fastmath.Exp(-z)) / pairs
				grad[a*n+p] = T(-k * gz)
				h[r*m+q] = 2 * gz / s
			}
			rowLoss[a] = loss
		}
	})
	he := make([]float64, m*n)
	gemm.MatMulT64(false, false, 1, 0, h, e, 1, m, n, m, he)
	// acc_aj = E_aj·(H·E)_aj (0 on the class's columns), as the loop route's acc.
	parallelRows(m, n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			a := rows[r]
			gr, er, hr := grad[a*n:(a+1)*n], e[r*n:(r+1)*n], he[r*n:(r+1)*n]
			for j, ev := range er {
				v := ev * hr[j]
				hr[j] = v
				if v != 0 {
					gr[j] = T(v * cnu[j])
				}
			}
		}
	})
	if raw {
		// dν_j += c·Σ_a acc_aj·S_aj, by columns (each worker owns its columns).
		parallelRows(n, m, func(lo, hi int) {
			for r, a := range rows {
				hr, row := he[r*n:(r+1)*n], mat[a*n:(a+1)*n]
				for j := lo; j < hi; j++ {
					dNu[j] += c * hr[j] * float64(row[j])
				}
			}
		})
	}
	return true
}
