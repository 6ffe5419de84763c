package losses

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
)

// Manifold is PML's ManifoldLoss (Aziere & Todorovic, 2019, "Ensemble Deep Manifold Similarity
// Learning using Hard Proxies"): K learnable proxies P_k and the N embeddings form a graph whose
// affinities are S_ij = exp(max(s_ij, 0) / 0.5) (s the Distance matrix, no self-loops); a random walk
// on it gives F = (1 − α)(I − α·D^{−1/2} S D^{−1/2})^{−1} ([N+K, N+K], D the row sums of S). Each
// embedding i belongs to one proxy m_i, its meta class. With x_ik = F_ik − F_i,m_i + Margin over the
// proxies k ≠ m_i (column N+k of F),
//
//	loss_int = mean_i log(1 + Σ_{k ≠ m_i, x_ik ≥ 0} e^{x_ik})
//
// and loss_ctx is the same with F_ik replaced by the cosine similarity of row i of F and row N+k
// (the embedding's and the proxy's whole random-walk profiles). The loss is loss_int + LambdaC·loss_ctx,
// one already-reduced sub-loss "loss" (every reducer passes it through, as in PML); the embedding
// regularizer, when set, is added.
//
// The meta classes are not labels: Labels are ignored (PML rejects them; gometric's training loop
// always passes labels, and the loss then draws its meta classes as PML does). ComputeWithContext
// draws them at random each call with the context's random number generator, PML's distribution:
// a random permutation of 0, …, K−1 followed by N−K draws uniform in [0, K). ComputeWithMetaClasses
// takes them given (PML's loss(embeddings, indices_tuple=meta_classes)). Ref, RefLabels, Pos and Neg
// are not supported, as in PML.
//
// Parameters: "proxies", shaped [K, L], initialized N(0, 1) like PML's torch.randn, under
// ctx.In(Scope), Scope "manifold" by default (see ParametricLoss for how variables are created and
// reused). Memory and time: O((N+K)²) and O((N+K)³).
//
// Defaults (NewManifold): K 50, LambdaC 1, Alpha 0.8, Margin 5e-4, CosineSimilarity, MeanReducer; L
// (PML's l, required there) 0, which takes the embeddings' width.
//
// Differences from PML, each deliberate:
//   - PML inverts I − αS̄ in float32 whatever the embeddings' dtype; gometric works in the
//     embeddings' dtype (float64 values and gradients are exact where PML's carry float32 rounding,
//     ~1e-7 relative), summing the Neumann series Σ_j (αS̄)^j, which converges since S̄'s spectral
//     radius is 1: Alpha must be in [0, 1) (PML's documented range is (0, 1); it does not check).
//   - Drawing meta classes for N < K, PML fails (torch.randint with a negative size); gometric draws
//     N distinct proxies. Given meta classes outside [0, K) panic when they are a constant node and
//     otherwise go undetected (the embedding then has no own proxy); PML raises an index error.
//   - LambdaC = +Inf (PML's documented "context loss only") gives loss_ctx alone; PML returns
//     inf·loss_ctx.
type Manifold struct {
	Options
	// L is the embedding width (PML's l); 0 takes the embeddings' width.
	L int `pml:"l"`
	// K is the number of proxies.
	K int `pml:"K"`
	// LambdaC weighs the context loss (PML's lambdaC, ≥ 0).
	LambdaC float64 `pml:"lambdaC"`
	// Alpha is the random walk's α in [0, 1): how much similarity each node passes to its neighbours.
	Alpha float64
	// Margin is the margin of both losses.
	Margin float64
	// Scope is the context scope of the proxies, below the context's current scope (default
	// "manifold"); two Manifold losses need different scopes to have their own proxies.
	Scope string
}

// NewManifold returns ManifoldLoss with PML's defaults (L 0: the embeddings' width).
func NewManifold() *Manifold {
	return &Manifold{
		Options: defaultOptions(distances.NewCosineSimilarity(), reducers.MeanReducer{}),
		K:       50, LambdaC: 1, Alpha: 0.8, Margin: 5e-4, Scope: "manifold",
	}
}

// Validate reports options out of range: K < 1, L < 0, LambdaC negative or NaN (PML raises a
// ValueError), Alpha outside [0, 1).
func (l *Manifold) Validate() error {
	switch {
	case l.K < 1:
		return fmt.Errorf("ManifoldLoss: K=%d, want at least 1 proxy", l.K)
	case l.L < 0:
		return fmt.Errorf("ManifoldLoss: l=%d, want the embedding width (or 0 for the embeddings' width)", l.L)
	case !(l.LambdaC >= 0):
		return fmt.Errorf("ManifoldLoss: lambdaC=%g, want a non-negative value", l.LambdaC)
	case !(l.Alpha >= 0 && l.Alpha < 1):
		return fmt.Errorf("ManifoldLoss: alpha=%g, want a value in [0, 1)", l.Alpha)
	}
	return nil
}

