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
	}
}

// TestHostMatchesGraph compares the host engine's loss and embedding gradient with the graph path's
// (GoMLX's automatic differentiation), float64 and float32, on batches with several label layouts.
func TestHostMatchesGraph(t *testing.T) {
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
					l := tc.loss()
					h, err := losses.Host(l)
					if err != nil {
						t.Fatalf("no host path: %v", err)
					}
					wantLoss, wantGrad := graphLossAndGradient(t, l, e, labels)
					got, err := h.HostCompute(losses.HostInputs{Embeddings: tensors.FromAnyValue(e), Labels: tensors.FromValue(labels)})
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
					if scale == 0 {
						t.Fatalf("graph gradient is zero: the case checks nothing")
					}
					if i, j, bad := firstDiff(gotGrad, wantGrad, tol*scale); bad {
						t.Errorf("gradient[%d][%d]: host %.10g, graph %.10g (max |g| %.3g)", i, j, gotGrad[i][j], wantGrad[i][j], scale)
					}
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
		{"SNR distance", losses.NewSNRContrastive()},
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
		{"no host path", losses.NewTripletMargin()},
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
