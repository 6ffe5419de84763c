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
//  2. the pairs are selected over the filled slots: without Miner, every pair (query i, slot j),
//     positives being same-label pairs and negatives the different-label pairs; with Miner, the
//     pairs (or triplets) the miner selects among those (PML's miner(embeddings, labels, E_mem,
//     L_mem)). Then each query's pairs with its own just-enqueued copy are removed (PML's
//     remove_self_comparisons: for a triplet miner, the triplets whose positive is the copy), and the
//     caller's selection, if any, is added (PML's indices_tuple, concatenated);
//  3. Inner(embeddings, labels, Ref = memory, RefLabels = memory labels, Pos, Neg) is computed; the
//     memory carries no gradient: only the query side is differentiated.
//
// ComputeWithEnqueueMask is PML's enqueue_mask: only the rows where the mask is true are enqueued, and
// only the others are queries (their pairs are with every filled slot; no self comparison is removed).
//
// The caller's selection (Inputs.Pos/Neg, [N, MemorySize]) indexes memory slots as references, as
// PML's indices_tuple indexes E_mem (the filled slots, in slot order). It is a pair selection (PML's
// (a1, p, a2, n)); with a triplet miner it is converted to triplets as PML's convert_to_triplets does
// (each positive pair with each negative pair of its anchor) before it is added. It cannot be given
// with an enqueue mask (PML raises the same error).
//
// Static shapes: the memory is always [MemorySize, D]; slots not filled yet, and with an enqueue mask
// the enqueued rows as queries, are masked out of the pairs (Inputs.Pos/Neg), so a training step
// compiles once. The state lives in a GoMLX context as non-trainable variables under the scope Scope:
// "embeddings" [MemorySize, D], "labels" [MemorySize] int64, "index" (the next slot to write) and
// "filled" (the number of filled slots), int64 scalars. It is updated inside the graph, so running the
// step graph again continues the queue.
//
// Inner sees explicit pairs, so it must be one of the losses that accept them (PML's list: Angular,
// Circle, Contrastive, GeneralizedLifted, IntraPairVariance, Lifted, Margin, MultiSimilarity, NCA,
// NTXent, SNRContrastive, SupCon, TripletMargin, TupletMargin). Memory: O(N·MemorySize) for the pairs
// plus Inner's own, and O(N·MemorySize²) with a triplet miner.
//
// Differences from PML, each deliberate:
//   - The batch must not be larger than the memory, also with an enqueue mask (PML asserts it only
//     without one).
//   - An enqueue mask that enqueues nothing leaves the filled slots as they were; PML then marks the
//     memory as filled and pairs the queries with its never-written zero slots.
//   - Every selection is pair weights: a triplet miner's triplets reach a pair loss exactly as in
//     PML, but a triplet loss forms its triplets from the pairs (see TripletMargin).
//   - With an enqueue mask, the enqueued rows stay in Inner's queries with no pairs: a loss whose value
//     counts rows without pairs, or Inner's embedding regularizer, sees them (PML drops the rows).
//   - Ref and RefLabels are not supported (the memory is the reference).
type CrossBatchMemory struct {
	Inner                     Loss
	EmbeddingSize, MemorySize int
	// Miner, when set, selects the pairs among the filled slots (PML's miner). A miner that is also a
	// triplet miner (MineTriplets, as package miners' TripletMiner) is used through its triplets.
	Miner Miner
	// Scope is the context scope of the state variables (default "cross_batch_memory"); wrappers used
	// side by side need different scopes.
	Scope string
}

// DefaultMemorySize is PML's default memory_size of CrossBatchMemory.
const DefaultMemorySize = 1024

// NewCrossBatchMemory wraps inner with a memory of memorySize embeddings of width embeddingSize (PML's
// default memory_size is DefaultMemorySize), without a miner.
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
// [N, EmbeddingSize] and Labels [N]; Pos and Neg, when set, are the caller's selection (see the type's
// documentation).
func (x *CrossBatchMemory) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	return x.compute(ctx, in, nil)
}

