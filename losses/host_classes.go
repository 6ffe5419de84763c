package losses

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/fastmath"
	"github.com/gometric/gometric/reducers"
)

// The host engine's kernels of the classification losses (softmax cross entropies over the
// cosines to the class vectors): see HostParametricLoss.

// hostCheckClass checks the settings every host class loss shares: the distance (a cosine, or the
// squared distance of normalized vectors when squared is set), MeanReducer and no regularizer.
func hostCheckClass(o *Options, co *ClassOptions, squared bool) (hostDistance, error) {
	hd, err := hostCheckOptions(o, reducers.MeanReducer{})
	if err != nil {
		return hd, err
	}
	switch {
	case co.WeightRegularizer != nil:
		return hd, errors.New("host loss engine: weight regularizers are not supported")
	case co.NumClasses <= 0 || co.EmbeddingSize <= 0:
		return hd, errors.New("host loss engine: NumClasses and EmbeddingSize must be set")
	case !hd.normalize:
		return hd, fmt.Errorf("host loss engine: distance %v does not normalize", o.Distance)
	case squared && hd.metric != metricL2Sq, !squared && hd.metric != metricDot:
		return hd, fmt.Errorf("host loss engine: distance %v is not supported for this loss", o.Distance)
	}
	return hd, nil
}

// softmaxCEKernel is the cross entropy of the logits z_ij = scale·mat_ij, except the target's,
// z_iy = target(mat_iy) (its value and derivative), averaged over the batch.
func softmaxCEKernel[T hostFloat](scale float64, target func(c float64) (z, dz float64)) classKernel[T] {
	return func(mat, grad []T, n, m int, labels []int64, _ *classNorms) float64 {
		v := make([]float64, n)
		invN := 1 / float64(n)
		parallelRows(n, m, func(lo, hi int) {
			zb := make([]float64, m)
			for i := lo; i < hi; i++ {
				row, g := mat[i*m:(i+1)*m], grad[i*m:(i+1)*m]
				y := int(labels[i])
				zy, dzy := target(float64(row[y]))
				// Any shift at least the largest logit will do: the target's own scale·c included.
				mx := max(zy, maxScaled(row, scale))
				expShiftedRow(zb, row, scale, mx, -1)
				zb[y] = fastmath.Exp(zy - mx)
				s := total(zb)
				v[i] = mx + math.Log(s) - zy
				k := invN / s
				for j, e := range zb {
					g[j] = T(e * k * scale)
				}
				g[y] = T((zb[y]*k - invN) * dzy)
			}
		})
		sum := total(v)
		return sum * invN
	}
}

// HostCheck implements HostLoss.
func (l *ArcFace) HostCheck() error {
	_, err := hostCheckClass(&l.Options, &l.ClassOptions, false)
	return err
}

// HostParameters implements HostParametricLoss: W.
func (l *ArcFace) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "ArcFaceLoss", "W", g, dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses)}
}

// HostCompute implements HostLoss.
func (l *ArcFace) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckClass(&l.Options, &l.ClassOptions, false)
	if err != nil {
		return HostResult{}, err
	}
	return hostClassCompute(hd, classColumns, l.NumClasses, in, arcFaceKernel[float32](l.Margin, l.Scale), arcFaceKernel[float64](l.Margin, l.Scale))
}

// arcFaceKernel: the target logit s·cos(θ + m) (s·(cos θ − m·sin m) beyond π − m), the cosine clamped
// to ±(1 − ε) with a zero gradient outside (see ArcFace).
func arcFaceKernel[T hostFloat](marginDeg, scale float64) classKernel[T] {
	m := marginDeg * math.Pi / 180
	cosM, sinM, eps := math.Cos(m), math.Sin(m), acosEps[T]()
	return softmaxCEKernel[T](scale, func(c float64) (float64, float64) {
		cc, clamped := c, false
		if cc > 1-eps {
			cc, clamped = 1-eps, true
		} else if cc < -1+eps {
			cc, clamped = -1+eps, true
		}
		var z, dz float64
		if cc >= -cosM {
			sinT := math.Sqrt(1 - cc*cc)
			z, dz = cc*cosM-sinT*sinM, cosM+cc/sinT*sinM
		} else {
			z, dz = cc-m*sinM, 1
		}
		if clamped {
			dz = 0
		}
		return scale * z, scale * dz
	})
}

