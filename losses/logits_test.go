package losses_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// Plain float64 helpers of the reference formulas below.

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func cosine(a, b []float64) float64 { return dot(a, b) / (norm(a) * norm(b)) }

// columns returns the columns of w [D][C] as rows [C][D].
func columns(w [][]float64) [][]float64 {
	out := make([][]float64, len(w[0]))
	for j := range out {
		out[j] = make([]float64, len(w))
		for i := range w {
			out[j][i] = w[i][j]
		}
	}
	return out
}

// perClass returns f(x_i, j) for every embedding i and class j < c.
func perClass(emb [][]float64, c int, f func(x []float64, j int) float64) [][]float64 {
	out := make([][]float64, len(emb))
	for i, x := range emb {
		out[i] = make([]float64, c)
		for j := range c {
			out[i][j] = f(x, j)
		}
	}
	return out
}

// meanCrossEntropy is torch's cross_entropy(logits, labels) with the mean reduction.
func meanCrossEntropy(logits [][]float64, labels []int) float64 {
	total := 0.0
	for i, z := range logits {
		mx := math.Inf(-1)
		for _, v := range z {
			mx = max(mx, v)
		}
		s := 0.0
		for _, v := range z {
			s += math.Exp(v - mx)
		}
		total += mx + math.Log(s) - z[labels[i]]
	}
	return total / float64(len(logits))
}

