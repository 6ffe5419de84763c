package dotgrad

import (
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/internal/dotorder"
)

// PinnedGoMLXVersion is the GoMLX version whose internal DotGeneral node layout this package reads.
const PinnedGoMLXVersion = "v0.27.2"

const gomlxModule = "github.com/gomlx/gomlx"

var (
	mu        sync.Mutex
	installed bool
	original  graph.VJP // GoMLX's rule, saved by the first Install.

	probeOnce sync.Once
	probeErr  error
)

// Install replaces GoMLX's gradient rule for DotGeneral (graph.VJPRegistration[graph.NodeTypeDotGeneral])
// with this package's rule, which computes each operand's gradient with one DotGeneral.
//
// It only affects gradients built after it returns. It is idempotent and safe to call from several
// goroutines, but it must not run while another goroutine builds a gradient graph (see the package
// documentation). The first call verifies, on a small probe graph built with the pure-Go backend,
// that GoMLX's internal DotGeneral layout is the one this package reads; if it is not (GoMLX was
// upgraded past PinnedGoMLXVersion), Install panics with a message that says so.
func Install() {
	if err := verifyLayout(); err != nil {
		panic(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if installed {
		return
	}
	orig, ok := graph.VJPRegistration[graph.NodeTypeDotGeneral]
	if !ok {
		panic(fmt.Errorf("dotgrad: GoMLX %s has no gradient registered for DotGeneral; "+
			"this package expects GoMLX %s", gomlxVersion(), PinnedGoMLXVersion))
	}
	original = orig
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = vjp
	installed = true
}

// Uninstall restores the gradient rule for DotGeneral that was registered before Install (GoMLX's
// own rule). It is a no-op when the rule is not installed. It exists for benchmarks and tests that
// compare the two rules; the same caveats as Install apply.
func Uninstall() {
	mu.Lock()
	defer mu.Unlock()
	if !installed {
		return
	}
	graph.VJPRegistration[graph.NodeTypeDotGeneral] = original
	installed = false
}

// Installed reports whether this package's rule is the registered gradient for DotGeneral.
func Installed() bool {
	mu.Lock()
	defer mu.Unlock()
	return installed
}

// vjp is the graph.VJP registered by Install.
func vjp(node *graph.Node, vjpOutputs []*graph.Node, _ shapes.Shape) []*graph.Node {
	if len(vjpOutputs) != 1 {
		exceptions.Panicf("dotgrad: DotGeneral node %s got %d output gradients, want 1", node, len(vjpOutputs))
	}
	p, err := readParams(node)
	if err != nil {
		panic(err)
	}
	gradLHS, gradRHS := Gradients(p, vjpOutputs[0])
	return []*graph.Node{gradLHS, gradRHS}
}

// Params describes one DotGeneral: its operands, axes and dtype configuration, as given to
// graph.Dot(LHS, RHS).General(LHSContractingAxes, LHSBatchAxes, RHSContractingAxes, RHSBatchAxes).
// Axes are non-negative. LHSContractingAxes[i] pairs with RHSContractingAxes[i], and likewise for
// batch axes.
type Params struct {
	// LHS and RHS are the operands.
	LHS, RHS *graph.Node
	// LHSContractingAxes and RHSContractingAxes are the contracted axes, paired by position.
	LHSContractingAxes, RHSContractingAxes []int
	// LHSBatchAxes and RHSBatchAxes are the batch axes, paired by position; the output's batch
	// axes come in this order.
	LHSBatchAxes, RHSBatchAxes []int
	// AccumulatorDType and OutputDType are the node's backends.DotGeneralConfig values
	// (dtypes.InvalidDType when not set).
	AccumulatorDType, OutputDType dtypes.DType
}

// Gradients returns the gradients of a DotGeneral described by p with respect to its two operands,
// given v, the gradient with respect to its output. Each is one DotGeneral of v and the other
// operand, plus a transpose into the operand's axis order where needed; each has its operand's
// shape and dtype.
//
// Install registers a rule that calls Gradients; it is exported for code that builds custom
// gradients (graph.IdentityWithCustomGradient and the like) around a DotGeneral.
func Gradients(p Params, v *graph.Node) (gradLHS, gradRHS *graph.Node) {
	if err := p.check(v.Shape()); err != nil {
		panic(err)
	}
	lhsCross := crossAxes(p.LHS.Rank(), p.LHSContractingAxes, p.LHSBatchAxes)
	rhsCross := crossAxes(p.RHS.Rank(), p.RHSContractingAxes, p.RHSBatchAxes)
	numBatch := len(p.LHSBatchAxes)

	// Computation dtype, as GoMLX's own rule chooses it.
	dtype := v.DType()
	if p.AccumulatorDType != dtypes.InvalidDType {
		dtype = p.AccumulatorDType
	} else if p.OutputDType != dtypes.InvalidDType {
		dtype = p.OutputDType
	}
	v = convert(v, dtype)

	// Positions of the axes in v (= the DotGeneral output): [batch..., lhsCross..., rhsCross...].
	vBatch := axesRange(0, numBatch)
	vLHSCross := axesRange(numBatch, len(lhsCross))
	vRHSCross := axesRange(numBatch+len(lhsCross), len(rhsCross))

	gradLHS = operandGradient(v, vBatch, vRHSCross, convert(p.RHS, dtype), p.RHSBatchAxes, rhsCross,
		p.RHSContractingAxes, p.LHS, p.LHSBatchAxes, lhsCross, p.LHSContractingAxes)
	gradRHS = operandGradient(v, vBatch, vLHSCross, convert(p.LHS, dtype), p.LHSBatchAxes, lhsCross,
		p.LHSContractingAxes, p.RHS, p.RHSBatchAxes, rhsCross, p.RHSContractingAxes)
	return gradLHS, gradRHS
}

// Operand orders for operandGradient. orderAuto picks the order that needs no transpose, if any.
const (
	orderAuto = iota
	orderVFirst
	orderOtherFirst
)

// operandOrder forces an operand order in operandGradient; tests set it to exercise both.
var operandOrder = orderAuto

// operandGradient returns the gradient with respect to "this" operand of the DotGeneral whose
// output gradient is v. vBatch and vOtherCross are the positions in v of the batch axes and of the
// other operand's cross axes. The other operand's contracting axes (otherContracting[i], paired
// with thisContracting[i]) are what is left of it after the contraction; they come out of the
// DotGeneral in ascending axis order, and the permutation maps them back to this operand's axes.
func operandGradient(v *graph.Node, vBatch, vOtherCross []int,
	other *graph.Node, otherBatch, otherCross, otherContracting []int,
	this *graph.Node, thisBatch, thisCross, thisContracting []int) *graph.Node {
	numBatch, numCross, numContracting := len(thisBatch), len(thisCross), len(thisContracting)

	// rank[i] is the rank of otherContracting[i] among otherContracting: its position among the
	// other operand's free axes in a DotGeneral output.
	sorted := slices.Clone(otherContracting)
	slices.Sort(sorted)
	rank := make([]int, numContracting)
	for i, axis := range otherContracting {
		rank[i] = slices.Index(sorted, axis)
	}

	// v first: output [batch..., thisCross..., otherContracting (sorted)...].
	permVFirst := make([]int, this.Rank())
	// other first: output [batch..., otherContracting (sorted)..., thisCross...].
	permOtherFirst := make([]int, this.Rank())
	for i, axis := range thisBatch {
		permVFirst[axis] = i
		permOtherFirst[axis] = i
	}
	for j, axis := range thisCross {
		permVFirst[axis] = numBatch + j
		permOtherFirst[axis] = numBatch + numContracting + j
	}
	for i, axis := range thisContracting {
		permVFirst[axis] = numBatch + numCross + rank[i]
		permOtherFirst[axis] = numBatch + rank[i]
	}

	order := operandOrder
	if order == orderAuto {
		order = orderVFirst
		if !isIdentity(permVFirst) && isIdentity(permOtherFirst) {
			order = orderOtherFirst
		}
	}
	var grad *graph.Node
	perm := permVFirst
	if order == orderVFirst {
		grad = dotorder.General(v, vOtherCross, vBatch, other, otherCross, otherBatch)
	} else {
		grad = dotorder.General(other, otherCross, otherBatch, v, vOtherCross, vBatch)
		perm = permOtherFirst
	}
	if !isIdentity(perm) {
		grad = graph.TransposeAllAxes(grad, perm...)
	}
	grad = convert(grad, this.DType())
	if !slices.Equal(grad.Shape().Dimensions, this.Shape().Dimensions) {
		exceptions.Panicf("dotgrad: internal error: gradient shaped %s for operand shaped %s", grad.Shape(), this.Shape())
	}
	return grad
}

// check verifies that p describes a valid DotGeneral whose output is shaped like output (the shape
// of its incoming gradient v, up to dtype).
func (p Params) check(output shapes.Shape) error {
	if p.LHS == nil || p.RHS == nil {
		return fmt.Errorf("dotgrad: DotGeneral operands must not be nil")
	}
	if len(p.LHSContractingAxes) != len(p.RHSContractingAxes) || len(p.LHSBatchAxes) != len(p.RHSBatchAxes) {
		return fmt.Errorf("dotgrad: DotGeneral axes don't pair: lhs contracting %v, batch %v; rhs contracting %v, batch %v",
			p.LHSContractingAxes, p.LHSBatchAxes, p.RHSContractingAxes, p.RHSBatchAxes)
	}
	for _, side := range []struct {
		name               string
		node               *graph.Node
		contracting, batch []int
	}{
		{"lhs", p.LHS, p.LHSContractingAxes, p.LHSBatchAxes},
		{"rhs", p.RHS, p.RHSContractingAxes, p.RHSBatchAxes},
	} {
		seen := make([]bool, side.node.Rank())
		for _, axis := range slices.Concat(side.contracting, side.batch) {
			if axis < 0 || axis >= len(seen) || seen[axis] {
				return fmt.Errorf("dotgrad: invalid DotGeneral %s axes (contracting %v, batch %v) for shape %s",
					side.name, side.contracting, side.batch, side.node.Shape())
			}
			seen[axis] = true
		}
	}
	lhsDims, rhsDims := p.LHS.Shape().Dimensions, p.RHS.Shape().Dimensions
	want := make([]int, 0, output.Rank())
	for i, axis := range p.LHSBatchAxes {
		if lhsDims[axis] != rhsDims[p.RHSBatchAxes[i]] {
			return fmt.Errorf("dotgrad: DotGeneral batch axes %v and %v don't match for shapes %s and %s",
				p.LHSBatchAxes, p.RHSBatchAxes, p.LHS.Shape(), p.RHS.Shape())
		}
		want = append(want, lhsDims[axis])
	}
	for i, axis := range p.LHSContractingAxes {
		if lhsDims[axis] != rhsDims[p.RHSContractingAxes[i]] {
			return fmt.Errorf("dotgrad: DotGeneral contracting axes %v and %v don't match for shapes %s and %s",
				p.LHSContractingAxes, p.RHSContractingAxes, p.LHS.Shape(), p.RHS.Shape())
		}
	}
	for _, axis := range crossAxes(p.LHS.Rank(), p.LHSContractingAxes, p.LHSBatchAxes) {
		want = append(want, lhsDims[axis])
	}
	for _, axis := range crossAxes(p.RHS.Rank(), p.RHSContractingAxes, p.RHSBatchAxes) {
		want = append(want, rhsDims[axis])
	}
	if !slices.Equal(want, output.Dimensions) {
		return fmt.Errorf("dotgrad: DotGeneral(lhs %s: contracting %v, batch %v; rhs %s: contracting %v, batch %v) "+
			"should be shaped %v, but its gradient is shaped %s%s",
			p.LHS.Shape(), p.LHSContractingAxes, p.LHSBatchAxes, p.RHS.Shape(), p.RHSContractingAxes, p.RHSBatchAxes,
			want, output, layoutHint())
	}
	return nil
}

// readParams reads a DotGeneral node's operands, axes and config. The axes live in unexported
// fields of the node's *nodeInputsDotGeneral; they are read with reflect (read-only).
func readParams(node *graph.Node) (Params, error) {
	fail := func(format string, args ...any) (Params, error) {
		return Params{}, fmt.Errorf("dotgrad: cannot read DotGeneral node %s: %s%s", node, fmt.Sprintf(format, args...), layoutHint())
	}
	if node == nil {
		return fail("nil node")
	}
	if node.Type() != graph.NodeTypeDotGeneral {
		return fail("node type is %s", node.Type())
	}
	inputs := node.Inputs()
	if len(inputs) != 2 {
		return fail("it has %d input nodes, want 2", len(inputs))
	}
	field := reflect.ValueOf(node).Elem().FieldByName("inputs")
	if !field.IsValid() || field.Kind() != reflect.Interface || field.IsNil() {
		return fail("graph.Node has no non-nil interface field \"inputs\"")
	}
	ptr := field.Elem()
	if ptr.Kind() != reflect.Pointer || ptr.Type().Elem().Kind() != reflect.Struct ||
		ptr.Type().Elem().Name() != "nodeInputsDotGeneral" || ptr.IsNil() {
		return fail("its inputs are a %s, want *graph.nodeInputsDotGeneral", ptr.Type())
	}
	s := ptr.Elem()
	nodeType := reflect.TypeFor[*graph.Node]()
	for i, name := range []string{"lhs", "rhs"} {
		f := s.FieldByName(name)
		if !f.IsValid() || f.Type() != nodeType {
			return fail("field %q missing or not a *graph.Node", name)
		}
		if f.Pointer() != reflect.ValueOf(inputs[i]).Pointer() {
			return fail("field %q is not input node #%d", name, i)
		}
	}
	intSlice := func(name string) ([]int, error) {
		f := s.FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Slice || f.Type().Elem().Kind() != reflect.Int {
			return nil, fmt.Errorf("field %q missing or not an []int", name)
		}
		out := make([]int, f.Len())
		for i := range out {
			out[i] = int(f.Index(i).Int())
		}
		return out, nil
	}
	p := Params{LHS: inputs[0], RHS: inputs[1]}
	for _, dst := range []struct {
		name string
		out  *[]int
	}{
		{"lhsContractingAxes", &p.LHSContractingAxes},
		{"lhsBatchAxes", &p.LHSBatchAxes},
		{"rhsContractingAxes", &p.RHSContractingAxes},
		{"rhsBatchAxes", &p.RHSBatchAxes},
	} {
		axes, err := intSlice(dst.name)
		if err != nil {
			return fail("%v", err)
		}
		*dst.out = axes
	}
	cfg := s.FieldByName("config")
	if !cfg.IsValid() || cfg.Type() != reflect.TypeFor[backends.DotGeneralConfig]() {
		return fail("field \"config\" missing or not a backends.DotGeneralConfig")
	}
	p.AccumulatorDType = dtypes.DType(cfg.FieldByName("AccumulatorDType").Int())
	p.OutputDType = dtypes.DType(cfg.FieldByName("OutputDType").Int())
	return p, nil
}

// verifyLayout builds, once per process, a small DotGeneral with unsorted contracting axes, a
// non-leading batch axis and a dtype configuration, and checks that readParams reads back exactly
// what was given.
func verifyLayout() error {
	probeOnce.Do(func() { probeErr = probe() })
	return probeErr
}

func probe() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("dotgrad: probe of GoMLX's DotGeneral layout failed: %v%s", r, layoutHint())
		}
	}()
	b, err := backend.New(backend.Default) // The pure-Go backend: always available, layout is backend-independent.
	if err != nil {
		return fmt.Errorf("dotgrad: probe: %w", err)
	}
	defer b.Finalize()
	g := graph.NewGraph(b, "dotgrad_probe")
	defer g.Finalize()
	lhs := graph.Parameter(g, "lhs", shapes.Make(dtypes.Float32, 5, 2, 3, 4))
	rhs := graph.Parameter(g, "rhs", shapes.Make(dtypes.Float32, 4, 2, 5, 6))
	want := Params{
		LHS: lhs, RHS: rhs,
		LHSContractingAxes: []int{3, 0}, LHSBatchAxes: []int{1},
		RHSContractingAxes: []int{0, 2}, RHSBatchAxes: []int{1},
		AccumulatorDType: dtypes.Float64, OutputDType: dtypes.Float32,
	}
	out := graph.Dot(lhs, rhs).WithAccumulatorDType(want.AccumulatorDType).WithOutputDType(want.OutputDType).
		General(want.LHSContractingAxes, want.LHSBatchAxes, want.RHSContractingAxes, want.RHSBatchAxes)
	if out.Type() != graph.NodeTypeDotGeneral {
		return fmt.Errorf("dotgrad: probe: graph.Dot(...).General built a %s node, want DotGeneral%s", out.Type(), layoutHint())
	}
	got, err := readParams(out)
	if err != nil {
		return err
	}
	if got.LHS != want.LHS || got.RHS != want.RHS ||
		!slices.Equal(got.LHSContractingAxes, want.LHSContractingAxes) || !slices.Equal(got.LHSBatchAxes, want.LHSBatchAxes) ||
		!slices.Equal(got.RHSContractingAxes, want.RHSContractingAxes) || !slices.Equal(got.RHSBatchAxes, want.RHSBatchAxes) ||
		got.AccumulatorDType != want.AccumulatorDType || got.OutputDType != want.OutputDType {
		return fmt.Errorf("dotgrad: probe: read DotGeneral params %+v, want %+v%s", got, want, layoutHint())
	}
	return got.check(out.Shape())
}