// HostCheck implements HostLoss.
func (l *CosFace) HostCheck() error {
	_, err := hostCheckClass(&l.Options, &l.ClassOptions, false)
	return err
}

// HostParameters implements HostParametricLoss: W.
func (l *CosFace) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "CosFaceLoss", "W", g, dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses)}
}

// HostCompute implements HostLoss.
func (l *CosFace) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckClass(&l.Options, &l.ClassOptions, false)
	if err != nil {
		return HostResult{}, err
	}
	s, margin := l.Scale, l.Margin
	target := func(c float64) (float64, float64) { return s * (c - margin), s }
	return hostClassCompute(hd, classColumns, l.NumClasses, in, softmaxCEKernel[float32](s, target), softmaxCEKernel[float64](s, target))
}

// HostCheck implements HostLoss.
func (l *NormalizedSoftmax) HostCheck() error {
	if d, ok := l.Distance.(*distances.DotProductSimilarity); ok && !d.NormalizeEmbeddings {
		return errors.New("host loss engine: NormalizedSoftmax needs normalized embeddings")
	}
	_, err := hostCheckClass(&l.Options, &l.ClassOptions, false)
	return err
}

// HostParameters implements HostParametricLoss: W.
func (l *NormalizedSoftmax) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "NormalizedSoftmaxLoss", "W", g, dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses)}
}

// HostCompute implements HostLoss. The graph normalizes W's columns and then (as its distance
// does) the rows of Wᵀ again; normalizing a unit vector is the identity with the same projection
// as gradient, so one normalization gives the same values to rounding.
func (l *NormalizedSoftmax) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	s := 1 / l.Temperature
	target := func(c float64) (float64, float64) { return s * c, s }
	return hostClassCompute(hd, classColumns, l.NumClasses, in, softmaxCEKernel[float32](s, target), softmaxCEKernel[float64](s, target))
}

// HostCheck implements HostLoss.
func (l *ProxyNCA) HostCheck() error {
	_, err := hostCheckClass(&l.Options, &l.ClassOptions, true)
	return err
}

// HostParameters implements HostParametricLoss: the proxies.
func (l *ProxyNCA) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "ProxyNCALoss", "proxies", g, dt, normalInit(ctx), l.NumClasses, l.EmbeddingSize)}
}

// HostCompute implements HostLoss: the cross entropy of −SoftmaxScale·d²(x̂, p̂).
func (l *ProxyNCA) HostCompute(in HostInputs) (HostResult, error) {
	hd, err := hostCheckClass(&l.Options, &l.ClassOptions, true)
	if err != nil {
		return HostResult{}, err
	}
	s := -l.SoftmaxScale
	target := func(c float64) (float64, float64) { return s * c, s }
	return hostClassCompute(hd, classRows, l.NumClasses, in, softmaxCEKernel[float32](s, target), softmaxCEKernel[float64](s, target))
}

// HostCheck implements HostLoss.
func (l *ProxyAnchor) HostCheck() error {
	hd, err := hostDistanceOf(l.Distance)
	switch {
	case err != nil:
		return err
	case hd.metric != metricDot || !hd.normalize:
		return fmt.Errorf("host loss engine: ProxyAnchor with %v is not supported (cosine only)", l.Distance)
	case fmt.Sprintf("%T", l.Reducer) != fmt.Sprintf("%T", reducers.DivisorReducer{}):
		return fmt.Errorf("host loss engine: reducer %T is not supported (only DivisorReducer)", l.Reducer)
	case l.EmbeddingRegularizer != nil || l.WeightRegularizer != nil:
		return errors.New("host loss engine: regularizers are not supported")
	case l.NumClasses <= 0 || l.EmbeddingSize <= 0:
		return errors.New("host loss engine: NumClasses and EmbeddingSize must be set")
	}
	return nil
}

// HostParameters implements HostParametricLoss: the proxies.
func (l *ProxyAnchor) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "ProxyAnchorLoss", "proxies", g, dt, kaimingNormalFanOutInit(ctx), l.NumClasses, l.EmbeddingSize)}
}

// HostCompute implements HostLoss.
func (l *ProxyAnchor) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	return hostClassCompute(hd, classRows, l.NumClasses, in, proxyAnchorKernel[float32](l.Alpha, l.Margin), proxyAnchorKernel[float64](l.Alpha, l.Margin))
}

