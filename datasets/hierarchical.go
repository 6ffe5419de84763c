package datasets

import (
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
)

// SamplesPerClassAll is HierarchicalConfig.SamplesPerClass for PML's samples_per_class="all": every
// item of each class drawn.
const SamplesPerClassAll = -1

// PML's defaults of HierarchicalSampler.
const (
	// DefaultBatchesPerSuperTuple is PML's batches_per_super_tuple.
	DefaultBatchesPerSuperTuple = 4
	// DefaultSuperClassesPerBatch is PML's super_classes_per_batch.
	DefaultSuperClassesPerBatch = 2
)

// HierarchicalConfig configures a HierarchicalSampler, with PyTorch Metric Learning's parameter
// names. PML's labels, inner_label and outer_label (a 2D label array and the indices of its class
// and super-class columns, 0 and 1 by default) are NewHierarchicalSampler's two label slices.
type HierarchicalConfig struct {
	// BatchSize is the largest number of items per batch (batch_size, required): a multiple of
	// SuperClassesPerBatch.
	BatchSize int
	// SamplesPerClass is the number of items drawn from each class in a batch (samples_per_class,
	// required): positive and dividing BatchSize/SuperClassesPerBatch, or SamplesPerClassAll.
	SamplesPerClass int
	// BatchesPerSuperTuple is the number of batches made for each combination of super classes
	// (batches_per_super_tuple); 0 means PML's default, 4.
	BatchesPerSuperTuple int
	// SuperClassesPerBatch is the number of super classes in each batch (super_classes_per_batch);
	// 0 means PML's default, 2.
	SuperClassesPerBatch int
	// Seed seeds the sampler; an epoch's batches depend only on the labels, the config and the
	// epoch.
	Seed uint64
}

// HierarchicalSampler is PyTorch Metric Learning's HierarchicalSampler, a batch sampler for labels
// in two levels (classes within super classes, as products within categories): for each combination
// of SuperClassesPerBatch super classes (in increasing label order, as Python's
// itertools.combinations over the sorted labels), BatchesPerSuperTuple batches; each batch is made
// of one sub-batch of at most BatchSize/SuperClassesPerBatch items per super class, filled class by
// class in random order with SamplesPerClass items of each class (distinct, or drawn with
// replacement when the class has fewer, as PML's safe_random_choice; all of a class for
// SamplesPerClassAll), skipping a class that would overflow the sub-batch. The batch's items are
// then shuffled, and the epoch's batches too. Batches may hold fewer than BatchSize items when the
// classes do not fill a sub-batch exactly (as in PML).
//
// Differences from PML: the labels are two slices instead of a 2D array and two column indices;
// fewer super classes than SuperClassesPerBatch is an error (PML yields no batch); the random
// numbers are Go's (math/rand/v2 PCG), so the batches are PML's in distribution, not draw for draw.
type HierarchicalSampler struct {
	cfg HierarchicalConfig
	// super holds, for each super class in increasing label order, the item indices of each of its
	// classes, classes in increasing label order.
	super [][][]int
	// tuples are the combinations of super classes (positions in super), in itertools order.
	tuples [][]int
	subLen int // BatchSize / SuperClassesPerBatch
}

// hierarchicalStream is the PCG stream base of HierarchicalSampler; the epoch is added to it.
const hierarchicalStream = 0x68696572 << 20

