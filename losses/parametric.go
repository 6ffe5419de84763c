package losses

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/distances"
	"github.com/gometric/gometric/internal/gmath"
	"github.com/gometric/gometric/reducers"
	"github.com/gometric/gometric/regularizers"
)

// ParametricLoss is a loss with learnable parameters (class weights, proxies or centers): PML's
// classification and proxy losses ArcFace, CosFace, SphereFace, LargeMarginSoftmax, SubCenterArcFace,
// NormalizedSoftmax, ProxyNCA, ProxyAnchor, SoftTriple and P2SGrad.
//
// The parameters live in a GoMLX context: ComputeWithContext creates them on first use, under
// ctx.In(Scope) with PML's parameter names and layouts, and reuses them afterwards (the scope is
// unchecked, like an optimizer's, so the train and eval graphs share them). The training loop's
// optimizer then updates them with the rest of the model's variables. Their initializer draws from
// PML's distribution (normal_, kaiming_normal_, kaiming_uniform_, ...) with the context's random
// number generator: the same distribution, not torch's random stream. To start from given values,
// create the variable (same scope, name and shape) before the first call.
//
// (Margin, whose β may be learned, DynamicSoftMargin and CrossBatchMemory also keep variables in the
// context, but have no class parameters.)
//
// Deliberate differences shared by these losses: labels outside [0, NumClasses) panic when the labels
// are a constant node and otherwise make the loss NaN (PML raises an indexing error); explicit pairs
// (Inputs.Pos/Neg) are read as per-sample weights the way PML's convert_to_weights reads an
// indices_tuple, counting an item once per selected pair it belongs to (so a triplet converted with
// TripletWeights counts its anchor twice, PML once).
type ParametricLoss interface {
	Loss
	// Classes returns the loss's class options (NumClasses, EmbeddingSize, Scope, ...), to read or set.
	Classes() *ClassOptions
}

// ClassOptions are the settings shared by the losses with learnable class parameters, beyond Options:
// the number of classes and the embedding width (PML's num_classes and embedding_size, required), and
// PML's weight regularizer (WeightRegularizerMixin).
type ClassOptions struct {
	// NumClasses is C: labels must be class ids in [0, C).
	NumClasses int
	// EmbeddingSize is D, the width of the embeddings.
	EmbeddingSize int
	// WeightRegularizer, when set, adds WeightRegWeight · WeightRegularizer(weights) to the loss, with
	// one row per class (or per class center): PML's weight_regularizer, applied to W.t(), proxies or
	// fc.t(). For example regularizers.NewLpRegularizer().
	WeightRegularizer regularizers.Regularizer
	// WeightRegWeight weights the weight regularizer (PML's weight_reg_weight, default 1).
	WeightRegWeight float64
	// Scope is the context scope of the loss's variables, below the context's current scope; the
	// constructors set the loss's registry name ("arcface", "proxyanchor", ...). Two losses of the
	// same kind need different scopes to have their own parameters.
	Scope string
}

func defaultClassOptions(scope string, numClasses, embeddingSize int) ClassOptions {
	return ClassOptions{NumClasses: numClasses, EmbeddingSize: embeddingSize, WeightRegWeight: 1, Scope: scope}
}

// Classes returns o: every ParametricLoss of this package embeds its ClassOptions.
func (o *ClassOptions) Classes() *ClassOptions { return o }

// ByNameWithClasses returns the loss with learnable parameters called name ("arcface", "proxyanchor",
// PML's class names such as "ArcFaceLoss" too; see New) with PML's defaults, for numClasses
// classes and embeddings of width embeddingSize. A loss without class parameters is an error.
//
// Deprecated: use New (or Parse with num_classes and embedding_size) and SetClasses; whether a loss
// needs classes is Lookup(name).NeedsClasses.
func ByNameWithClasses(name string, numClasses, embeddingSize int) (ParametricLoss, error) {
	if numClasses <= 0 || embeddingSize <= 0 {
		return nil, fmt.Errorf("loss %q: numClasses (%d) and embeddingSize (%d) must be positive", name, numClasses, embeddingSize)
	}
	l, err := New(name)
	if err != nil {
		return nil, err
	}
	p, ok := l.(ParametricLoss)
	if !ok {
		return nil, fmt.Errorf("loss %q has no learnable class parameters: use New", name)
	}
	o := p.Classes()
	o.NumClasses, o.EmbeddingSize = numClasses, embeddingSize
	return p, nil
}