// proxyAnchorKernel: per proxy (column) c, pos_c = log(1 + Σ_{y_i=c} e^{−α(s_ic−δ)}) and
// neg_c = log(1 + Σ_{y_i≠c} e^{α(s_ic+δ)}); the loss is Σ pos_c / (proxies with a positive) +
// Σ neg_c / C. Each sum is shifted by max(0, max exponent) so that nothing overflows.
func proxyAnchorKernel[T hostFloat](alpha, delta float64) classKernel[T] {
	return func(mat, grad []T, n, m int, labels []int64, _ *classNorms) float64 {
		posMax, negMax := make([]float64, m), make([]float64, m)
		posSum, negSum, hasPos := make([]float64, m), make([]float64, m), make([]bool, m)
		parallelRows(m, n, func(lo, hi int) {
			for i := range n {
				y := int(labels[i])
				for c, s := range mat[i*m+lo : i*m+hi] {
					c += lo
					if c == y {
						posMax[c], hasPos[c] = max(posMax[c], -alpha*(float64(s)-delta)), true
					} else {
						negMax[c] = max(negMax[c], alpha*(float64(s)+delta))
					}
				}
			}
			for c := lo; c < hi; c++ {
				posSum[c], negSum[c] = fastmath.Exp(-posMax[c]), fastmath.Exp(-negMax[c])
			}
			zb := make([]float64, hi-lo)
			for i := range n {
				y := int(labels[i])
				g := grad[i*m : (i+1)*m]
				for c, s := range mat[i*m+lo : i*m+hi] {
					c += lo
					if c == y {
						zb[c-lo] = -alpha*(float64(s)-delta) - posMax[c]
					} else {
						zb[c-lo] = alpha*(float64(s)+delta) - negMax[c]
					}
				}
				fastmath.ExpInPlace(zb)
				for k, e := range zb {
					c := lo + k
					if c == y {
						posSum[c] += e
					} else {
						negSum[c] += e
					}
					g[c] = T(e)
				}
			}
		})
		withPos := 0.0
		for _, h := range hasPos {
			if h {
				withPos++
			}
		}
		var pos, neg float64
		for c := range m {
			if hasPos[c] {
				pos += posMax[c] + math.Log(posSum[c])
			}
			neg += negMax[c] + math.Log(negSum[c])
		}
		loss := neg / float64(m)
		if withPos > 0 {
			loss += pos / withPos
		}
		cp, cn := make([]float64, m), make([]float64, m)
		for c := range m {
			if withPos > 0 {
				cp[c] = -alpha / (posSum[c] * withPos)
			}
			cn[c] = alpha / (negSum[c] * float64(m))
		}
		parallelRows(n, m, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				y := int(labels[i])
				g := grad[i*m : (i+1)*m]
				for c := range g {
					if c == y {
						g[c] = T(float64(g[c]) * cp[c])
					} else {
						g[c] = T(float64(g[c]) * cn[c])
					}
				}
			}
		})
		return loss
	}
}

// HostCheck implements HostLoss.
func (l *SoftTriple) HostCheck() error {
	if l.CentersPerClass < 1 || !(l.Gamma > 0) {
		return errors.New("host loss engine: SoftTriple needs CentersPerClass >= 1 and Gamma > 0")
	}
	_, err := hostCheckClass(&l.Options, &l.ClassOptions, false)
	return err
}

// HostParameters implements HostParametricLoss: fc.
func (l *SoftTriple) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "SoftTripleLoss", "fc", g, dt, kaimingUniformInit(ctx), l.EmbeddingSize, l.NumClasses*l.CentersPerClass)}
}

// HostCompute implements HostLoss.
func (l *SoftTriple) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	k32 := softTripleKernel[float32](l.CentersPerClass, l.La, l.Gamma, l.Margin)
	k64 := softTripleKernel[float64](l.CentersPerClass, l.La, l.Gamma, l.Margin)
	return hostClassCompute(hd, classColumns, l.NumClasses, in, k32, k64)
}

