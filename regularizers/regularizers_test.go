package regularizers_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/regularizers"
)

func TestRegularFace(t *testing.T) {
	// Rows 0 and 1 are 60° apart, row 2 is orthogonal to both: the largest cosines to another row are
	// 0.5, 0.5 and max(0, cos(row 2, row 1)) = 0.
	w := [][]float64{{1, 0, 0}, {0.5, math.Sqrt(3) / 2, 0}, {0, 0, 2}}
	out := testutil.MustExec(func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{regularizers.NewRegularFaceRegularizer().Compute(in[0])}
	}, w)
	if got, want := out[0].(float64), (0.5+0.5+0)/3; math.Abs(got-want) > 1e-12 {
		t.Errorf("got %g, want %g", got, want)
	}
}

func TestLpRegularizerPowers(t *testing.T) {
	x := [][]float64{{3, 4}, {1, 0}}
	for _, tc := range []struct{ p, power, want float64 }{{2, 1, 3}, {2, 2, 13}, {1, 1, 4}} {
		r := &regularizers.LpRegularizer{P: tc.p, Power: tc.power}
		out := testutil.MustExec(func(in []*graph.Node) []*graph.Node { return []*graph.Node{r.Compute(in[0])} }, x)
		if got := out[0].(float64); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("p=%g power=%g: got %g, want %g", tc.p, tc.power, got, tc.want)
		}
	}
}
