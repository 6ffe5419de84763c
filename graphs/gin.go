package graphs

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/gometric/gometric/encoders"
)

// Inputs are the nodes of a GoMLX graph that hold one packed Batch: what GIN.Encode reads. N, E
// and G are the batch Budget's Nodes, Edges and Graphs; masks are 1 for real slots and 0 for
// padding, in the float dtype of the computation; ids are int32. Optional parts are nil when the
// schema does not have them.
type Inputs struct {
	// Schema is the batch's schema.
	Schema Schema
	// NodeLabels [N] int32 node label ids, or nil.
	NodeLabels *graph.Node
	// NodeFeatures [N, Schema.NodeFeatures], or nil.
	NodeFeatures *graph.Node
	// NodeMask [N], 1 for real nodes.
	NodeMask *graph.Node
	// NodeGraph [N] int32, each node's graph slot.
	NodeGraph *graph.Node
	// EdgeSrc and EdgeDst [E] int32, each message's source and destination node slots.
	EdgeSrc, EdgeDst *graph.Node
	// EdgeLabels [E] int32 edge label ids, or nil.
	EdgeLabels *graph.Node
	// EdgeFeatures [E, Schema.EdgeFeatures], or nil.
	EdgeFeatures *graph.Node
	// EdgeMask [E], 1 for real messages.
	EdgeMask *graph.Node
	// GraphMask [G], 1 for real graphs.
	GraphMask *graph.Node
	// GraphFeatures [G, Schema.GraphFeatures], or nil.
	GraphFeatures *graph.Node
}

// NumTensors returns how many tensors Batch.Tensors gives for a schema: 6, plus one for each
// optional part the schema has.
func NumTensors(s Schema) int {
	n := 6
	for _, has := range []bool{s.NodeLabels, s.NodeFeatures > 0, s.EdgeLabels, s.EdgeFeatures > 0, s.GraphFeatures > 0} {
		if has {
			n++
		}
	}
	return n
}

// Tensors returns the batch as tensors, to pass to a GoMLX executable whose graph function takes
// a []*graph.Node and hands it to NewInputs. The order: NodeMask, NodeGraph, EdgeSrc, EdgeDst, EdgeMask,
// GraphMask, then those of NodeLabels, NodeFeatures, EdgeLabels, EdgeFeatures, GraphFeatures that
// the schema has. Masks and features are in dtype (Float32 or Float64), ids int32.
func (b *Batch) Tensors(dtype dtypes.DType) []*tensors.Tensor {
	N, E, G := b.Budget.Nodes, b.Budget.Edges, b.Budget.Graphs
	s := b.Schema
	out := []*tensors.Tensor{
		floats(dtype, masks(b.NodeMask), N),
		tensors.FromFlatDataAndDimensions(b.NodeGraph, N),
		tensors.FromFlatDataAndDimensions(b.EdgeSrc, E),
		tensors.FromFlatDataAndDimensions(b.EdgeDst, E),
		floats(dtype, masks(b.EdgeMask), E),
		floats(dtype, masks(b.GraphMask), G),
	}
	if s.NodeLabels {
		out = append(out, tensors.FromFlatDataAndDimensions(b.NodeLabels, N))
	}
	if s.NodeFeatures > 0 {
		out = append(out, floats(dtype, b.NodeFeatures, N, s.NodeFeatures))
	}
	if s.EdgeLabels {
		out = append(out, tensors.FromFlatDataAndDimensions(b.EdgeLabels, E))
	}
	if s.EdgeFeatures > 0 {
		out = append(out, floats(dtype, b.EdgeFeatures, E, s.EdgeFeatures))
	}
	if s.GraphFeatures > 0 {
		out = append(out, floats(dtype, b.GraphFeatures, G, s.GraphFeatures))
	}
	return out
}

func masks(m []bool) []float32 {
	out := make([]float32, len(m))
	for i, b := range m {
		if b {
			out[i] = 1
		}
	}
	return out
}

// floats returns data as a tensor of dtype (Float32 or Float64) and the given dimensions.
func floats(dtype dtypes.DType, data []float32, dims ...int) *tensors.Tensor {
	switch dtype {
	case dtypes.Float32:
		return tensors.FromFlatDataAndDimensions(data, dims...)
	case dtypes.Float64:
		d := make([]float64, len(data))
		for i, x := range data {
			d[i] = float64(x)
		}
		return tensors.FromFlatDataAndDimensions(d, dims...)
	}
	panic(fmt.Errorf("graphs: dtype %s, want Float32 or Float64", dtype))
}

