package losses

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
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
	return func(mat, grad []T, n, m int, labels []int64) float64 {
		v := make([]float64, n)
		invN := 1 / float64(n)
		parallelRows(n, m, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row, g := mat[i*m:(i+1)*m], grad[i*m:(i+1)*m]
				y := int(labels[i])
				zy, dzy := target(float64(row[y]))
				mx := zy
				for j, c := range row {
					if j != y {
						mx = max(mx, scale*float64(c))
					}
				}
				var s float64
				for j, c := range row {
					z := scale * float64(c)
					if j == y {
						z = zy
					}
					e := fastExp(z - mx)
					g[j] = T(e)
					s += e
				}
				v[i] = mx + math.Log(s) - zy
				k := invN / s
				for j := range g {
					g[j] = T(float64(g[j]) * k * scale)
				}
				g[y] = T((float64(g[y])/scale - invN) * dzy)
			}
		})
		var sum float64
		for _, x := range v {
			sum += x
		}
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
