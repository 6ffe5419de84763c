package losses_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/dotgrad"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/reducers"
	"github.com/gometric/gometric/regularizers"
)

// hostCases are the loss settings whose host computation is compared with the graph's: each loss's
// defaults, and the other distances and options the engine supports.
func hostCases() []struct {
	name string
	loss func() losses.Loss
} {
	type c = struct {
		name string
		loss func() losses.Loss
	}
	return []c{
		{"contrastive", func() losses.Loss { return losses.NewContrastive() }},
		{"contrastive margins 0.2/0.8", func() losses.Loss {
			l := losses.NewContrastive()
			l.PosMargin, l.NegMargin = 0.2, 0.8
			return l
		}},
		{"contrastive cosine 0.9/0.4", func() losses.Loss {
			l := losses.NewContrastive()
			l.Distance, l.PosMargin, l.NegMargin = distances.NewCosineSimilarity(), 0.9, 0.4
			return l
		}},
		{"contrastive squared unnormalized L2", func() losses.Loss {
			l := losses.NewContrastive()
			l.Distance = &distances.LpDistance{P: 2, Power: 2}
			l.NegMargin = 30
			return l
		}},
		{"snrcontrastive", func() losses.Loss { return losses.NewSNRContrastive() }},
		{"snrcontrastive unnormalized, ntxent on SNR", func() losses.Loss {
			l := losses.NewNTXent()
			l.Distance = &distances.SNRDistance{Power: 1}
			return l
		}},
		{"supcon", func() losses.Loss { return losses.NewSupCon() }},
		{"supcon L2 τ=0.5", func() losses.Loss {
			l := losses.NewSupCon()
			l.Distance, l.Temperature = distances.NewLpDistance(), 0.5
			return l
		}},
		{"multisimilarity", func() losses.Loss { return losses.NewMultiSimilarity() }},
		{"multisimilarity L2 α=1 β=10 λ=0.8", func() losses.Loss {
			l := losses.NewMultiSimilarity()
			l.Distance, l.Alpha, l.Beta, l.Base = distances.NewLpDistance(), 1, 10, 0.8
			return l
		}},
		{"multisimilarity dot", func() losses.Loss {
			l := losses.NewMultiSimilarity()
			l.Distance, l.Beta = distances.NewDotProductSimilarity(), 5
			return l
		}},
		{"nca", func() losses.Loss { return losses.NewNCA() }},
		{"nca cosine scale 4", func() losses.Loss {
			l := losses.NewNCA()
			l.Distance, l.SoftmaxScale = distances.NewCosineSimilarity(), 4
			return l
		}},
		{"nca unnormalized L2", func() losses.Loss {
			l := losses.NewNCA()
			l.Distance = &distances.LpDistance{P: 2, Power: 1}
			return l
		}},
		{"instance", func() losses.Loss { return losses.NewInstance() }},
		{"multiple contrastive + 0.5 multisimilarity", func() losses.Loss {
			return &losses.MultipleLosses{Losses: []losses.Loss{losses.NewContrastive(), losses.NewMultiSimilarity()}, Weights: []float64{1, 0.5}}
		}},
		{"ntxent", func() losses.Loss { return losses.NewNTXent() }},
		{"ntxent L2 τ=0.5", func() losses.Loss {
			l := losses.NewNTXent()
			l.Distance, l.Temperature = distances.NewLpDistance(), 0.5
			return l
		}},
		{"instance γ=8", func() losses.Loss {
			l := losses.NewInstance()
			l.Gamma = 8
			return l
		}},
		{"tripletmargin", func() losses.Loss { return losses.NewTripletMargin() }},
		{"tripletmargin cosine 0.2", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Distance, l.Margin = distances.NewCosineSimilarity(), 0.2
			return l
		}},
		{"tripletmargin swap", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Swap = true
			return l
		}},
		{"tripletmargin swap cosine 0.3 mean", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Swap, l.Distance, l.Margin, l.Reducer = true, distances.NewCosineSimilarity(), 0.3, reducers.MeanReducer{}
			return l
		}},
		{"tripletmargin smooth", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.SmoothLoss = true
			return l
		}},
		{"tripletmargin squared unnormalized L2 mean", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Distance, l.Margin, l.Reducer = &distances.LpDistance{P: 2, Power: 2}, 5, reducers.MeanReducer{}
			return l
		}},
		{"margin", func() losses.Loss { return losses.NewMargin() }},
		{"margin dot β=0.5", func() losses.Loss {
			l := losses.NewMargin()
			l.Distance, l.Beta, l.Margin = distances.NewDotProductSimilarity(), 0.5, 2
			return l
		}},
		{"histogram", func() losses.Loss { return losses.NewHistogram() }},
		{"histogram 7 bins", func() losses.Loss {
			l := losses.NewHistogram()
			l.NBins = 7
			return l
		}},
		{"angular", func() losses.Loss { return losses.NewAngular() }},
		{"angular normalized negatives α=45", func() losses.Loss {
			l := losses.NewAngular()
			l.RawNegatives, l.Alpha = false, 45
			return l
		}},
		{"circle", func() losses.Loss { return losses.NewCircle() }},
		{"circle dot m=0.25 γ=32", func() losses.Loss {
			l := losses.NewCircle()
			l.Distance, l.M, l.Gamma = distances.NewDotProductSimilarity(), 0.25, 32
			return l
		}},
		{"generalizedlifted", func() losses.Loss { return losses.NewGeneralizedLiftedStructure() }},
		{"generalizedlifted cosine 0.8/0.3", func() losses.Loss {
			l := losses.NewGeneralizedLiftedStructure()
			l.Distance, l.PosMargin, l.NegMargin = distances.NewCosineSimilarity(), 0.8, 0.3
			return l
		}},
		{"intrapairvariance", func() losses.Loss { return losses.NewIntraPairVariance() }},
		{"intrapairvariance L2 ε 0.1/0.05", func() losses.Loss {
			l := losses.NewIntraPairVariance()
			l.Distance, l.PosEps, l.NegEps = distances.NewLpDistance(), 0.1, 0.05
			return l
		}},
		{"npairs", func() losses.Loss { return losses.NewNPairs() }},
		{"npairs L2", func() losses.Loss {
			l := losses.NewNPairs()
			l.Distance = distances.NewLpDistance()
			return l
		}},
		{"rankedlist", func() losses.Loss { return losses.NewRankedList(0.4, 10) }},
		{"rankedlist squared L2 Tp=2 λ=0.3", func() losses.Loss {
			l := losses.NewRankedList(0.5, 5)
			l.Distance, l.Tp, l.Imbalance, l.Alpha = &distances.LpDistance{P: 2, Power: 2, NormalizeEmbeddings: true}, 2, 0.3, 1.8
			return l
		}},
		{"lifted", func() losses.Loss { return losses.NewLiftedStructure() }},
		{"lifted cosine 0.7/0.2", func() losses.Loss {
			l := losses.NewLiftedStructure()
			l.Distance, l.PosMargin, l.NegMargin = distances.NewCosineSimilarity(), 0.7, 0.2
			return l
		}},
		{"tupletmargin", func() losses.Loss { return losses.NewTupletMargin() }},
		{"tupletmargin 10° k=16", func() losses.Loss {
			l := losses.NewTupletMargin()
			l.Margin, l.Scale = 10, 16
			return l
		}},
		{"fastap", func() losses.Loss { return losses.NewFastAP() }},
		{"fastap L2 20 bins", func() losses.Loss {
			l := losses.NewFastAP()
			l.Distance, l.NumBins = distances.NewLpDistance(), 20
			return l
		}},
	}
}

