package train

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/support/exceptions"

	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/match"
)

// EmbedBatchSize is the number of items Model.Embed runs through the encoder at once. Every call of
// the compiled graph has exactly this many rows (the last batch is padded), so it compiles once.
const EmbedBatchSize = 256

// Model is a trained (or freshly initialised) embedding model: an encoder, its weights in a GoMLX
// context and the input normalisation it was trained with. Embed maps raw feature vectors to
// L2-normalised embeddings, so that cosine similarity is their dot product; it implements the
// Embedder interface of package match.
//
// A Model is not safe for concurrent use.
type Model struct {
	// Spec describes the encoder.
	Spec encoders.Spec
	// Norm is applied to raw inputs before the encoder.
	Norm encoders.Normalizer
	// Threshold is the cosine-similarity threshold above which (>=) two items match, chosen on the
	// validation pairs at the end of training and frozen; NaN when the model has none.
	Threshold float64

	backend backends.Backend
	ctx     *context.Context
	enc     encoders.Encoder
	exec    *context.Exec
	loaded  bool // weights come from a checkpoint: a variable missing from it is an error
}

// NewModel returns a model for the encoder spec whose weights are (or will be) in ctx: the weights
// of a training run, or fresh weights initialised on first use.
func NewModel(b backends.Backend, ctx *context.Context, spec encoders.Spec, norm encoders.Normalizer) (*Model, error) {
	enc, err := encoders.New(spec)
	if err != nil {
		return nil, err
	}
	if err := norm.Validate(spec.InputDim); err != nil {
		return nil, err
	}
	return &Model{Spec: enc.Spec(), Norm: norm, Threshold: math.NaN(), backend: b, ctx: ctx, enc: enc}, nil
}

// LoadModel returns the model whose weights are in the checkpoint folder dir (see
// Checkpoints.Save). Every encoder variable must be in the checkpoint.
func LoadModel(b backends.Backend, dir string, spec encoders.Spec, norm encoders.Normalizer) (*Model, error) {
	ctx := context.New()
	if err := LoadCheckpoint(ctx, dir); err != nil {
		return nil, err
	}
	m, err := NewModel(b, ctx, spec, norm)
	if err != nil {
		return nil, err
	}
	m.loaded = true
	return m, nil
}

// NewUntrainedModel returns a model with freshly initialised weights (seeded): the "untrained
// encoder" baseline of a report.
func NewUntrainedModel(b backends.Backend, spec encoders.Spec, norm encoders.Normalizer, seed uint64) (*Model, error) {
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(subSeed(seed, seedInit)>>1))
	return NewModel(b, ctx, spec, norm)
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
// an empty index: add items to it, then look up their nearest neighbours and matches.
func (m *Model) InferenceModel() (*match.InferenceModel, error) {
	f, err := m.Finder()
	if err != nil {
		return nil, err
	}
	return match.NewInferenceModel(m, f)
}

// Context returns the context that holds the model's weights.
func (m *Model) Context() *context.Context { return m.ctx }

// Encoder returns the model's encoder.
func (m *Model) Encoder() encoders.Encoder { return m.enc }

// Backend returns the backend the model runs on.
func (m *Model) Backend() backends.Backend { return m.backend }

// HasThreshold reports whether the model carries a frozen match threshold.
func (m *Model) HasThreshold() bool { return !math.IsNaN(m.Threshold) }

// Embed returns the L2-normalised embeddings of the raw feature vectors x (one per row, Spec.InputDim
// columns), computed in batches of EmbedBatchSize.
func (m *Model) Embed(x *mat.Dense) (*mat.Dense, error) {
	if x == nil {
		return nil, fmt.Errorf("embed: nil input")
	}
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	if x.Cols != m.Spec.InputDim {
		return nil, fmt.Errorf("the inputs have %d features, the model takes %d", x.Cols, m.Spec.InputDim)
	}
	xn, err := m.Norm.Apply(x)
	if err != nil {
		return nil, fmt.Errorf("embed: %w", err)
	}
	if err := m.compile(); err != nil {
		return nil, err
	}
	d := m.Spec.EmbeddingDim
	out := mat.New(x.Rows, d)
	buf := make([]float32, EmbedBatchSize*x.Cols)
	for start := 0; start < x.Rows; start += EmbedBatchSize {
		n := min(EmbedBatchSize, x.Rows-start)
		clear(buf)
		copy(buf, xn.Data[start*x.Cols:(start+n)*x.Cols])
		var res []*tensors.Tensor
		var execErr error
		err := exceptions.TryCatch[error](func() {
			res, execErr = m.exec.Exec(tensors.FromFlatDataAndDimensions(buf, EmbedBatchSize, x.Cols))
		})
		if err == nil {
			err = execErr
		}
		if err == nil && len(res) != 1 {
			err = fmt.Errorf("encoder returned %d outputs", len(res))
		}
		if err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		flat, err := tensors.CopyFlatData[float32](res[0])
		res[0].MustFinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		copy(out.Data[start*d:], flat[:n*d])
	}
	return out, nil
}

// compile builds the embedding graph once. For a model loaded from a checkpoint it checks that every
// variable the encoder uses was in the checkpoint.
func (m *Model) compile() error {
	if m.exec != nil {
		return nil
	}
	err := exceptions.TryCatch[error](func() {
		exec, err := context.NewExec(m.backend, m.ctx, func(ctx *context.Context, x *Node) *Node {
			return L2NormalizeWithEpsilon(m.enc.Encode(ctx, x), 1e-12, -1)
		})
		if err != nil {
			panic(err)
		}
		if m.loaded {
			probe := tensors.FromShape(shapesOf(EmbedBatchSize, m.Spec.InputDim))
			if err := exec.PreCompile(probe); err != nil {
				panic(err)
			}
			if m.ctx.NeedsInitialization() {
				panic(fmt.Errorf("the checkpoint has no weights for (part of) encoder %s: was it saved by another encoder?", m.Spec))
			}
		}
		m.exec = exec
	})
	if err != nil {
		return fmt.Errorf("embed: building the encoder: %w", err)
	}
	return nil
}
