package losses

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/reducers"
)

// These tests compare the fast formulations of the all-triplet losses (pivot loops, products of
// exponentials) with the straightforward ones they replace, kept in the package as the general path:
// value and gradients with respect to the embeddings (and references), in float64 and float32, on
// random inputs with ties, several label patterns, explicit pair weights and every reducer.

// fastCase is one input of the comparison.
type fastCase struct {
	name              string
	emb, ref          [][]float64
	labels, refLabels []int32
	pos, neg          [][]float64 // explicit pair weights (nil: from labels)
	noLabels          bool        // explicit pairs without labels
}

// labelPatterns are label vectors of n samples: two per class, a few large classes (rows with more
// positives than negatives), random, singletons, and one class only (no negatives).
func labelPatterns(rng *rand.Rand, n int) map[string][]int32 {
	pat := map[string][]int32{}
	two, few, rnd, single, one := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	for i := range n {
		two[i] = int32(i / 2)
		few[i] = int32(i % 3)
		if i < n*2/3 {
			few[i] = 0
		}
		rnd[i] = int32(rng.IntN(4))
		single[i] = int32(i)
		if i%5 == 0 {
			single[i] = 0
		}
	}
	pat["two_per_class"], pat["few_classes"], pat["random"], pat["singletons"], pat["one_class"] = two, few, rnd, single, one
	return pat
}

// tiedEmb returns n embeddings of width d with values on a coarse grid, and some rows repeated, so
// that distances tie.
func tiedEmb(rng *rand.Rand, n, d int) [][]float64 {
	x := make([][]float64, n)
	for i := range x {
		if i > 0 && i%4 == 3 {
			x[i] = append([]float64(nil), x[i-2]...)
			continue
		}
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = float64(rng.IntN(3) - 1)
		}
		if i%4 == 1 {
			x[i][0] += 0.5
		}
	}
	return x
}

func fastCases(seed uint64) []fastCase {
	rng := rand.New(rand.NewPCG(seed, 3))
	const n, m, d = 12, 9, 4
	var cases []fastCase
	// In sorted order: the cases draw from rng, so map order would make the data differ per run.
	patterns := labelPatterns(rng, n)
	for _, name := range slices.Sorted(maps.Keys(patterns)) {
		labels := patterns[name]
		cases = append(cases, fastCase{name: "normal/" + name, emb: normalEmb(seed, n, d), labels: labels})
		cases = append(cases, fastCase{name: "ties/" + name, emb: tiedEmb(rng, n, d), labels: labels})
	}
	refLabels := make([]int32, m)
	for i := range refLabels {
		refLabels[i] = int32(rng.IntN(4))
	}
	cases = append(cases, fastCase{name: "ref", emb: normalEmb(seed+1, n, d), ref: normalEmb(seed+2, m, d),
		labels: labelPatterns(rng, n)["random"], refLabels: refLabels})
	// Explicit weights: multiplicities 0, 1 or 2 (a miner's selection).
	weights := func() [][]float64 {
		w := make([][]float64, n)
		for i := range w {
			w[i] = make([]float64, n)
			for j := range w[i] {
				if i != j && rng.IntN(3) == 0 {
					w[i][j] = float64(1 + rng.IntN(2))
				}
			}
		}
		return w
	}
	cases = append(cases, fastCase{name: "explicit", emb: tiedEmb(rng, n, d), labels: labelPatterns(rng, n)["random"], pos: weights(), neg: weights()})
	cases = append(cases, fastCase{name: "explicit_no_labels", emb: normalEmb(seed+3, n, d), pos: weights(), neg: weights(), noLabels: true})
	return cases
}

// inputs returns the loss inputs of c in g, with the embeddings (and references) given.
func (c fastCase) inputs(in []*graph.Node) Inputs {
	g := in[0].Graph()
	out := Inputs{Embeddings: in[0]}
	if !c.noLabels {
		out.Labels = graph.Const(g, c.labels)
	}
	if c.ref != nil {
		out.Ref, out.RefLabels = in[1], graph.Const(g, c.refLabels)
	}
	if c.pos != nil {
		out.Pos = graph.ConvertDType(graph.Const(g, c.pos), in[0].DType())
		out.Neg = graph.ConvertDType(graph.Const(g, c.neg), in[0].DType())
	}
	return out
}