// layoutHint explains a layout mismatch in terms of the GoMLX version.
func layoutHint() string {
	return fmt.Sprintf(" (dotgrad reads GoMLX's internal DotGeneral layout of %s %s; this binary uses %s: "+
		"pin %s in go.mod or update dotgrad)", gomlxModule, PinnedGoMLXVersion, gomlxVersion(), PinnedGoMLXVersion)
}

// gomlxVersion returns the GoMLX module version linked into this binary, if the build info says.
func gomlxVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == gomlxModule {
				if dep.Replace != nil {
					return dep.Version + " (replaced by " + dep.Replace.Path + " " + dep.Replace.Version + ")"
				}
				return dep.Version
			}
		}
	}
	return unknownVersion
}

// unknownVersion is what gomlxVersion returns when the binary carries no module information.
const unknownVersion = "an unknown version"

// crossAxes returns, in ascending order, the axes of a rank-rank operand that are neither
// contracting nor batch axes.
func crossAxes(rank int, contracting, batch []int) []int {
	used := make([]bool, rank)
	for _, axis := range contracting {
		used[axis] = true
	}
	for _, axis := range batch {
		used[axis] = true
	}
	cross := make([]int, 0, rank)
	for axis, u := range used {
		if !u {
			cross = append(cross, axis)
		}
	}
	return cross
}

func axesRange(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}

func convert(x *graph.Node, dtype dtypes.DType) *graph.Node {
	if x.DType() == dtype {
		return x
	}
	return graph.ConvertDType(x, dtype)
}