// NewInputs returns the Inputs of the nodes of Batch.Tensors, in that order, for a batch of the
// given schema. It panics (GoMLX's way of failing while building a graph) on a wrong count.
func NewInputs(s Schema, nodes []*graph.Node) *Inputs {
	if len(nodes) != NumTensors(s) {
		panic(fmt.Errorf("graphs: %d input nodes, want %d for schema %s", len(nodes), NumTensors(s), s))
	}
	in := &Inputs{Schema: s, NodeMask: nodes[0], NodeGraph: nodes[1], EdgeSrc: nodes[2], EdgeDst: nodes[3], EdgeMask: nodes[4], GraphMask: nodes[5]}
	rest := nodes[6:]
	next := func() *graph.Node { n := rest[0]; rest = rest[1:]; return n }
	if s.NodeLabels {
		in.NodeLabels = next()
	}
	if s.NodeFeatures > 0 {
		in.NodeFeatures = next()
	}
	if s.EdgeLabels {
		in.EdgeLabels = next()
	}
	if s.EdgeFeatures > 0 {
		in.EdgeFeatures = next()
	}
	if s.GraphFeatures > 0 {
		in.GraphFeatures = next()
	}
	return in
}

// GIN defaults, as in PyTorch Geometric's GIN examples (hidden 64, 3 layers) and gometric's other
// encoders (embedding dimension 128).
const (
	DefaultGINHidden       = 64
	DefaultGINLayers       = 3
	DefaultGINEmbeddingDim = 128
	DefaultGINLabelDim     = 32
)

// GIN is a Graph Isomorphism Network encoder (Xu et al., 2019, "How Powerful are Graph Neural
// Networks?"), with edge labels and features added to messages as in GINE (Hu et al., 2020):
//
//   - input: each node's label embedding (LabelDim wide, row Unknown for unknown labels) and
//     features, concatenated, through a Dense layer to Hidden;
//   - each of Layers layers: every message is ReLU(h[src] + edge embedding) (without edge labels
//     or features, ReLU(h[src])), summed into its destination node (ScatterSum), then
//     h' = ReLU(MLP((1+eps)·h + aggregated)), the MLP being Dense(Hidden), ReLU, Dense(Hidden).
//     The edge embedding of a layer is the sum of a per-layer edge label embedding (Hidden wide)
//     and a per-layer Dense projection of the edge features;
//   - readout: the sum and the mean of each graph's node states (padding masked out),
//     concatenated, with the graph features when the schema has them, then Dense(Hidden), ReLU,
//     Dense(EmbeddingDim). Padding graphs give zero rows.
//
// eps is 0 unless LearnEps (GIN-0, PyG's default train_eps=False, which Xu et al. found to
// generalise as well as a learned eps); with LearnEps each layer learns its own eps, from 0.
// There is no batch normalisation (PyG's GIN MLPs have one): its statistics would depend on the
// batch, its padding included, so a graph's embedding would change with its batch mates.
//
// Like the encoders of package encoders, a GIN holds no weights: they live in the context passed
// to Encode, under the scope encoders.Scope, and two Encode calls with one context share them.
type GIN struct {
	// Schema is the schema of the graphs to encode.
	Schema Schema
	// NodeIDs and EdgeIDs are the rows of the label embedding tables: Vocab.NumNodeIDs() and
	// NumEdgeIDs().
	NodeIDs, EdgeIDs int
	// Hidden is the width of node states (default 64).
	Hidden int
	// Layers is the number of message-passing layers (default 3).
	Layers int
	// EmbeddingDim is the output width (default 128).
	EmbeddingDim int
	// LabelDim is the width of node label embeddings (default 32).
	LabelDim int
	// LearnEps learns each layer's eps; false keeps eps = 0.
	LearnEps bool

	// readoutMatMul pools with a one-hot [G, N] matrix product instead of ScatterSum (for the
	// benchmark comparing the two).
	readoutMatMul bool
}

// NewGIN returns a GIN with the defaults for graphs of the given schema and vocabulary (nil when
// the schema has no labels) and the given embedding dimension (0: 128).
func NewGIN(schema Schema, vocab *Vocab, embeddingDim int) *GIN {
	m := &GIN{Schema: schema, EmbeddingDim: embeddingDim}
	if vocab != nil {
		m.NodeIDs, m.EdgeIDs = vocab.NumNodeIDs(), vocab.NumEdgeIDs()
	}
	return m.withDefaults()
}

func (m *GIN) withDefaults() *GIN {
	c := *m
	if c.Hidden <= 0 {
		c.Hidden = DefaultGINHidden
	}
	if c.Layers <= 0 {
		c.Layers = DefaultGINLayers
	}
	if c.EmbeddingDim <= 0 {
		c.EmbeddingDim = DefaultGINEmbeddingDim
	}
	if c.LabelDim <= 0 {
		c.LabelDim = DefaultGINLabelDim
	}
	return &c
}