// classInputs are Inputs validated for a classification / proxy loss.
type classInputs struct {
	lossName string
	emb      *graph.Node
	labels   *graph.Node // As given.
	oneHot   *graph.Node // [N, C] in the embeddings' dtype; an all-zero row for an out-of-range label.
	valid    *graph.Node // [N] bool: the label is in [0, C).
	weights  *graph.Node // [N] per-sample weights from Pos/Neg (PML's convert_to_weights), nil for all ones.
	n        int
	dt       dtypes.DType
}

// resolveClass validates in for a loss with numClasses classes. Labels are required; Ref is not
// supported; Pos and Neg, when given, become per-sample weights.
func (o *ClassOptions) resolveClass(lossName string, in Inputs, allowPairs bool) classInputs {
	emb := in.Embeddings
	o.checkEmbeddings(lossName, emb)
	if in.Ref != nil || in.RefLabels != nil {
		exceptions.Panicf("%s: Ref and RefLabels are not supported (the references are the loss's class parameters)", lossName)
	}
	if in.Labels == nil {
		exceptions.Panicf("%s: Inputs.Labels are required (class ids in [0, %d))", lossName, o.NumClasses)
	}
	n := emb.Shape().Dimensions[0]
	checkLabels(lossName, "Labels", in.Labels, n)
	checkConstantLabels(lossName, in.Labels, o.NumClasses)
	dt := emb.DType()
	c := classInputs{lossName: lossName, emb: emb, labels: in.Labels, n: n, dt: dt}
	labels := graph.ConvertDType(in.Labels, dtypes.Int64)
	g := emb.Graph()
	c.valid = graph.LogicalAnd(
		graph.GreaterOrEqual(labels, graph.ScalarZero(g, dtypes.Int64)),
		graph.LessThan(labels, graph.Scalar(g, dtypes.Int64, o.NumClasses)))
	c.oneHot = graph.OneHot(labels, o.NumClasses, dt)
	if (in.Pos == nil) != (in.Neg == nil) {
		exceptions.Panicf("%s: Inputs.Pos and Inputs.Neg must be given together", lossName)
	}
	if in.Pos != nil {
		if !allowPairs {
			exceptions.Panicf("%s: explicit pairs (Inputs.Pos/Neg) are not supported, as in PML (indices_tuple not supported)", lossName)
		}
		c.weights = sampleWeights(lossName, in.Pos, in.Neg, n, dt)
	}
	return c
}

// checkEmbeddings panics unless NumClasses and EmbeddingSize are set and emb is a float [N,
// EmbeddingSize] matrix.
func (o *ClassOptions) checkEmbeddings(lossName string, emb *graph.Node) {
	if o.NumClasses <= 0 || o.EmbeddingSize <= 0 {
		exceptions.Panicf("%s: NumClasses (%d) and EmbeddingSize (%d) must be set (use the constructor or ByNameWithClasses)", lossName, o.NumClasses, o.EmbeddingSize)
	}
	if emb == nil {
		exceptions.Panicf("%s: Inputs.Embeddings is nil", lossName)
	}
	if emb.Rank() != 2 || emb.Shape().Dimensions[1] != o.EmbeddingSize {
		exceptions.Panicf("%s: embeddings must be [N, %d] (EmbeddingSize), got shape %s", lossName, o.EmbeddingSize, emb.Shape())
	}
	if !emb.DType().IsFloat() {
		exceptions.Panicf("%s: embeddings must be floats, got %s", lossName, emb.DType())
	}
}

// checkConstantLabels panics when labels is a constant node with a value outside [0, numClasses).
// Labels computed at run time cannot be checked while building the graph: an out-of-range label then
// makes the loss NaN (see classInputs.elementTerms).
func checkConstantLabels(lossName string, labels *graph.Node, numClasses int) {
	t := labels.ConstantValue()
	if t == nil {
		return
	}
	v := reflect.ValueOf(t.Value())
	if v.Kind() != reflect.Slice {
		return
	}
	for i := range v.Len() {
		var x int64
		switch e := v.Index(i); e.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			x = e.Int()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			x = int64(min(e.Uint(), math.MaxInt64))
		default:
			return
		}
		if x < 0 || x >= int64(numClasses) {
			exceptions.Panicf("%s: label %d of item %d is out of range [0, %d) (NumClasses)", lossName, x, i, numClasses)
		}
	}
}

