package datasets

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
)

// Tuples are a miner's selection over a set of items, PML's indices_tuple: lists of positions into
// the mined items — (anchors, positives, negatives), of equal length, for triplets; (anchors,
// positives, anchors, negatives) for pairs, the first two and the last two of equal length.
type Tuples [][]int

// TupleWeights returns PML's convert_to_weights of the tuples over n items: the number of times each
// item appears in all the lists, divided by the largest count; every item weighs 1 when no tuple was
// mined.
func TupleWeights(tuples Tuples, n int) ([]float64, error) {
	w := make([]float64, n)
	empty := true
	for _, list := range tuples {
		for _, i := range list {
			if i < 0 || i >= n {
				return nil, fmt.Errorf("tuple weights: position %d out of range [0, %d)", i, n)
			}
			w[i]++
			empty = false
		}
	}
	if empty {
		for i := range w {
			w[i] = 1
		}
		return w, nil
	}
	top := slices.Max(w)
	for i := range w {
		w[i] /= top
	}
	return w, nil
}

// MineFunc mines items: it embeds the items of subset (item indices, in that order) with the model
// being trained and runs a miner over the embeddings and their labels, returning the tuples as
// positions in subset. It is what PML's TuplesToWeightsSampler does with its model, its tester and
// its miner; package train's TupleMiner makes one from a trained model and a miner.
type MineFunc func(subset []int) (Tuples, error)

// TuplesToWeightsConfig configures a TuplesToWeightsSampler, with PyTorch Metric Learning's
// parameter names (PML's model, miner and dataset are NewTuplesToWeightsSampler's arguments).
type TuplesToWeightsConfig struct {
	// SubsetSize (subset_size) is the number of items drawn at random (distinct unless it exceeds the
	// data, as PML's safe_random_choice) to be mined each epoch, and the number of indices an epoch
	// yields; 0 means PML's None: all items are mined, and an epoch yields as many indices as items.
	SubsetSize int
	// Seed seeds the subset and the draws; an epoch's indices depend only on the seed, the epoch and
	// what the MineFunc returns.
	Seed uint64
}

// TuplesToWeightsSampler is PyTorch Metric Learning's TuplesToWeightsSampler: each epoch it mines
// the items (a random subset of SubsetSize, or all), weighs each mined item by how often it appears
// in the mined tuples (TupleWeights; items outside the subset weigh 0), and draws Len() indices with
// replacement, each with probability proportional to its weight (PyTorch's WeightedRandomSampler).
// The items that the miner finds hard are drawn more often.
//
// Differences from PML: the model, the tester and the miner are one MineFunc; the random numbers are
// Go's (math/rand/v2 PCG), so the draws are PML's in distribution, not draw for draw.
type TuplesToWeightsSampler struct {
	n       int
	mine    MineFunc
	cfg     TuplesToWeightsConfig
	weights []float64
}

// tuplesWeightsStream is the PCG stream base of TuplesToWeightsSampler; the epoch is added to it.
const tuplesWeightsStream = 0x74757077 << 20

// NewTuplesToWeightsSampler returns a TuplesToWeightsSampler over n items (PML's dataset) mined by
// mine.
func NewTuplesToWeightsSampler(n int, mine MineFunc, cfg TuplesToWeightsConfig) (*TuplesToWeightsSampler, error) {
	switch {
	case n <= 0:
		return nil, fmt.Errorf("tuples-to-weights sampler: no items")
	case mine == nil:
		return nil, fmt.Errorf("tuples-to-weights sampler: no mine function")
	case cfg.SubsetSize < 0:
		return nil, fmt.Errorf("tuples-to-weights sampler: subset size %d is negative", cfg.SubsetSize)
	}
	return &TuplesToWeightsSampler{n: n, mine: mine, cfg: cfg}, nil
}

// Len returns the number of indices per epoch: SubsetSize, or the number of items when it is 0.
func (s *TuplesToWeightsSampler) Len() int {
	if s.cfg.SubsetSize > 0 {
		return s.cfg.SubsetSize
	}
	return s.n
}

// Weights returns the items' weights of the latest epoch drawn (nil before the first).
func (s *TuplesToWeightsSampler) Weights() []float64 { return slices.Clone(s.weights) }

// Indices mines the items afresh (the model has changed since the last epoch, as PML's __iter__
// does each time), sets the weights and returns epoch's Len() indices drawn by weight.
func (s *TuplesToWeightsSampler) Indices(epoch int) ([]int, error) {
	rng := rand.New(rand.NewPCG(s.cfg.Seed, tuplesWeightsStream+uint64(epoch)))
	var subset []int
	if s.cfg.SubsetSize > 0 {
		subset = choose(rng, s.n, s.cfg.SubsetSize, nil)
	} else {
		subset = make([]int, s.n)
		for i := range subset {
			subset[i] = i
		}
	}
	tuples, err := s.mine(slices.Clone(subset))
	if err != nil {
		return nil, fmt.Errorf("tuples-to-weights sampler: mining: %w", err)
	}
	sw, err := TupleWeights(tuples, len(subset))
	if err != nil {
		return nil, fmt.Errorf("tuples-to-weights sampler: %w", err)
	}
	weights := make([]float64, s.n)
	for k, i := range subset {
		weights[i] = sw[k]
	}
	s.weights = weights
	// Inverse-CDF draws: item i takes [cum[i-1], cum[i]), empty for a weight of 0.
	cum := make([]float64, s.n)
	total, last := 0.0, 0
	for i, w := range weights {
		total += w
		cum[i] = total
		if w > 0 {
			last = i
		}
	}
	out := make([]int, s.Len())
	for k := range out {
		u := rng.Float64() * total
		out[k] = min(sort.Search(s.n, func(i int) bool { return cum[i] > u }), last)
	}
	return out, nil
}
