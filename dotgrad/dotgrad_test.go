package dotgrad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
)

// layout is one DotGeneral configuration: operand shapes and axes.
type layout struct {
	name             string
	lhsDims, rhsDims []int
	lc, lb, rc, rb   []int // lhs contracting, lhs batch, rhs contracting, rhs batch axes.
}

// layouts covers the DotGeneral configurations the rule must handle.
var layouts = []layout{
	{name: "matmul", lhsDims: []int{3, 4}, rhsDims: []int{4, 5}, lc: []int{1}, rc: []int{0}},
	{name: "lhs transposed", lhsDims: []int{4, 3}, rhsDims: []int{4, 5}, lc: []int{0}, rc: []int{0}},
	{name: "rhs transposed", lhsDims: []int{3, 4}, rhsDims: []int{5, 4}, lc: []int{1}, rc: []int{1}},
	{name: "both transposed", lhsDims: []int{4, 3}, rhsDims: []int{5, 4}, lc: []int{0}, rc: []int{1}},
	{name: "batch axis 1", lhsDims: []int{3, 2, 4}, rhsDims: []int{4, 2, 5},
		lc: []int{2}, lb: []int{1}, rc: []int{0}, rb: []int{1}},
	{name: "two batch axes unsorted", lhsDims: []int{4, 2, 3, 5}, rhsDims: []int{5, 3, 6, 2},
		lc: []int{3}, lb: []int{2, 1}, rc: []int{0}, rb: []int{1, 3}},
	{name: "contracting unsorted", lhsDims: []int{2, 3, 4}, rhsDims: []int{4, 2, 5},
		lc: []int{2, 0}, rc: []int{0, 1}},
	{name: "contracting unsorted both", lhsDims: []int{2, 3, 4}, rhsDims: []int{5, 2, 4},
		lc: []int{2, 0}, rc: []int{2, 1}},
	{name: "contracting unsorted equal dims", lhsDims: []int{3, 2, 3}, rhsDims: []int{3, 3, 4},
		lc: []int{2, 0}, rc: []int{0, 1}},
	{name: "several cross axes", lhsDims: []int{2, 3, 4}, rhsDims: []int{5, 3, 2},
		lc: []int{1}, rc: []int{1}},
	{name: "no lhs cross", lhsDims: []int{4}, rhsDims: []int{4, 5}, lc: []int{0}, rc: []int{0}},
	{name: "no rhs cross", lhsDims: []int{3, 4}, rhsDims: []int{4}, lc: []int{1}, rc: []int{0}},
	{name: "no cross", lhsDims: []int{2, 4}, rhsDims: []int{4, 2}, lc: []int{1}, lb: []int{0}, rc: []int{0}, rb: []int{1}},
	{name: "outer product", lhsDims: []int{3}, rhsDims: []int{4}},
	{name: "outer product batched", lhsDims: []int{2, 3}, rhsDims: []int{4, 2}, lb: []int{0}, rb: []int{1}},
	{name: "elementwise", lhsDims: []int{3}, rhsDims: []int{3}, lb: []int{0}, rb: []int{0}},
	{name: "everything", lhsDims: []int{3, 2, 5, 4, 2}, rhsDims: []int{2, 4, 3, 3},
		lc: []int{3, 0}, lb: []int{4}, rc: []int{1, 3}, rb: []int{0}},
}

// loss returns sum(w * DotGeneral(lhs, rhs)).
func (l layout) loss(lhs, rhs, w *graph.Node) *graph.Node {
	return graph.ReduceAllSum(graph.Mul(w, graph.DotGeneral(lhs, l.lc, l.lb, rhs, l.rc, l.rb)))
}

