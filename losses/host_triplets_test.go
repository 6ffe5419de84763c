package losses_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/dotgrad"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/reducers"
)

// TestHostTripletsMatchGraph compares the all-triplet host kernels with the graph path on label
// layouts beyond TestHostMatchesGraph's: anchors with more positives than negatives (the kernel then
// sorts the negatives), a single class (no triplet: 0 and a zero gradient), and embeddings whose
// distances tie exactly (one-hot rows: 0 or √2, similarities 0 or 1), where a triplet's x is exactly
// the margin and sorted runs of equal values must share their counts.
func TestHostTripletsMatchGraph(t *testing.T) {
	defer losses.PoisonBuffers()() // A kernel that reads an entry it did not write fails.
	dotgrad.Install()
	const n, d = 40, 12
	oneHot := func(seed uint64) [][]float64 {
		e := make([][]float64, n)
		for i := range e {
			e[i] = make([]float64, d)
			e[i][(i*7+int(seed))%d] = float64(1 + i%3)
		}
		return e
	}
	labelSets := []struct {
		name   string
		labels func() []int32
		emb    func(seed uint64) [][]float64
		zero   bool // no triplet: the loss and its gradient are 0
	}{
		{"bigclass", func() []int32 {
			l := make([]int32, n)
			for i := range l {
				if i%4 == 3 {
					l[i] = int32(1 + i%3)
				}
			}
			return l
		}, func(s uint64) [][]float64 { return randEmb(s, n, d) }, false},
		{"twoclasses", func() []int32 { return seqLabels(n, 2) }, func(s uint64) [][]float64 { return randEmb(s, n, d) }, false},
		{"oneclass", func() []int32 { return make([]int32, n) }, func(s uint64) [][]float64 { return randEmb(s, n, d) }, true},
		{"ties classes5", func() []int32 { return seqLabels(n, n/5) }, oneHot, false},
		{"ties bigclass", func() []int32 {
			l := seqLabels(n, 2)
			for i := range 25 {
				l[i] = 0
			}
			return l
		}, oneHot, false},
	}
	cases := []struct {
		name string
		loss func() losses.Loss
	}{
		{"tripletmargin", func() losses.Loss { return losses.NewTripletMargin() }},
		{"tripletmargin margin 0.4 mean", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Margin, l.Reducer = 0.4, reducers.MeanReducer{}
			return l
		}},
		{"tripletmargin cosine 0.1 sum", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Distance, l.Margin, l.Reducer = distances.NewCosineSimilarity(), 0.1, reducers.SumReducer{}
			return l
		}},
		{"tripletmargin swap", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Swap = true
			return l
		}},
		{"tripletmargin swap cosine 0.3 sum", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Swap, l.Distance, l.Margin, l.Reducer = true, distances.NewCosineSimilarity(), 0.3, reducers.SumReducer{}
			return l
		}},
		{"tripletmargin smooth", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.SmoothLoss = true
			return l
		}},
		{"tripletmargin smooth swap cosine 0.2 mean", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.SmoothLoss, l.Swap, l.Distance, l.Margin, l.Reducer = true, true, distances.NewCosineSimilarity(), 0.2, reducers.MeanReducer{}
			return l
		}},
		{"margin", func() losses.Loss { return losses.NewMargin() }},
		{"margin cosine β=0.4", func() losses.Loss {
			l := losses.NewMargin()
			l.Distance, l.Beta = distances.NewCosineSimilarity(), 0.4
			return l
		}},
		{"histogram", func() losses.Loss { return losses.NewHistogram() }},
		{"angular", func() losses.Loss { return losses.NewAngular() }},
		{"angular normalized negatives α=30", func() losses.Loss {
			l := losses.NewAngular()
			l.RawNegatives, l.Alpha = false, 30
			return l
		}},
	}
	for _, tc := range cases {
		for _, ls := range labelSets {
			labels := ls.labels()
			emb := ls.emb(uint64(len(tc.name) + len(ls.name)))
			for prec, e := range bothPrecisions(emb) {
				t.Run(fmt.Sprintf("%s/%s/%s", tc.name, ls.name, prec), func(t *testing.T) {
					checkHostAgainstGraph(t, tc.loss(), e, labels, prec, ls.zero)
				})
			}
		}
	}
}