// TestLogits checks each loss's Logits against PML's get_logits written out in float64 (the
// reference), and against the loss itself: with the margin switched off (or, for ProxyNCA,
// ProxyAnchor and SoftTriple, through their formulas) the loss is a function of the logits alone.
func TestLogits(t *testing.T) {
	const n, d, c, k = 6, 4, 3, 2
	emb := randEmb(21, n, d)
	labels := []int{0, 1, 2, 0, 1, 1}
	w := randEmb(22, d, c)       // [D, C]: W of the LargeMarginSoftmax family.
	wSub := randEmb(23, d, c*k)  // [D, C·K]: SubCenterArcFace's W, SoftTriple's fc.
	proxies := randEmb(24, c, d) // [C, D]
	wCols, subCols := columns(w), columns(wSub)
	tests := []struct {
		name string
		loss losses.LogitsLoss
		// variable and value: the loss's parameter, set before computing.
		variable string
		value    [][]float64
		// want is PML's get_logits.
		want func(x []float64, j int) float64
		// lossOf is the loss computed from the logits (for the settings of loss).
		lossOf func(logits [][]float64) float64
	}{
		{
			name: "LargeMarginSoftmax margin 1", variable: "W", value: w,
			loss: func() losses.LogitsLoss {
				l := losses.NewLargeMarginSoftmax(c, d)
				l.Margin, l.Scale = 1, 1.5
				return l
			}(),
			want: func(x []float64, j int) float64 {
				return 1.5 * norm(wCols[j]) * norm(x) * cosine(x, wCols[j])
			},
			lossOf: func(z [][]float64) float64 { return meanCrossEntropy(z, labels) },
		},
		{
			name: "SphereFace margin 1", variable: "W", value: w,
			loss:   func() losses.LogitsLoss { l := losses.NewSphereFace(c, d); l.Margin, l.Scale = 1, 2; return l }(),
			want:   func(x []float64, j int) float64 { return 2 * norm(x) * cosine(x, wCols[j]) },
			lossOf: func(z [][]float64) float64 { return meanCrossEntropy(z, labels) },
		},
		{
			name: "ArcFace margin 0", variable: "W", value: w,
			loss:   func() losses.LogitsLoss { l := losses.NewArcFace(c, d); l.Margin, l.Scale = 0, 3; return l }(),
			want:   func(x []float64, j int) float64 { return 3 * cosine(x, wCols[j]) },
			lossOf: func(z [][]float64) float64 { return meanCrossEntropy(z, labels) },
		},
		{
			name: "CosFace margin 0", variable: "W", value: w,
			loss:   func() losses.LogitsLoss { l := losses.NewCosFace(c, d); l.Margin, l.Scale = 0, 3; return l }(),
			want:   func(x []float64, j int) float64 { return 3 * cosine(x, wCols[j]) },
			lossOf: func(z [][]float64) float64 { return meanCrossEntropy(z, labels) },
		},
		{
			name: "SubCenterArcFace margin 0", variable: "W", value: wSub,
			loss: func() losses.LogitsLoss {
				l := losses.NewSubCenterArcFace(c, d)
				l.Margin, l.Scale, l.SubCenters = 0, 3, k
				return l
			}(),
			want: func(x []float64, j int) float64 {
				return 3 * max(cosine(x, subCols[j*k]), cosine(x, subCols[j*k+1]))
			},
			lossOf: func(z [][]float64) float64 { return meanCrossEntropy(z, labels) },
		},
		{
			name: "NormalizedSoftmax", variable: "W", value: w,
			loss: func() losses.LogitsLoss { l := losses.NewNormalizedSoftmax(c, d); l.Temperature = 0.5; return l }(),
			want: func(x []float64, j int) float64 {
				xn, wn := norm(x), norm(wCols[j])
				s := 0.0
				for i := range x {
					s += x[i] / xn * wCols[j][i] / wn
				}
				return s / 0.5
			},
			lossOf: func(z [][]float64) float64 { return meanCrossEntropy(z, labels) },
		},
		{
			name: "ProxyNCA", variable: "proxies", value: proxies,
			loss: func() losses.LogitsLoss { l := losses.NewProxyNCA(c, d); l.SoftmaxScale = 2; return l }(),
			want: func(x []float64, j int) float64 {
				// Squared distance between the normalized vectors (LpDistance power 2), not negated.
				xn, pn := norm(x), norm(proxies[j])
				s := 0.0
				for i := range x {
					s += (x[i]/xn - proxies[j][i]/pn) * (x[i]/xn - proxies[j][i]/pn)
				}
				return s
			},
			lossOf: func(z [][]float64) float64 {
				neg := perClass(z, c, func(row []float64, j int) float64 { return -2 * row[j] })
				return meanCrossEntropy(neg, labels)
			},
		},
		{
			name: "ProxyAnchor", variable: "proxies", value: proxies,
			loss: losses.NewProxyAnchor(c, d),
			want: func(x []float64, j int) float64 { return cosine(x, proxies[j]) },
			lossOf: func(z [][]float64) float64 {
				// PML's formula with α = 32, δ = 0.1 and the DivisorReducer.
				pos, neg, withPos := 0.0, 0.0, 0
				for j := range c {
					sp, sn, has := 0.0, 0.0, false
					for i := range z {
						if labels[i] == j {
							sp += math.Exp(-32 * (z[i][j] - 0.1))
							has = true
						} else {
							sn += math.Exp(32 * (z[i][j] + 0.1))
						}
					}
					pos += math.Log1p(sp)
					neg += math.Log1p(sn)
					if has {
						withPos++
					}
				}
				return pos/float64(withPos) + neg/c
			},
		},
		{
			name: "SoftTriple", variable: "fc", value: wSub,
			loss: func() losses.LogitsLoss {
				l := losses.NewSoftTriple(c, d)
				l.CentersPerClass, l.Gamma, l.Margin, l.La = k, 0.5, 0.2, 3
				return l
			}(),
			want: func(x []float64, j int) float64 {
				s0, s1 := cosine(x, subCols[j*k]), cosine(x, subCols[j*k+1])
				e0, e1 := math.Exp(s0/0.5), math.Exp(s1/0.5)
				return (e0*s0 + e1*s1) / (e0 + e1)
			},
			lossOf: func(z [][]float64) float64 {
				m := make([][]float64, len(z))
				for i, row := range z {
					m[i] = make([]float64, c)
					for j := range c {
						m[i][j] = 3 * row[j]
					}
					m[i][labels[i]] -= 3 * 0.2
				}
				return meanCrossEntropy(m, labels)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.New()
			ctx.In(scopeOfLogits(tc.loss)).VariableWithValue(tc.variable, tc.value)
			outs, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
				logits := tc.loss.Logits(ctx, in[0])
				loss := tc.loss.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
				return []*graph.Node{logits, loss}
			}, emb)
			if err != nil {
				t.Fatal(err)
			}
			got := outs[0].([][]float64)
			want := perClass(emb, c, tc.want)
			if len(got) != n || len(got[0]) != c {
				t.Fatalf("logits shape [%d, %d], want [%d, %d]", len(got), len(got[0]), n, c)
			}
			if i, j, bad := firstDiff(got, want, 1e-12); bad {
				t.Errorf("logits[%d][%d] = %.15g, want PML's %.15g", i, j, got[i][j], want[i][j])
			}
			loss, fromLogits := outs[1].(float64), tc.lossOf(got)
			if math.Abs(loss-fromLogits) > 1e-12*math.Abs(fromLogits) {
				t.Errorf("loss %.15g, from the logits %.15g", loss, fromLogits)
			}
		})
	}
}