// outDims returns the DotGeneral's output dimensions: [batch..., lhsCross..., rhsCross...].
func (l layout) outDims() []int {
	var dims []int
	for _, axis := range l.lb {
		dims = append(dims, l.lhsDims[axis])
	}
	for _, axis := range crossAxes(len(l.lhsDims), l.lc, l.lb) {
		dims = append(dims, l.lhsDims[axis])
	}
	for _, axis := range crossAxes(len(l.rhsDims), l.rc, l.rb) {
		dims = append(dims, l.rhsDims[axis])
	}
	return dims
}

// inputs are random values for one layout.
type inputs struct{ lhs, rhs, w []float64 }

func (l layout) random(seed uint64) inputs {
	rng := rand.New(rand.NewPCG(seed, 1))
	r := func(dims []int) []float64 {
		out := make([]float64, size(dims))
		for i := range out {
			out[i] = 2*rng.Float64() - 1
		}
		return out
	}
	return inputs{lhs: r(l.lhsDims), rhs: r(l.rhsDims), w: r(l.outDims())}
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// tensorOf returns data as a tensor of the given dtype (float32 or float64).
func tensorOf(data []float64, dtype dtypes.DType, dims []int) *tensors.Tensor {
	if dtype == dtypes.Float32 {
		f32 := make([]float32, len(data))
		for i, x := range data {
			f32[i] = float32(x)
		}
		return tensors.FromFlatDataAndDimensions(f32, dims...)
	}
	return tensors.FromFlatDataAndDimensions(slices.Clone(data), dims...)
}

// float64s returns a float32 or float64 tensor's values as float64s.
func float64s(t *tensors.Tensor) []float64 {
	if t.DType() == dtypes.Float32 {
		f32 := tensors.MustCopyFlatData[float32](t)
		out := make([]float64, len(f32))
		for i, x := range f32 {
			out[i] = float64(x)
		}
		return out
	}
	return tensors.MustCopyFlatData[float64](t)
}

func testBackend() backends.Backend { return backend.MustShared() }

// gradients returns the gradients of l.loss with respect to lhs and rhs, with the rule currently
// registered, computed in dtype.
func (l layout) gradients(t *testing.T, in inputs, dtype dtypes.DType) (gradLHS, gradRHS []float64) {
	t.Helper()
	exec := graph.MustNewExec(testBackend(), func(lhs, rhs, w *graph.Node) (*graph.Node, *graph.Node) {
		grads := graph.Gradient(l.loss(lhs, rhs, w), lhs, rhs)
		return grads[0], grads[1]
	})
	defer exec.Finalize()
	// Exec turns a panic while building the gradient into an error: fail this case only.
	out, err := exec.Exec(tensorOf(in.lhs, dtype, l.lhsDims), tensorOf(in.rhs, dtype, l.rhsDims),
		tensorOf(in.w, dtype, l.outDims()))
	if err != nil {
		t.Fatalf("gradient: %v", err)
	}
	for _, g := range out {
		if g.DType() != dtype {
			t.Fatalf("gradient dtype %s, want %s", g.DType(), dtype)
		}
	}
	if !slices.Equal(out[0].Shape().Dimensions, l.lhsDims) || !slices.Equal(out[1].Shape().Dimensions, l.rhsDims) {
		t.Fatalf("gradient shapes %s and %s, want %v and %v", out[0].Shape(), out[1].Shape(), l.lhsDims, l.rhsDims)
	}
	return float64s(out[0]), float64s(out[1])
}

// finiteDifferences returns central-difference gradients of l.loss, in float64.
func (l layout) finiteDifferences(in inputs) (gradLHS, gradRHS []float64) {
	exec := graph.MustNewExec(testBackend(), l.loss)
	defer exec.Finalize()
	w := tensorOf(in.w, dtypes.Float64, l.outDims())
	f := func(lhs, rhs []float64) float64 {
		out := exec.MustExec(tensorOf(lhs, dtypes.Float64, l.lhsDims), tensorOf(rhs, dtypes.Float64, l.rhsDims), w)
		return tensors.ToScalar[float64](out[0])
	}
	const h = 1e-3
	diff := func(x []float64, eval func() float64) []float64 {
		grad := make([]float64, len(x))
		for i := range x {
			orig := x[i]
			x[i] = orig + h
			plus := eval()
			x[i] = orig - h
			minus := eval()
			x[i] = orig
			grad[i] = (plus - minus) / (2 * h)
		}
		return grad
	}
	lhs, rhs := slices.Clone(in.lhs), slices.Clone(in.rhs)
	eval := func() float64 { return f(lhs, rhs) }
	return diff(lhs, eval), diff(rhs, eval)
}

// assertClose fails if got and want differ by more than tol relative to max(|want|, 1), element-wise.
func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); !(d <= tol*math.Max(math.Abs(want[i]), 1)) {
			t.Fatalf("%s: element %d = %.12g, want %.12g (difference %.3g, tolerance %.3g relative)",
				what, i, got[i], want[i], d, tol)
		}
	}
}

