package backend

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// HostFunc computes the outputs of a host call from the values of its inputs. It runs on the host,
// in the caller's goroutine, each time the compiled graph executes. The inputs are views of the
// graph's input buffers, valid during the call only: read them with ConstFlatData (or Value), and
// neither modify, finalize nor keep them. It returns one tensor per declared output shape, or an
// error, which the graph's execution returns. An output made by NewHostOutput reaches the graph
// without a copy; any other is copied.
type HostFunc func(inputs []*tensors.Tensor) ([]*tensors.Tensor, error)

// MaxHostCallInputs is the number of inputs a host call can take.
const MaxHostCallInputs = 3

// HostCallsSupported reports whether graphs of g's backend can contain host calls: the pure-Go
// backend that Shared and New return (unless its configuration says "nohostcalls").
func HostCallsSupported(g *graph.Graph) bool {
	_, ok := g.Backend().(*hostBackend)
	return ok
}

// HostCallInputs reports whether nodes can be the inputs of a host call: at most MaxHostCallInputs
// of them, every one a parameter of the graph's main function (the graph's inputs, and the variables
// a context passes to it). A host call runs before the graph, so its inputs cannot be computed by it.
func HostCallInputs(nodes ...*graph.Node) bool {
	if len(nodes) == 0 || len(nodes) > MaxHostCallInputs {
		return false
	}
	for _, n := range nodes {
		if n == nil || n.Type() != graph.NodeTypeParameter || n.Function() == nil || !n.Function().IsMain() {
			return false
		}
	}
	return true
}

// HostCall adds to the graph a computation that fn does on the host: when the compiled graph
// executes, fn first runs on the values of inputs, and the graph then goes on with its results as
// the returned nodes (one per shape in outputs). The returned nodes have no gradient (their
// derivatives are what fn computes, if anything: see losses' use, which joins value and gradient).
//
// The graph's backend must support host calls (HostCallsSupported) and inputs must satisfy
// HostCallInputs; HostCall panics otherwise, as GoMLX's graph functions do with invalid arguments.
//
// Why: on the pure-Go backend every graph op is its own pass over its operands, while a fused Go
// kernel does the same work in one; a host call lets a graph use such kernels (gometric's host loss
// engine) without leaving GoMLX's graph, its gradients or its executors.
func HostCall(fn HostFunc, outputs []shapes.Shape, inputs ...*graph.Node) []*graph.Node {
	if len(inputs) == 0 {
		panic("backend.HostCall: no inputs")
	}
	g := inputs[0].Graph()
	if !HostCallsSupported(g) {
		panic(fmt.Sprintf("backend.HostCall: backend %s does not support host calls", g.Backend().Name()))
	}
	if !HostCallInputs(inputs...) {
		panic(fmt.Sprintf("backend.HostCall: inputs must be 1 to %d parameters of the main function", MaxHostCallInputs))
	}
	if len(outputs) == 0 || len(outputs) > maxHostCallOutputs {
		panic(fmt.Sprintf("backend.HostCall: %d outputs, want 1 to %d", len(outputs), maxHostCallOutputs))
	}
	id := nextHostCallID.Add(1) % (1 << 32)
	pendingHostCalls.Store(id, &hostCall{fn: fn, outputs: outputs, numInputs: len(inputs)})
	defer pendingHostCalls.Delete(id) // Claimed by the first carrier; removed here if building failed.
	x, w, b := inputs[0], inputs[0], (*graph.Node)(nil)
	if len(inputs) > 1 {
		w = inputs[1]
	}
	if len(inputs) > 2 {
		b = inputs[2]
	}
	nodes := make([]*graph.Node, len(outputs))
	for k := range outputs {
		// The carrier: a FusedDense node whose activation encodes the call and the output; the
		// host-call builder answers it with the output's parameter and never builds the product.
		nodes[k] = graph.StopGradient(graph.BackendFusedDense(x, w, b, carrier(id, k)))
	}
	return nodes
}

// The carrier activation: hostCallTag | id<<8 | output (id < 2^32). No real activation has the
// tag's bits.
const (
	hostCallTag        = backends.ActivationType(0x676d) << 40 // "gm"
	hostCallTagMask    = backends.ActivationType(0xffff) << 40
	maxHostCallOutputs = 1 << 8
)

func carrier(id uint64, output int) backends.ActivationType {
	return hostCallTag | backends.ActivationType(id<<8) | backends.ActivationType(output)
}

func fromCarrier(a backends.ActivationType) (id uint64, output int, ok bool) {
	if a&hostCallTagMask != hostCallTag {
		return 0, 0, false
	}
	return uint64(a&^hostCallTagMask) >> 8, int(a & 0xff), true
}

