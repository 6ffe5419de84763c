package losses

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// FastAP is PML's FastAPLoss (Cakir et al., 2019, "Deep Metric Learning to Rank"): for each query i with
// at least one positive, the distances to the references are softly binned on NumBins+1 evenly spaced
// points c_b over [0, 2^power] (triangular kernels of width Δ = 2^power/NumBins,
// pulse_b(d) = relu(1 − |d − c_b|/Δ)), and
//
//	1 − (1/N⁺_i)·Σ_b h⁺_b·H⁺_b / H_b
//
// where h⁺_b = Σ_{p∈P(i)} pulse_b(d_ip), H⁺ and H are the cumulative sums over bins of h⁺ and of
// h⁺ + h⁻ (negatives), terms with h⁺_b·H⁺_b = 0 or H_b = 0 are 0, and N⁺_i = |P(i)|. Queries without
// positives are left out of the mean, as in PML. Selections count once each (PML's 0/1 masks).
//
// The distance must be LpDistance with p=2 on normalized embeddings (asserted, as PML), so that
// distances lie in [0, 2^power]. The bins are computed one at a time: O(N·M) memory, row-separable.
//
// Deliberate differences from PML: explicit pairs (Inputs.Pos/Neg) are used as the pairs (PML
// requires labels and uses an indices_tuple only as per-query weights, count/max count), and
// references (Ref) are supported (PML rejects them).
//
// Defaults (NewFastAP): NumBins 10, LpDistance with power 2 (squared Euclidean, normalized), MeanReducer
// (over queries with positives).
type FastAP struct {
	Options
	NumBins int
}

// NewFastAP returns FastAPLoss with PML's defaults.
func NewFastAP() *FastAP {
	d := distances.NewLpDistance()
	d.Power = 2
	return &FastAP{Options: defaultOptions(d, reducers.MeanReducer{}), NumBins: 10}
}

func (l *FastAP) lp() *distances.LpDistance {
	d, ok := l.Distance.(*distances.LpDistance)
	if !ok || d.P != 2 || !d.NormalizeEmbeddings {
		exceptions.Panicf("FastAPLoss: the distance must be LpDistance with P=2 and NormalizeEmbeddings, got %s", l.Distance)
	}
	if l.NumBins < 1 {
		exceptions.Panicf("FastAPLoss: NumBins must be >= 1, got %d", l.NumBins)
	}
	return d
}

// Terms implements TermsLoss: one "loss" element term per query, weighted 0 for queries without positives.
func (l *FastAP) Terms(in Inputs) []reducers.SubLoss {
	l.lp()
	return l.terms(in, "FastAPLoss", l.block)
}

// Compute implements PlainLoss.
func (l *FastAP) Compute(in Inputs) *graph.Node {
	if v := onHost(l, in); v != nil {
		return v
	}
	l.lp()
	return l.compute(in, "FastAPLoss", l.block)
}

func (l *FastAP) block(p queryBlock) blockResult {
	d := l.lp()
	mat := d.Matrix(p.q, p.ref)
	g, dt := mat.Graph(), mat.DType()
	posMask, negMask := selectedMask(p.pos), selectedMask(p.neg)
	hMax := math.Pow(2, d.Power)
	delta := hMax / float64(l.NumBins)
	edges := l.NumBins + 1
	hPos := make([]*graph.Node, edges)
	hAll := make([]*graph.Node, edges)
	for b := range edges {
		center := hMax * float64(b) / float64(l.NumBins) // torch.linspace(0, hMax, edges)
		pulse := relu(graph.OneMinus(graph.DivScalar(graph.Abs(graph.AddScalar(mat, -center)), delta)))
		hp := graph.ReduceSum(graph.Mul(pulse, posMask), 1)
		hn := graph.ReduceSum(graph.Mul(pulse, negMask), 1)
		hPos[b], hAll[b] = graph.InsertAxes(hp, -1), graph.InsertAxes(graph.Add(hp, hn), -1)
	}
	hp := graph.Concatenate(hPos, 1) // [rows, edges]
	// Cumulative sums over the bins, as a product with an upper-triangular matrix of ones.
	tri := graph.ConvertDType(graph.LessOrEqual(
		graph.Iota(g, shapeNM(dt, edges, edges), 0), graph.Iota(g, shapeNM(dt, edges, edges), 1)), dt)
	cumPos := graph.MatMul(hp, tri)
	cumAll := graph.MatMul(graph.Concatenate(hAll, 1), tri)
	prod := graph.Mul(hp, cumPos)
	safe := graph.LogicalAnd(graph.GreaterThan(prod, gmath.Zero(prod)), graph.GreaterThan(cumAll, gmath.Zero(cumAll)))
	ratio := graph.Where(safe, graph.Div(prod, graph.Where(safe, cumAll, gmath.One(cumAll))), gmath.Zero(prod))
	nPos := graph.ReduceSum(posMask, 1)
	hasPos := graph.GreaterThan(nPos, gmath.Zero(nPos))
	ap := gmath.SafeDiv(graph.ReduceSum(ratio, 1), nPos)
	perQuery := graph.Where(hasPos, graph.OneMinus(ap), gmath.Zero(ap))
	terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perQuery, Weights: graph.ConvertDType(hasPos, dt), AnchorLabels: p.anchorLabels}}
	return blockResult{terms: terms}
}