// withOrder runs fn with operandOrder forced to order.
func withOrder(order int, fn func()) {
	saved := operandOrder
	operandOrder = order
	defer func() { operandOrder = saved }()
	fn()
}

var orders = []struct {
	name  string
	order int
}{{"auto", orderAuto}, {"v first", orderVFirst}, {"other first", orderOtherFirst}}

func TestFiniteDifferences(t *testing.T) {
	Install()
	for i, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			in := l.random(uint64(i))
			fdLHS, fdRHS := l.finiteDifferences(in)
			for _, o := range orders {
				withOrder(o.order, func() {
					gotLHS, gotRHS := l.gradients(t, in, dtypes.Float64)
					assertClose(t, o.name+": d/dlhs", gotLHS, fdLHS, 1e-8)
					assertClose(t, o.name+": d/drhs", gotRHS, fdRHS, 1e-8)
				})
			}
		})
	}
}

// TestFiniteDifferencesFloat32 computes the gradient in float32 and compares it with float64 finite
// differences on the same (float32-rounded) values.
func TestFiniteDifferencesFloat32(t *testing.T) {
	Install()
	for _, name := range []string{"matmul", "two batch axes unsorted", "everything"} {
		l := layouts[slices.IndexFunc(layouts, func(l layout) bool { return l.name == name })]
		t.Run(l.name, func(t *testing.T) {
			in := l.random(42)
			for _, x := range [][]float64{in.lhs, in.rhs, in.w} {
				for i := range x {
					x[i] = float64(float32(x[i]))
				}
			}
			fdLHS, fdRHS := l.finiteDifferences(in)
			gotLHS, gotRHS := l.gradients(t, in, dtypes.Float32)
			assertClose(t, "d/dlhs", gotLHS, fdLHS, 1e-5)
			assertClose(t, "d/drhs", gotRHS, fdRHS, 1e-5)
		})
	}
}

// TestSelfProduct checks the gradient of sum(w * x·xᵀ), where x is both operands (as in NT-Xent).
func TestSelfProduct(t *testing.T) {
	Install()
	l := layout{name: "self", lhsDims: []int{5, 3}, rhsDims: []int{5, 3}, lc: []int{1}, rc: []int{1}}
	in := l.random(7)
	in.rhs = in.lhs
	fdLHS, fdRHS := l.finiteDifferences(in) // Perturbs lhs and rhs separately; d/dx is their sum.
	want := make([]float64, len(fdLHS))
	for i := range want {
		want[i] = fdLHS[i] + fdRHS[i]
	}
	out := graph.MustExecOnce(testBackend(), func(x, w *graph.Node) *graph.Node {
		return graph.Gradient(l.loss(x, x, w), x)[0]
	}, tensorOf(in.lhs, dtypes.Float64, l.lhsDims), tensorOf(in.w, dtypes.Float64, l.outDims()))
	assertClose(t, "d/dx", float64s(out), want, 1e-8)
}