// ComputeWithEnqueueMask is ComputeWithContext with PML's enqueue_mask: enqueueMask [N] (bool, or
// numbers where non-zero is true) says which rows are enqueued; the other rows are the queries. in
// must not have Pos and Neg.
func (x *CrossBatchMemory) ComputeWithEnqueueMask(ctx *context.Context, in Inputs, enqueueMask *graph.Node) *graph.Node {
	if enqueueMask == nil {
		exceptions.Panicf("CrossBatchMemory: ComputeWithEnqueueMask needs a mask (ComputeWithContext enqueues every row)")
	}
	return x.compute(ctx, in, enqueueMask)
}

func (x *CrossBatchMemory) compute(ctx *context.Context, in Inputs, enqueueMask *graph.Node) *graph.Node {
	if ctx == nil {
		exceptions.Panicf("CrossBatchMemory: ComputeWithContext needs a non-nil context (the memory lives in it)")
	}
	emb := in.Embeddings
	if emb == nil || in.Labels == nil {
		exceptions.Panicf("CrossBatchMemory: needs Embeddings and Labels")
	}
	if in.Ref != nil || in.RefLabels != nil {
		exceptions.Panicf("CrossBatchMemory: Ref and RefLabels are not supported (the memory is the reference)")
	}
	if emb.Rank() != 2 || emb.Shape().Dimensions[1] != x.EmbeddingSize {
		exceptions.Panicf("CrossBatchMemory: embeddings must be [N, %d], got %s", x.EmbeddingSize, emb.Shape())
	}
	n, m := emb.Shape().Dimensions[0], x.MemorySize
	if n > m {
		exceptions.Panicf("CrossBatchMemory: batch of %d is larger than the memory (%d)", n, m)
	}
	checkLabels("CrossBatchMemory", "Labels", in.Labels, n)
	if (in.Pos == nil) != (in.Neg == nil) {
		exceptions.Panicf("CrossBatchMemory: Inputs.Pos and Inputs.Neg must be given together")
	}
	if in.Pos != nil {
		if enqueueMask != nil {
			exceptions.Panicf("CrossBatchMemory: an enqueue mask and explicit pairs (Inputs.Pos/Neg) are mutually exclusive, as in PML")
		}
		for _, w := range []*graph.Node{in.Pos, in.Neg} {
			if w.Rank() != 2 || w.Shape().Dimensions[0] != n || w.Shape().Dimensions[1] != m {
				exceptions.Panicf("CrossBatchMemory: pair weights must be [%d, %d] (queries x memory slots), got shape %s", n, m, w.Shape())
			}
		}
	}
	g, dt := emb.Graph(), emb.DType()
	enqueue := graph.Ones(g, shapes.Make(dtypes.Bool, n))
	if enqueueMask != nil {
		if enqueueMask.Rank() != 1 || enqueueMask.Shape().Dimensions[0] != n {
			exceptions.Panicf("CrossBatchMemory: the enqueue mask must be [%d], got shape %s", n, enqueueMask.Shape())
		}
		enqueue = enqueueMask
		if enqueue.DType() != dtypes.Bool {
			enqueue = graph.NotEqual(enqueue, graph.ScalarZero(g, enqueue.DType()))
		}
	}
	s := x.state(ctx, dt)
	mem, memLabels := s.emb.ValueGraph(g), s.labels.ValueGraph(g)
	index, filled := s.index.ValueGraph(g), s.filled.ValueGraph(g)
	labels := graph.ConvertDType(in.Labels, dtypes.Int64)

	// 1. Enqueue: the k-th enqueued row goes to slot (index + k) mod M, as a one-hot [N, M] write.
	queued := graph.ConvertDType(enqueue, dtypes.Int64)
	count := graph.ReduceAllSum(queued)
	slots := graph.Add(graph.Sub(graph.CumSum(queued, 0), queued), index) // index + rows enqueued before i.
	mM := graph.Const(g, int64(m))
	wrap := func(v *graph.Node) *graph.Node { return graph.Where(graph.GreaterOrEqual(v, mM), graph.Sub(v, mM), v) }
	slots = wrap(slots)
	cols := graph.Iota(g, shapes.Make(dtypes.Int64, n, m), 1)
	write := graph.LogicalAnd(graph.Equal(graph.InsertAxes(slots, -1), cols), graph.InsertAxes(enqueue, -1)) // [N, M]
	written := graph.ReduceLogicalOr(write, 0)                                                               // [M]
	detached := graph.StopGradient(emb)
	newMem := graph.Where(written,
		graph.MatMul(graph.Transpose(graph.ConvertDType(write, dt), 0, 1), detached), mem)
	newLabels := graph.Where(written,
		graph.ReduceSum(graph.Where(write, graph.BroadcastToDims(graph.InsertAxes(labels, -1), n, m), graph.ZerosLike(cols)), 0), memLabels)
	newIndex := wrap(graph.Add(index, count))
	newFilled := graph.Min(graph.Add(filled, count), mM)
	s.emb.SetValueGraph(newMem)
	s.labels.SetValueGraph(newLabels)
	s.index.SetValueGraph(newIndex)
	s.filled.SetValueGraph(newFilled)
	ref := graph.StopGradient(newMem)

	// 2. Candidate pairs: the queries against the filled slots.
	valid := graph.InsertAxes(graph.LessThan(graph.Iota(g, shapes.Make(dtypes.Int64, m), 0), newFilled), 0) // [1, M]
	if enqueueMask != nil {
		valid = graph.LogicalAnd(valid, graph.InsertAxes(graph.LogicalNot(enqueue), -1)) // [N, M]: queries are the rows not enqueued.
	}
	same := graph.Equal(graph.InsertAxes(labels, -1), graph.InsertAxes(newLabels, 0))
	posCand := graph.LogicalAnd(same, valid)
	negCand := graph.LogicalAnd(graph.LogicalNot(same), valid)
	// Self comparisons are each query's pairs with its own just-enqueued slot, write (with an enqueue
	// mask there are none: the enqueued rows are not queries).
	pos, neg, triplets := x.selectPairs(Inputs{Embeddings: emb, Labels: in.Labels, Ref: ref, RefLabels: newLabels},
		posCand, negCand, write)

	// 3. The caller's selection, concatenated (as pair weights), and Inner.
	if in.Pos != nil {
		up, un := graph.ConvertDType(in.Pos, dt), graph.ConvertDType(in.Neg, dt)
		if triplets {
			// PML's convert_to_triplets: every positive pair with every negative pair of its anchor.
			up, un = graph.Mul(up, graph.ReduceAndKeep(un, graph.ReduceSum, 1)), graph.Mul(un, graph.ReduceAndKeep(up, graph.ReduceSum, 1))
		}
		pos, neg = graph.Add(pos, up), graph.Add(neg, un)
	}
	return x.Inner.ComputeWithContext(ctx, Inputs{Embeddings: emb, Labels: in.Labels, Ref: ref, RefLabels: newLabels, Pos: pos, Neg: neg})
}