// sampleWeights is PML's convert_to_weights for pair weights: item i's count is the number of times it
// appears in the selection (as the query or the reference of a positive or negative pair: row and
// column sums of Pos and Neg), and its weight is count / max count. An empty selection weighs every item
// 1, as in PML.
func sampleWeights(lossName string, pos, neg *graph.Node, n int, dt dtypes.DType) *graph.Node {
	for _, w := range []*graph.Node{pos, neg} {
		if w.Rank() != 2 || w.Shape().Dimensions[0] != n || w.Shape().Dimensions[1] != n {
			exceptions.Panicf("%s: pair weights must be [%d, %d] (items x items), got shape %s", lossName, n, n, w.Shape())
		}
	}
	pos, neg = graph.ConvertDType(pos, dt), graph.ConvertDType(neg, dt)
	counts := graph.Add(graph.Add(graph.ReduceSum(pos, 1), graph.ReduceSum(pos, 0)),
		graph.Add(graph.ReduceSum(neg, 1), graph.ReduceSum(neg, 0)))
	mx := graph.ReduceAllMax(counts)
	return graph.StopGradient(graph.Where(graph.GreaterThan(mx, gmath.Zero(mx)), gmath.SafeDiv(counts, mx), gmath.One(counts)))
}

// elementTerms returns PML's "loss" sub-loss of per-sample losses: each multiplied by its sample
// weight (PML multiplies, and the mean still counts every sample), NaN where the label is out of range.
func (c classInputs) elementTerms(perSample *graph.Node) reducers.SubLoss {
	if c.weights != nil {
		perSample = graph.Mul(perSample, c.weights)
	}
	nan := graph.Scalar(perSample.Graph(), perSample.DType(), math.NaN())
	perSample = graph.Where(c.valid, perSample, nan)
	return reducers.SubLoss{Name: "loss", Kind: reducers.Element, Losses: perSample, AnchorLabels: c.labels}
}

// reduce adds the embedding and weight regularization to terms and reduces them: PML's loss dict with
// "weight_reg_loss" and "embedding_reg_loss" as already-reduced sub-losses. weightRows has one row per
// class (or class center), what PML gives its weight regularizer.
func (o *ClassOptions) reduce(opts *Options, c classInputs, terms []reducers.SubLoss, weightRows *graph.Node) *graph.Node {
	if o.WeightRegularizer != nil {
		reg := o.WeightRegularizer.Compute(weightRows)
		if o.WeightRegWeight != 1 {
			reg = graph.MulScalar(reg, o.WeightRegWeight)
		}
		terms = append(terms, reducers.SubLoss{Name: "weight_reg_loss", Kind: reducers.AlreadyReduced, Losses: reg})
	}
	terms = opts.withRegularization(terms, c.emb)
	red := opts.Reducer
	if red == nil {
		red = reducers.MeanReducer{}
	}
	return reducers.ReduceAll(red, terms)
}

// variable returns the value, in dtype dt, of the loss's variable name under ctx.In(o.Scope), created
// with shape dims and initializer init on first use. An existing variable must have the shape dims
// (any float dtype: it is converted to dt, like PML's cast_types).
func (o *ClassOptions) variable(ctx *context.Context, lossName, name string, g *graph.Graph, dt dtypes.DType, init context.VariableInitializer, dims ...int) *graph.Node {
	if ctx == nil {
		exceptions.Panicf("%s: ComputeWithContext needs a non-nil context", lossName)
	}
	scope := o.Scope
	if scope == "" {
		scope = strings.ToLower(strings.TrimSuffix(lossName, "Loss"))
	}
	c := ctx.In(scope).Checked(false)
	if v := c.GetVariableByScopeAndName(c.Scope(), name); v != nil {
		if !reflect.DeepEqual(v.Shape().Dimensions, dims) {
			exceptions.Panicf("%s: variable %s/%s has shape %s, want dimensions %v (NumClasses=%d, EmbeddingSize=%d)", lossName, c.Scope(), name, v.Shape(), dims, o.NumClasses, o.EmbeddingSize)
		}
		x := v.ValueGraph(g)
		if x.DType() != dt {
			x = graph.ConvertDType(x, dt)
		}
		return x
	}
	v := c.WithInitializer(init).VariableWithShape(name, shapes.Make(dt, dims...))
	return v.ValueGraph(g)
}

