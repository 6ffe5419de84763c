package encoders

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// CNN is a small convolutional encoder. It reshapes the InputDim features into an image
// [N, Height, Width, ImageChannels] (row-major, channels last: 784 → 28x28x1, 64 → 8x8x1), applies
// one block per entry of Channels — a 3x3 convolution (same padding, with bias), a ReLU and, while
// the image height and width are even, a 2x2 max pooling — flattens, applies Dense+ReLU layers of
// the Hidden widths and a linear Dense layer to the embedding dimension.
//
// The convolutions and poolings are written with concatenations, slices, reshapes, reductions and matrix
// products, whose gradients every GoMLX backend computes (the pure-Go backend has no gradient for
// its native convolution and max-pooling ops).
type CNN struct {
	spec Spec
}

// NewCNN returns a CNN for square single-channel images of inputDim pixels (see ImageShape) with the
// default layer sizes. It panics when inputDim is not a square; use New for other shapes or to get
// an error instead.
func NewCNN(inputDim, embeddingDim int) *CNN {
	spec := Spec{Kind: KindCNN, InputDim: inputDim, EmbeddingDim: embeddingDim}.WithDefaults()
	if err := spec.Validate(); err != nil {
		panic(err)
	}
	return &CNN{spec: spec}
}

// Spec implements Encoder.
func (c *CNN) Spec() Spec { return c.spec }

// Encode implements Encoder.
func (c *CNN) Encode(ctx *context.Context, x *Node) *Node {
	checkInput(x, c.spec.InputDim)
	ctx = encoderCtx(ctx)
	n := x.Shape().Dimensions[0]
	h := Reshape(x, n, c.spec.Height, c.spec.Width, c.spec.ImageChannels)
	for i, channels := range c.spec.Channels {
		h = conv3x3(ctx.Inf("conv_%d", i), h, channels)
		h = activations.Relu(h)
		h = maxPool2(h)
	}
	h = Reshape(h, n, -1)
	for i, width := range c.spec.Hidden {
		h = layers.DenseWithBias(ctx.Inf("hidden_%d", i), h, width)
		h = activations.Relu(h)
	}
	return layers.DenseWithBias(ctx.In("output"), h, c.spec.EmbeddingDim)
}

// conv3x3 is a 3x3 convolution with same (zero) padding, stride 1 and a bias, of h [N, H, W, C]
// into [N, H, W, out]: the 9 shifted copies of h are concatenated along the channels (im2col) and
// mapped by one Dense layer.
func conv3x3(ctx *context.Context, h *Node, out int) *Node {
	return layers.DenseWithBias(ctx, patches3x3(h), out)
}

// patches3x3 returns the 3x3 neighbourhoods of h [N, H, W, C] with zero padding, as [N, H, W, 9C]:
// neighbour (dy, dx) of pixel (y, x) is (y+dy-1, x+dx-1), at channels (3dy+dx)C .. (3dy+dx+1)C-1, so
// that a [9C, out] weight matrix is a [3, 3, C, out] convolution kernel reshaped.
func patches3x3(h *Node) *Node {
	d := h.Shape().Dimensions
	g, dt := h.Graph(), h.DType()
	rows := Zeros(g, shapes.Make(dt, d[0], 1, d[2], d[3]))
	p := Concatenate([]*Node{rows, h, rows}, 1)
	cols := Zeros(g, shapes.Make(dt, d[0], d[1]+2, 1, d[3]))
	p = Concatenate([]*Node{cols, p, cols}, 2)
	patches := make([]*Node, 0, 9)
	for dy := range 3 {
		for dx := range 3 {
			patches = append(patches, Slice(p, AxisRange(), AxisRange(dy, dy+d[1]), AxisRange(dx, dx+d[2]), AxisRange()))
		}
	}
	return Concatenate(patches, -1)
}

// maxPool2 is a 2x2 max pooling (stride 2) of h [N, H, W, C] when H and W are even, and h itself
// otherwise, written as a reshape and a ReduceMax.
func maxPool2(h *Node) *Node {
	d := h.Shape().Dimensions
	if d[1]%2 != 0 || d[2]%2 != 0 {
		return h
	}
	h = Reshape(h, d[0], d[1]/2, 2, d[2]/2, 2, d[3])
	return ReduceMax(h, 2, 4)
}