var (
	nextHostCallID   atomic.Uint64
	pendingHostCalls sync.Map // id → *hostCall, between HostCall and its first carrier.
)

// hostCall is one host call of a graph being built: its function, outputs, and (once its first
// carrier reached the builder) its inputs' and outputs' parameters.
type hostCall struct {
	fn        HostFunc
	outputs   []shapes.Shape
	numInputs int
	inputs    []int            // the user parameters (indices among the graph's inputs) it reads
	params    []backends.Value // the parameters standing for its outputs
}

// hostBackend is the pure-Go backend with host calls: graphs built on it may contain HostCall
// nodes, whose outputs the compiled graph receives as extra parameters computed before it runs.
// Everything else is the wrapped backend's.
type hostBackend struct {
	backends.Backend
}

// Builder implements backends.Backend.
func (b *hostBackend) Builder(name string) backends.Builder {
	return &hostBuilder{Builder: b.Backend.Builder(name), backend: b}
}

// hostBuilder records the main function's parameters (the graph's inputs and the host calls'
// outputs, in the order they were created) and the host calls.
type hostBuilder struct {
	backends.Builder
	backend *hostBackend
	main    *hostFunction
	// slots has one entry per parameter of the wrapped main function: the graph input it is
	// (>= 0), or -1 - k for the k-th host call output parameter (hostOutputs[k]).
	slots       []int
	userParam   map[backends.Value]int // parameter value → graph input index
	numUser     int
	calls       map[uint64]*hostCall
	callOrder   []*hostCall
	hostOutputs []hostOutput
}

type hostOutput struct {
	call   *hostCall
	output int
}

// Main implements backends.Builder.
func (b *hostBuilder) Main() backends.Function {
	if b.main == nil {
		b.main = &hostFunction{Function: b.Builder.Main(), builder: b}
	}
	return b.main
}

// Compile implements backends.Builder: without host calls the wrapped executable itself.
func (b *hostBuilder) Compile() (backends.Executable, error) {
	exec, err := b.Builder.Compile()
	if err != nil || len(b.callOrder) == 0 {
		return exec, err
	}
	return &hostExecutable{Executable: exec, builder: b}, nil
}

// hostFunction is the main function: it notes the parameters and answers the host calls' carriers.
type hostFunction struct {
	backends.Function
	builder *hostBuilder
}

// Parameter implements backends.Function.
func (f *hostFunction) Parameter(name string, shape shapes.Shape, sharding *backends.ShardingSpec) (backends.Value, error) {
	v, err := f.Function.Parameter(name, shape, sharding)
	if err != nil {
		return nil, err
	}
	b := f.builder
	if b.userParam == nil {
		b.userParam = make(map[backends.Value]int)
	}
	b.userParam[v] = b.numUser
	b.slots = append(b.slots, b.numUser)
	b.numUser++
	return v, nil
}

// FusedDense implements backends.Function: a host call's carrier, or the wrapped backend's op.
func (f *hostFunction) FusedDense(x, weight, bias backends.Value, activation backends.ActivationType) (backends.Value, error) {
	id, output, ok := fromCarrier(activation)
	if !ok {
		return f.Function.FusedDense(x, weight, bias, activation)
	}
	b := f.builder
	call := b.calls[id]
	if call == nil {
		v, found := pendingHostCalls.LoadAndDelete(id)
		if !found {
			return nil, fmt.Errorf("host call %d: unknown (built outside backend.HostCall?)", id)
		}
		call = v.(*hostCall)
		for i, in := range []backends.Value{x, weight, bias}[:call.numInputs] {
			idx, isParam := b.userParam[in]
			if !isParam {
				return nil, fmt.Errorf("host call %d: input #%d is not a parameter of the main function", id, i)
			}
			call.inputs = append(call.inputs, idx)
		}
		for k, s := range call.outputs {
			p, err := f.Function.Parameter(fmt.Sprintf("#hostcall%d.%d", id, k), s, nil)
			if err != nil {
				return nil, fmt.Errorf("host call %d: %w", id, err)
			}
			b.slots = append(b.slots, -1-len(b.hostOutputs))
			b.hostOutputs = append(b.hostOutputs, hostOutput{call: call, output: k})
			call.params = append(call.params, p)
		}
		if b.calls == nil {
			b.calls = make(map[uint64]*hostCall)
		}
		b.calls[id] = call
		b.callOrder = append(b.callOrder, call)
	}
	if output >= len(call.params) {
		return nil, fmt.Errorf("host call %d: output %d of %d", id, output, len(call.params))
	}
	return call.params[output], nil
}

