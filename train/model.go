package train

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/match"
	"github.com/gometric/gometric/runfolder"
)

// EmbedBatchSize is the number of items Model.Embed runs through the encoder at once. Every call of
// the compiled graph has exactly this many rows (the last batch is padded), so it compiles once.
const EmbedBatchSize = 256

// Model is a trained (or freshly initialised) embedding model: an encoder, its weights in a GoMLX
// context and the input normalisation it was trained with. Embed maps raw feature vectors, and
// EmbedItems items of any kind (graphs), to L2-normalised embeddings, so that cosine similarity is
// their dot product; it implements eval.Embedder and eval.ItemsEmbedder (package match takes it).
//
// A Model is not safe for concurrent use.
type Model struct {
	// Spec describes the encoder.
	Spec encoders.Spec
	// Norm is applied to raw inputs (feature vectors) before the encoder.
	Norm encoders.Normalizer
	// Threshold is the cosine-similarity threshold above which (>=) two items match, chosen on the
	// validation pairs at the end of training and frozen; NaN when the model has none.
	Threshold float64

	backend backends.Backend
	ctx     *context.Context
	enc     encoders.ItemEncoder
	exec    *context.Exec
	loaded  bool // weights come from a checkpoint: a variable missing from it is an error
	checked bool // the checkpoint was found to hold every variable
}

// NewModel returns a model for the built-in encoder spec (NewEncoder) whose weights are (or will
// be) in ctx: the weights of a training run, or fresh weights initialised on first use.
func NewModel(b backends.Backend, ctx *context.Context, spec encoders.Spec, norm encoders.Normalizer) (*Model, error) {
	enc, err := NewEncoder(spec)
	if err != nil {
		return nil, err
	}
	if s, ok := enc.(interface{ Spec() encoders.Spec }); ok {
		spec = s.Spec()
	}
	return NewModelWith(b, ctx, spec, enc, norm)
}

// NewModelWith returns a model for the encoder enc, described by spec (for a caller's own
// encoder: Kind encoders.KindCustom, its name and embedding dimension), whose weights are (or will
// be) in ctx.
func NewModelWith(b backends.Backend, ctx *context.Context, spec encoders.Spec, enc encoders.ItemEncoder, norm encoders.Normalizer) (*Model, error) {
	if enc == nil {
		return nil, fmt.Errorf("no encoder")
	}
	if err := norm.Validate(spec.InputDim); err != nil {
		return nil, err
	}
	return &Model{Spec: spec, Norm: norm, Threshold: math.NaN(), backend: b, ctx: ctx, enc: enc}, nil
}

// LoadModel returns the model whose weights are in the checkpoint folder dir (see
// runfolder.Checkpoints.Save), for a built-in encoder spec. Every encoder variable must be in the checkpoint.
func LoadModel(b backends.Backend, dir string, spec encoders.Spec, norm encoders.Normalizer) (*Model, error) {
	enc, err := NewEncoder(spec)
	if err != nil {
		return nil, err
	}
	return LoadModelWith(b, dir, spec, enc, norm)
}

// LoadModelWith is LoadModel for the encoder enc (a caller's own encoder: the one it was trained
// with).
func LoadModelWith(b backends.Backend, dir string, spec encoders.Spec, enc encoders.ItemEncoder, norm encoders.Normalizer) (*Model, error) {
	ctx := context.New()
	if err := runfolder.LoadCheckpoint(ctx, dir); err != nil {
		return nil, err
	}
	m, err := NewModelWith(b, ctx, spec, enc, norm)
	if err != nil {
		return nil, err
	}
	m.loaded = true
	return m, nil
}

// NewUntrainedModel returns a model with freshly initialised weights (seeded): the "untrained
// encoder" baseline of a report.
func NewUntrainedModel(b backends.Backend, spec encoders.Spec, norm encoders.Normalizer, seed uint64) (*Model, error) {
	enc, err := NewEncoder(spec)
	if err != nil {
		return nil, err
	}
	return NewUntrainedModelWith(b, spec, enc, norm, seed)
}

// NewUntrainedModelWith is NewUntrainedModel for the encoder enc.
func NewUntrainedModelWith(b backends.Backend, spec encoders.Spec, enc encoders.ItemEncoder, norm encoders.Normalizer, seed uint64) (*Model, error) {
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(subSeed(seed, seedInit)>>1))
	return NewModelWith(b, ctx, spec, enc, norm)
}

// Finder returns the model's match rule: cosine similarity at or above the frozen Threshold
// (package match's MatchFinder). It is an error when the model has no threshold.
func (m *Model) Finder() (match.MatchFinder, error) {
	if !m.HasThreshold() {
		return match.MatchFinder{}, fmt.Errorf("the model has no frozen match threshold")
	}
	return match.MatchFinder{Distance: knn.Cosine(), Threshold: m.Threshold}, nil
}

// InferenceModel returns a match.InferenceModel that embeds with m and matches with m.Finder(), with
// an empty index: add items to it, then look up their nearest neighbours and matches. It takes
// feature vectors (package match embeds matrices).
func (m *Model) InferenceModel() (*match.InferenceModel, error) {
	f, err := m.Finder()
	if err != nil {
		return nil, err
	}
	return match.NewInferenceModel(m, f)
}