// TestHostMatchesGraph compares the host engine's loss and embedding gradient with the graph path's
// (GoMLX's automatic differentiation), float64 and float32, on batches with several label layouts.
func TestHostMatchesGraph(t *testing.T) {
	defer losses.PoisonBuffers()() // A kernel that reads an entry it did not write fails.
	dotgrad.Install()
	labelSets := map[string]func(n int) []int32{
		"pairs":    func(n int) []int32 { return seqLabels(n, 2) },
		"classes5": func(n int) []int32 { return seqLabels(n, n/5) },
		"singletons": func(n int) []int32 {
			l := seqLabels(n, 2)
			l[n-1] = 1000 // one anchor without positives
			return l
		},
	}
	const n, d = 40, 12
	for _, tc := range hostCases() {
		for lname, labelsOf := range labelSets {
			labels := labelsOf(n)
			emb := randEmb(uint64(len(tc.name)+len(lname)), n, d)
			for prec, e := range bothPrecisions(emb) {
				t.Run(fmt.Sprintf("%s/%s/%s", tc.name, lname, prec), func(t *testing.T) {
					checkHostAgainstGraph(t, tc.loss(), e, labels, prec, false)
				})
			}
		}
	}
}

// TestHostCheck: settings the engine does not cover are refused with a reason, so callers fall back
// to the graph.
func TestHostCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss losses.Loss
	}{
		{"Lp p=1", func() losses.Loss {
			l := losses.NewContrastive()
			l.Distance = &distances.LpDistance{P: 1, Power: 1, NormalizeEmbeddings: true}
			return l
		}()},
		{"SNR distance squared", func() losses.Loss {
			l := losses.NewSNRContrastive()
			l.Distance = &distances.SNRDistance{Power: 2, NormalizeEmbeddings: true}
			return l
		}()},
		{"other reducer", func() losses.Loss {
			l := losses.NewSupCon()
			l.Reducer = reducers.MeanReducer{}
			return l
		}()},
		{"regularizer", func() losses.Loss {
			l := losses.NewNCA()
			l.EmbeddingRegularizer = regularizers.NewLpRegularizer()
			return l
		}()},
		{"instance with a distance", func() losses.Loss {
			l := losses.NewInstance()
			l.Distance = distances.NewLpDistance()
			return l
		}()},
		{"no host path", losses.NewDynamicSoftMargin()},
	} {
		if _, err := losses.Host(tc.loss); err == nil {
			t.Errorf("%s: Host accepted it", tc.name)
		}
	}
}

