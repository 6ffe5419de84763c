package datasets

import (
	"fmt"
	"iter"
	"math/rand/v2"
)

// PairBatcher deals a fixed set of pairs out in training batches of exactly BatchSize pairs: each
// epoch is a fresh permutation of the pairs, cut into Len()/BatchSize batches (the last
// Len()%BatchSize pairs of the permutation wait for a later epoch). Epoch e's order depends only
// on the seed and e, so a run can resume at any epoch.
//
//	b, err := datasets.NewPairBatcher(pairs, 32, seed)
//	for epoch := range epochs {
//		for _, idx := range b.Epoch(epoch) {
//			batch := pairs.Gather(idx)
//			...
//		}
//	}
type PairBatcher struct {
	pairs     *Pairs
	batchSize int
	seed      uint64
}

// batcherStream is the PCG stream base of PairBatcher; the epoch is added to it.
const batcherStream = 0x6261746368 << 20

// NewPairBatcher returns a batcher of batchSize pairs per batch over pairs, seeded by seed. It is
// an error when there are fewer pairs than one batch.
func NewPairBatcher(pairs *Pairs, batchSize int, seed uint64) (*PairBatcher, error) {
	switch {
	case pairs == nil:
		return nil, fmt.Errorf("pair batcher: nil pairs")
	case batchSize <= 0:
		return nil, fmt.Errorf("pair batcher: batch size %d is not positive", batchSize)
	case pairs.Len() < batchSize:
		return nil, fmt.Errorf("pair batcher: %d pairs are fewer than one batch of %d", pairs.Len(), batchSize)
	}
	return &PairBatcher{pairs: pairs, batchSize: batchSize, seed: seed}, nil
}

// BatchSize returns the number of pairs per batch.
func (b *PairBatcher) BatchSize() int { return b.batchSize }

// BatchesPerEpoch returns the number of batches each epoch yields.
func (b *PairBatcher) BatchesPerEpoch() int { return b.pairs.Len() / b.batchSize }

// Epoch iterates over epoch's batches: the batch number (from 0) and the indices of its pairs in
// the Pairs (pass them to Pairs.Gather). The index slice is the batch's own.
func (b *PairBatcher) Epoch(epoch int) iter.Seq2[int, []int] {
	return func(yield func(int, []int) bool) {
		rng := rand.New(rand.NewPCG(b.seed, batcherStream+uint64(epoch)))
		perm := rng.Perm(b.pairs.Len())
		for k := range b.BatchesPerEpoch() {
			if !yield(k, perm[k*b.batchSize:(k+1)*b.batchSize:(k+1)*b.batchSize]) {
				return
			}
		}
	}
}

// Batches iterates over the batches of epochs 0..epochs-1 in turn, yielding the epoch with each
// batch's pair indices.
func (b *PairBatcher) Batches(epochs int) iter.Seq2[int, []int] {
	return func(yield func(int, []int) bool) {
		for e := range epochs {
			for _, idx := range b.Epoch(e) {
				if !yield(e, idx) {
					return
				}
			}
		}
	}
}
