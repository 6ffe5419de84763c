package losses

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"
)

// CrossBatchMemory is PML's CrossBatchMemory wrapper (Wang et al., 2020, "Cross-Batch Memory for
// Embedding Learning", XBM): it keeps a ring buffer of the last MemorySize embeddings and labels and
// computes Inner with the batch as queries and the memory as references. Each step:
//
//  1. the batch is enqueued first (detached): rows go to slots (index + i) mod MemorySize, the write
//     index advances by N, and the slots filled so far grow (up to MemorySize);
//  2. Inner(embeddings, labels, Ref = memory, RefLabels = memory labels) is computed over all pairs
//     (query i, slot j) of filled slots, positives being same-label pairs except query i with its own
//     just-enqueued copy (PML's remove_self_comparisons), negatives the different-label pairs;
//  3. the memory carries no gradient: only the query side is differentiated.
//
// Static shapes: the memory is always [MemorySize, D]; slots not filled yet are masked out of the pairs
// (Inputs.Pos/Neg), so a training step compiles once. The state lives in a GoMLX context as
// non-trainable variables under the scope Scope: "embeddings" [MemorySize, D], "labels" [MemorySize]
// int64, "index" (the next slot to write) and "filled" (the number of filled slots), int64 scalars.
// It is updated inside the graph, so running the step graph again continues the queue.
//
// Inner sees explicit pairs, so it must be one of the losses that accept them (PML's list: Angular,
// Circle, Contrastive, GeneralizedLifted, IntraPairVariance, Lifted, Margin, MultiSimilarity, NCA,
// NTXent, SNRContrastive, SupCon, TripletMargin, TupletMargin). Memory: O(N·MemorySize) for the pairs
// plus Inner's own.
//
// Not supported: PML's miner argument, enqueue_mask, and a user indices_tuple (Inputs.Pos/Neg and
// Ref must be nil). The batch must not be larger than the memory (PML asserts the same).
type CrossBatchMemory struct {
	Inner                     Loss
	EmbeddingSize, MemorySize int
	// Scope is the context scope of the state variables (default "cross_batch_memory"); wrappers used
	// side by side need different scopes.
	Scope string
}

// DefaultMemorySize is PML's default memory_size of CrossBatchMemory.
const DefaultMemorySize = 1024

// NewCrossBatchMemory wraps inner with a memory of memorySize embeddings of width embeddingSize (PML's
// default memory_size is DefaultMemorySize).
func NewCrossBatchMemory(inner Loss, embeddingSize, memorySize int) *CrossBatchMemory {
	return &CrossBatchMemory{Inner: inner, EmbeddingSize: embeddingSize, MemorySize: memorySize, Scope: "cross_batch_memory"}
}

// xbmState holds the state variables.
type xbmState struct {
	emb, labels, index, filled *context.Variable
}

func (x *CrossBatchMemory) state(ctx *context.Context, dt dtypes.DType) xbmState {
	c := ctx.In(x.Scope)
	s := xbmState{
		emb:    c.VariableWithValue("embeddings", tensors.FromShape(shapes.Make(dt, x.MemorySize, x.EmbeddingSize))),
		labels: c.VariableWithValue("labels", tensors.FromShape(shapes.Make(dtypes.Int64, x.MemorySize))),
		index:  c.VariableWithValue("index", int64(0)),
		filled: c.VariableWithValue("filled", int64(0)),
	}
	for _, v := range []*context.Variable{s.emb, s.labels, s.index, s.filled} {
		v.SetTrainable(false)
	}
	if s.emb.DType() != dt {
		exceptions.Panicf("CrossBatchMemory: the memory holds %s embeddings, got %s", s.emb.DType(), dt)
	}
	return s
}