// Context returns the context that holds the model's weights.
func (m *Model) Context() *context.Context { return m.ctx }

// Encoder returns the model's encoder of feature vectors (an MLP or CNN), or nil when it encodes
// other items or is the caller's own: see ItemEncoder.
func (m *Model) Encoder() encoders.Encoder {
	e, _ := m.enc.(encoders.Encoder)
	return e
}

// ItemEncoder returns the model's encoder.
func (m *Model) ItemEncoder() encoders.ItemEncoder { return m.enc }

// Backend returns the backend the model runs on.
func (m *Model) Backend() backends.Backend { return m.backend }

// HasThreshold reports whether the model carries a frozen match threshold.
func (m *Model) HasThreshold() bool { return !math.IsNaN(m.Threshold) }

// Embed returns the L2-normalised embeddings of the raw feature vectors x (one per row, Spec.InputDim
// columns), computed in batches of EmbedBatchSize. A model of other items (graphs) takes them with
// EmbedItems.
func (m *Model) Embed(x *mat.Dense) (*mat.Dense, error) {
	if x == nil {
		return nil, fmt.Errorf("embed: nil input")
	}
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	if m.Spec.Kind == encoders.KindGNN || m.Spec.Kind == encoders.KindText {
		return nil, fmt.Errorf("embed: the model (%s) encodes %ss, not feature vectors", m.Spec, map[string]string{encoders.KindGNN: "graph", encoders.KindText: "text"}[m.Spec.Kind])
	}
	if x.Cols != m.Spec.InputDim {
		return nil, fmt.Errorf("the inputs have %d features, the model takes %d", x.Cols, m.Spec.InputDim)
	}
	xn, err := m.Norm.Apply(x)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	return m.embed(&datasets.Items{Name: "inputs", Features: xn})
}

// EmbedItems returns the L2-normalised embeddings of items of any kind the encoder takes: feature
// vectors (as Embed) or objects such as graphs, computed in batches of EmbedBatchSize items.
func (m *Model) EmbedItems(items *datasets.Items) (*mat.Dense, error) {
	if items == nil {
		return nil, fmt.Errorf("embed: nil items")
	}
	if items.Objects == nil {
		return m.Embed(items.Features)
	}
	return m.embed(items)
}

// embed runs the encoder on items (normalised features, or objects) in batches of EmbedBatchSize
// slots, the last one padded.
func (m *Model) embed(items *datasets.Items) (*mat.Dense, error) {
	if err := m.compile(); err != nil {
		return nil, err
	}
	n := items.Features.Rows
	if items.Objects != nil {
		n = items.Objects.Len()
	}
	var out *mat.Dense
	idx := make([]int, 0, EmbedBatchSize)
	for start := 0; start < n; start += EmbedBatchSize {
		idx = idx[:0]
		for i := start; i < min(start+EmbedBatchSize, n); i++ {
			idx = append(idx, i)
		}
		inputs, err := m.enc.Inputs(items, idx, EmbedBatchSize)
		if err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		args := make([]any, len(inputs))
		for i, t := range inputs {
			args[i] = t
		}
		var res []*tensors.Tensor
		var execErr error
		err = exceptions.TryCatch[error](func() {
			if m.loaded && !m.checked {
				// A model loaded from a checkpoint: every variable the encoder uses must be there.
				if err := m.exec.PreCompile(args...); err != nil {
					panic(err)
				}
				if m.ctx.NeedsInitialization() {
					panic(fmt.Errorf("the checkpoint has no weights for (part of) encoder %s: was it saved by another encoder?", m.Spec))
				}
				m.checked = true
			}
			res, execErr = m.exec.Exec(args...)
		})
		if err == nil {
			err = execErr
		}
		if err == nil && (len(res) != 1 || res[0].Rank() != 2 || res[0].Shape().Dimensions[0] != EmbedBatchSize) {
			err = fmt.Errorf("the encoder returned %d outputs, want one [%d, D]", len(res), EmbedBatchSize)
		}
		if err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		d := res[0].Shape().Dimensions[1]
		flat, err := tensors.CopyFlatData[float32](res[0])
		res[0].MustFinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		if out == nil {
			out = mat.New(n, d)
		}
		copy(out.Data[start*d:], flat[:len(idx)*d])
	}
	if out == nil {
		out = mat.New(0, max(m.Spec.EmbeddingDim, 0))
	}
	return out, nil
}

// compile builds the embedding executable once (it compiles once per distinct input shape).
func (m *Model) compile() error {
	if m.exec != nil {
		return nil
	}
	err := exceptions.TryCatch[error](func() {
		exec, err := context.NewExec(m.backend, m.ctx, func(ctx *context.Context, inputs []*Node) *Node {
			return L2NormalizeWithEpsilon(m.enc.EncodeInputs(ctx.Checked(false), inputs), 1e-12, -1)
		})
		if err != nil {
			panic(err)
		}
		m.exec = exec
	})
	if err != nil {
		return fmt.Errorf("embed: building the encoder: %w", err)
	}
	return nil
}