func seqLabels(n, classes int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i % classes)
	}
	return out
}

// graphLossAndGradient runs l's graph path on emb ([][]float64 or [][]float32) and labels and returns
// the loss and the gradient with respect to the embeddings, as float64.
func graphLossAndGradient(t *testing.T, l losses.Loss, emb any, labels []int32) (float64, [][]float64) {
	t.Helper()
	outs, err := runWithContext(context.New(), func(ctx *context.Context, in []*graph.Node) []*graph.Node {
		v := l.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: in[1]})
		return []*graph.Node{v, graph.Gradient(v, in[0])[0]}
	}, emb, labels)
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	switch v := outs[0].(type) {
	case float32:
		loss = float64(v)
	case float64:
		loss = v
	}
	return loss, asFloat64Matrix(outs[1])
}

func asFloat64Matrix(v any) [][]float64 {
	switch m := v.(type) {
	case [][]float64:
		return m
	case [][]float32:
		out := make([][]float64, len(m))
		for i, r := range m {
			out[i] = make([]float64, len(r))
			for j, x := range r {
				out[i][j] = float64(x)
			}
		}
		return out
	}
	panic(fmt.Sprintf("unexpected %T", v))
}

// TestHostClassLossesMatchGraph compares the host engine's class losses with the graph path: the
// loss, the embeddings' gradient and the class parameters' gradient, float64 and float32.
func TestHostClassLossesMatchGraph(t *testing.T) {
	defer losses.PoisonBuffers()() // A kernel that reads an entry it did not write fails.
	dotgrad.Install()
	const n, d, classes = 36, 10, 6
	type c = struct {
		name string
		loss func() losses.HostParametricLoss
	}
	cases := []c{
		{"arcface", func() losses.HostParametricLoss { return losses.NewArcFace(classes, d) }},
		{"arcface m=60 s=8", func() losses.HostParametricLoss {
			l := losses.NewArcFace(classes, d)
			l.Margin, l.Scale = 60, 8
			return l
		}},
		{"cosface", func() losses.HostParametricLoss { return losses.NewCosFace(classes, d) }},
		{"normalizedsoftmax", func() losses.HostParametricLoss { return losses.NewNormalizedSoftmax(classes, d) }},
		{"normalizedsoftmax cosine τ=0.5", func() losses.HostParametricLoss {
			l := losses.NewNormalizedSoftmax(classes, d)
			l.Distance, l.Temperature = distances.NewCosineSimilarity(), 0.5
			return l
		}},
		{"proxynca", func() losses.HostParametricLoss { return losses.NewProxyNCA(classes, d) }},
		{"proxyanchor", func() losses.HostParametricLoss { return losses.NewProxyAnchor(classes, d) }},
		{"proxyanchor α=4 δ=0.3", func() losses.HostParametricLoss {
			l := losses.NewProxyAnchor(classes+3, d) // three proxies without samples
			l.Alpha, l.Margin = 4, 0.3
			return l
		}},
		{"softtriple", func() losses.HostParametricLoss { return losses.NewSoftTriple(classes, d) }},
		{"softtriple K=3 γ=0.5", func() losses.HostParametricLoss {
			l := losses.NewSoftTriple(classes, d)
			l.CentersPerClass, l.Gamma, l.La, l.Margin = 3, 0.5, 8, 0.2
			return l
		}},
		{"subcenterarcface", func() losses.HostParametricLoss { return losses.NewSubCenterArcFace(classes, d) }},
		{"subcenterarcface K=5 s=10", func() losses.HostParametricLoss {
			l := losses.NewSubCenterArcFace(classes, d)
			l.SubCenters, l.Scale = 5, 10
			return l
		}},
		{"largemarginsoftmax", func() losses.HostParametricLoss { return losses.NewLargeMarginSoftmax(classes, d) }},
		{"largemarginsoftmax m=2 s=3", func() losses.HostParametricLoss {
			l := losses.NewLargeMarginSoftmax(classes, d)
			l.Margin, l.Scale = 2, 3
			return l
		}},
		{"sphereface", func() losses.HostParametricLoss { return losses.NewSphereFace(classes, d) }},
		{"sphereface m=3", func() losses.HostParametricLoss {
			l := losses.NewSphereFace(classes, d)
			l.Margin = 3
			return l
		}},
		{"p2sgrad", func() losses.HostParametricLoss { return losses.NewP2SGrad(classes, d) }},
		{"proxynca scale 3", func() losses.HostParametricLoss {
			l := losses.NewProxyNCA(classes, d)
			l.SoftmaxScale = 3
			return l
		}},
	}
	labels := seqLabels(n, classes)
	for _, tc := range cases {
		emb := randEmb(uint64(len(tc.name)), n, d)
		for prec, e := range bothPrecisions(emb) {
			t.Run(tc.name+"/"+prec, func(t *testing.T) {
				l := tc.loss()
				if _, err := losses.Host(l); err != nil {
					t.Fatalf("no host path: %v", err)
				}
				ctx := context.New()
				if err := ctx.SetRNGStateFromSeed(3); err != nil {
					t.Fatal(err)
				}
				outs, err := runWithContext(ctx, func(ctx *context.Context, in []*graph.Node) []*graph.Node {
					params := l.HostParameters(ctx, in[0].Graph(), in[0].DType())
					v := l.ComputeWithContext(ctx, losses.Inputs{Embeddings: in[0], Labels: in[1]})
					out := []*graph.Node{v, graph.Gradient(v, in[0])[0]}
					out = append(out, ctx.BuildTrainableVariablesGradientsGraph(v)...)
					return append(out, params...)
				}, e, labels)
				if err != nil {
					t.Fatal(err)
				}
				if len(outs) != 4 {
					t.Fatalf("%d outputs", len(outs))
				}
				got, err := l.HostCompute(losses.HostInputs{Embeddings: tensors.FromAnyValue(e), Labels: tensors.FromValue(labels), Params: []*tensors.Tensor{tensors.FromAnyValue(outs[3])}})
				if err != nil {
					t.Fatal(err)
				}
				tol := 1e-9
				if prec == "float32" {
					tol = 3e-4
				}
				wantLoss := asFloat64(outs[0])
				if math.Abs(got.Loss-wantLoss) > tol*math.Max(1, math.Abs(wantLoss)) {
					t.Errorf("loss: host %.10g, graph %.10g", got.Loss, wantLoss)
				}
				for k, pair := range [][2]any{{got.Gradient.Value(), outs[1]}, {got.ParamGradients[0].Value(), outs[2]}} {
					g, w := asFloat64Matrix(pair[0]), asFloat64Matrix(pair[1])
					scale := 0.0
					for _, r := range w {
						for _, v := range r {
							scale = math.Max(scale, math.Abs(v))
						}
					}
					if scale == 0 {
						t.Fatalf("gradient %d is zero in the graph: the case checks nothing", k)
					}
					if i, j, bad := firstDiff(g, w, tol*scale); bad {
						t.Errorf("gradient %d [%d][%d]: host %.10g, graph %.10g (max %.3g)", k, i, j, g[i][j], w[i][j], scale)
					}
				}
			})
		}
	}
}

