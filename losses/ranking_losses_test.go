package losses_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/internal/testutil"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/reducers"
)

// rankingLoss is one of this file's losses, built fresh for each use.
type rankingLoss struct {
	make func() (losses.TermsLoss, *losses.Options)
	// needPositives: without any positive pair the loss is 0.
	needPositives bool
}

func rankingLosses() map[string]rankingLoss {
	return map[string]rankingLoss{
		"rankedlist": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewRankedList(0.4, 10)
			return l, &l.Options
		}, false},
		"instance": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewInstance()
			l.Gamma = 8 // Keeps float32 rounding small enough to compare.
			return l, &l.Options
		}, false},
		"margin": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewMargin()
			return l, &l.Options
		}, true},
		"npairs": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewNPairs()
			return l, &l.Options
		}, true},
		"fastap": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewFastAP()
			return l, &l.Options
		}, true},
		"pnp": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewPNP()
			l.Anneal = 0.5 // Smooth enough for float32 to agree.
			return l, &l.Options
		}, true},
		"pnp_dq": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewPNP()
			l.Anneal, l.Variant = 0.5, losses.PNPDq
			return l, &l.Options
		}, false},
		"angular": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewAngular()
			l.RawNegatives = false // The normalized variant; the default is PML's raw negatives.
			return l, &l.Options
		}, true},
		"angular_raw": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewAngular()
			l.RawNegatives = true
			return l, &l.Options
		}, true},
		"histogram": {func() (losses.TermsLoss, *losses.Options) {
			l := losses.NewHistogram()
			l.NBins = 10
			return l, &l.Options
		}, true},
	}
}

func labelLoss(l losses.Loss, labels []int32) func(in []*graph.Node) *graph.Node {
	return func(in []*graph.Node) *graph.Node {
		return l.ComputeWithContext(nil, losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), labels)})
	}
}

// Without any positive pair the loss and its gradient are finite, in both precisions, and 0 for the
// losses made of positives.
func TestRankingLossesNoPositivesIsFinite(t *testing.T) {
	emb := randEmb(41, 6, 4)
	labels := []int32{0, 1, 2, 3, 4, 5}
	for name, rl := range rankingLosses() {
		for dt, in := range bothPrecisions(emb) {
			l, _ := rl.make()
			loss, grads, err := testutil.LossAndGrads(labelLoss(l, labels), in)
			if err != nil {
				t.Fatalf("%s/%s: %v", name, dt, err)
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) || !testutil.Finite(grads[0]) {
				t.Errorf("%s/%s: loss %g, NaN or Inf in gradient", name, dt, loss)
			}
			if rl.needPositives && loss != 0 {
				t.Errorf("%s/%s: loss %g without positives, want 0", name, dt, loss)
			}
		}
	}
}

// float32 and float64 agree, value and gradient.
func TestRankingLossesFloat32MatchesFloat64(t *testing.T) {
	emb := randEmb(42, 12, 8)
	labels := []int32{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}
	for name, rl := range rankingLosses() {
		l, _ := rl.make()
		l64, g64, err := testutil.LossAndGrads(labelLoss(l, labels), emb)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		l32, g32, err := testutil.LossAndGrads(labelLoss(l, labels), testutil.To32(emb))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if l64 == 0 || math.Abs(l32-l64) > 1e-5*math.Max(1, math.Abs(l64)) {
			t.Errorf("%s: float32 %g, float64 %g", name, l32, l64)
		}
		diff, norm := diffNorms(g64[0].([][]float64), g32[0].([][]float32))
		if diff > 1e-4*norm || norm == 0 {
			t.Errorf("%s: gradient relative difference %g (norm %g)", name, diff/norm, norm)
		}
	}
}

// Block by block gives the value and gradients of one block for the row-separable losses (the
// registry's Info.Blockwise), with labels,
// and (where the loss takes them) with references and explicit pairs.
func TestRankingLossesBlockwiseMatchesOneBlock(t *testing.T) {
	const n, m, d = 10, 7, 5
	emb, ref := randEmb(43, n, d), randEmb(44, m, d)
	labels := []int32{0, 1, 2, 0, 1, 2, 3, 3, 0, 1}
	refLabels := []int32{0, 1, 2, 3, 5, 5, 0}
	pos, neg, err := losses.PairWeights(n, n, []int{0, 0, 3, 9, 3}, []int{3, 8, 8, 1, 8}, []int{0, 1, 1, 5, 0}, []int{1, 2, 2, 6, 7})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]string{
		"rankedlist": {"labels", "ref", "explicit"}, "fastap": {"labels", "ref", "explicit"},
		"pnp": {"labels"}, "pnp_dq": {"labels"}, "angular": {"labels", "ref", "explicit"}, "angular_raw": {"labels", "ref"},
	}
	data := blockData{labels: labels, refLabels: refLabels, pos: pos, neg: neg}
	for name, rl := range rankingLosses() {
		if !blockwise(t, name) {
			continue
		}
		for _, kind := range kinds[name] {
			t.Run(fmt.Sprintf("%s/%s", name, kind), func(t *testing.T) {
				args := []any{emb}
				if kind == "ref" {
					args = append(args, ref)
				}
				one, blocks := oneBlockAndBlocks(t, func(rows int) losses.Loss {
					l, o := rl.make()
					o.BlockRows = rows
					return l
				}, data.inputs(kind), args...)
				if one.loss == 0 {
					t.Errorf("loss is 0: the case tests nothing")
				}
				checkBlocksMatch(t, one, blocks)
			})
		}
	}
}