// TestMatchesOriginal compares the rule with GoMLX's own on random inputs.
func TestMatchesOriginal(t *testing.T) {
	defer Install()
	for i, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			in := l.random(uint64(1000 + i))
			Uninstall()
			if Installed() {
				t.Fatal("Installed() after Uninstall")
			}
			origLHS, origRHS := l.gradients(t, in, dtypes.Float64)
			Install()
			gotLHS, gotRHS := l.gradients(t, in, dtypes.Float64)
			assertClose(t, "d/dlhs", gotLHS, origLHS, 1e-12)
			assertClose(t, "d/drhs", gotRHS, origRHS, 1e-12)
		})
	}
}

// TestDTypeConfig compares the rule with GoMLX's own for DotGenerals with an accumulator dtype
// (bfloat16 operands, which graph.Dot accumulates in float32) and with an output dtype.
func TestDTypeConfig(t *testing.T) {
	defer Install()
	l := layouts[slices.IndexFunc(layouts, func(l layout) bool { return l.name == "everything" })]
	in := l.random(3)
	tests := []struct {
		name       string
		dtype      dtypes.DType // Operand dtype.
		dot        func(lhs, rhs *graph.Node) *graph.Node
		wantVDType dtypes.DType
		tol        float64
	}{
		{"bfloat16 accumulating in float32", dtypes.BFloat16, func(lhs, rhs *graph.Node) *graph.Node {
			return graph.Dot(lhs, rhs).General(l.lc, l.lb, l.rc, l.rb)
		}, dtypes.BFloat16, 1e-2},
		{"float32 with float64 output", dtypes.Float32, func(lhs, rhs *graph.Node) *graph.Node {
			return graph.Dot(lhs, rhs).WithOutputDType(dtypes.Float64).General(l.lc, l.lb, l.rc, l.rb)
		}, dtypes.Float64, 1e-6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			grads := func() []float64 {
				out := graph.MustExecOnce(testBackend(), func(lhs, rhs, w *graph.Node) *graph.Node {
					lhsX, rhsX := graph.ConvertDType(lhs, tc.dtype), graph.ConvertDType(rhs, tc.dtype)
					y := tc.dot(lhsX, rhsX)
					if y.DType() != tc.wantVDType {
						t.Errorf("DotGeneral output dtype %s, want %s", y.DType(), tc.wantVDType)
					}
					loss := graph.ReduceAllSum(graph.Mul(graph.ConvertDType(y, dtypes.Float64), w))
					g := graph.Gradient(loss, lhsX, rhsX)
					for _, gi := range g {
						if gi.DType() != tc.dtype {
							t.Errorf("gradient dtype %s, want %s", gi.DType(), tc.dtype)
						}
					}
					return graph.Concatenate([]*graph.Node{
						graph.Reshape(graph.ConvertDType(g[0], dtypes.Float64), -1),
						graph.Reshape(graph.ConvertDType(g[1], dtypes.Float64), -1),
					}, 0)
				}, tensorOf(in.lhs, dtypes.Float64, l.lhsDims), tensorOf(in.rhs, dtypes.Float64, l.rhsDims),
					tensorOf(in.w, dtypes.Float64, l.outDims()))
				return float64s(out)
			}
			Uninstall()
			want := grads()
			Install()
			got := grads()
			assertClose(t, "gradients", got, want, tc.tol)
		})
	}
}