// softTripleKernel: per sample and class c, S_c = Σ_k w_k·s_ck with w = softmax_k(s_c·/γ); the cross
// entropy of λ·(S − δ·onehot_y), averaged over the batch. dS_c/ds_ck = w_k·(1 + (s_ck − S_c)/γ).
func softTripleKernel[T hostFloat](k int, la, gamma, delta float64) classKernel[T] {
	return func(mat, grad []T, n, m int, labels []int64, _ *classNorms) float64 {
		classes := m / k
		v := make([]float64, n)
		invN := 1 / float64(n)
		parallelRows(n, m, func(lo, hi int) {
			w, sc, z := make([]float64, m), make([]float64, classes), make([]float64, classes)
			for i := lo; i < hi; i++ {
				row, g := mat[i*m:(i+1)*m], grad[i*m:(i+1)*m]
				y := int(labels[i])
				zmax := math.Inf(-1)
				// The exponents of every class's softmax over its centers, in one vectorized pass.
				for c := range classes {
					cs := row[c*k : (c+1)*k]
					mx := math.Inf(-1)
					for _, s := range cs {
						mx = max(mx, float64(s)/gamma)
					}
					for j, s := range cs {
						w[c*k+j] = float64(s)/gamma - mx
					}
				}
				fastmath.ExpInPlace(w)
				for c := range classes {
					cs := row[c*k : (c+1)*k]
					var sum, ws float64
					for j, s := range cs {
						e := w[c*k+j]
						sum += e
						ws += e * float64(s)
					}
					for j := range cs {
						w[c*k+j] /= sum
					}
					sc[c] = ws / sum
					z[c] = la * sc[c]
					if c == y {
						z[c] -= la * delta
					}
					zmax = max(zmax, z[c])
				}
				for c := range classes {
					z[c] -= zmax
				}
				fastmath.ExpInPlace(z)
				s := total(z)
				target := la*(sc[y]-delta) - zmax
				v[i] = math.Log(s) - target
				for c := range classes {
					dz := z[c] / s * invN
					if c == y {
						dz -= invN
					}
					dS := la * dz
					for j := range k {
						x := c*k + j
						g[x] = T(dS * w[x] * (1 + (float64(row[x])-sc[c])/gamma))
					}
				}
			}
		})
		sum := total(v)
		return sum * invN
	}
}

// HostCheck implements HostLoss.
func (l *SubCenterArcFace) HostCheck() error {
	if l.SubCenters < 1 || l.SubCenters > 255 {
		return errors.New("host loss engine: SubCenterArcFace needs 1 to 255 SubCenters")
	}
	_, err := hostCheckClass(&l.Options, &l.ClassOptions, false)
	return err
}

// HostParameters implements HostParametricLoss: W, one column per sub-center.
func (l *SubCenterArcFace) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "SubCenterArcFaceLoss", "W", g, dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses*l.SubCenters)}
}

// HostCompute implements HostLoss: ArcFace on each class's largest sub-center cosine.
func (l *SubCenterArcFace) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(l.Distance)
	k32 := maxOverGroups(l.SubCenters, arcFaceKernel[float32](l.Margin, l.Scale))
	k64 := maxOverGroups(l.SubCenters, arcFaceKernel[float64](l.Margin, l.Scale))
	return hostClassCompute(hd, classColumns, l.NumClasses, in, k32, k64)
}

// maxOverGroups runs inner on the row-wise maxima of consecutive groups of k columns ([N, M/k]) and
// sends each gradient to its group's largest entry (the first of equal ones), the others' 0. The
// pooled matrices come from the engine's buffers and the winners are kept as offsets within their
// groups (a byte each): at N = 1,024 with 512 classes of 3 the int indices and fresh slices were
// 8 MB to zero per step, beside a 6 MB matrix that fits no core's cache.
func maxOverGroups[T hostFloat](k int, inner classKernel[T]) classKernel[T] {
	return func(mat, grad []T, n, m int, labels []int64, norms *classNorms) float64 {
		groups := m / k
		pooled, pooledGrad := getBuffer[T](n*groups), getBuffer[T](n*groups)
		defer putBuffer(pooled)
		defer putBuffer(pooledGrad)
		offset := make([]uint8, n*groups) // k ≤ 255: checked by HostCheck
		parallelRows(n, m, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row := mat[i*m : (i+1)*m]
				pr, or := pooled[i*groups:(i+1)*groups], offset[i*groups:(i+1)*groups]
				for c := range pr {
					group := row[k*c : k*c+k : k*c+k]
					// No branch on the comparison: which entry wins is random, and a mispredicted
					// branch per entry cost more than all the rest of this loop. The running
					// maximum stays in a register (no load that depends on the last comparison).
					best, top := 0, group[0]
					for x := 1; x < len(group); x++ {
						v := group[x]
						gt := 0
						if v > top {
							gt = 1 // a conditional move, not a branch
						}
						best += (x - best) * gt
						top = max(top, v)
					}
					pr[c], or[c] = top, uint8(best)
				}
			}
		})
		loss := inner(pooled, pooledGrad, n, groups, labels, norms)
		parallelRows(n, m, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				clear(grad[i*m : (i+1)*m])
				for c, g := range pooledGrad[i*groups : (i+1)*groups] {
					grad[i*m+k*c+int(offset[i*groups+c])] = g
				}
			}
		})
		return loss
	}
}