// MarginLoss: the factored O(N·M) Compute (DivisorReducer) equals the reduction of the triplet Terms,
// with and without the beta regularization, and without it a beta per class all equal to Beta
// changes nothing.
func TestMarginFactoredMatchesTriplets(t *testing.T) {
	emb := randEmb(45, 9, 4)
	labels := []int32{0, 1, 2, 0, 1, 2, 3, 3, 0}
	for _, nu := range []float64{0, 0.1} {
		l := losses.NewMargin()
		l.LearnBeta, l.Nu, l.NumClasses = true, nu, 4
		outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node {
			g := in[0].Graph()
			inputs := losses.Inputs{Embeddings: in[0], Labels: graph.Const(g, labels)}
			perClass := graph.Const(g, []float64{1.2, 1.2, 1.2, 1.2})
			return []*graph.Node{l.Compute(inputs), reducers.ReduceAll(l.Reducer, l.Terms(inputs)), l.ComputeWithBeta(inputs, perClass)}
		}, emb)
		if err != nil {
			t.Fatal(err)
		}
		c, r, pc := outs[0].(float64), outs[1].(float64), outs[2].(float64)
		// With nu > 0 the two forms differ, as in PML: one beta adds nu·beta, per class the triplets'
		// nu·beta_y summed and divided by the divisor.
		if c == 0 || math.Abs(c-r) > 1e-12 || (nu == 0 && math.Abs(pc-c) > 1e-12) {
			t.Errorf("nu=%g: Compute %.15g, reduced Terms %.15g, per-class beta %.15g", nu, c, r, pc)
		}
	}
}

// MarginLoss.ComputeWithContext keeps a trainable "beta" in the context, initialized to Beta.
func TestMarginLearnBetaInContext(t *testing.T) {
	emb := randEmb(46, 8, 3)
	labels := []int32{0, 1, 2, 0, 1, 2, 3, 3}
	l := losses.NewMargin()
	l.LearnBeta = true
	ctx := context.New()
	exec, err := context.NewExecAny(backend.MustShared(), ctx, func(ctx *context.Context, e *graph.Node) []*graph.Node {
		in := losses.Inputs{Embeddings: e, Labels: graph.Const(e.Graph(), labels)}
		return []*graph.Node{l.ComputeWithContext(ctx, in), l.Compute(in)}
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(tensors.FromValue(emb))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := tensors.ToScalar[float64](outs[0]), tensors.ToScalar[float64](outs[1]); a != b || a == 0 {
		t.Errorf("with context %g, fixed beta %g", a, b)
	}
	v := ctx.GetVariableByScopeAndName(ctx.Scope(), "beta")
	if v == nil || !v.Trainable {
		t.Fatalf("no trainable variable beta in the context: %v", v)
	}
}

// VICReg: finite, float32 ≈ float64, and the invariance term alone is λ·mean‖z−z'‖²/D.
func TestVICReg(t *testing.T) {
	a, b := randEmb(47, 10, 4), randEmb(48, 10, 4)
	l := losses.NewVICReg()
	fn := func(in []*graph.Node) *graph.Node { return l.Compute(in[0], in[1]) }
	v64, g64, err := testutil.LossAndGrads(fn, a, b)
	if err != nil {
		t.Fatal(err)
	}
	v32, g32, err := testutil.LossAndGrads(fn, testutil.To32(a), testutil.To32(b))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(v32-v64) > 1e-5*math.Abs(v64) || !testutil.Finite(g64[0]) || !testutil.Finite(g32[1]) {
		t.Errorf("float32 %g, float64 %g", v32, v64)
	}
	inv := losses.NewVICReg()
	inv.VarianceMu, inv.CovarianceV = 0, 0
	outs, err := testutil.Exec(func(in []*graph.Node) []*graph.Node { return []*graph.Node{inv.Compute(in[0], in[1])} }, a, b)
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for i := range a {
		for j := range a[i] {
			want += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j])
		}
	}
	want *= 25 / float64(len(a)*len(a[0]))
	if got := outs[0].(float64); math.Abs(got-want) > 1e-12*want {
		t.Errorf("invariance only: %g, want %g", got, want)
	}
}