// String describes the encoder, for example "gin 3×64→128 (node labels, edge labels)".
func (m *GIN) String() string {
	c := m.withDefaults()
	return fmt.Sprintf("gin %d×%d→%d (%s)", c.Layers, c.Hidden, c.EmbeddingDim, c.Schema)
}

// Encode returns the embeddings [G, EmbeddingDim] of the graphs of in, in in's float dtype (that
// of in.NodeMask); rows of padding graphs are zero. It creates or reuses the encoder's variables
// in ctx.In(encoders.Scope).
func (m *GIN) Encode(ctx *context.Context, in *Inputs) *graph.Node {
	c := m.withDefaults()
	s := c.Schema
	if s != in.Schema {
		panic(fmt.Errorf("graphs: GIN for schema %s given inputs of schema %s", s, in.Schema))
	}
	if s.NodeLabels && c.NodeIDs <= 0 || s.EdgeLabels && c.EdgeIDs <= 0 {
		panic(fmt.Errorf("graphs: GIN: the schema has labels but NodeIDs/EdgeIDs are not set (use NewGIN with the Vocab)"))
	}
	ctx = ctx.In(encoders.Scope).Checked(false)
	dtype := in.NodeMask.DType()
	G := in.GraphMask.Shape().Dimensions[0]

	// Input layer.
	var parts []*graph.Node
	if s.NodeLabels {
		parts = append(parts, layers.Embedding(ctx.In("node_labels"), in.NodeLabels, dtype, c.NodeIDs, c.LabelDim))
	}
	if s.NodeFeatures > 0 {
		parts = append(parts, in.NodeFeatures)
	}
	h := layers.DenseWithBias(ctx.In("input"), concat(parts), c.Hidden)

	src, dst := graph.InsertAxes(in.EdgeSrc, -1), graph.InsertAxes(in.EdgeDst, -1)
	edgeMask := graph.InsertAxes(in.EdgeMask, -1)
	for l := range c.Layers {
		lctx := ctx.Inf("gin_%d", l)
		msg := graph.Gather(h, src)
		if s.EdgeLabels {
			msg = graph.Add(msg, layers.Embedding(lctx.In("edge_labels"), in.EdgeLabels, dtype, c.EdgeIDs, c.Hidden))
		}
		if s.EdgeFeatures > 0 {
			msg = graph.Add(msg, layers.Dense(lctx.In("edge_features"), in.EdgeFeatures, false, c.Hidden))
		}
		msg = graph.Mul(activations.Relu(msg), edgeMask)
		agg := graph.ScatterSum(graph.ZerosLike(h), dst, msg, false, false)
		self := h
		if c.LearnEps {
			eps := lctx.WithInitializer(initializers.Zero).VariableWithShape("eps", shapes.Make(dtype)).ValueGraph(h.Graph())
			self = graph.Mul(h, graph.OnePlus(eps))
		}
		z := graph.Add(self, agg)
		z = activations.Relu(layers.DenseWithBias(lctx.In("mlp_0"), z, c.Hidden))
		z = layers.DenseWithBias(lctx.In("mlp_1"), z, c.Hidden)
		h = activations.Relu(z)
	}

	// Readout: sum and mean over each graph's real nodes.
	mask := graph.InsertAxes(in.NodeMask, -1)
	h = graph.Mul(h, mask)
	var sum, count *graph.Node
	if c.readoutMatMul {
		oneHot := graph.Mul(graph.OneHot(in.NodeGraph, G, dtype), mask) // [N, G]
		sum = graph.Einsum("ng,nh->gh", oneHot, h)
		count = graph.ReduceSum(oneHot, 0)
	} else {
		seg := graph.InsertAxes(in.NodeGraph, -1)
		sum = graph.ScatterSum(graph.Zeros(h.Graph(), shapes.Make(dtype, G, c.Hidden)), seg, h, false, false)
		count = graph.ScatterSum(graph.Zeros(h.Graph(), shapes.Make(dtype, G)), seg, in.NodeMask, false, false)
	}
	mean := graph.Div(sum, graph.InsertAxes(graph.Max(count, graph.OnesLike(count)), -1))
	parts = []*graph.Node{sum, mean}
	if s.GraphFeatures > 0 {
		parts = append(parts, in.GraphFeatures)
	}
	r := activations.Relu(layers.DenseWithBias(ctx.In("readout_0"), concat(parts), c.Hidden))
	out := layers.DenseWithBias(ctx.In("readout_1"), r, c.EmbeddingDim)
	return graph.Mul(out, graph.InsertAxes(in.GraphMask, -1))
}

func concat(parts []*graph.Node) *graph.Node {
	if len(parts) == 1 {
		return parts[0]
	}
	return graph.Concatenate(parts, -1)
}