// HostCheck implements HostLoss.
func (l *LargeMarginSoftmax) HostCheck() error {
	return hostCheckLMS(&l.Options, &l.ClassOptions, l.Margin)
}

// HostParameters implements HostParametricLoss: W.
func (l *LargeMarginSoftmax) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "LargeMarginSoftmaxLoss", "W", g, dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses)}
}

// HostCompute implements HostLoss.
func (l *LargeMarginSoftmax) HostCompute(in HostInputs) (HostResult, error) {
	return hostComputeLMS(&l.Options, &l.ClassOptions, l.Margin, l.Scale, true, in)
}

// HostCheck implements HostLoss.
func (l *SphereFace) HostCheck() error { return hostCheckLMS(&l.Options, &l.ClassOptions, l.Margin) }

// HostParameters implements HostParametricLoss: W.
func (l *SphereFace) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	return []*graph.Node{l.variable(ctx, "SphereFaceLoss", "W", g, dt, normalInit(ctx), l.EmbeddingSize, l.NumClasses)}
}

// HostCompute implements HostLoss.
func (l *SphereFace) HostCompute(in HostInputs) (HostResult, error) {
	return hostComputeLMS(&l.Options, &l.ClassOptions, l.Margin, l.Scale, false, in)
}

func hostCheckLMS(o *Options, co *ClassOptions, margin float64) error {
	if int(margin) < 1 {
		return fmt.Errorf("host loss engine: Margin must be at least 1, got %g", margin)
	}
	_, err := hostCheckClass(o, co, false)
	return err
}

func hostComputeLMS(o *Options, co *ClassOptions, margin, scale float64, weightNorms bool, in HostInputs) (HostResult, error) {
	if err := hostCheckLMS(o, co, margin); err != nil {
		return HostResult{}, err
	}
	hd, _ := hostDistanceOf(o.Distance)
	m := int(margin)
	return hostClassCompute(hd, classColumns, co.NumClasses, in, lmsKernel[float32](m, scale, weightNorms), lmsKernel[float64](m, scale, weightNorms))
}

// lmsKernel is LargeMarginSoftmax's (and, without the class vectors' lengths, SphereFace's) cross
// entropy of z_ij = scale·ψ_ij·‖x_i‖·‖w_j‖, ψ the cosine except at the target, where it is
// (−1)^k·cos(m·θ) − 2k (see psiMultipleAngle); it also returns the gradients of the lengths.
func lmsKernel[T hostFloat](m int, scale float64, weightNorms bool) classKernel[T] {
	return func(mat, grad []T, n, c int, labels []int64, norms *classNorms) float64 {
		v := make([]float64, n)
		invN := 1 / float64(n)
		colGrad := parallelColumnSums(n, c, func(lo, hi int, gp []float64) {
			z, e := make([]float64, c), make([]float64, c)
			for i := lo; i < hi; i++ {
				row, g := mat[i*c:(i+1)*c], grad[i*c:(i+1)*c]
				y := int(labels[i])
				psiY, dPsiY := psiMultiple(float64(row[y]), m)
				mx := math.Inf(-1)
				for j, cs := range row {
					psi := float64(cs)
					if j == y {
						psi = psiY
					}
					mag := norms.X[i]
					if weightNorms {
						mag *= norms.P[j]
					}
					z[j] = scale * psi * mag
					mx = max(mx, z[j])
				}
				for j := range z {
					e[j] = z[j] - mx
				}
				fastmath.ExpInPlace(e)
				s := total(e)
				v[i] = mx + math.Log(s) - z[y]
				var gx float64
				for j, cs := range row {
					dz := e[j] / s * invN
					psi, dPsi := float64(cs), 1.0
					if j == y {
						dz -= invN
						psi, dPsi = psiY, dPsiY
					}
					wn := 1.0
					if weightNorms {
						wn = norms.P[j]
						gp[j] += dz * scale * psi * norms.X[i]
					}
					g[j] = T(dz * scale * norms.X[i] * wn * dPsi)
					gx += dz * scale * psi * wn
				}
				norms.GX[i] += gx
			}
		})
		if weightNorms {
			for j, g := range colGrad {
				norms.GP[j] += g
			}
		}
		sum := total(v)
		return sum * invN
	}
}

