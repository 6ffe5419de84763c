package encoders

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
)

// CNN is a small convolutional encoder. It reshapes the InputDim features into an image
// [N, Height, Width, ImageChannels] (row-major, channels last: 784 → 28x28x1, 64 → 8x8x1), applies
// one block per entry of Channels — a 3x3 convolution (same padding), a ReLU and, while the image
// is at least 2x2, a 2x2 max pooling — flattens, applies Dense+ReLU layers of the Hidden widths and
// a linear Dense layer to the embedding dimension.
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
		h = layers.Convolution(ctx.Inf("conv_%d", i), h).Filters(channels).KernelSize(3).PadSame().Done()
		h = activations.Relu(h)
		if dims := h.Shape().Dimensions; dims[1] >= 2 && dims[2] >= 2 {
			h = MaxPool(h).Window(2).Done()
		}
	}
	h = Reshape(h, n, -1)
	for i, width := range c.spec.Hidden {
		h = layers.DenseWithBias(ctx.Inf("hidden_%d", i), h, width)
		h = activations.Relu(h)
	}
	return layers.DenseWithBias(ctx.In("output"), h, c.spec.EmbeddingDim)
}