// NewHierarchicalSampler returns a HierarchicalSampler over items with the given class and super
// class labels (PML's labels[:, inner_label] and labels[:, outer_label]). A class label under two
// super classes makes two classes, one in each, as in PML.
func NewHierarchicalSampler(classes, superClasses []int, cfg HierarchicalConfig) (*HierarchicalSampler, error) {
	if len(classes) == 0 {
		return nil, fmt.Errorf("hierarchical sampler: no labels")
	}
	if len(superClasses) != len(classes) {
		return nil, fmt.Errorf("hierarchical sampler: %d class labels but %d super class labels", len(classes), len(superClasses))
	}
	if cfg.BatchesPerSuperTuple == 0 {
		cfg.BatchesPerSuperTuple = DefaultBatchesPerSuperTuple
	}
	if cfg.SuperClassesPerBatch == 0 {
		cfg.SuperClassesPerBatch = DefaultSuperClassesPerBatch
	}
	k := cfg.SuperClassesPerBatch
	switch {
	case cfg.BatchesPerSuperTuple < 0 || k < 0:
		return nil, fmt.Errorf("hierarchical sampler: batches per super tuple %d and super classes per batch %d must be positive", cfg.BatchesPerSuperTuple, k)
	case cfg.BatchSize <= 0 || cfg.BatchSize%k != 0:
		return nil, fmt.Errorf("hierarchical sampler: batch size %d is not a positive multiple of super classes per batch %d", cfg.BatchSize, k)
	case cfg.SamplesPerClass == 0 || cfg.SamplesPerClass < SamplesPerClassAll:
		return nil, fmt.Errorf("hierarchical sampler: samples per class %d is neither positive nor SamplesPerClassAll", cfg.SamplesPerClass)
	case cfg.SamplesPerClass > 0 && (cfg.BatchSize/k)%cfg.SamplesPerClass != 0:
		return nil, fmt.Errorf("hierarchical sampler: samples per class %d does not divide the sub-batch size %d (batch size / super classes per batch)", cfg.SamplesPerClass, cfg.BatchSize/k)
	}
	bySuper := map[int]map[int][]int{}
	for i, s := range superClasses {
		if bySuper[s] == nil {
			bySuper[s] = map[int][]int{}
		}
		bySuper[s][classes[i]] = append(bySuper[s][classes[i]], i)
	}
	if len(bySuper) < k {
		return nil, fmt.Errorf("hierarchical sampler: %d super classes, fewer than super classes per batch %d", len(bySuper), k)
	}
	s := &HierarchicalSampler{cfg: cfg, subLen: cfg.BatchSize / k}
	for _, sl := range slices.Sorted(maps.Keys(bySuper)) {
		var group [][]int
		for _, c := range slices.Sorted(maps.Keys(bySuper[sl])) {
			group = append(group, bySuper[sl][c])
		}
		s.super = append(s.super, group)
	}
	s.tuples = combinations(len(s.super), k)
	return s, nil
}

// combinations returns the k-element combinations of 0..n-1 in lexicographic order
// (itertools.combinations(range(n), k)).
func combinations(n, k int) [][]int {
	var out [][]int
	c := make([]int, k)
	var rec func(pos, from int)
	rec = func(pos, from int) {
		if pos == k {
			out = append(out, slices.Clone(c))
			return
		}
		for i := from; i <= n-(k-pos); i++ {
			c[pos] = i
			rec(pos+1, i+1)
		}
	}
	rec(0, 0)
	return out
}

// BatchesPerEpoch returns the number of batches per epoch (PML's len): the number of combinations of
// SuperClassesPerBatch super classes times BatchesPerSuperTuple.
func (s *HierarchicalSampler) BatchesPerEpoch() int {
	return len(s.tuples) * s.cfg.BatchesPerSuperTuple
}

// Batches returns epoch's batches of item indices, in the order PML's sampler yields them.
func (s *HierarchicalSampler) Batches(epoch int) [][]int {
	rng := rand.New(rand.NewPCG(s.cfg.Seed, hierarchicalStream+uint64(epoch)))
	batches := make([][]int, 0, s.BatchesPerEpoch())
	var pick []int
	for _, tuple := range s.tuples {
		for range s.cfg.BatchesPerSuperTuple {
			batch := make([]int, 0, s.cfg.BatchSize)
			for _, sc := range tuple {
				group := s.super[sc]
				order := rng.Perm(len(group))
				sub := 0
				for _, c := range order {
					if sub >= s.subLen {
						break
					}
					members := group[c]
					m := s.cfg.SamplesPerClass
					if m == SamplesPerClassAll {
						m = len(members)
					}
					if sub+m > s.subLen {
						continue
					}
					pick = choose(rng, len(members), m, pick[:0])
					for _, j := range pick {
						batch = append(batch, members[j])
					}
					sub += m
				}
			}
			rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			batches = append(batches, batch)
		}
	}
	rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	return batches
}

// Epoch iterates over epoch's batches: the batch number (from 0) and its item indices.
func (s *HierarchicalSampler) Epoch(epoch int) iter.Seq2[int, []int] {
	return slices.All(s.Batches(epoch))
}
