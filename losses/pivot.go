package losses

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The all-triplet losses (TripletMargin, DynamicSoftMargin, PNP) combine, for every anchor row, each of
// its positive entries with each of its negative entries. Instead of an [N, M, M] tensor they run a
// loop over "pivots": at iteration k, every row takes the k-th entry (in column order) of its pivot
// side, and combines it with the whole row ([N, M] work). The loop is a graph While whose trip count
// is the batch's largest number of pivots in a row, so the work is O(N·M·K) and the memory O(N·M),
// K = max_i |pivots of row i|. A row may choose its smaller side (positives or negatives) as pivots
// when the loss is symmetric in the two: K is then max_i min(|P(i)|, |N(i)|), 1 for a batch of two
// samples per class.

// pivotIter is one iteration of pivotLoop. A row's pivot is one entry: reading and updating it are
// N-element Gather and Scatter operations, not passes over the [N, M] matrix.
type pivotIter struct {
	// has is [N] bool: whether the row has a pivot at this iteration.
	has *graph.Node
	// col is [N] int32: the pivot's column, M−1 in a row without a pivot (check has).
	col *graph.Node
	// idx is [N, 2] int32: (row, col), the pivots' positions in an [N, M] matrix.
	idx *graph.Node
}

// at returns x's entries at the rows' pivots, [N] (for a row without a pivot, its last entry).
func (it pivotIter) at(x *graph.Node) *graph.Node {
	return graph.Gather(x, it.idx, true)
}

// addAt returns acc with v[i] added at row i's pivot ([N, M] and [N]); v must be 0 in a row without
// a pivot.
func (it pivotIter) addAt(acc, v *graph.Node) *graph.Node {
	return graph.ScatterSum(acc, it.idx, v, true, true)
}

// pivotLoop runs body once per pivot rank: at iteration k the pivot of row i is the k-th column j (in
// column order) with pivotSel[i, j]. It runs max_i |pivotSel[i, :]| times (0 times when nothing is
// selected). The results carry no gradient (a caller attaches its own, see withGradient). state are the loop-carried values (any shapes), passed to body and returned at the end;
// body returns their new values, in the same order and shapes. Values body uses from outside the loop
// are captured by the closure.
//
// The pure-Go backend of GoMLX v0.27.2 runs the loop's body on its worker pool (2·GOMAXPROCS
// workers) while the loop itself holds a worker, and a matrix product holds its worker while it waits
// for another: a loop running beside three or more matrix products can leave no worker free and hang.
// A loss's loops therefore run after the distance matrix and before its gradient; its own loops run
// one after another (see after), with at most one matrix product at a time in their bodies (serial);
// a graph that computes something else beside a loss should not run matrix products of its own in
// parallel with the loss's loops.
//
// Inside body, never create scalars with GoMLX's cached helpers (graph.Scalar, ScalarZero, ScalarOne,
// AddScalar, MulScalar, OnePlus, gmath.Zero, ...): GoMLX v0.27.2 caches a graph's scalar constants
// without regard to the function they were made in, so a scalar made inside the loop would later be
// handed to the enclosing graph, which the pure-Go backend rejects ("a node from a different function
// scope"). Make them before the loop and let the closure capture them, or use graph.Const.
func pivotLoop(pivotSel *graph.Node, state []*graph.Node, body func(it pivotIter, state []*graph.Node) []*graph.Node) []*graph.Node {
	return pivotLoopIf(nil, pivotSel, state, body)
}

