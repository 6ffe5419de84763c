package distances_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/testutil"
)

func normalized(x []float64, p float64) []float64 {
	var s float64
	for _, v := range x {
		s += math.Pow(math.Abs(v), p)
	}
	n := math.Max(math.Pow(s, 1/p), 1e-12)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v / n
	}
	return out
}

func variance(x []float64) float64 {
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var s float64
	for _, v := range x {
		s += (v - mean) * (v - mean)
	}
	return s / float64(len(x)-1)
}

// reference computes one entry the slow, obvious way.
func reference(name string, q, r []float64) float64 {
	switch name {
	case "lp2":
		q, r = normalized(q, 2), normalized(r, 2)
		var s float64
		for i := range q {
			s += (q[i] - r[i]) * (q[i] - r[i])
		}
		return math.Sqrt(s)
	case "lp2raw_squared":
		var s float64
		for i := range q {
			s += (q[i] - r[i]) * (q[i] - r[i])
		}
		return s
	case "lp1":
		q, r = normalized(q, 1), normalized(r, 1)
		var s float64
		for i := range q {
			s += math.Abs(q[i] - r[i])
		}
		return s
	case "lp3raw":
		var s float64
		for i := range q {
			s += math.Pow(math.Abs(q[i]-r[i]), 3)
		}
		return math.Pow(s, 1.0/3)
	case "cosine", "dot":
		q, r = normalized(q, 2), normalized(r, 2)
		fallthrough
	case "dotraw":
		var s float64
		for i := range q {
			s += q[i] * r[i]
		}
		return s
	case "snr":
		q, r = normalized(q, 2), normalized(r, 2)
		diff := make([]float64, len(q))
		for i := range q {
			diff[i] = q[i] - r[i]
		}
		return variance(diff) / variance(q)
	}
	panic(name)
}

var cases = []struct {
	name     string
	d        distances.Distance
	inverted bool
}{
	{"lp2", distances.NewLpDistance(), false},
	{"lp2raw_squared", &distances.LpDistance{P: 2, Power: 2}, false},
	{"lp1", &distances.LpDistance{P: 1, Power: 1, NormalizeEmbeddings: true}, false},
	{"lp3raw", &distances.LpDistance{P: 3, Power: 1}, false},
	{"cosine", distances.NewCosineSimilarity(), true},
	{"dot", distances.NewDotProductSimilarity(), true},
	{"dotraw", &distances.DotProductSimilarity{Power: 1}, true},
	{"snr", distances.NewSNRDistance(), false},
}

func TestMatrixAndPairwiseMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	q, ref := testutil.RandMatrix(r.NormFloat64, 5, 7), testutil.RandMatrix(r.NormFloat64, 4, 7)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.d.IsInverted() != c.inverted {
				t.Errorf("IsInverted() = %v", c.d.IsInverted())
			}
			outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
				return []*graph.Node{c.d.Matrix(in[0], in[1]), c.d.Pairwise(graph.Slice(in[0], graph.AxisRange(0, 4)), in[1])}
			}, q, ref)
			if err != nil {
				t.Fatal(err)
			}
			mat, pw := outs[0].([][]float64), outs[1].([]float64)
			for i := range q {
				for j := range ref {
					want := reference(c.name, q[i], ref[j])
					if math.Abs(mat[i][j]-want) > 1e-12*math.Max(1, math.Abs(want)) {
						t.Errorf("mat[%d][%d] = %.15g, want %.15g", i, j, mat[i][j], want)
					}
				}
			}
			for i := range pw {
				if math.Abs(pw[i]-mat[i][i]) > 1e-12*math.Max(1, math.Abs(mat[i][i])) {
					t.Errorf("Pairwise[%d] = %.15g, Matrix diagonal %.15g", i, pw[i], mat[i][i])
				}
			}
		})
	}
}

// A point's distance to itself is 0, where sqrt's derivative is infinite: the gradient must stay
// finite (torch's cdist gives 0 there), or one self-pair would poison a whole training step.
func TestZeroDistanceHasFiniteGradient(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := [][]float64{{1, 2, 3}, {1, 2, 3}, {0, 0, 0}}
			if c.name == "snr" {
				x = x[:2] // SNR divides by Var(q): a constant query has no SNR, as in PML.
			}
			_, grads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
				return graph.ReduceAllSum(c.d.Matrix(in[0], in[0]))
			}, x)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range grads[0].([][]float64) {
				for _, v := range row {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("gradient has %v: %v", v, grads[0])
					}
				}
			}
		})
	}
}

func TestMargin(t *testing.T) {
	outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{
			distances.Margin(distances.NewLpDistance(), in[0], in[1]),
			distances.Margin(distances.NewCosineSimilarity(), in[0], in[1]),
		}
	}, 3.0, 1.0)
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].(float64) != 2 || outs[1].(float64) != -2 {
		t.Errorf("Margin = %v, %v; want 2 (distance) and -2 (similarity)", outs[0], outs[1])
	}
}