// compareFast runs fast and general on each case in float64 and float32 and compares their values and
// gradients: to tol64 (relative to the largest magnitude) in float64, and to 1e-4 in float32.
func compareFast(t *testing.T, cases []fastCase, fast, general func(in Inputs) *graph.Node, tol64 float64) {
	t.Helper()
	nonZero := 0
	for _, c := range cases {
		for _, prec := range []string{"float64", "float32"} {
			args := []any{c.emb}
			if c.ref != nil {
				args = append(args, c.ref)
			}
			if prec == "float32" {
				for i := range args {
					args[i] = testutil.To32(args[i].([][]float64))
				}
			}
			outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
				// The fast formulation runs once the general one and its gradient are done (see after):
				// its loops must not run beside the general one's matrix products, which can exhaust
				// the pure-Go backend's workers (see pivotLoop).
				b := general(c.inputs(in))
				gb := graph.Gradient(b, in...)
				chained := make([]*graph.Node, len(in))
				for i, x := range in {
					chained[i] = after(x, gb[0])
				}
				a := fast(c.inputs(chained))
				return append(append([]*graph.Node{a, b}, graph.Gradient(a, in...)...), gb...)
			}, args...)
			if err != nil {
				t.Fatalf("%s/%s: %v", c.name, prec, err)
			}
			vals := make([][]float64, len(outs))
			for i, o := range outs {
				vals[i] = flatten(o)
			}
			tol := tol64
			if prec == "float32" {
				tol = 1e-4
			}
			k := (len(outs) - 2) / 2
			check := func(what string, a, b []float64) {
				scale := 1e-3
				for i := range b {
					scale = math.Max(scale, math.Abs(b[i]))
				}
				for i := range a {
					if math.IsNaN(a[i]) || math.Abs(a[i]-b[i]) > tol*scale {
						t.Errorf("%s/%s: %s[%d]: fast %.12g, general %.12g", c.name, prec, what, i, a[i], b[i])
						return
					}
				}
			}
			if vals[1][0] != 0 {
				nonZero++
			}
			check("loss", vals[0], vals[1])
			for i := range k {
				check(fmt.Sprintf("gradient %d", i), vals[2+i], vals[2+k+i])
			}
		}
	}
	if nonZero < len(cases) {
		t.Errorf("only %d of %d runs have a non-zero loss: the cases do not exercise the loss", nonZero, 2*len(cases))
	}
}

func flatten(v any) []float64 {
	switch x := v.(type) {
	case float64:
		return []float64{x}
	case float32:
		return []float64{float64(x)}
	case [][]float64:
		var out []float64
		for _, r := range x {
			out = append(out, r...)
		}
		return out
	case [][]float32:
		var out []float64
		for _, r := range x {
			for _, f := range r {
				out = append(out, float64(f))
			}
		}
		return out
	}
	panic(fmt.Sprintf("flatten: %T", v))
}