// ComputeWithContext implements Loss: meta classes drawn at random with ctx's random number generator,
// the proxies in ctx. in needs Embeddings only (Labels are ignored).
func (l *Manifold) ComputeWithContext(ctx *context.Context, in Inputs) *graph.Node {
	return l.compute(ctx, in, nil)
}

// ComputeWithMetaClasses returns the loss with the given meta classes, integers [N] in [0, K) (PML's
// indices_tuple): metaClasses[i] is embedding i's proxy.
func (l *Manifold) ComputeWithMetaClasses(ctx *context.Context, emb, metaClasses *graph.Node) *graph.Node {
	if metaClasses == nil {
		exceptions.Panicf("ManifoldLoss: ComputeWithMetaClasses needs meta classes (ComputeWithContext draws them)")
	}
	return l.compute(ctx, Inputs{Embeddings: emb}, metaClasses)
}

func (l *Manifold) compute(ctx *context.Context, in Inputs, meta *graph.Node) *graph.Node {
	const name = "ManifoldLoss"
	if err := l.Validate(); err != nil {
		exceptions.Panicf("%v", err)
	}
	if ctx == nil {
		exceptions.Panicf("%s: ComputeWithContext needs a non-nil context (the proxies live in it)", name)
	}
	if in.Ref != nil || in.RefLabels != nil || in.Pos != nil || in.Neg != nil {
		exceptions.Panicf("%s: Ref, RefLabels, Pos and Neg are not supported (as in PML)", name)
	}
	emb := in.Embeddings
	width := l.L
	if emb != nil && emb.Rank() == 2 && width == 0 {
		width = emb.Shape().Dimensions[1]
	}
	co := ClassOptions{NumClasses: l.K, EmbeddingSize: width, Scope: l.Scope}
	co.checkEmbeddings(name, emb)
	g, dt, n, k := emb.Graph(), emb.DType(), emb.Shape().Dimensions[0], l.K
	if meta == nil {
		meta = l.RandomMetaClasses(ctx, g, n)
	} else {
		checkLabels(name, "meta classes", meta, n)
		checkConstantLabels(name, meta, k)
	}
	proxies := co.variable(ctx, name, "proxies", g, dt, normalInit(ctx), k, width)

	x := graph.Concatenate([]*graph.Node{emb, proxies}, 0) // [T, D], T = N + K.
	t := n + k
	s := l.Distance.Matrix(x, x)
	s = graph.Where(graph.GreaterOrEqual(s, gmath.Zero(s)), s, gmath.Zero(s)) // clamp(0, ∞), gradient 1 at 0 like torch.
	s = graph.Exp(graph.MulScalar(s, 2))                                      // exp(S / 0.5).
	s = graph.Where(notDiagonal(g, 0, t, t), s, gmath.Zero(s))
	dInvHalf := graph.Reciprocal(graph.Sqrt(graph.ReduceSum(s, 1)))
	sBar := graph.Mul(graph.Mul(s, gmath.RowBroadcast(dInvHalf, t)), gmath.ColBroadcast(dInvHalf, t))
	f := graph.MulScalar(neumannInverse(graph.MulScalar(sBar, l.Alpha), l.Alpha), 1-l.Alpha)

	own := graph.OneHot(graph.ConvertDType(meta, dtypes.Int64), k, dt) // [N, K]
	fe := graph.Slice(f, graph.AxisRange(0, n))                        // [N, T]
	fp := graph.Slice(f, graph.AxisRange(n, t))                        // [K, T]
	var loss *graph.Node
	if !math.IsInf(l.LambdaC, 1) {
		loss = manifoldPart(graph.Slice(fe, graph.AxisRange(), graph.AxisRange(n, t)), own, l.Margin)
	}
	if l.LambdaC != 0 {
		cos := distances.NewCosineSimilarity().Matrix(fe, fp) // [N, K]: torch's cosine_similarity of the rows.
		ctxLoss := manifoldPart(cos, own, l.Margin)
		if !math.IsInf(l.LambdaC, 1) {
			loss = graph.Add(loss, graph.MulScalar(ctxLoss, l.LambdaC))
		} else {
			loss = ctxLoss
		}
	}
	terms := l.withRegularization([]reducers.SubLoss{{Name: "loss", Kind: reducers.AlreadyReduced, Losses: loss}}, emb)
	return reducers.ReduceAll(l.Reducer, terms)
}

