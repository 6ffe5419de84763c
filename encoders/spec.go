package encoders

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Kinds of encoder that Spec.Kind may name.
const (
	// KindMLP is a multi-layer perceptron: Dense+ReLU hidden layers and a linear output layer.
	KindMLP = "mlp"
	// KindCNN is a small convolutional network for single-image inputs (for example 8x8 or 28x28).
	KindCNN = "cnn"
	// KindGNN is a graph encoder (package graphs' GIN) for graph items; package graphs builds it
	// from the Spec (graphs.EncoderFromSpec), New does not.
	KindGNN = "gnn"
	// KindText is a text encoder (package text's embedding bag over hashed character n-grams and
	// words) for text items; package text builds it from the Spec (text.EncoderFromSpec), New
	// does not.
	KindText = "text"
	// KindCustom is an encoder of the caller's own (an ItemEncoder passed to train.Fit): the Spec
	// only records its name and embedding dimension, and loading its weights needs the caller to
	// pass the same encoder again.
	KindCustom = "custom"
)

// Kinds returns the built-in encoder kinds, in the order the command lists them: New builds the
// first two, package graphs the gnn, package text the text encoder.
func Kinds() []string { return []string{KindMLP, KindCNN, KindGNN, KindText} }

// Spec is the serialisable description of an encoder: New(spec) rebuilds the same network, so that
// a run folder can store it as JSON next to the weights.
type Spec struct {
	// Kind is one of Kinds, or KindCustom.
	Kind string `json:"kind"`
	// InputDim is the number of input features F (for a CNN: Height*Width*Channels).
	InputDim int `json:"input_dim"`
	// EmbeddingDim is the size D of the output embeddings.
	EmbeddingDim int `json:"embedding_dim"`
	// Hidden are the widths of the hidden Dense layers: for an MLP every hidden layer, for a CNN the
	// Dense layers after the convolutions. Empty means the kind's default (see WithDefaults).
	Hidden []int `json:"hidden,omitempty"`
	// Channels are, for a CNN, the output channels of each conv(3x3)+ReLU+maxpool(2x2) block.
	// Empty means the default (see WithDefaults). Ignored by an MLP.
	Channels []int `json:"channels,omitempty"`
	// Height, Width and ImageChannels are, for a CNN, the image shape the InputDim features are
	// reshaped to (row-major, channels last). Zero means inferred from InputDim (see ImageShape).
	Height        int `json:"height,omitempty"`
	Width         int `json:"width,omitempty"`
	ImageChannels int `json:"image_channels,omitempty"`
	// Layers is, for a gnn, the number of message-passing layers (Hidden[0] is their width).
	Layers int `json:"layers,omitempty"`
	// LabelDim is, for a gnn, the width of the node label embeddings.
	LabelDim int `json:"label_dim,omitempty"`
	// LearnEps is, for a gnn, whether each layer learns its GIN eps.
	LearnEps bool `json:"learn_eps,omitempty"`
	// Items describes, for an encoder of items other than feature vectors, what it was trained on
	// that inference needs, in the kind's own JSON: for a gnn, the graphs' schema and the label
	// vocabulary (see package graphs); for a text encoder, the tokeniser's settings (buckets,
	// n-gram lengths, words, length limit, hash, version), the bucket embedding width and the pool
	// (see package text).
	Items json.RawMessage `json:"items,omitempty"`
	// Name names a custom encoder (KindCustom), for reports.
	Name string `json:"name,omitempty"`
}

// Default layer sizes, used by WithDefaults when Spec.Hidden or Spec.Channels are empty.
var (
	// DefaultMLPHidden are the MLP's hidden widths.
	DefaultMLPHidden = []int{256, 256}
	// DefaultCNNChannels are the CNN's conv block channels.
	DefaultCNNChannels = []int{32, 64}
	// DefaultCNNHidden is the CNN's Dense width after the convolutions.
	DefaultCNNHidden = []int{128}
)

// WithDefaults returns a copy of s with empty layer sizes and image shape filled in. It does not
// validate s: call Validate for that.
func (s Spec) WithDefaults() Spec {
	s.Kind = strings.ToLower(strings.TrimSpace(s.Kind))
	s.Hidden = slices.Clone(s.Hidden)
	s.Channels = slices.Clone(s.Channels)
	switch s.Kind {
	case KindMLP:
		if s.Hidden == nil {
			s.Hidden = slices.Clone(DefaultMLPHidden)
		}
	case KindCNN:
		if s.Hidden == nil {
			s.Hidden = slices.Clone(DefaultCNNHidden)
		}
		if s.Channels == nil {
			s.Channels = slices.Clone(DefaultCNNChannels)
		}
		if s.Height == 0 && s.Width == 0 && s.ImageChannels == 0 {
			if h, w, c, err := ImageShape(s.InputDim); err == nil {
				s.Height, s.Width, s.ImageChannels = h, w, c
			}
		}
	}
	return s
}