// reducerCases are the reducers the fast paths support, by name (nil: the loss's default); the
// threshold reducer keeps the losses strictly between low and high.
func reducerCases(low, high float64) map[string]reducers.Reducer {
	thr, _ := reducers.NewThresholdReducer(&low, &high)
	return map[string]reducers.Reducer{
		"default": nil, "mean": reducers.MeanReducer{}, "sum": reducers.SumReducer{}, "threshold": thr,
		"per_anchor":     &reducers.PerAnchorReducer{Inner: reducers.AvgNonZeroReducer{}},
		"class_weighted": &reducers.ClassWeightedReducer{Weights: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		"multiple":       &reducers.MultipleReducers{ByName: map[string]reducers.Reducer{"loss": reducers.AvgNonZeroReducer{}}},
	}
}

func TestTripletMarginFastMatchesGeneral(t *testing.T) {
	cases := fastCases(1)
	type variant struct {
		margin float64
		smooth bool
		dist   distances.Distance
	}
	variants := map[string]variant{
		"default": {0.05, false, nil}, "large_margin": {0.7, false, nil}, "zero_margin": {0, false, nil},
		"smooth": {0.05, true, nil}, "cosine": {0.1, false, distances.NewCosineSimilarity()},
		"unnormalized": {0.2, false, &distances.LpDistance{P: 2, Power: 1}},
	}
	for vname, v := range variants {
		for rname, red := range reducerCases(0.02, 0.3) {
			if rname == "class_weighted" {
				continue // needs labels in every case; covered below.
			}
			t.Run(vname+"/"+rname, func(t *testing.T) {
				for _, blockRows := range []int{0, 5} {
					l := NewTripletMargin()
					l.Margin, l.SmoothLoss, l.BlockRows = v.margin, v.smooth, blockRows
					if v.dist != nil {
						l.Distance = v.dist
					}
					if red != nil {
						l.Reducer = red
					}
					if _, ok := l.fast(); !ok {
						t.Fatal("no fast path")
					}
					compareFast(t, cases, l.Compute, func(in Inputs) *graph.Node {
						return reducers.ReduceAll(l.Reducer, l.Terms(in))
					}, 1e-10)
				}
			})
		}
	}
	t.Run("class_weighted", func(t *testing.T) {
		l := NewTripletMargin()
		l.Reducer = reducerCases(0, 1)["class_weighted"]
		var withLabels []fastCase
		for _, c := range cases {
			if !c.noLabels {
				withLabels = append(withLabels, c)
			}
		}
		compareFast(t, withLabels, l.Compute, func(in Inputs) *graph.Node { return reducers.ReduceAll(l.Reducer, l.Terms(in)) }, 1e-10)
	})
}

// normalEmb returns n random embeddings of d standard normal values, the same for the same seed.
func normalEmb(seed uint64, n, d int) [][]float64 {
	return testutil.RandMatrix(rand.New(rand.NewPCG(seed, 7)).NormFloat64, n, d)
}

// angularNaiveBlock is AngularLoss's straightforward formulation: every (anchor, positive, negative)
// triple of the block in a [rows, M, M] log-sum-exp.
func angularNaiveBlock(l *Angular) blockFn {
	return func(p queryBlock) blockResult {
		xa, xp := l2Normalize(p.q), l2Normalize(p.ref)
		xn := xp
		if l.RawNegatives {
			xn = p.ref
		}
		t := math.Pow(math.Tan(l.Alpha*math.Pi/180), 2)
		rows, m := xa.Shape().Dimensions[0], xp.Shape().Dimensions[0]
		an := graph.MatMul(xa, graph.Transpose(xn, 0, 1))
		pn := graph.MatMul(xp, graph.Transpose(xn, 0, 1))
		ap := graph.MatMul(xa, graph.Transpose(xp, 0, 1))
		final := graph.Sub(
			graph.MulScalar(graph.Add(graph.InsertAxes(an, 1), graph.InsertAxes(pn, 0)), 4*t),
			graph.MulScalar(graph.InsertAxes(ap, -1), 2*(1+t)))
		keep := graph.BroadcastToDims(graph.InsertAxes(selectedMask(p.neg), 1), rows, m, m)
		lse, _ := weightedLogSumExp(graph.Reshape(final, rows*m, m), graph.Reshape(keep, rows*m, m))
		perPair := softplus(graph.Reshape(lse, rows, m))
		terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.PosPair, Losses: perPair, Weights: p.pos, AnchorLabels: p.anchorLabels}}
		return blockResult{terms: terms, gatePos: countSelected(p.pos), gateNeg: countSelected(p.neg)}
	}
}