// TestNoBigIntermediate checks the point of the package: the gradient graph of a matrix product
// holds nothing larger than the operands, where GoMLX's rule builds an [M, N, K] tensor.
func TestNoBigIntermediate(t *testing.T) {
	defer Install()
	const m, k, n = 16, 24, 32
	largest := func() (maxSize, numDots, numTransposes int) {
		g := graph.NewGraph(testBackend(), "no_big_intermediate")
		defer g.Finalize()
		lhs := graph.Parameter(g, "lhs", shapes.Make(dtypes.Float32, m, k))
		rhs := graph.Parameter(g, "rhs", shapes.Make(dtypes.Float32, k, n))
		w := graph.Parameter(g, "w", shapes.Make(dtypes.Float32, m, n))
		loss := graph.ReduceAllSum(graph.Mul(w, graph.MatMul(lhs, rhs)))
		_ = graph.Gradient(loss, lhs, rhs)
		for _, node := range g.Nodes() {
			if node.NumOutputs() == 1 {
				maxSize = max(maxSize, node.Shape().Size())
			}
			switch node.Type() {
			case graph.NodeTypeDotGeneral:
				numDots++
			case graph.NodeTypeTranspose:
				numTransposes++
			}
		}
		return
	}
	Uninstall()
	if got, _, _ := largest(); got < m*n*k {
		t.Fatalf("GoMLX's own rule: largest node has %d elements, expected at least %d: is it still needed?", got, m*n*k)
	}
	Install()
	gotSize, gotDots, gotTransposes := largest()
	if want := max(m*k, k*n, m*n); gotSize > want {
		t.Errorf("largest node has %d elements, want at most %d", gotSize, want)
	}
	// One product per operand, each in matmul order (package dotorder) so that the pure-Go backend's
	// fast kernels take it: that costs at most one transpose of an operand each.
	if gotDots != 3 || gotTransposes > 2 {
		t.Errorf("gradient graph has %d DotGeneral and %d Transpose nodes, want 3 (forward + one per operand) and at most 2",
			gotDots, gotTransposes)
	}
}

func vjpPointer() uintptr {
	return reflect.ValueOf(graph.VJPRegistration[graph.NodeTypeDotGeneral]).Pointer()
}

func TestInstallIdempotent(t *testing.T) {
	defer Install()
	Uninstall()
	Uninstall() // No-op.
	origPtr := vjpPointer()
	if Installed() || origPtr == reflect.ValueOf(vjp).Pointer() {
		t.Fatal("rule still registered after Uninstall")
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Install()
		}()
	}
	wg.Wait()
	Install()
	if !Installed() || vjpPointer() != reflect.ValueOf(vjp).Pointer() {
		t.Fatal("rule not registered after Install")
	}

	Uninstall()
	if Installed() || vjpPointer() != origPtr {
		t.Fatal("Uninstall after repeated Install did not restore GoMLX's rule")
	}
}

func TestVerifyLayout(t *testing.T) {
	if err := verifyLayout(); err != nil {
		t.Fatal(err)
	}
	// Test binaries usually carry no module information; real binaries do.
	if v := gomlxVersion(); v != PinnedGoMLXVersion && v != unknownVersion {
		t.Errorf("linked GoMLX is %s, dotgrad was written for %s", v, PinnedGoMLXVersion)
	}
}

func TestReadParams(t *testing.T) {
	g := graph.NewGraph(testBackend(), "read_params")
	defer g.Finalize()
	lhs := graph.Parameter(g, "lhs", shapes.Make(dtypes.Float32, 2, 3, 4))
	rhs := graph.Parameter(g, "rhs", shapes.Make(dtypes.Float32, 4, 2, 5))
	dot := graph.DotGeneral(lhs, []int{-1}, []int{0}, rhs, []int{0}, []int{1}) // Negative axis is adjusted.
	p, err := readParams(dot)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]int{2}, []int{0}, []int{0}, []int{1}, dtypes.InvalidDType, dtypes.InvalidDType)
	if got := fmt.Sprint(p.LHSContractingAxes, p.LHSBatchAxes, p.RHSContractingAxes, p.RHSBatchAxes,
		p.AccumulatorDType, p.OutputDType); got != want || p.LHS != lhs || p.RHS != rhs {
		t.Errorf("readParams = %s, want %s", got, want)
	}
	if _, err := readParams(graph.Add(lhs, lhs)); err == nil {
		t.Error("readParams(Add node) succeeded, want an error")
	}
	if err := p.check(shapes.Make(dtypes.Float32, 2, 3, 6)); err == nil {
		t.Error("check with a wrong output shape succeeded, want an error")
	}
}