// Validate reports the first problem of s, in words a command-line user can act on.
func (s Spec) Validate() error {
	if !slices.Contains(Kinds(), s.Kind) && s.Kind != KindCustom {
		return fmt.Errorf("encoder %q: unknown kind, want one of %s", s.Kind, strings.Join(Kinds(), ", "))
	}
	vectors := s.Kind == KindMLP || s.Kind == KindCNN
	if vectors && s.InputDim <= 0 || s.InputDim < 0 {
		return fmt.Errorf("encoder %s: input dimension must be positive, got %d", s.Kind, s.InputDim)
	}
	if s.Kind == KindGNN && (s.Layers <= 0 || s.LabelDim < 0 || len(s.Hidden) != 1 || len(s.Items) == 0) {
		return fmt.Errorf("encoder gnn: needs a positive number of layers, one hidden width and the graphs' schema and vocabulary (items)")
	}
	if s.Kind == KindText {
		if s.InputDim != 0 {
			return fmt.Errorf("encoder text: takes texts, not %d input features", s.InputDim)
		}
		var it textItems
		if len(s.Items) == 0 || json.Unmarshal(s.Items, &it) != nil || it.Tokeniser == nil {
			return fmt.Errorf("encoder text: needs the tokeniser's settings, the bucket embedding width and the pool (items)")
		}
		if it.Tokeniser.Buckets <= 0 || it.EmbedDim <= 0 {
			return fmt.Errorf("encoder text: needs a positive number of buckets and bucket embedding width, got %d and %d", it.Tokeniser.Buckets, it.EmbedDim)
		}
	}
	if s.EmbeddingDim <= 0 {
		return fmt.Errorf("encoder %s: embedding dimension must be positive, got %d", s.Kind, s.EmbeddingDim)
	}
	for _, h := range s.Hidden {
		if h <= 0 {
			return fmt.Errorf("encoder %s: hidden widths must be positive, got %v", s.Kind, s.Hidden)
		}
	}
	if s.Kind == KindCNN {
		if len(s.Channels) == 0 {
			return fmt.Errorf("encoder cnn: needs at least one conv block (channels)")
		}
		for _, c := range s.Channels {
			if c <= 0 {
				return fmt.Errorf("encoder cnn: channels must be positive, got %v", s.Channels)
			}
		}
		if s.Height <= 0 || s.Width <= 0 || s.ImageChannels <= 0 {
			_, _, _, err := ImageShape(s.InputDim)
			return fmt.Errorf("encoder cnn: no image shape for %d input features: %w", s.InputDim, err)
		}
		if s.Height*s.Width*s.ImageChannels != s.InputDim {
			return fmt.Errorf("encoder cnn: image %dx%dx%d has %d values, the input has %d features",
				s.Height, s.Width, s.ImageChannels, s.Height*s.Width*s.ImageChannels, s.InputDim)
		}
	}
	return nil
}

// String returns a short human-readable description, for example "mlp 64→256→256→64".
func (s Spec) String() string {
	var b strings.Builder
	switch s.Kind {
	case KindCNN:
		fmt.Fprintf(&b, "cnn %dx%dx%d", s.Height, s.Width, s.ImageChannels)
		for _, c := range s.Channels {
			fmt.Fprintf(&b, "→conv%d", c)
		}
	case KindGNN:
		width := 0
		if len(s.Hidden) > 0 {
			width = s.Hidden[0]
		}
		fmt.Fprintf(&b, "gnn %d×%d", s.Layers, width)
		fmt.Fprintf(&b, "→%d", s.EmbeddingDim)
		return b.String()
	case KindText:
		var it textItems
		if json.Unmarshal(s.Items, &it) == nil && it.Tokeniser != nil {
			fmt.Fprintf(&b, "text %d×%d", it.Tokeniser.Buckets, it.EmbedDim)
		} else {
			b.WriteString("text")
		}
	case KindCustom:
		fmt.Fprintf(&b, "custom %s→%d", cmp.Or(s.Name, "encoder"), s.EmbeddingDim)
		return b.String()
	default:
		fmt.Fprintf(&b, "%s %d", s.Kind, s.InputDim)
	}
	for _, h := range s.Hidden {
		fmt.Fprintf(&b, "→%d", h)
	}
	fmt.Fprintf(&b, "→%d", s.EmbeddingDim)
	return b.String()
}

// MarshalIndent returns s as indented JSON.
func (s Spec) MarshalIndent() ([]byte, error) { return json.MarshalIndent(s, "", "  ") }

// ImageShape returns the single-channel square image shape of inputDim features: 784 → 28x28x1,
// 64 → 8x8x1, and any other perfect square n² → n x n x 1. Other sizes are an error.
func ImageShape(inputDim int) (height, width, channels int, err error) {
	if inputDim <= 0 {
		return 0, 0, 0, fmt.Errorf("%d is not a valid number of features", inputDim)
	}
	n := int(math.Round(math.Sqrt(float64(inputDim))))
	if n*n != inputDim {
		return 0, 0, 0, fmt.Errorf("%d features are not a square image (give Height, Width and ImageChannels)", inputDim)
	}
	return n, n, 1, nil
}

// textItems are the fields of a text encoder's Spec.Items that Validate and String read (package
// text owns the format and checks the rest: text.EncoderFromSpec).
type textItems struct {
	Tokeniser *struct {
		Buckets int `json:"buckets"`
	} `json:"tokeniser"`
	EmbedDim int `json:"embed_dim"`
}