// Initializers with PML's distributions, drawn from the context's random number generator.

// normalInit is torch.nn.init.normal_: N(0, 1), PML's default weight_init_func.
func normalInit(ctx *context.Context) context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node { return ctx.RandomNormal(g, shape) }
}

// kaimingNormalFanOutInit is torch.nn.init.kaiming_normal_(mode="fan_out") with its default gain √2:
// N(0, 2/fan_out), fan_out being the first dimension of a matrix in torch's convention.
func kaimingNormalFanOutInit(ctx *context.Context) context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return graph.MulScalar(ctx.RandomNormal(g, shape), math.Sqrt(2/float64(shape.Dimensions[0])))
	}
}

// kaimingUniformInit is torch.nn.init.kaiming_uniform_(a=√5): U(−b, b) with b = 1/√fan_in, fan_in being
// the second dimension of a matrix in torch's convention.
func kaimingUniformInit(ctx *context.Context) context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return uniform(ctx, g, shape, 1/math.Sqrt(float64(shape.Dimensions[1])))
	}
}

// uniform draws U(−b, b).
func uniform(ctx *context.Context, g *graph.Graph, shape shapes.Shape, b float64) *graph.Node {
	return graph.AddScalar(graph.MulScalar(ctx.RandomUniform(g, shape), 2*b), -b)
}

// Graph helpers of the classification losses.

// crossEntropy returns, per row, −log softmax(logits)[target] with the target given as a one-hot
// matrix (torch's cross_entropy with reduction="none").
func crossEntropy(logits, oneHot *graph.Node) *graph.Node {
	return graph.Neg(graph.ReduceSum(graph.Mul(oneHot, graph.LogSoftmax(logits, -1)), 1))
}

// replaceTarget returns cos with each row's target entry (oneHot) replaced by modify(target), the
// target cosines [N]: PML's LargeMarginSoftmax scheme, cosine + mask·(modified − cosine).
func replaceTarget(cos, oneHot *graph.Node, modify func(target *graph.Node) *graph.Node) *graph.Node {
	target := graph.ReduceSum(graph.Mul(cos, oneHot), 1)
	diff := graph.Sub(modify(target), target)
	return graph.Add(cos, graph.Mul(oneHot, graph.InsertAxes(diff, -1)))
}

// clampCos clamps cosines to ±(1 − ε) (ε from acosClampEps) with a zero gradient outside, so that an
// angle computed from them has a finite gradient: the clamp of pitfall 4 (PML clamps to ±1, where the
// gradient of acos is infinite).
func clampCos(c *graph.Node) *graph.Node {
	g, dt := c.Graph(), c.DType()
	eps := acosClampEps(dt)
	lo, hi := graph.Scalar(g, dt, -1+eps), graph.Scalar(g, dt, 1-eps)
	return graph.Where(graph.GreaterThan(c, hi), hi, graph.Where(graph.LessThan(c, lo), lo, c))
}

// rowNorms returns the [N] L2 norms of the rows of x (zero gradient at 0).
func rowNorms(x *graph.Node) *graph.Node {
	return gmath.SafeSqrt(graph.ReduceSum(graph.Square(x), -1))
}

// normalizeColumns divides each column of w ([D, C]) by its L2 norm, clamped below at 1e-12 like
// torch.nn.functional.normalize(w, dim=0).
func normalizeColumns(w *graph.Node) *graph.Node {
	norms := gmath.SafeSqrt(graph.ReduceSum(graph.Square(w), 0))
	norms = graph.Max(norms, graph.Scalar(w.Graph(), w.DType(), 1e-12))
	return graph.Div(w, graph.InsertAxes(norms, 0))
}

// cosineToColumns returns the [N, C] cosine similarities between the embeddings and the columns of w
// ([D, C]) under d, which must be CosineSimilarity: PML's LargeMarginSoftmax family asserts it.
func cosineToColumns(lossName string, d distances.Distance, emb, w *graph.Node) *graph.Node {
	if _, ok := d.(*distances.CosineSimilarity); !ok {
		exceptions.Panicf("%s: Distance must be CosineSimilarity (as PML asserts), got %v", lossName, d)
	}
	return d.Matrix(emb, graph.Transpose(w, 0, 1))
}
