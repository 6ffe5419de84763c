package dotorder

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
)

// General must give DotGeneral's values and layout for every arrangement of axes, including several
// cross, contracting and batch axes in any order, and cross-less operands.
func TestGeneralEqualsDotGeneral(t *testing.T) {
	b := backend.MustShared()
	cases := []struct {
		name             string
		lhsDims, rhsDims []int
		lc, lb, rc, rb   []int
	}{
		{"matmul", []int{3, 4}, []int{4, 5}, []int{1}, nil, []int{0}, nil},
		{"q·rᵀ", []int{3, 4}, []int{5, 4}, []int{1}, nil, []int{1}, nil},
		{"aᵀ·b", []int{4, 3}, []int{4, 5}, []int{0}, nil, []int{0}, nil},
		{"aᵀ·bᵀ", []int{4, 3}, []int{5, 4}, []int{0}, nil, []int{1}, nil},
		{"vector", []int{4}, []int{4, 5}, []int{0}, nil, []int{0}, nil},
		{"batched, batch last", []int{3, 4, 2}, []int{2, 4, 5}, []int{1}, []int{2}, []int{1}, []int{0}},
		{"two contracting, swapped", []int{2, 3, 4}, []int{4, 5, 2}, []int{0, 2}, nil, []int{2, 0}, nil},
		{"two cross each", []int{2, 3, 4}, []int{4, 5, 6}, []int{2}, nil, []int{0}, nil},
		{"inner product", []int{4}, []int{4}, []int{0}, nil, []int{0}, nil},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(dims []int) *tensors.Tensor {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return tensors.FromFlatDataAndDimensions(v, dims...)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, r := fill(c.lhsDims), fill(c.rhsDims)
			outs := graph.MustExecOnceN(b, func(x, y *graph.Node) []*graph.Node {
				return []*graph.Node{
					graph.DotGeneral(x, c.lc, c.lb, y, c.rc, c.rb),
					General(x, c.lc, c.lb, y, c.rc, c.rb),
				}
			}, l, r)
			want, got := outs[0], outs[1]
			if !want.Shape().Equal(got.Shape()) {
				t.Fatalf("shape %s, want %s", got.Shape(), want.Shape())
			}
			w, g := tensors.MustCopyFlatData[float64](want), tensors.MustCopyFlatData[float64](got)
			for i := range w {
				if math.Abs(w[i]-g[i]) > 1e-12*(1+math.Abs(w[i])) {
					t.Fatalf("entry %d: %g, want %g", i, g[i], w[i])
				}
			}
		})
	}
}

// The product General builds is in matmul order: [batch..., M, K] × [batch..., K, N].
func TestGeneralIsMatMulOrder(t *testing.T) {
	g := graph.NewGraph(backend.MustShared(), "order")
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 6, 3, 4))
	y := graph.Parameter(g, "y", shapes.Make(dtypes.Float32, 5, 4))
	out := General(x, []int{2}, nil, y, []int{1}, nil)
	var dot *graph.Node
	for _, n := range g.Nodes() {
		if n.Type() == graph.NodeTypeDotGeneral {
			dot = n
		}
	}
	if dot == nil {
		t.Fatal("no DotGeneral node")
	}
	in := dot.Inputs()
	if got := in[0].Shape().Dimensions; len(got) != 2 || got[0] != 18 || got[1] != 4 {
		t.Errorf("left operand %v, want [18 4]", got)
	}
	if got := in[1].Shape().Dimensions; len(got) != 2 || got[0] != 4 || got[1] != 5 {
		t.Errorf("right operand %v, want [4 5]", got)
	}
	if got := out.Shape().Dimensions; len(got) != 3 || got[0] != 6 || got[1] != 3 || got[2] != 5 {
		t.Errorf("output %v, want [6 3 5]", got)
	}
}