func TestAngularFactoredMatchesNaive(t *testing.T) {
	var cases []fastCase
	for _, c := range fastCases(2) {
		if !c.noLabels { // Angular needs labels.
			cases = append(cases, c)
		}
	}
	// Large raw negatives: exponents spread over about ±100, beyond float32's range.
	var big fastCase
	for _, c := range fastCases(3) {
		if c.name == "normal/random" {
			big = c
		}
	}
	big.name = "large_norms"
	big.emb = append([][]float64(nil), big.emb...)
	for i := range big.emb {
		big.emb[i] = append([]float64(nil), big.emb[i]...)
		for j := range big.emb[i] {
			big.emb[i][j] *= 8
		}
	}
	defer func() { angularRoute = 0 }()
	for _, raw := range []bool{false, true} {
		if raw {
			cases = append(cases, big)
		}
		for _, alpha := range []float64{40, 55} {
			for rname, red := range reducerCases(0.5, 20) {
				for route := range 3 {
					t.Run(fmt.Sprintf("raw=%v/alpha=%g/%s/route=%d", raw, alpha, rname, route), func(t *testing.T) {
						angularRoute = route
						l := NewAngular()
						l.RawNegatives, l.Alpha = raw, alpha
						if red != nil {
							l.Reducer = red
						}
						compareFast(t, cases, l.Compute, func(in Inputs) *graph.Node {
							o := l.Options
							o.BlockRows = -1
							return o.compute(l.inputs(in), "AngularLoss", angularNaiveBlock(l))
						}, 1e-10)
					})
				}
			}
		}
	}
}

// pnpNaiveBlock is PNPLoss's straightforward formulation: R from an [rows, M, M] tensor of sigmoids.
func pnpNaiveBlock(l *PNP, n int) blockFn {
	return func(p queryBlock) blockResult {
		sim := l.Distance.Matrix(p.q, p.ref)
		g, dt := sim.Graph(), sim.DType()
		rows, m := sim.Shape().Dimensions[0], sim.Shape().Dimensions[1]
		diff := graph.Sub(graph.InsertAxes(sim, 1), graph.InsertAxes(sim, -1))
		expo := graph.DivScalar(graph.Neg(diff), l.Anneal)
		lo, hi := graph.Scalar(g, dt, -50.0), graph.Scalar(g, dt, 50.0)
		expo = graph.Where(graph.LessThan(expo, lo), lo, graph.Where(graph.GreaterThan(expo, hi), hi, expo))
		sig := graph.Reciprocal(graph.OnePlus(graph.Exp(expo)))
		neg := graph.BroadcastToDims(graph.InsertAxes(p.neg, 1), rows, m, m)
		r := graph.ReduceSum(graph.Mul(sig, neg), -1)
		switch l.Variant {
		case PNPDs:
			r = graph.Log1p(r)
		case PNPDq:
			r = graph.Pow(graph.OnePlus(r), graph.Scalar(g, dt, -l.Alpha))
		case PNPIu:
			r = graph.Mul(graph.OnePlus(r), graph.Log1p(r))
		case PNPIb:
			br := graph.MulScalar(r, l.B)
			r = graph.DivScalar(graph.Sub(br, graph.Log1p(br)), l.B*l.B)
		}
		nPos := graph.ReduceSum(p.pos, 1)
		perQuery := gmath.SafeDiv(graph.ReduceSum(graph.Mul(r, p.pos), 1), nPos)
		total := graph.DivScalar(graph.ReduceAllSum(perQuery), float64(n))
		if l.Variant == PNPDq {
			total = graph.Sub(graph.Scalar(g, dt, float64(rows)/float64(n)), total)
		}
		return blockResult{terms: []reducers.SubLoss{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: total}}}
	}
}

func TestPNPLoopMatchesNaive(t *testing.T) {
	var cases []fastCase
	for _, c := range fastCases(4) {
		if !c.noLabels && c.ref == nil && c.pos == nil { // PNP takes labels only.
			cases = append(cases, c)
		}
	}
	for _, variant := range []string{PNPO, PNPDs, PNPDq, PNPIu, PNPIb} {
		for _, anneal := range []float64{0.01, 0.3} {
			t.Run(fmt.Sprintf("%s/anneal=%g", variant, anneal), func(t *testing.T) {
				for _, blockRows := range []int{0, 5} {
					l := NewPNP()
					l.Variant, l.Anneal, l.BlockRows = variant, anneal, blockRows
					compareFast(t, cases, l.Compute, func(in Inputs) *graph.Node {
						in2, n := l.inputs(in)
						o := l.Options
						o.BlockRows = -1
						return o.compute(in2, "PNPLoss", pnpNaiveBlock(l, n))
					}, 1e-9)
				}
			})
		}
	}
}