func asFloat64(v any) float64 {
	switch x := v.(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("unexpected %T", v))
}

// TestHostLargeBatchPaths: a batch large enough for the GEMMs' several row and k blocks (and the
// row passes' several cores) and a small one give the graph's gradient.
func TestHostLargeBatchPaths(t *testing.T) {
	defer losses.PoisonBuffers()() // A kernel that reads an entry it did not write fails.
	dotgrad.Install()
	for _, n := range []int{520, 64} {
		emb := randEmb(uint64(n), n, 8)
		labels := seqLabels(n, n/4)
		for _, l := range []losses.Loss{losses.NewSupCon(), losses.NewNCA()} {
			h, err := losses.Host(l)
			if err != nil {
				t.Fatal(err)
			}
			wantLoss, wantGrad := graphLossAndGradient(t, l, emb, labels)
			got, err := h.HostCompute(losses.HostInputs{Embeddings: tensors.FromValue(emb), Labels: tensors.FromValue(labels)})
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Loss-wantLoss) > 1e-9*math.Abs(wantLoss) {
				t.Errorf("n=%d %T: loss %v, graph %v", n, l, got.Loss, wantLoss)
			}
			if i, j, bad := firstDiff(asFloat64Matrix(got.Gradient.Value()), wantGrad, 1e-9); bad {
				t.Errorf("n=%d %T: gradient differs at [%d][%d]", n, l, i, j)
			}
		}
	}
}

