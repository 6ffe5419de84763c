package train

import (
	"fmt"
	"io"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/pairs"
)

// batchSource is a GoMLX train.Dataset of fixed-size training batches that can start at any global
// step (so a resumed run sees the batches it would have seen), and knows its epochs.
type batchSource interface {
	// Name, Reset and Yield implement GoMLX's train.Dataset: Yield returns the batch of the next
	// step.
	Name() string
	Reset()
	Yield() (spec any, inputs, labels []*tensors.Tensor, err error)
	// seek sets the global step of the next batch.
	seek(step int)
	// stepsPerEpoch returns the number of batches in one epoch.
	stepsPerEpoch() int
}

// pairSource yields pair batches: labels [y int32 [B], label-construction labels int32 [2B]], and
// inputs the encoder's input tensors (encoders.ItemEncoder.Inputs): for feature vectors, those of
// each side ([side 1 [B, F], side 2 [B, F]], concatenated by the model function); for other items
// (graphs), those of the 2B items in one batch, side 1 then side 2 (joint), so that a batch of graphs
// is packed into one budget.
type pairSource struct {
	batch int
	step  int
	// enc makes the input tensors (nil: encoders.VectorInputs).
	enc encoders.ItemEncoder
	// Either fixed pairs (a pairs file), dealt out by a PairBatcher...
	fixed   *datasets.Pairs
	batcher *datasets.PairBatcher
	// ... or pairs drawn afresh each epoch from class-labelled items.
	items            *datasets.Items
	perEpoch         int
	positiveFraction float64
	seed             uint64

	// The current epoch's pairs and batch order.
	epoch   int
	pairs   *datasets.Pairs
	batches [][]int
	// warned is set once a batch's ids could not be used for the label construction.
	warned bool
	warn   func(string)
}

// newPairSource returns the pair batches of fixed pairs p, or, when p is nil, of perEpoch pairs drawn
// from items every epoch. Features must already be normalised.
func newPairSource(p *datasets.Pairs, items *datasets.Items, perEpoch int, positiveFraction float64, batch int, seed uint64, warn func(string)) (*pairSource, error) {
	s := &pairSource{batch: batch, fixed: p, items: items, perEpoch: perEpoch, positiveFraction: positiveFraction, seed: seed, epoch: -1, warn: warn}
	if p != nil {
		b, err := datasets.NewPairBatcher(p, batch, seed)
		if err != nil {
			return nil, fmt.Errorf("training pairs: %w", err)
		}
		s.batcher = b
	} else if perEpoch < batch {
		return nil, fmt.Errorf("%d training pairs per epoch are fewer than one batch of %d", perEpoch, batch)
	}
	return s, nil
}

// Name implements train.Dataset.
func (s *pairSource) Name() string { return "pairs" }

// Reset implements train.Dataset; batches are addressed by step, so there is nothing to reset.
func (s *pairSource) Reset() {}

func (s *pairSource) seek(step int) { s.step = step }

func (s *pairSource) stepsPerEpoch() int {
	if s.batcher != nil {
		return s.batcher.BatchesPerEpoch()
	}
	return s.perEpoch / s.batch
}

// load prepares epoch e's pairs and batches.
func (s *pairSource) load(e int) error {
	if s.epoch == e {
		return nil
	}
	s.batches = s.batches[:0]
	if s.batcher != nil {
		s.pairs = s.fixed
		for _, idx := range s.batcher.Epoch(e) {
			s.batches = append(s.batches, idx)
		}
	} else {
		n := s.stepsPerEpoch() * s.batch
		p, err := datasets.SamplePairs(s.items, n, s.positiveFraction, subSeed(s.seed, uint64(e)))
		if err != nil {
			return err
		}
		s.pairs = p
		for k := range s.stepsPerEpoch() {
			idx := make([]int, s.batch)
			for i := range idx {
				idx[i] = k*s.batch + i
			}
			s.batches = append(s.batches, idx)
		}
	}
	s.epoch = e
	return nil
}