// dsmlScatterWeigh is DynamicSoftMarginLoss's straightforward histogram step on flat values x with
// weights w: each value scattered into its two bins, each weighed by the CDF at its lower bin.
func dsmlScatterWeigh(l *DynamicSoftMargin, x, w, hist *graph.Node) (loss, newHist *graph.Node) {
	g, dt := x.Graph(), x.DType()
	nb := l.NumBins
	delta := 2 * math.Abs(l.MinVal) / float64(nb)
	count := graph.ReduceAllSum(w)
	hasValues := graph.GreaterThan(count, gmath.Zero(count))
	t := graph.DivScalar(graph.AddScalar(x, -l.MinVal), delta)
	i := graph.StopGradient(graph.Floor(t))
	alpha := graph.Sub(t, i)
	lo := graph.Clip(i, graph.Scalar(g, dt, 0.0), graph.Scalar(g, dt, float64(nb-1)))
	hi := graph.Clip(graph.OnePlus(i), graph.Scalar(g, dt, 0.0), graph.Scalar(g, dt, float64(nb-1)))
	loIdx := graph.InsertAxes(graph.ConvertDType(lo, dtypes.Int32), -1)
	hiIdx := graph.InsertAxes(graph.ConvertDType(hi, dtypes.Int32), -1)
	batch := graph.Zeros(g, shapes.Make(dt, nb))
	batch = graph.ScatterSum(batch, loIdx, graph.Mul(w, graph.OneMinus(alpha)), false, false)
	batch = graph.ScatterSum(batch, hiIdx, graph.Mul(w, alpha), false, false)
	started := graph.NotEqual(graph.ReduceAllSum(hist), gmath.Zero(hist))
	mu := graph.Where(started, graph.Scalar(g, dt, l.Momentum), gmath.One(hist))
	updated := graph.Add(graph.Mul(graph.OneMinus(mu), hist), graph.Mul(mu, batch))
	updated = gmath.SafeDiv(updated, graph.ReduceAllSum(updated))
	newHist = graph.Where(hasValues, updated, hist)
	tri := graph.ConvertDType(graph.LessOrEqual(graph.Iota(g, shapes.Make(dtypes.Int32, nb, nb), 0), graph.Iota(g, shapes.Make(dtypes.Int32, nb, nb), 1)), dt)
	cdf := graph.Reshape(graph.MatMul(graph.InsertAxes(newHist, 0), tri), nb)
	weight := graph.Gather(cdf, loIdx)
	loss = gmath.SafeDiv(graph.ReduceAllSum(graph.Mul(w, graph.Mul(weight, x))), count)
	return loss, newHist
}

func TestDynamicSoftMarginLoopMatchesScatter(t *testing.T) {
	cases := fastCases(5)
	for _, nb := range []int{10, 1, 3} {
		for _, minVal := range []float64{-2, -0.3} {
			for _, started := range []bool{false, true} {
				t.Run(fmt.Sprintf("bins=%d/min=%g/started=%v", nb, minVal, started), func(t *testing.T) {
					l := NewDynamicSoftMargin()
					l.NumBins, l.MinVal = nb, minVal
					hist := func(g *graph.Graph, dt dtypes.DType) *graph.Node {
						if !started {
							return graph.Zeros(g, shapes.Make(dt, nb))
						}
						h := make([]float64, nb)
						for i := range h {
							h[i] = float64(1+i%3) / float64(2*nb)
						}
						return graph.ConvertDType(graph.Const(g, h), dt)
					}
					compareFast(t, cases, func(in Inputs) *graph.Node {
						loss, newHist := l.ComputeWithHistogram(in, hist(in.Embeddings.Graph(), in.Embeddings.DType()))
						return graph.Add(loss, graph.ReduceAllSum(graph.Mul(newHist, graph.Iota(newHist.Graph(), newHist.Shape(), 0))))
					}, func(in Inputs) *graph.Node {
						r := in.resolve(dsmlName)
						x, w := l.tripletValues(r.all())
						loss, newHist := dsmlScatterWeigh(l, x, w, hist(x.Graph(), x.DType()))
						return graph.Add(loss, graph.ReduceAllSum(graph.Mul(newHist, graph.Iota(newHist.Graph(), newHist.Shape(), 0))))
					}, 1e-10)
				})
			}
		}
	}
}