// TestHostTripletsCheck: the settings the triplet kernels do not cover fall back to the graph.
func TestHostTripletsCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		loss losses.Loss
	}{
		{"triplet threshold reducer", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Reducer = &reducers.ThresholdReducer{}
			return l
		}()},
		{"triplet Lp p=1", func() losses.Loss {
			l := losses.NewTripletMargin()
			l.Distance = &distances.LpDistance{P: 1, Power: 1, NormalizeEmbeddings: true}
			return l
		}()},
		{"margin learn beta", func() losses.Loss { l := losses.NewMargin(); l.LearnBeta = true; return l }()},
		{"margin mean reducer", func() losses.Loss { l := losses.NewMargin(); l.Reducer = reducers.MeanReducer{}; return l }()},
		{"angular cosine", func() losses.Loss { l := losses.NewAngular(); l.Distance = distances.NewCosineSimilarity(); return l }()},
		{"angular sum reducer", func() losses.Loss { l := losses.NewAngular(); l.Reducer = reducers.SumReducer{}; return l }()},
		{"histogram L2", func() losses.Loss { l := losses.NewHistogram(); l.Distance = distances.NewLpDistance(); return l }()},
	} {
		if _, err := losses.Host(tc.loss); err == nil {
			t.Errorf("%s: Host accepted it", tc.name)
		}
	}
}

// BenchmarkHostAllTriplets times the all-triplet losses on the host engine and on the graph path
// (forward and backward to the embeddings, float32, D=128) with C classes: "pairs" C = N/2 (two views per
// class, K = 1 positive per anchor) or C = 8 (K = N/8 − 1), to observe the complexity in N and in K;
// tripletmargin_swap is TripletMargin with Swap.
//
//	go test ./losses -run XXX -bench 'HostAllTriplets/host/tripletmargin/C=8/'
func BenchmarkHostAllTriplets(b *testing.B) {
	dotgrad.Install()
	const d = 128
	for _, path := range []string{"host", "graph"} {
		for _, name := range []string{"tripletmargin", "tripletmargin_swap", "margin", "histogram", "angular"} {
			for _, layout := range []string{"pairs", "C=8"} {
				for _, n := range []int{256, 1024, 4096} {
					b.Run(fmt.Sprintf("%s/%s/%s/N=%d", path, name, layout, n), func(b *testing.B) {
						loss, err := losses.ByName(strings.TrimSuffix(name, "_swap"))
						if err != nil {
							b.Fatal(err)
						}
						if strings.HasSuffix(name, "_swap") {
							loss.(*losses.TripletMargin).Swap = true
						}
						classes := n / 2
						if layout == "C=8" {
							classes = 8
						}
						embT, labelsT := benchBatch(n, d, classes, 3)
						if path == "host" {
							h, err := losses.Host(loss)
							if err != nil {
								b.Fatal(err)
							}
							in := losses.HostInputs{Embeddings: embT, Labels: labelsT}
							for b.Loop() {
								if _, err := h.HostCompute(in); err != nil {
									b.Fatal(err)
								}
							}
							return
						}
						benchGraphStep(b, loss, embT, labelsT)
					})
				}
			}
		}
	}
}

// TestHostTripletsSmallBatches: batches of 1 to 4 samples, with and without triplets, agree with the
// graph path (0 and a zero gradient without a triplet).
func TestHostTripletsSmallBatches(t *testing.T) {
	defer losses.PoisonBuffers()() // A kernel that reads an entry it did not write fails.
	dotgrad.Install()
	for _, name := range []string{"tripletmargin", "margin", "histogram", "angular"} {
		for _, labels := range [][]int32{{0}, {0, 1}, {0, 0}, {0, 0, 1}, {0, 1, 1, 0}} {
			emb := randEmb(uint64(len(labels)), len(labels), 5)
			t.Run(fmt.Sprintf("%s/%v", name, labels), func(t *testing.T) {
				l, err := losses.ByName(name)
				if err != nil {
					t.Fatal(err)
				}
				h, err := losses.Host(l)
				if err != nil {
					t.Fatal(err)
				}
				wantLoss, wantGrad := graphLossAndGradient(t, l, emb, labels)
				got, err := h.HostCompute(losses.HostInputs{Embeddings: tensors.FromAnyValue(emb), Labels: tensors.FromValue(labels)})
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got.Loss-wantLoss) > 1e-9*math.Max(1, math.Abs(wantLoss)) {
					t.Errorf("loss: host %.10g, graph %.10g", got.Loss, wantLoss)
				}
				if i, j, bad := firstDiff(asFloat64Matrix(got.Gradient.Value()), wantGrad, 1e-9); bad {
					t.Errorf("gradient[%d][%d] differs: host %v, graph %v", i, j, got.Gradient.Value(), wantGrad)
				}
			})
		}
	}
}