// hostExecutable runs a graph's host calls, then the compiled graph with their outputs.
type hostExecutable struct {
	backends.Executable
	builder *hostBuilder
}

// Inputs implements backends.Executable: the graph's inputs, without the host calls' outputs.
func (e *hostExecutable) Inputs() (names []string, inputShapes []shapes.Shape) {
	allNames, allShapes := e.Executable.Inputs()
	for pos, slot := range e.builder.slots {
		if slot >= 0 {
			names, inputShapes = append(names, allNames[pos]), append(inputShapes, allShapes[pos])
		}
	}
	return names, inputShapes
}

// Execute implements backends.Executable.
func (e *hostExecutable) Execute(inputs []backends.Buffer, donate []bool, device backends.DeviceNum) ([]backends.Buffer, error) {
	b := e.builder
	if len(inputs) != b.numUser {
		return nil, fmt.Errorf("Execute: expected %d inputs, got %d", b.numUser, len(inputs))
	}
	be := b.backend.Backend
	results := make(map[*hostCall][]backends.Buffer, len(b.callOrder))
	release := func() {
		for _, bufs := range results {
			for _, buf := range bufs {
				_ = be.BufferFinalize(buf)
			}
		}
	}
	for _, call := range b.callOrder {
		args := make([]*tensors.Tensor, len(call.inputs))
		for i, idx := range call.inputs {
			// A view, not a copy: FromBuffer's tensor reads the buffer's own storage, and nothing
			// finalizes it (HostFunc's contract), so the buffer stays the graph's.
			t, err := tensors.FromBuffer(be, inputs[idx])
			if err != nil {
				release()
				return nil, err
			}
			args[i] = t
		}
		outs, err := call.fn(args)
		if err != nil {
			release()
			return nil, err
		}
		if len(outs) != len(call.outputs) {
			release()
			return nil, fmt.Errorf("host call: %d outputs, want %d", len(outs), len(call.outputs))
		}
		bufs := make([]backends.Buffer, len(outs))
		for k, t := range outs {
			if !t.Shape().Equal(call.outputs[k]) {
				release()
				return nil, fmt.Errorf("host call: output %d is %s, want %s", k, t.Shape(), call.outputs[k])
			}
			buf, err := outputBuffer(be, t, device, inputs)
			if err != nil {
				release()
				return nil, err
			}
			bufs[k] = buf
		}
		results[call] = bufs
	}
	all := make([]backends.Buffer, len(b.slots))
	allDonate := make([]bool, len(b.slots))
	for pos, slot := range b.slots {
		if slot >= 0 {
			all[pos] = inputs[slot]
			allDonate[pos] = len(donate) > slot && donate[slot]
			continue
		}
		out := b.hostOutputs[-1-slot]
		all[pos], allDonate[pos] = results[out.call][out.output], true // Ours: the graph may reuse it.
	}
	return e.Executable.Execute(all, allDonate, device)
}

// outputBuffer returns a buffer of be on device holding t's value: t's own buffer when t lives
// there (NewHostOutput's tensors) and is none of the graph's inputs, which t then gives up; a copy
// otherwise.
func outputBuffer(be backends.Backend, t *tensors.Tensor, device backends.DeviceNum, inputs []backends.Buffer) (backends.Buffer, error) {
	if tb, err := t.Backend(); err == nil && tb == be && t.IsOnDevice(device) {
		buf, err := t.Buffer(be, device)
		if err == nil && !slices.Contains(inputs, buf) {
			return t.DonateBuffer(be, device)
		}
	}
	var buf backends.Buffer
	var copyErr error
	if err := t.ConstFlatData(func(flat any) { buf, copyErr = be.BufferFromFlatData(device, flat, t.Shape()) }); err != nil {
		return nil, err
	}
	return buf, copyErr
}

// NewHostOutput returns a tensor of the given shape for a host function (HostFunc) of a graph of
// backend b to return: on the pure-Go backend of Shared and New its data is a buffer of the
// backend, which the graph then reads without a copy; on others, a local tensor. Its initial
// values are undefined (a reused buffer's): write every element, through the slice that
// ConstFlatData gives (MutableFlatData would copy the buffer to a local one first).
func NewHostOutput(b backends.Backend, shape shapes.Shape) (*tensors.Tensor, error) {
	hb, ok := b.(*hostBackend)
	if !ok || !hb.HasSharedBuffers() {
		return tensors.FromShape(shape), nil
	}
	buf, _, err := hb.Backend.NewSharedBuffer(0, shape)
	if err != nil {
		return nil, err
	}
	return tensors.FromBuffer(hb.Backend, buf)
}
