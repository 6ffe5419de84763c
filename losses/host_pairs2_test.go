package losses_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/dotgrad"
	"github.com/gometric/gometric/losses"
)

// hostPairs2Losses are the losses of host_pairs2.go, default settings.
var hostPairs2Losses = []string{"circle", "generalizedlifted", "intrapairvariance", "npairs", "rankedlist", "lifted", "tupletmargin", "fastap"}

// TestHostPairs2Edges compares the host engine with the graph path on the label layouts that
// TestHostMatchesGraph leaves out: degenerate batches (one class: no negatives; all distinct: no
// positives; one class and a singleton), where the loss and its gradient may be 0, and a batch large
// enough for the kernels to run on several goroutines (float64, absolute tolerances).
func TestHostPairs2Edges(t *testing.T) {
	defer losses.PoisonBuffers()() // A kernel that reads an entry it did not write fails.
	dotgrad.Install()
	layouts := map[string]struct {
		n      int
		labels func(n int) []int32
	}{
		"one class":       {8, func(n int) []int32 { return make([]int32, n) }},
		"all distinct":    {8, func(n int) []int32 { return seqLabels(n, n) }},
		"class+singleton": {8, func(n int) []int32 { l := make([]int32, n); l[3] = 7; return l }},
		"parallel N=200":  {200, func(n int) []int32 { return seqLabels(n, n/4) }},
	}
	for _, name := range hostPairs2Losses {
		for lname, lay := range layouts {
			t.Run(fmt.Sprintf("%s/%s", name, lname), func(t *testing.T) {
				l, err := losses.ByName(name)
				if err != nil {
					t.Fatal(err)
				}
				h, err := losses.Host(l)
				if err != nil {
					t.Fatalf("no host path: %v", err)
				}
				labels := lay.labels(lay.n)
				emb := randEmb(uint64(len(name)+len(lname)), lay.n, 16)
				wantLoss, wantGrad := graphLossAndGradient(t, l, emb, labels)
				got, err := h.HostCompute(losses.HostInputs{Embeddings: tensors.FromValue(emb), Labels: tensors.FromValue(labels)})
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got.Loss-wantLoss) > 1e-9*math.Max(1, math.Abs(wantLoss)) {
					t.Errorf("loss: host %.10g, graph %.10g", got.Loss, wantLoss)
				}
				if i, j, bad := firstDiff(asFloat64Matrix(got.Gradient.Value()), wantGrad, 1e-9); bad {
					t.Errorf("gradient[%d][%d]: host %.10g, graph %.10g", i, j, asFloat64Matrix(got.Gradient.Value())[i][j], wantGrad[i][j])
				}
			})
		}
	}
}

// TestHostPairs2Check: the settings these kernels do not cover go to the graph.
func TestHostPairs2Check(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss losses.Loss
	}{
		{"circle with a distance", func() losses.Loss {
			l := losses.NewCircle()
			l.Distance = distances.NewLpDistance()
			return l
		}()},
		{"tuplet with a distance", func() losses.Loss {
			l := losses.NewTupletMargin()
			l.Distance = distances.NewLpDistance()
			return l
		}()},
		{"fastap unnormalized", func() losses.Loss {
			l := losses.NewFastAP()
			l.Distance = &distances.LpDistance{P: 2, Power: 2}
			return l
		}()},
		{"fastap cosine", func() losses.Loss {
			l := losses.NewFastAP()
			l.Distance = distances.NewCosineSimilarity()
			return l
		}()},
		{"lifted Lp p=1", func() losses.Loss {
			l := losses.NewLiftedStructure()
			l.Distance = &distances.LpDistance{P: 1, Power: 1, NormalizeEmbeddings: true}
			return l
		}()},
	} {
		if _, err := losses.Host(tc.loss); err == nil {
			t.Errorf("%s: Host accepted it", tc.name)
		}
	}
}

// TestHostCircleUnderflow: anchors whose softplus underflows to 0 drop out of AvgNonZeroReducer's
// count (the host kernel scales by the count of anchors with pairs, then corrects).
func TestHostCircleUnderflow(t *testing.T) {
	defer losses.PoisonBuffers()() // A kernel that reads an entry it did not write fails.
	dotgrad.Install()
	l := losses.NewCircle()
	l.Gamma = 1e4
	// Classes 0 and 1: identical positives, orthogonal negatives (x ≈ −3200, v = 0); class 2:
	// orthogonal positives (v > 0).
	unit := func(k int) []float64 { v := make([]float64, 8); v[k] = 1; return v }
	emb := [][]float64{unit(0), unit(0), unit(1), unit(1), unit(2), unit(3)}
	emb[5][4] = 0.3
	labels := []int32{0, 0, 1, 1, 2, 2}
	for prec, e := range bothPrecisions(emb) {
		t.Run(prec, func(t *testing.T) { checkHostAgainstGraph(t, l, e, labels, prec, false) })
	}
}
