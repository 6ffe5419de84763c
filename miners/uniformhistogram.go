package miners

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/losses"
)

// UniformHistogram is PML's UniformHistogramMiner, a random pair miner: the positive pairs' distances
// are split into NumBins equal-width bins between their smallest and largest (torch.linspace's edges;
// a bin holds [low, high), the last one [low, high]), and from every non-empty bin PosPerBin pairs are
// drawn uniformly with replacement; the negative pairs likewise with NegPerBin. Mine returns how many
// times each pair was drawn.
//
// Defaults (NewUniformHistogram): NumBins 100, PosPerBin 10, NegPerBin 10, LpDistance (p=2,
// normalized: PML's BaseMiner default), Seed 0 (gometric's; see RandomMiner for how draws are made).
// Memory is O(N·M·NumBins) for the bin ranks.
type UniformHistogram struct {
	NumBins, PosPerBin, NegPerBin int
	// Distance compares the embeddings; nil means LpDistance.
	Distance distances.Distance
	// Seed seeds Mine's draws (with the embeddings' bits) and MineWithContext's state.
	Seed int64
}

// NewUniformHistogram returns UniformHistogramMiner with PML's defaults.
func NewUniformHistogram() *UniformHistogram {
	return &UniformHistogram{NumBins: 100, PosPerBin: 10, NegPerBin: 10, Distance: distances.NewLpDistance()}
}

// Validate reports counts PML cannot use: NumBins must be at least 1, PosPerBin and NegPerBin at
// least 0.
func (m *UniformHistogram) Validate() error {
	if m.NumBins < 1 {
		return fmt.Errorf("num_bins %d must be at least 1", m.NumBins)
	}
	if m.PosPerBin < 0 || m.NegPerBin < 0 {
		return fmt.Errorf("pos_per_bin (%d) and neg_per_bin (%d) must not be negative", m.PosPerBin, m.NegPerBin)
	}
	return nil
}

// Mine implements PairMiner: the number of times each pair was drawn.
func (m *UniformHistogram) Mine(in losses.Inputs) (pos, neg *graph.Node) {
	_, pos, neg = m.MineRandom(seededState(m.Seed, embeddingsOf(in)), in)
	return pos, neg
}

// MineRandom implements RandomMiner.
func (m *UniformHistogram) MineRandom(rng *graph.Node, in losses.Inputs) (newRNG, pos, neg *graph.Node) {
	const name = "UniformHistogramMiner"
	c := resolve(name, in)
	if err := m.Validate(); err != nil {
		exceptions.Panicf("%s: %v", name, err)
	}
	mat := defaultDistance(m.Distance).Matrix(c.emb, c.ref)
	pos = graph.StopGradient(m.drawPerBin(&rng, mat, c.pos, m.PosPerBin)) // Miners contribute no gradient.
	neg = graph.StopGradient(m.drawPerBin(&rng, mat, c.neg, m.NegPerBin))
	return rng, pos, neg
}

// drawPerBin draws perBin candidates (cand, boolean [N, M]) uniformly from each non-empty bin of
// their values in mat, and returns the [N, M] counts in mat's dtype.
func (m *UniformHistogram) drawPerBin(rng **graph.Node, mat, cand *graph.Node, perBin int) *graph.Node {
	g, dt := mat.Graph(), mat.DType()
	n, mm, bins := mat.Shape().Dimensions[0], mat.Shape().Dimensions[1], m.NumBins
	if perBin == 0 {
		return graph.ZerosLike(mat)
	}
	flat := graph.Reshape(mat, n*mm)
	ok := graph.Reshape(cand, n*mm)
	lo := graph.ReduceAllMin(graph.Where(ok, flat, inf(flat, 1)))
	hi := graph.ReduceAllMax(graph.Where(ok, flat, inf(flat, -1)))
	// torch.linspace(lo, hi, bins+1): start + step·i in the first half, end − step·(bins − i) in the
	// second; the inner edges 1 … bins−1 decide the bins.
	bin := graph.Zeros(g, shapes.Make(dtypes.Int32, n*mm))
	if bins > 1 {
		step := graph.DivScalar(graph.Sub(hi, lo), float64(bins))
		halfway := (bins + 1) / 2
		idx := make([]float64, bins-1)
		fromStart := make([]bool, bins-1)
		for i := 1; i < bins; i++ {
			if i < halfway {
				idx[i-1], fromStart[i-1] = float64(i), true
			} else {
				idx[i-1] = float64(bins - i)
			}
		}
		iv := graph.ConvertDType(graph.Const(g, idx), dt)
		edges := graph.Where(graph.Const(g, fromStart), graph.Add(lo, graph.Mul(step, iv)), graph.Sub(hi, graph.Mul(step, iv)))
		ge := graph.GreaterOrEqual(graph.InsertAxes(flat, -1), graph.InsertAxes(edges, 0)) // [NM, bins−1]
		bin = graph.ReduceSum(graph.ConvertDType(ge, dtypes.Int32), -1)
	}
	// Each candidate's rank among the candidates of its bin (in flat order), and each bin's size.
	oh := graph.Mul(graph.OneHot(bin, bins, dtypes.Int32), graph.InsertAxes(graph.ConvertDType(ok, dtypes.Int32), -1)) // [NM, bins]
	rank := graph.ReduceSum(graph.Mul(graph.Sub(prefixSum(oh, 0), oh), oh), -1)                                        // [NM]
	size := graph.ReduceSum(oh, 0)                                                                                     // [bins]
	// perBin uniform draws per bin: the rank of the drawn member.
	sizeF := graph.InsertAxes(graph.ConvertDType(size, dt), -1)
	target := graph.ConvertDType(graph.Floor(graph.Mul(uniform(rng, dt, bins, perBin), sizeF)), dtypes.Int32)
	target = graph.Min(target, graph.InsertAxes(graph.MaxScalar(graph.AddScalar(size, -1), 0), -1)) // [bins, perBin]
	mine := graph.Gather(target, graph.InsertAxes(bin, -1))                                         // [NM, perBin]
	hits := graph.Equal(mine, graph.InsertAxes(rank, -1))
	counts := graph.ReduceSum(graph.ConvertDType(hits, dt), -1)
	counts = graph.Where(ok, counts, graph.ZerosLike(counts))
	return graph.Reshape(counts, n, mm)
}