// npairsNaiveBlock is NPairsLoss's [N, N] formulation: every query row, the non-anchors masked out.
func npairsNaiveBlock(l *NPairs, in Inputs) blockFn {
	return func(p queryBlock) blockResult {
		g, dt := p.q.Graph(), p.q.DType()
		n := p.q.Shape().Dimensions[0]
		posMask := graph.GreaterThan(p.pos, gmath.Zero(p.pos))
		rowHas := graph.ReduceLogicalOr(posMask, 1)
		ii := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 0)
		kk := graph.Iota(g, shapes.Make(dtypes.Int32, n, n), 1)
		first := graph.ReduceMin(graph.Where(posMask, kk, graph.Const(g, int32(n))), 1)
		labels := graph.ConvertDType(in.Labels, dtypes.Int64)
		earlier := graph.LogicalAnd(graph.LogicalAnd(graph.Equal(graph.InsertAxes(labels, -1), graph.InsertAxes(labels, 0)), graph.LessThan(kk, ii)),
			graph.InsertAxes(rowHas, 0))
		anchor := graph.LogicalAnd(rowHas, graph.LogicalNot(graph.ReduceLogicalOr(earlier, 1)))
		positives := graph.Gather(p.ref, graph.InsertAxes(graph.Min(first, graph.Const(g, int32(n-1))), -1))
		sim := l.Distance.Matrix(p.q, positives)
		if !l.Distance.IsInverted() {
			sim = graph.Neg(sim)
		}
		anchorF := graph.ConvertDType(anchor, dt)
		cols := graph.BroadcastToDims(graph.InsertAxes(anchorF, 0), n, n)
		lse, _ := weightedLogSumExp(sim, cols)
		own := graph.ReduceSum(graph.Where(graph.Equal(ii, kk), sim, gmath.Zero(sim)), 1)
		perAnchor := graph.Where(anchor, graph.Sub(graph.Where(anchor, lse, gmath.Zero(lse)), own), gmath.Zero(own))
		terms := []reducers.SubLoss{{Name: "loss", Kind: reducers.Element, Losses: perAnchor, Weights: anchorF, AnchorLabels: p.anchorLabels}}
		return blockResult{terms: terms}
	}
}

func TestNPairsCompactedMatchesNaive(t *testing.T) {
	var cases []fastCase
	for _, c := range fastCases(6) {
		if !c.noLabels && c.ref == nil {
			cases = append(cases, c)
		}
	}
	// Explicit pairs with self-pairs: singleton labels can be anchors, more than N/2 of them.
	self := cases[len(cases)-1]
	self.name = "explicit_self_pairs"
	self.labels = labelPatterns(rand.New(rand.NewPCG(1, 1)), len(self.emb))["singletons"]
	self.pos = make([][]float64, len(self.emb))
	for i := range self.pos {
		self.pos[i] = make([]float64, len(self.emb))
		self.pos[i][i] = 1
		if i%3 == 0 && i+1 < len(self.emb) {
			self.pos[i][i+1] = 2
		}
	}
	cases = append(cases, self)
	for rname, red := range reducerCases(0.5, 3) {
		for _, dist := range []distances.Distance{nil, distances.NewLpDistance()} {
			t.Run(fmt.Sprintf("%s/%v", rname, dist), func(t *testing.T) {
				l := NewNPairs()
				if red != nil {
					l.Reducer = red
				}
				if dist != nil {
					l.Distance = dist
				}
				compareFast(t, cases, l.Compute, func(in Inputs) *graph.Node {
					o := l.Options
					o.BlockRows = -1
					return o.compute(in, "NPairsLoss", npairsNaiveBlock(l, in))
				}, 1e-10)
			})
		}
	}
}
