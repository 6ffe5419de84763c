package datasets

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
)

// MPerClassConfig configures an MPerClassSampler, with PyTorch Metric Learning's parameter names.
type MPerClassConfig struct {
	// M is the number of items drawn per class (m).
	M int
	// BatchSize is the batch size (batch_size): a multiple of M, at most M times the number of
	// classes. 0 means PML's batch_size=None: every pass takes M items of every class.
	BatchSize int
	// LengthBeforeNewIter is the number of indices one epoch yields before rounding down to a
	// whole number of batches (length_before_new_iter); 0 means PML's default, 100,000.
	LengthBeforeNewIter int
	// Seed seeds the sampler; an epoch's indices depend only on the labels, the config and the
	// epoch.
	Seed uint64
}

// MPerClassSampler is PyTorch Metric Learning's MPerClassSampler: each batch holds M items of each
// of BatchSize/M classes chosen at random, the items drawn at random from their class (without
// replacement, or with replacement when the class has fewer than M items). An epoch is Len()
// indices, that is BatchesPerEpoch() batches.
type MPerClassSampler struct {
	classes   [][]int // the item indices of each class, classes in increasing label order
	cfg       MPerClassConfig
	length    int // indices per epoch
	passItems int // indices per pass: BatchSize, or M times the number of classes
}

// DefaultLengthBeforeNewIter is PML's default length_before_new_iter.
const DefaultLengthBeforeNewIter = 100000

// mPerClassStream is the PCG stream base of MPerClassSampler; the epoch is added to it.
const mPerClassStream = 0x6d70636c << 20

// NewMPerClassSampler returns an MPerClassSampler over items with the given class labels (for
// example Items.Labels). As PML asserts, BatchSize must be a multiple of M, at most M times the
// number of classes, and at most LengthBeforeNewIter.
func NewMPerClassSampler(labels []int, cfg MPerClassConfig) (*MPerClassSampler, error) {
	if len(labels) == 0 {
		return nil, fmt.Errorf("m-per-class sampler: no labels")
	}
	if cfg.M <= 0 {
		return nil, fmt.Errorf("m-per-class sampler: m = %d is not positive", cfg.M)
	}
	if cfg.BatchSize < 0 {
		return nil, fmt.Errorf("m-per-class sampler: batch size %d is negative", cfg.BatchSize)
	}
	if cfg.LengthBeforeNewIter < 0 {
		return nil, fmt.Errorf("m-per-class sampler: length before new iter %d is negative", cfg.LengthBeforeNewIter)
	}
	if cfg.LengthBeforeNewIter == 0 {
		cfg.LengthBeforeNewIter = DefaultLengthBeforeNewIter
	}
	byClass := map[int][]int{}
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	keys := make([]int, 0, len(byClass))
	for l := range byClass {
		keys = append(keys, l)
	}
	slices.Sort(keys)
	s := &MPerClassSampler{cfg: cfg, length: cfg.LengthBeforeNewIter}
	for _, l := range keys {
		s.classes = append(s.classes, byClass[l])
	}
	singlePass := cfg.M * len(keys)
	if cfg.BatchSize == 0 {
		s.passItems = singlePass
		if singlePass < s.length {
			s.length -= s.length % singlePass
		} else {
			s.length = singlePass
		}
		return s, nil
	}
	switch {
	case cfg.BatchSize%cfg.M != 0:
		return nil, fmt.Errorf("m-per-class sampler: m = %d does not divide batch size %d", cfg.M, cfg.BatchSize)
	case singlePass < cfg.BatchSize:
		return nil, fmt.Errorf("m-per-class sampler: m * (number of classes) = %d * %d = %d is less than batch size %d", cfg.M, len(keys), singlePass, cfg.BatchSize)
	case s.length < cfg.BatchSize:
		return nil, fmt.Errorf("m-per-class sampler: length before new iter %d is less than batch size %d", s.length, cfg.BatchSize)
	}
	s.passItems = cfg.BatchSize
	s.length -= s.length % cfg.BatchSize
	return s, nil
}

// Len returns the number of indices per epoch: LengthBeforeNewIter rounded down to a whole number
// of batches (of passes over all classes when BatchSize is 0).
func (s *MPerClassSampler) Len() int { return s.length }

// BatchSize returns the number of indices per batch: the configured BatchSize, or M times the
// number of classes when it is 0.
func (s *MPerClassSampler) BatchSize() int { return s.passItems }

// BatchesPerEpoch returns the number of batches per epoch.
func (s *MPerClassSampler) BatchesPerEpoch() int { return s.length / s.passItems }

// Indices returns epoch's Len() item indices, batch after batch, as PML's sampler yields them.
func (s *MPerClassSampler) Indices(epoch int) []int {
	rng := rand.New(rand.NewPCG(s.cfg.Seed, mPerClassStream+uint64(epoch)))
	m := s.cfg.M
	out := make([]int, 0, s.length)
	order := make([]int, len(s.classes))
	for i := range order {
		order[i] = i
	}
	pick := make([]int, 0, m)
	for range s.BatchesPerEpoch() {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, c := range order[:s.passItems/m] {
			members := s.classes[c]
			pick = choose(rng, len(members), m, pick[:0])
			for _, k := range pick {
				out = append(out, members[k])
			}
		}
	}
	return out
}

// Epoch iterates over epoch's batches: the batch number (from 0) and its BatchSize() item indices.
func (s *MPerClassSampler) Epoch(epoch int) iter.Seq2[int, []int] {
	return func(yield func(int, []int) bool) {
		idx := s.Indices(epoch)
		for k := range s.BatchesPerEpoch() {
			lo, hi := k*s.passItems, (k+1)*s.passItems
			if !yield(k, idx[lo:hi:hi]) {
				return
			}
		}
	}
}

// choose appends m positions in [0, n) to dst in random order: distinct when n >= m (Floyd's
// algorithm), else drawn with replacement, as PML's safe_random_choice.
func choose(rng *rand.Rand, n, m int, dst []int) []int {
	if n < m {
		for range m {
			dst = append(dst, rng.IntN(n))
		}
		return dst
	}
	start := len(dst)
	for j := n - m; j < n; j++ {
		t := rng.IntN(j + 1)
		if slices.Contains(dst[start:], t) {
			t = j
		}
		dst = append(dst, t)
	}
	sel := dst[start:]
	rng.Shuffle(len(sel), func(i, j int) { sel[i], sel[j] = sel[j], sel[i] })
	return dst
}