// scopeOfLogits returns the variable scope of a LogitsLoss.
func scopeOfLogits(l losses.LogitsLoss) string {
	switch x := l.(type) {
	case *losses.LargeMarginSoftmax:
		return x.Scope
	case *losses.SphereFace:
		return x.Scope
	case *losses.ArcFace:
		return x.Scope
	case *losses.CosFace:
		return x.Scope
	case *losses.SubCenterArcFace:
		return x.Scope
	case *losses.NormalizedSoftmax:
		return x.Scope
	case *losses.ProxyNCA:
		return x.Scope
	case *losses.ProxyAnchor:
		return x.Scope
	case *losses.SoftTriple:
		return x.Scope
	}
	panic("scopeOfLogits")
}

// TestLogitsCreatesVariables checks that Logits called first creates the variable ComputeWithContext
// then uses (same scope, name and shape), for every LogitsLoss, in float32 too; and that it rejects
// what ComputeWithContext rejects.
func TestLogitsCreatesVariables(t *testing.T) {
	const n, d, c = 5, 3, 4
	emb := randEmb(31, n, d)
	labels := []int{0, 1, 2, 3, 0}
	all := []losses.LogitsLoss{
		losses.NewLargeMarginSoftmax(c, d), losses.NewSphereFace(c, d), losses.NewArcFace(c, d),
		losses.NewCosFace(c, d), losses.NewSubCenterArcFace(c, d), losses.NewNormalizedSoftmax(c, d),
		losses.NewProxyNCA(c, d), losses.NewProxyAnchor(c, d), losses.NewSoftTriple(c, d),
	}
	for _, l := range all {
		for prec, e := range bothPrecisions(emb) {
			ctx := context.New()
			outs, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
				logits := l.Logits(ctx, in[0])
				loss := l.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
				return []*graph.Node{logits, loss}
			}, e)
			if err != nil {
				t.Errorf("%T %s: %v", l, prec, err)
				continue
			}
			if finite, nonZero := finiteNonZero(outs[0]); !finite || !nonZero {
				t.Errorf("%T %s: logits finite=%v nonzero=%v", l, prec, finite, nonZero)
			}
			var params []string // The loss's variables (the context also holds its RNG state).
			for v := range ctx.IterVariables() {
				if strings.HasPrefix(v.Scope(), "/"+scopeOfLogits(l)) {
					params = append(params, v.ScopeAndName())
				}
			}
			if len(params) != 1 {
				t.Errorf("%T %s: variables %v after Logits and ComputeWithContext, want one", l, prec, params)
			}
		}
	}
	errTests := []struct {
		name string
		loss losses.LogitsLoss
		emb  [][]float64
		want string
	}{
		{"wrong width", losses.NewArcFace(c, d+1), emb, "EmbeddingSize"},
		{"no classes", &losses.CosFace{}, emb, "must be set"},
		{"not cosine", func() losses.LogitsLoss {
			l := losses.NewArcFace(c, d)
			l.Distance = distances.NewLpDistance()
			return l
		}(), emb, "CosineSimilarity"},
		{"softtriple distance", func() losses.LogitsLoss {
			l := losses.NewSoftTriple(c, d)
			l.Distance = distances.NewLpDistance()
			return l
		}(), emb, "similarity"},
		{"normalizedsoftmax distance", func() losses.LogitsLoss {
			l := losses.NewNormalizedSoftmax(c, d)
			l.Distance = distances.NewLpDistance()
			return l
		}(), emb, "DotProductSimilarity"},
		{"subcenters", func() losses.LogitsLoss { l := losses.NewSubCenterArcFace(c, d); l.SubCenters = 0; return l }(), emb, "SubCenters"},
	}
	for _, tc := range errTests {
		_, err := runWithContext(context.New(), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
			return []*graph.Node{tc.loss.Logits(ctx, in[0])}
		}, tc.emb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