// psiMultiple returns ψ(c) = (−1)^k·cos(m·θ) − 2k for c = cos θ, k the number of j in [1, m] with
// c ≤ cos(jπ/m), and its derivative; cos(m·θ) is Chebyshev's polynomial Σ_n (−1)^n·C(m, 2n)·
// c^(m−2n)·(1 − c²)^n.
func psiMultiple(c float64, m int) (float64, float64) {
	s2 := 1 - c*c
	var val, der float64
	for n := 0; 2*n <= m; n++ {
		coef := math.Pow(-1, float64(n)) * binomial(m, 2*n)
		a := m - 2*n
		val += coef * intPow64(c, a) * intPow64(s2, n)
		d := 0.0
		if a > 0 {
			d += float64(a) * intPow64(c, a-1) * intPow64(s2, n)
		}
		if n > 0 {
			d += intPow64(c, a) * float64(n) * intPow64(s2, n-1) * (-2 * c)
		}
		der += coef * d
	}
	k, sign := 0.0, 1.0
	for j := 1; j <= m; j++ {
		if c <= math.Cos(float64(j)*math.Pi/float64(m)) {
			k, sign = k+1, -sign
		}
	}
	return sign*val - 2*k, sign * der
}

func intPow64(x float64, p int) float64 {
	out := 1.0
	for range p {
		out *= x
	}
	return out
}

// HostCheck implements HostLoss.
func (l *P2SGrad) HostCheck() error {
	switch {
	case l.WeightRegularizer != nil || l.EmbeddingRegularizer != nil:
		return errors.New("host loss engine: regularizers are not supported")
	case l.NumClasses <= 0 || l.EmbeddingSize <= 0:
		return errors.New("host loss engine: NumClasses and EmbeddingSize must be set")
	}
	return nil
}

// HostParameters implements HostParametricLoss: weight.
func (l *P2SGrad) HostParameters(ctx *context.Context, g *graph.Graph, dt dtypes.DType) []*graph.Node {
	init := func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return torchRenormColumns(uniform(ctx, g, shape, 1))
	}
	return []*graph.Node{l.variable(ctx, "P2SGradLoss", "weight", g, dt, init, l.EmbeddingSize, l.NumClasses)}
}

// HostCompute implements HostLoss: the mean over N·C of (clamp(cos, −1, 1) − onehot)², the weight
// renormalized as torch does, its gradient straight through (see P2SGrad).
func (l *P2SGrad) HostCompute(in HostInputs) (HostResult, error) {
	if err := l.HostCheck(); err != nil {
		return HostResult{}, err
	}
	hd := hostDistance{metric: metricDot, normalize: true}
	return hostClassCompute(hd, classColumnsRenorm, l.NumClasses, in, p2sGradKernel[float32](), p2sGradKernel[float64]())
}

func p2sGradKernel[T hostFloat]() classKernel[T] {
	return func(mat, grad []T, n, m int, labels []int64, _ *classNorms) float64 {
		rows := make([]float64, n)
		k := 2 / float64(n*m)
		parallelRows(n, m, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				y := int(labels[i])
				var s float64
				g := grad[i*m : (i+1)*m]
				for j, c := range mat[i*m : (i+1)*m] {
					// (clamp(c, −1, 1) − 0)², the gradient 0 outside the clamp.
					cc, d := float64(c), 0.0
					switch {
					case cc > 1:
						cc = 1
					case cc < -1:
						cc = -1
					default:
						d = k * cc
					}
					s += cc * cc
					g[j] = T(d)
				}
				// The target's term is (c − 1)², not c²: (c−1)² − c² = 1 − 2c.
				cy := min(max(float64(mat[i*m+y]), -1), 1)
				s += 1 - 2*cy
				if c := float64(mat[i*m+y]); c >= -1 && c <= 1 {
					g[y] = T(k * (cy - 1))
				}
				rows[i] = s
			}
		})
		return total(rows) / float64(n*m)
	}
}