// checkHostAgainstGraph compares l's host loss and embedding gradient with its graph path's on emb
// ([][]float64 or [][]float32, prec names which) and labels: 1e-9 relative in float64, 2e-4 in
// float32, the gradient relative to its largest entry. With zero set, the graph's loss and gradient
// must be 0 (and the host's too); otherwise a zero graph gradient fails the case, which would check
// nothing.
func checkHostAgainstGraph(t *testing.T, l losses.Loss, emb any, labels []int32, prec string, zero bool) {
	t.Helper()
	h, err := losses.Host(l)
	if err != nil {
		t.Fatalf("no host path: %v", err)
	}
	wantLoss, wantGrad := graphLossAndGradient(t, l, emb, labels)
	got, err := h.HostCompute(losses.HostInputs{Embeddings: tensors.FromAnyValue(emb), Labels: tensors.FromValue(labels)})
	if err != nil {
		t.Fatal(err)
	}
	gotGrad := asFloat64Matrix(got.Gradient.Value())
	tol := 1e-9
	if prec == "float32" {
		tol = 2e-4
	}
	if math.Abs(got.Loss-wantLoss) > tol*math.Max(1, math.Abs(wantLoss)) {
		t.Errorf("loss: host %.10g, graph %.10g", got.Loss, wantLoss)
	}
	scale := 0.0
	for _, r := range wantGrad {
		for _, v := range r {
			scale = math.Max(scale, math.Abs(v))
		}
	}
	switch {
	case zero && (wantLoss != 0 || scale != 0):
		t.Fatalf("graph: loss %g, max |gradient| %g; want 0", wantLoss, scale)
	case zero:
		scale = 1
	case scale == 0:
		t.Fatalf("graph gradient is zero: the case checks nothing")
	}
	if i, j, bad := firstDiff(gotGrad, wantGrad, tol*scale); bad {
		t.Errorf("gradient[%d][%d]: host %.10g, graph %.10g (max |g| %.3g)", i, j, gotGrad[i][j], wantGrad[i][j], scale)
	}
}
