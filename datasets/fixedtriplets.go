package datasets

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
)

// FixedSetOfTripletsConfig configures a FixedSetOfTriplets sampler, with PyTorch Metric Learning's
// parameter names.
type FixedSetOfTripletsConfig struct {
	// NumTriplets is the number of triplets made once, at construction (num_triplets, required,
	// positive).
	NumTriplets int
	// Seed seeds the triplets and each epoch's order.
	Seed uint64
}

// FixedSetOfTriplets is PyTorch Metric Learning's FixedSetOfTriplets sampler, for experiments where
// the only ground truth is a set of triplets: NumTriplets triplets (anchor, positive, negative) are
// made once from the class labels — two distinct classes drawn at random (the anchor's and the
// negative's), the anchor and the positive two distinct items of the first (the same item twice for
// a class of one item, as PML's safe_random_choice), the negative an item of the second — and each
// epoch yields all of them, in a new random order of triplets, flattened: a, p, n, a, p, n, ...
// (Len() indices; batches of a multiple of 3 keep triplets whole).
//
// Differences from PML: the random numbers are Go's (math/rand/v2 PCG), so the triplets are PML's
// in distribution, not draw for draw; fewer than two classes is an error (PML's NumPy raises one).
type FixedSetOfTriplets struct {
	triplets [][3]int
	seed     uint64
}

// Streams of FixedSetOfTriplets' PCG: the triplets, and the epoch's order (the epoch added).
const (
	fixedTripletsStream      = 0x66697874 << 20
	fixedTripletsEpochStream = 0x66697865 << 20
)

// NewFixedSetOfTriplets makes the fixed set of triplets of items with the given class labels.
func NewFixedSetOfTriplets(labels []int, cfg FixedSetOfTripletsConfig) (*FixedSetOfTriplets, error) {
	if cfg.NumTriplets <= 0 {
		return nil, fmt.Errorf("fixed set of triplets: num triplets %d is not positive", cfg.NumTriplets)
	}
	byClass := map[int][]int{}
	for i, l := range labels {
		byClass[l] = append(byClass[l], i)
	}
	if len(byClass) < 2 {
		return nil, fmt.Errorf("fixed set of triplets: %d classes, a triplet needs two", len(byClass))
	}
	classes := make([][]int, 0, len(byClass))
	for _, l := range slices.Sorted(maps.Keys(byClass)) {
		classes = append(classes, byClass[l])
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, fixedTripletsStream))
	s := &FixedSetOfTriplets{triplets: make([][3]int, cfg.NumTriplets), seed: cfg.Seed}
	var pick []int
	for i := range s.triplets {
		pick = choose(rng, len(classes), 2, pick[:0])
		anchors, negatives := classes[pick[0]], classes[pick[1]]
		pick = choose(rng, len(anchors), 2, pick[:0])
		s.triplets[i] = [3]int{anchors[pick[0]], anchors[pick[1]], negatives[rng.IntN(len(negatives))]}
	}
	return s, nil
}

// Triplets returns the fixed set of triplets (anchor, positive, negative item indices), in the order
// they were made.
func (s *FixedSetOfTriplets) Triplets() [][3]int { return slices.Clone(s.triplets) }

// Len returns the number of indices per epoch: 3 × NumTriplets.
func (s *FixedSetOfTriplets) Len() int { return 3 * len(s.triplets) }

// Indices returns epoch's Len() item indices: the triplets in a random order, flattened.
func (s *FixedSetOfTriplets) Indices(epoch int) []int {
	rng := rand.New(rand.NewPCG(s.seed, fixedTripletsEpochStream+uint64(epoch)))
	out := make([]int, 0, s.Len())
	for _, k := range rng.Perm(len(s.triplets)) {
		out = append(out, s.triplets[k][:]...)
	}
	return out
}