// CrossBatchMemory: over steps that wrap around the ring buffer, each step equals Inner computed
// directly against the filled slots only (what PML's memory[:queue_idx] holds), with each query's own
// just-enqueued slot removed from its positives; Reset starts over.
func TestCrossBatchMemoryWrapAroundAndMasking(t *testing.T) {
	const n, d, memSize = 3, 2, 5
	type step struct {
		emb    [][]float64
		labels []int32
	}
	steps := []step{
		{randEmb(51, n, d), []int32{0, 1, 0}},
		{randEmb(52, n, d), []int32{1, 1, 2}}, // Writes slots 3, 4, 0: wraps around.
		{randEmb(53, n, d), []int32{2, 0, 1}}, // Writes slots 1, 2, 3.
	}
	for _, innerName := range []string{"contrastive", "multisimilarity", "ntxent"} {
		t.Run(innerName, func(t *testing.T) {
			inner, err := losses.ByName(innerName)
			if err != nil {
				t.Fatal(err)
			}
			x := losses.NewCrossBatchMemory(inner, d, memSize)
			ctx := context.New()
			exec, err := context.NewExecAny(backend.MustShared(), ctx, func(ctx *context.Context, e, lab *graph.Node) []*graph.Node {
				l := x.ComputeWithContext(ctx, losses.Inputs{Embeddings: e, Labels: lab})
				return []*graph.Node{l, graph.Gradient(l, e)[0]}
			})
			if err != nil {
				t.Fatal(err)
			}
			run := func(s step) (float64, [][]float64) {
				outs, err := exec.Exec(tensors.FromValue(s.emb), tensors.FromValue(s.labels))
				if err != nil {
					t.Fatal(err)
				}
				return tensors.ToScalar[float64](outs[0]), outs[1].Value().([][]float64)
			}
			// The reference: a Go ring buffer, and Inner against its filled slots.
			mem := make([][]float64, memSize)
			memLabels := make([]int32, memSize)
			index, filled := 0, 0
			for k, s := range steps {
				self := make([]int, n)
				for i := range n {
					slot := (index + i) % memSize
					mem[slot], memLabels[slot], self[i] = s.emb[i], s.labels[i], slot
				}
				index, filled = (index+n)%memSize, min(filled+n, memSize)
				var a1, p, a2, ng []int
				for i := range n {
					for j := range filled {
						if s.labels[i] == memLabels[j] && j != self[i] {
							a1, p = append(a1, i), append(p, j)
						} else if s.labels[i] != memLabels[j] {
							a2, ng = append(a2, i), append(ng, j)
						}
					}
				}
				pos, neg, err := losses.PairWeights(n, filled, a1, p, a2, ng)
				if err != nil {
					t.Fatal(err)
				}
				ref := mem[:filled]
				want, wantGrads, err := testutil.LossAndGrads(func(in []*graph.Node) *graph.Node {
					g := in[0].Graph()
					return inner.Compute(losses.Inputs{Embeddings: in[0], Ref: graph.Const(g, ref), Pos: graph.Const(g, pos), Neg: graph.Const(g, neg)})
				}, s.emb)
				if err != nil {
					t.Fatal(err)
				}
				got, grad := run(s)
				if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("step %d: loss %.15g, want %.15g", k, got, want)
				}
				wg := wantGrads[0].([][]float64)
				if i, j, ok := firstDiff(grad, wg, 1e-12); ok {
					t.Fatalf("step %d: gradient %d,%d: %g, want %g", k, i, j, grad[i][j], wg[i][j])
				}
				if k == 0 {
					if want == 0 {
						t.Fatalf("step 0 has a zero loss: the case tests nothing")
					}
				}
			}
			// Reset: the next step is a first step again.
			if err := x.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			x2 := losses.NewCrossBatchMemory(inner, d, memSize)
			fresh, err := context.NewExecAny(backend.MustShared(), context.New(), func(ctx *context.Context, e, lab *graph.Node) *graph.Node {
				return x2.ComputeWithContext(ctx, losses.Inputs{Embeddings: e, Labels: lab})
			})
			if err != nil {
				t.Fatal(err)
			}
			outs, err := fresh.Exec(tensors.FromValue(steps[1].emb), tensors.FromValue(steps[1].labels))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := run(steps[1]); got != tensors.ToScalar[float64](outs[0]) {
				t.Errorf("after Reset: %g, fresh memory %g", got, tensors.ToScalar[float64](outs[0]))
			}
		})
	}
}