// ComputeWithContext implements Loss: it enqueues the batch in the memory kept in ctx and returns
// Inner's loss of the batch against the memory (Inner computed with ctx too). in needs Embeddings
// [N, EmbeddingSize] and Labels [N].
func (x *CrossBatchMemory) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	if ctx == nil {
		exceptions.Panicf("CrossBatchMemory: ComputeWithContext needs a non-nil context (the memory lives in it)")
	}
	emb := in.Embeddings
	if emb == nil || in.Labels == nil {
		exceptions.Panicf("CrossBatchMemory: needs Embeddings and Labels")
	}
	if in.Ref != nil || in.RefLabels != nil || in.Pos != nil || in.Neg != nil {
		exceptions.Panicf("CrossBatchMemory: Ref, RefLabels, Pos and Neg are not supported (the memory is the reference)")
	}
	if emb.Rank() != 2 || emb.Shape().Dimensions[1] != x.EmbeddingSize {
		exceptions.Panicf("CrossBatchMemory: embeddings must be [N, %d], got %s", x.EmbeddingSize, emb.Shape())
	}
	n, m := emb.Shape().Dimensions[0], x.MemorySize
	if n > m {
		exceptions.Panicf("CrossBatchMemory: batch of %d is larger than the memory (%d)", n, m)
	}
	checkLabels("CrossBatchMemory", "Labels", in.Labels, n)
	g, dt := emb.Graph(), emb.DType()
	s := x.state(ctx, dt)
	mem, memLabels := s.emb.ValueGraph(g), s.labels.ValueGraph(g)
	index, filled := s.index.ValueGraph(g), s.filled.ValueGraph(g)
	labels := graph.ConvertDType(in.Labels, dtypes.Int64)

	// 1. Enqueue: slot_i = (index + i) mod M, as a one-hot [N, M] write.
	slots := graph.Add(graph.Iota(g, shapes.Make(dtypes.Int64, n), 0), index)
	mM := graph.Const(g, int64(m))
	slots = graph.Where(graph.GreaterOrEqual(slots, mM), graph.Sub(slots, mM), slots)
	cols := graph.Iota(g, shapes.Make(dtypes.Int64, n, m), 1)
	write := graph.Equal(graph.InsertAxes(slots, -1), cols) // [N, M]
	written := graph.ReduceLogicalOr(write, 0)              // [M]
	detached := graph.StopGradient(emb)
	newMem := graph.Where(written,
		graph.MatMul(graph.Transpose(graph.ConvertDType(write, dt), 0, 1), detached), mem)
	newLabels := graph.Where(written,
		graph.ReduceSum(graph.Where(write, graph.BroadcastToDims(graph.InsertAxes(labels, -1), n, m), graph.ZerosLike(cols)), 0), memLabels)
	nN := graph.Const(g, int64(n))
	newIndex := graph.Add(index, nN)
	newIndex = graph.Where(graph.GreaterOrEqual(newIndex, mM), graph.Sub(newIndex, mM), newIndex)
	newFilled := graph.Min(graph.Add(filled, nN), mM)
	s.emb.SetValueGraph(newMem)
	s.labels.SetValueGraph(newLabels)
	s.index.SetValueGraph(newIndex)
	s.filled.SetValueGraph(newFilled)

	// 2. Pairs against the filled slots, without each query's own copy.
	valid := graph.InsertAxes(graph.LessThan(graph.Iota(g, shapes.Make(dtypes.Int64, m), 0), newFilled), 0) // [1, M]
	same := graph.Equal(graph.InsertAxes(labels, -1), graph.InsertAxes(newLabels, 0))
	pos := graph.LogicalAnd(graph.LogicalAnd(same, valid), graph.LogicalNot(write))
	neg := graph.LogicalAnd(graph.LogicalNot(same), valid)
	return x.Inner.ComputeWithContext(ctx, Inputs{
		Embeddings: emb, Labels: in.Labels,
		Ref: graph.StopGradient(newMem), RefLabels: newLabels,
		Pos: graph.ConvertDType(pos, dt), Neg: graph.ConvertDType(neg, dt),
	})
}

// Reset empties the memory kept in ctx (PML's reset_queue): the next step starts a new queue. It does
// nothing if the state was never created.
func (x *CrossBatchMemory) Reset(ctx *context.Context) error {
	c := ctx.In(x.Scope)
	for _, name := range []string{"embeddings", "labels", "index", "filled"} {
		v := c.InspectVariableInScope(name)
		if v == nil {
			continue
		}
		if err := v.SetValue(tensors.FromShape(v.Shape())); err != nil {
			return fmt.Errorf("CrossBatchMemory.Reset: %s: %w", name, err)
		}
	}
	return nil
}