// Yield implements train.Dataset: it never ends (the loop runs a number of steps).
func (s *pairSource) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	spe := s.stepsPerEpoch()
	if spe == 0 {
		return nil, nil, nil, io.EOF
	}
	if err := s.load(s.step / spe); err != nil {
		return nil, nil, nil, err
	}
	idx := s.batches[s.step%spe]
	b := s.pairs.Gather(idx)
	s.step++
	lbl, err := pairs.Batch{Y: b.Y, IDs1: b.IDsA, IDs2: b.IDsB}.Labels()
	if err != nil {
		// Ids that contradict the labels (a negative pair of items linked by positive pairs): fall
		// back to treating every pair side as a distinct item.
		if !s.warned && s.warn != nil {
			s.warn(fmt.Sprintf("item ids not used for the label construction of some batches: %v", err))
		}
		s.warned = true
		if lbl, err = (pairs.Batch{Y: b.Y}).Labels(); err != nil {
			return nil, nil, nil, err
		}
	}
	y := make([]int32, len(b.Y))
	for i, v := range b.Y {
		y[i] = int32(v)
	}
	sides := s.pairs.Subset(idx)
	inputs = nil
	if items := s.pairs.Items; items.Objects == nil {
		for _, side := range [][]int{sides.A, sides.B} {
			in, err := inputsOf(s.enc, items, side, len(side))
			if err != nil {
				return nil, nil, nil, err
			}
			inputs = append(inputs, in...)
		}
	} else if inputs, err = inputsOf(s.enc, items, append(slices.Clone(sides.A), sides.B...), 2*len(idx)); err != nil {
		return nil, nil, nil, err
	}
	return nil, inputs, []*tensors.Tensor{tensors.FromValue(y), tensors.FromValue(lbl)}, nil
}

// inputsOf returns enc's input tensors of items idx in slots slots (enc nil: feature vectors).
func inputsOf(enc encoders.ItemEncoder, items *datasets.Items, idx []int, slots int) ([]*tensors.Tensor, error) {
	if enc == nil {
		return encoders.VectorInputs{}.Inputs(items, idx, slots)
	}
	return enc.Inputs(items, idx, slots)
}

// classSource yields class batches: inputs the encoder's input tensors of B items (feature
// vectors: [x [B, F]]), labels [class int32 [B]], M items of each of B/M classes
// (datasets.MPerClassSampler).
type classSource struct {
	// enc makes the input tensors (nil: encoders.VectorInputs).
	enc     encoders.ItemEncoder
	items   *datasets.Items
	sampler *datasets.MPerClassSampler
	batch   int
	step    int
	epoch   int
	indices []int
}

// newClassSource returns the class batches of items (normalised features, class labels). M is the
// smallest number of items per class, at least 4 (or the batch size), that divides the batch size and
// fills it from the available classes.
func newClassSource(items *datasets.Items, batch int, seed uint64) (*classSource, error) {
	numClasses := items.NumClasses()
	m := min(4, batch)
	for m*numClasses < batch || batch%m != 0 {
		m++
	}
	sampler, err := datasets.NewMPerClassSampler(items.Labels, datasets.MPerClassConfig{
		M: m, BatchSize: batch, LengthBeforeNewIter: max(items.Len()/batch, 1) * batch, Seed: seed,
	})
	if err != nil {
		return nil, fmt.Errorf("class batches: %w", err)
	}
	return &classSource{items: items, sampler: sampler, batch: batch, epoch: -1}, nil
}

// Name implements train.Dataset.
func (s *classSource) Name() string { return "classes" }

// Reset implements train.Dataset; batches are addressed by step, so there is nothing to reset.
func (s *classSource) Reset() {}

func (s *classSource) seek(step int) { s.step = step }

func (s *classSource) stepsPerEpoch() int { return s.sampler.BatchesPerEpoch() }

// Yield implements train.Dataset: it never ends (the loop runs a number of steps).
func (s *classSource) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	spe := s.stepsPerEpoch()
	if e := s.step / spe; e != s.epoch {
		s.indices, s.epoch = s.sampler.Indices(e), e
	}
	k := s.step % spe
	idx := s.indices[k*s.batch : (k+1)*s.batch]
	s.step++
	lbl := make([]int32, len(idx))
	for i, j := range idx {
		lbl[i] = int32(s.items.Labels[j])
	}
	if inputs, err = inputsOf(s.enc, s.items, idx, len(idx)); err != nil {
		return nil, nil, nil, err
	}
	return nil, inputs, []*tensors.Tensor{tensors.FromValue(lbl)}, nil
}