// manifoldPart is mean_i log(1 + Σ_{k ≠ m_i, x_ik ≥ 0} e^{x_ik}) with x_ik = a_ik − a_i,m_i + margin,
// own the one-hot [N, K] meta classes m.
func manifoldPart(a, own *graph.Node, margin float64) *graph.Node {
	k := a.Shape().Dimensions[1]
	target := graph.ReduceSum(graph.Mul(a, own), 1)
	x := graph.AddScalar(graph.Sub(a, gmath.RowBroadcast(target, k)), margin)
	keep := graph.LogicalAnd(graph.GreaterOrEqual(x, gmath.Zero(x)), graph.Equal(own, gmath.Zero(own)))
	lse, _ := weightedLogSumExp(x, graph.ConvertDType(keep, x.DType()))
	return graph.ReduceAllMean(softplus(lse))
}

// neumannInverse returns F = (I − b)^{−1} for a symmetric b whose spectral radius is at most
// alpha < 1, as the Neumann series Σ_{j<2^m} b^j = Π_{i<m} (I + b^{2^i}), with m large enough that
// the truncation error of the value and of its gradient, about 2^m·alpha^{2^m}/(1 − alpha)², is
// below the dtype's rounding. Its gradient is the inverse's own, dL/db = Fᵀ·(dL/dF)·Fᵀ (two matrix
// products), rather than the series' backward (two products per product of the series: 24 at
// N = 1,024 in float32, which took about two thirds of the loss's time).
func neumannInverse(b *graph.Node, alpha float64) *graph.Node {
	f := graph.StopGradient(neumannSeries(b, alpha))
	linked := graph.IdentityWithCustomGradient(b, func(_, v *graph.Node) *graph.Node {
		return graph.MatMul(graph.MatMul(graph.Transpose(f, 0, 1), v), graph.Transpose(f, 0, 1))
	})
	return graph.Add(f, graph.Sub(linked, graph.StopGradient(linked))) // f, with the gradient above
}

// neumannSeries is neumannInverse's value.
func neumannSeries(b *graph.Node, alpha float64) *graph.Node {
	t := b.Shape().Dimensions[0]
	id := graph.ConvertDType(graph.LogicalNot(notDiagonal(b.Graph(), 0, t, t)), b.DType())
	if alpha == 0 {
		return id
	}
	eps := 0x1p-53
	if b.DType() != dtypes.Float64 {
		eps = 0x1p-24
	}
	sum, power := graph.Add(id, b), b
	for m := 1; math.Exp2(float64(m))*math.Pow(alpha, math.Exp2(float64(m))) > eps*(1-alpha)*(1-alpha)/8; m++ {
		power = graph.MatMul(power, power)
		sum = graph.Add(sum, graph.MatMul(sum, power))
	}
	return sum
}

// RandomMetaClasses draws the meta classes of n embeddings that ComputeWithContext uses, int64 [n],
// with ctx's random number generator: PML's distribution, a uniformly random permutation of
// (0, …, K−1, u_1, …, u_{n−K}) with u uniform in [0, K); for n < K, its first n entries (n distinct
// proxies, where PML fails).
func (l *Manifold) RandomMetaClasses(ctx *context.Context, g *graph.Graph, n int) *graph.Node {
	k := l.K
	t := max(n, k)
	vals := graph.Iota(g, shapes.Make(dtypes.Int64, k), 0)
	if n > k {
		vals = graph.Concatenate([]*graph.Node{vals, ctx.RandomIntN(g, int64(k), shapes.Make(dtypes.Int64, n-k))}, 0)
	}
	// The rank of each of t uniform keys (ties broken by index) is a uniformly random permutation.
	u := ctx.RandomUniform(g, shapes.Make(dtypes.Float64, t))
	uj, ui := gmath.ColBroadcast(u, t), gmath.RowBroadcast(u, t) // [t, t]: entry (i, j) is u_j, u_i.
	j, i := graph.Iota(g, shapes.Make(dtypes.Int32, t, t), 1), graph.Iota(g, shapes.Make(dtypes.Int32, t, t), 0)
	before := graph.LogicalOr(graph.LessThan(uj, ui), graph.LogicalAnd(graph.Equal(uj, ui), graph.LessThan(j, i)))
	rank := graph.ReduceSum(graph.ConvertDType(before, dtypes.Int64), 1) // [t]: how many keys come before key i.
	perm := graph.Slice(rank, graph.AxisRange(0, n))
	return graph.Gather(vals, graph.InsertAxes(perm, -1))
}