// selectPairs returns the pairs of queries and memory slots (in, with Ref the memory) that Inner gets
// before the caller's selection: the candidates, or the Miner's selection among them, without the self
// comparisons self ([N, M] bool). triplets says the selection came as triplets (a triplet miner).
func (x *CrossBatchMemory) selectPairs(in Inputs, posCand, negCand, self *graph.Node) (pos, neg *graph.Node, triplets bool) {
	dt := in.Embeddings.DType()
	notSelf := graph.LogicalNot(self)
	if x.Miner == nil {
		return graph.ConvertDType(graph.LogicalAnd(posCand, notSelf), dt), graph.ConvertDType(negCand, dt), false
	}
	in.Pos, in.Neg = graph.ConvertDType(posCand, dt), graph.ConvertDType(negCand, dt)
	if tm, ok := x.Miner.(interface{ MineTriplets(Inputs) *graph.Node }); ok {
		t := graph.LogicalAnd(tm.MineTriplets(in), graph.InsertAxes(notSelf, -1)) // [N, M, M]: (a, p, n) without p = a's copy.
		t = graph.ConvertDType(t, dt)
		return graph.ReduceSum(t, 2), graph.ReduceSum(t, 1), true
	}
	pos, neg = x.Miner.Mine(in)
	return graph.Where(self, graph.ZerosLike(pos), pos), neg, false
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
