package miners

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/losses"
)

// RandomMiner is a miner that samples its selection (DistanceWeighted, UniformHistogram). Its draws
// come from a GoMLX random number generator state (graph.RNGStateShape) inside the graph, so the
// shapes stay static and a training step compiles once:
//
//   - Mine (PairMiner) derives the state from the miner's Seed and the bits of the embeddings: the
//     same seed and inputs give the same selection, and new embeddings (every training step) give new
//     draws. Nothing has to be threaded through the training loop.
//   - MineRandom takes the state and returns the advanced one, for callers that keep it (a test
//     drawing many times, a loop that stores it).
//   - MineWithContext keeps the state in a non-trainable context variable, seeded from Seed on first
//     use and advanced at every execution, GoMLX's usual way of owning random state.
//
// PML draws with torch's global generator; no seed of gometric reproduces PML's draws. The
// distributions are the same, and the golden test compares selection frequencies over many draws.
type RandomMiner interface {
	PairMiner
	// MineRandom returns the selection drawn from rng and the advanced state.
	MineRandom(rng *graph.Node, in losses.Inputs) (newRNG, pos, neg *graph.Node)
}

// seededState returns the RNG state of Mine: the seed's state mixed with a hash of the embeddings'
// bits (a wrapping sum of the bit patterns, each multiplied by an odd constant depending on its
// position), then split once so that every bit of the hash reaches the whole state.
func seededState(seed int64, emb *graph.Node) *graph.Node {
	g := emb.Graph()
	emb = graph.StopGradient(emb)
	state := graph.RNGStateFromSeedForGraph(g, seed)
	var bits *graph.Node
	switch emb.DType() {
	case dtypes.Float64:
		bits = graph.Bitcast(emb, dtypes.Uint64)
	case dtypes.Float32:
		bits = graph.ConvertDType(graph.Bitcast(emb, dtypes.Uint32), dtypes.Uint64)
	default:
		bits = graph.ConvertDType(graph.Bitcast(graph.ConvertDType(emb, dtypes.Float32), dtypes.Uint32), dtypes.Uint64)
	}
	pos := graph.ConvertDType(graph.Iota(g, bits.Shape(), 0), dtypes.Uint64)
	pos = graph.Add(graph.Mul(pos, graph.Scalar(g, dtypes.Uint64, uint64(0x9E3779B97F4A7C15))), graph.Iota(g, bits.Shape(), 1))
	mult := graph.Add(graph.Mul(pos, graph.Scalar(g, dtypes.Uint64, uint64(2))), graph.Scalar(g, dtypes.Uint64, uint64(0xBF58476D1CE4E5B9)))
	h := graph.ReduceAllSum(graph.Mul(bits, mult))
	state = graph.Add(state, graph.BroadcastToShape(h, state.Shape()))
	state, _ = graph.RNGStateSplit(state)
	return state
}

// MineWithContext mines with m, drawing from the RNG state kept in ctx's non-trainable variable
// "rng" under scope (created from seed on first use) and advancing it, so that each execution of the
// graph draws anew.
func MineWithContext(ctx *context.Context, scope string, seed int64, m RandomMiner, in losses.Inputs) (pos, neg *graph.Node) {
	state, err := graph.RNGStateFromSeed(seed)
	if err != nil {
		panic(err)
	}
	v := ctx.In(scope).Checked(false).VariableWithValue("rng", state)
	v.SetTrainable(false)
	newRNG, pos, neg := m.MineRandom(v.ValueGraph(in.Embeddings.Graph()), in)
	v.SetValueGraph(newRNG)
	return pos, neg
}

// uniform draws [shape] uniform values in [0, 1) of dtype dt from *rng, advancing it.
func uniform(rng **graph.Node, dt dtypes.DType, dims ...int) *graph.Node {
	var u *graph.Node
	*rng, u = graph.RandomUniform(*rng, shapes.Make(dt, dims...))
	return u
}

// drawIndices draws, for each row of the nonnegative weights w [N, M], the column of each of the T
// uniform values u [N, T] by inverse transform sampling: column j is drawn with probability
// w[i, j] / Σ_j w[i, j]. A row of zeros draws column M−1 (the caller masks such rows out). Returns
// int32 [N, T]. Memory O(N·T·M).
func drawIndices(w, u *graph.Node) *graph.Node {
	m := w.Shape().Dimensions[1]
	cdf := prefixSum(w, 1)
	total := graph.Slice(cdf, graph.AxisRange(), graph.AxisRange(m-1)) // [N, 1]
	target := graph.Mul(u, total)                                      // [N, T], < total since u < 1.
	le := graph.LessOrEqual(graph.InsertAxes(cdf, 1), graph.InsertAxes(target, -1))
	idx := graph.ReduceSum(graph.ConvertDType(le, dtypes.Int32), -1) // #{j : cdf_j ≤ target}: the drawn column.
	return graph.MinScalar(idx, float64(m-1))
}

// drawCounts turns drawn indices [N, T] (counted where valid [N, T] is true) into [N, M] counts of
// dtype dt.
func drawCounts(idx, valid *graph.Node, m int, dt dtypes.DType) *graph.Node {
	oh := graph.OneHot(idx, m, dt) // [N, T, M]
	oh = graph.Mul(oh, graph.InsertAxes(graph.ConvertDType(valid, dt), -1))
	return graph.ReduceSum(oh, 1)
}

// prefixSum is the inclusive cumulative sum of x along axis, by log₂(n) shifted additions
// (Hillis–Steele): O(n log n) work, where graph.CumSum's window sum is O(n²) on the pure-Go backend.
func prefixSum(x *graph.Node, axis int) *graph.Node {
	n := x.Shape().Dimensions[axis]
	for s := 1; s < n; s *= 2 {
		head := make([]graph.SliceAxisSpec, x.Rank())
		pad := make([]graph.SliceAxisSpec, x.Rank())
		for i := range head {
			head[i], pad[i] = graph.AxisRange(), graph.AxisRange()
		}
		head[axis] = graph.AxisRange(0, n-s)
		pad[axis] = graph.AxisRange(0, s)
		shifted := graph.Concatenate([]*graph.Node{graph.ZerosLike(graph.Slice(x, pad...)), graph.Slice(x, head...)}, axis)
		x = graph.Add(x, shifted)
	}
	return x
}