// pivotLoopIf is pivotLoop that runs no iteration unless the scalar boolean enabled (nil: true) is
// true. GoMLX v0.27.2 makes every closure a child of the main function, so a loop cannot be nested in
// a graph.If branch: a run-time choice between routes runs each in its own top-level loop instead.
func pivotLoopIf(enabled, pivotSel *graph.Node, state []*graph.Node, body func(it pivotIter, state []*graph.Node) []*graph.Node) []*graph.Node {
	g := pivotSel.Graph()
	n, m := pivotSel.Shape().Dimensions[0], pivotSel.Shape().Dimensions[1]
	colShape := shapes.Make(dtypes.Int32, n, m)
	// key holds the column index of the pivots not yet visited, and m elsewhere.
	key := graph.Where(pivotSel, graph.Iota(g, colShape, 1), graph.Const(g, int32(m)))
	trips := graph.ReduceAllMax(graph.ReduceSum(graph.ConvertDType(pivotSel, dtypes.Int32), 1))
	if enabled != nil {
		trips = graph.Where(enabled, trips, graph.Const(g, int32(0)))
	}
	init := append([]*graph.Node{graph.Const(g, int32(0)), key}, state...)
	params := func(g *graph.Graph) []*graph.Node {
		ps := make([]*graph.Node, len(init))
		for i, x := range init {
			ps[i] = graph.Parameter(g, fmt.Sprintf("s%d", i), x.Shape())
		}
		return ps
	}
	cond := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		ps := params(g)
		return []*graph.Node{graph.LessThan(ps[0], trips)}
	})
	loop := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		ps := params(g)
		k, key := ps[0], ps[1]
		j := graph.ReduceMin(key, 1) // [N]: the next pivot's column, m when none is left.
		has := graph.LessThan(j, graph.Const(g, int32(m)))
		col := graph.Min(j, graph.Const(g, int32(m-1)))
		idx := graph.Stack([]*graph.Node{graph.Iota(g, shapes.Make(dtypes.Int32, n), 0), col}, 1)
		// The pivot is visited: its key becomes m (a row without a pivot has m everywhere already).
		key = graph.ScatterMax(key, idx, graph.BroadcastToDims(graph.Const(g, int32(m)), n), true, true)
		out := body(pivotIter{has: has, col: col, idx: idx}, ps[2:])
		if len(out) != len(state) {
			panic("losses: internal error: pivotLoop body returned the wrong number of values")
		}
		return append([]*graph.Node{graph.Add(k, graph.Const(g, int32(1))), key}, out...)
	})
	// GoMLX has no gradient for While, and its autodiff sends the upstream gradient into any node
	// that depends on the differentiated inputs, even through a StopGradient: cut the outputs.
	out := graph.While(cond, loop, init...)[2:]
	for i, x := range out {
		out[i] = graph.StopGradient(x)
	}
	return out
}

// runIf returns body(state) when the scalar boolean pred is true, and state otherwise, computing body
// only in the first case: a While of at most one iteration, where graph.If cannot be used (see
// pivotLoopIf). body must return values of state's shapes; its results carry no gradient.
func runIf(pred *graph.Node, state []*graph.Node, body func(state []*graph.Node) []*graph.Node) []*graph.Node {
	g := pred.Graph()
	trips := graph.Where(pred, graph.Const(g, int32(1)), graph.Const(g, int32(0)))
	init := append([]*graph.Node{graph.Const(g, int32(0))}, state...)
	params := func(g *graph.Graph) []*graph.Node {
		ps := make([]*graph.Node, len(init))
		for i, x := range init {
			ps[i] = graph.Parameter(g, fmt.Sprintf("s%d", i), x.Shape())
		}
		return ps
	}
	cond := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		return []*graph.Node{graph.LessThan(params(g)[0], trips)}
	})
	loop := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		ps := params(g)
		return append([]*graph.Node{graph.Add(ps[0], graph.Const(g, int32(1)))}, body(ps[1:])...)
	})
	out := graph.While(cond, loop, init...)[1:]
	for i, x := range out {
		out[i] = graph.StopGradient(x)
	}
	return out
}

// after returns x unchanged, but computed only once dep is: x plus a zero that depends on one entry of
// dep through a comparison that is always false (v > v). The pure-Go backend of GoMLX v0.27.2 runs a
// loop's body on its worker pool while the loop itself holds a worker, so two loops running at the
// same time (with matrix products, which also wait for workers) can exhaust the pool and deadlock:
// the loops of one loss are chained with after so that they run one after another.
func after(x, dep *graph.Node) *graph.Node {
	probe := graph.Slice(graph.Reshape(dep, dep.Shape().Size()), graph.AxisRange(0, 1))
	zero := graph.ConvertDType(graph.GreaterThan(probe, probe), x.DType())
	return graph.Add(x, graph.Reshape(zero))
}
