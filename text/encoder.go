package text

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
)

// EncoderKind is the encoders.Spec kind of the text encoder (Encoder.Spec, EncoderFromSpec).
const EncoderKind = encoders.KindText

// Pool says how the embedding bag combines the embeddings of a text's ids, each weighted by its
// count c_i: "mean" Σ c_i·e_i / Σ c_i, "sum" Σ c_i·e_i, "sqrt" Σ c_i·e_i / √(Σ c_i).
type Pool string

// The pools.
const (
	PoolMean Pool = "mean"
	PoolSum  Pool = "sum"
	PoolSqrt Pool = "sqrt"
)

// Bag defaults.
const (
	// DefaultEmbedDim is the width E of the bucket embeddings.
	DefaultEmbedDim = 64
	// DefaultHidden is the width of the MLP's hidden layer.
	DefaultHidden = 256
	// DefaultEmbeddingDim is the output width D.
	DefaultEmbeddingDim = 128
)

// Bag is the text encoder network, an embedding bag then an MLP (fastText-style, Joulin et al.,
// 2017, "Bag of Tricks for Efficient Text Classification", with the subword n-grams of
// Bojanowski et al., 2017):
//
//   - an embedding table [Buckets, EmbedDim], initialised from N(0, 1/EmbedDim);
//   - each text's bucket embeddings, weighted by their counts, pooled by Pool (padding ids have
//     weight 0 and count for nothing);
//   - for each width of Hidden a Dense layer with bias and a ReLU, then a Dense layer with bias
//     to EmbeddingDim;
//   - rows of padding slots (no ids) are zero.
//
// Defaults (NewBag): EmbedDim 64, Hidden [256], EmbeddingDim 128, Pool mean; Buckets come from
// the Tokeniser (2^18 by default: a 64 MiB float32 table, most of the model's weights; lower it
// for a smaller model). There is no normalisation layer: an embedding does not depend on the
// other texts of its batch.
//
// Like gometric's other encoders, a Bag holds no weights: they live in the context passed to
// Encode, under the scope encoders.Scope.
type Bag struct {
	// Buckets is the number of rows of the embedding table (the tokeniser's Buckets).
	Buckets int
	// EmbedDim is the width E of the bucket embeddings.
	EmbedDim int
	// Hidden are the MLP's hidden widths; empty for a linear map from the bag to the output.
	Hidden []int
	// EmbeddingDim is the output width D.
	EmbeddingDim int
	// Pool combines the bucket embeddings.
	Pool Pool
}

// NewBag returns a Bag with the defaults for the given number of buckets and output width
// (0: 128).
func NewBag(buckets, embeddingDim int) *Bag {
	if embeddingDim <= 0 {
		embeddingDim = DefaultEmbeddingDim
	}
	return &Bag{Buckets: buckets, EmbedDim: DefaultEmbedDim, Hidden: []int{DefaultHidden}, EmbeddingDim: embeddingDim, Pool: PoolMean}
}

// Validate reports the first problem of b's sizes.
func (b *Bag) Validate() error {
	switch {
	case b.Buckets < 1:
		return fmt.Errorf("text encoder: %d buckets, want at least 1", b.Buckets)
	case b.EmbedDim < 1:
		return fmt.Errorf("text encoder: bucket embedding width %d, want at least 1", b.EmbedDim)
	case b.EmbeddingDim < 1:
		return fmt.Errorf("text encoder: embedding dimension %d, want at least 1", b.EmbeddingDim)
	case b.Pool != PoolMean && b.Pool != PoolSum && b.Pool != PoolSqrt:
		return fmt.Errorf("text encoder: pool %q, want mean, sum or sqrt", b.Pool)
	}
	for _, h := range b.Hidden {
		if h < 1 {
			return fmt.Errorf("text encoder: hidden widths %v, want positive", b.Hidden)
		}
	}
	return nil
}

// String describes the network, for example "text bag 262144×64 mean → 256 → 128".
func (b *Bag) String() string {
	s := fmt.Sprintf("text bag %d×%d %s", b.Buckets, b.EmbedDim, b.Pool)
	for _, h := range b.Hidden {
		s += fmt.Sprintf(" → %d", h)
	}
	return s + fmt.Sprintf(" → %d", b.EmbeddingDim)
}

// Encode returns the embeddings [S, EmbeddingDim] of a batch given its ids [S, L] (int32) and
// weights [S, L] (the counts, 0 for padding; Float32 or Float64, the dtype of the computation),
// creating or reusing the variables in ctx.In(encoders.Scope).
func (b *Bag) Encode(ctx *context.Context, ids, weights *graph.Node) *graph.Node {
	if ids.Rank() != 2 || weights.Rank() != 2 || !slices.Equal(ids.Shape().Dimensions, weights.Shape().Dimensions) {
		panic(fmt.Errorf("text encoder: ids %s and weights %s, want two [S, L]", ids.Shape(), weights.Shape()))
	}
	ctx = ctx.In(encoders.Scope).Checked(false)
	dtype := weights.DType()
	table := ctx.In("buckets").WithInitializer(initializers.RandomNormalFn(ctx, 1/math.Sqrt(float64(b.EmbedDim))))
	emb := layers.Embedding(table, ids, dtype, b.Buckets, b.EmbedDim) // [S, L, E]
	h := graph.ReduceSum(graph.Mul(emb, graph.InsertAxes(weights, -1)), 1)
	total := graph.ReduceSum(weights, 1) // [S]
	present := graph.ConvertDType(graph.GreaterThan(total, graph.ZerosLike(total)), dtype)
	denom := graph.Max(total, graph.OnesLike(total))
	switch b.Pool {
	case PoolMean:
		h = graph.Div(h, graph.InsertAxes(denom, -1))
	case PoolSqrt:
		h = graph.Div(h, graph.InsertAxes(graph.Sqrt(denom), -1))
	case PoolSum:
	default:
		panic(fmt.Errorf("text encoder: pool %q, want mean, sum or sqrt", b.Pool))
	}
	for i, width := range b.Hidden {
		h = activations.Relu(layers.DenseWithBias(ctx.Inf("hidden_%d", i), h, width))
	}
	out := layers.DenseWithBias(ctx.In("output"), h, b.EmbeddingDim)
	return graph.Mul(out, graph.InsertAxes(present, -1))
}

// Tensors returns the batch as the two tensors Bag.Encode takes: ids [Slots, Budget] int32 and
// weights [Slots, Budget] in dtype (Float32 or Float64).
func (b *Batch) Tensors(dtype dtypes.DType) []*tensors.Tensor {
	ids := tensors.FromFlatDataAndDimensions(slices.Clone(b.IDs), b.Slots, b.Budget)
	switch dtype {
	case dtypes.Float32:
		return []*tensors.Tensor{ids, tensors.FromFlatDataAndDimensions(slices.Clone(b.Weights), b.Slots, b.Budget)}
	case dtypes.Float64:
		w := make([]float64, len(b.Weights))
		for i, x := range b.Weights {
			w[i] = float64(x)
		}
		return []*tensors.Tensor{ids, tensors.FromFlatDataAndDimensions(w, b.Slots, b.Budget)}
	}
	panic(fmt.Errorf("text: dtype %s, want Float32 or Float64", dtype))
}

// Encoder is the text encoder with its tokeniser: the encoders.ItemEncoder of text items. Inputs
// tokenises a batch of texts and pads it to a budget (Tokeniser.Pack: one compilation per
// distinct budget), EncodeInputs runs the Bag on it. Spec and EncoderFromSpec save and rebuild
// it, tokeniser settings included, so that a later process gives the same vector for the same
// string.
type Encoder struct {
	// Tokeniser turns texts into bucket ids.
	Tokeniser *Tokeniser
	// Bag is the network.
	Bag *Bag
}

// NewEncoder returns an Encoder with the default tokeniser and bag, to embeddingDim (0: 128).
func NewEncoder(embeddingDim int) *Encoder {
	tok := NewTokeniser()
	return &Encoder{Tokeniser: tok, Bag: NewBag(tok.Buckets, embeddingDim)}
}

// Inputs implements encoders.ItemEncoder: the tensors (Batch.Tensors, float32) of the texts idx
// of items packed into slots rows.
func (e *Encoder) Inputs(items *datasets.Items, idx []int, slots int) ([]*tensors.Tensor, error) {
	o, err := TextsOf(items)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(idx))
	for i, j := range idx {
		texts[i] = o.Texts[j]
	}
	b, err := e.Tokeniser.Pack(texts, slots)
	if err != nil {
		return nil, err
	}
	return b.Tensors(dtypes.Float32), nil
}

// EncodeInputs implements encoders.ItemEncoder: Bag.Encode on the nodes of Inputs' tensors.
func (e *Encoder) EncodeInputs(ctx *context.Context, inputs []*graph.Node) *graph.Node {
	if len(inputs) != 2 {
		panic(fmt.Errorf("text encoder: %d inputs, want 2 (ids, weights)", len(inputs)))
	}
	return e.Bag.Encode(ctx, inputs[0], inputs[1])
}

// String describes the encoder.
func (e *Encoder) String() string { return e.Bag.String() }

// specItems is the content of encoders.Spec.Items for a text encoder.
type specItems struct {
	Tokeniser *Tokeniser `json:"tokeniser"`
	EmbedDim  int        `json:"embed_dim"`
	Hidden    []int      `json:"hidden"`
	Pool      Pool       `json:"pool"`
}

// Spec returns the description of e that EncoderFromSpec rebuilds it from: kind EncoderKind,
// the embedding dimension and hidden widths, and in Spec.Items the tokeniser's settings, the
// bucket embedding width and the pool.
func (e *Encoder) Spec() encoders.Spec {
	hidden := e.Bag.Hidden
	if hidden == nil {
		hidden = []int{}
	}
	items, err := json.Marshal(specItems{Tokeniser: e.Tokeniser, EmbedDim: e.Bag.EmbedDim, Hidden: hidden, Pool: e.Bag.Pool})
	if err != nil {
		panic(err) // plain structs always marshal
	}
	return encoders.Spec{Kind: EncoderKind, EmbeddingDim: e.Bag.EmbeddingDim, Hidden: slices.Clone(e.Bag.Hidden), Items: items}
}

// EncoderFromSpec rebuilds the Encoder that Encoder.Spec described; a spec of another kind, an
// unknown tokeniser version or invalid sizes are errors.
func EncoderFromSpec(spec encoders.Spec) (*Encoder, error) {
	if spec.Kind != EncoderKind {
		return nil, fmt.Errorf("text: encoder kind %q, want %q", spec.Kind, EncoderKind)
	}
	var it specItems
	dec := json.NewDecoder(bytes.NewReader(spec.Items))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil {
		return nil, fmt.Errorf("encoder text: items: %w", err)
	}
	if it.Tokeniser == nil {
		return nil, fmt.Errorf("encoder text: items: no tokeniser")
	}
	if err := it.Tokeniser.Validate(); err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	bag := &Bag{Buckets: it.Tokeniser.Buckets, EmbedDim: it.EmbedDim, Hidden: it.Hidden, EmbeddingDim: spec.EmbeddingDim, Pool: it.Pool}
	if err := bag.Validate(); err != nil {
		return nil, err
	}
	return &Encoder{Tokeniser: it.Tokeniser, Bag: bag}, nil
}
