package train

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/report"
)

// Data is a run's data, split and ready: the training data, and validation and test data for the
// retrieval metrics (class-labelled items) and the verification metrics (labeled pairs).
//
// Features are raw (not normalised): training normalises them with the normaliser it fits on the
// training items, and the model applies it to any input.
type Data struct {
	// Name describes the data, for reports.
	Name string
	// Train holds the training items. For pair batches drawn from class labels, fresh pairs are
	// drawn from them each epoch; for class batches they are the batches' items; for a pairs file
	// they are the items the training pairs join.
	Train *datasets.Items
	// TrainPairs are the fixed training pairs of a pairs file (nil when pairs are drawn from Train).
	TrainPairs *datasets.Pairs
	// Val and Test are class-labelled validation and test items, for the retrieval metrics; nil for
	// a pairs file.
	Val, Test *datasets.Items
	// ValTrack is the (stratified) sample of Val whose MAP@R is tracked during training.
	ValTrack *datasets.Items
	// ValPairs and TestPairs are labeled validation and test pairs, for the match threshold and the
	// verification metrics.
	ValPairs, TestPairs *datasets.Pairs
	// Baseline, when not nil, is the data set's own baseline, reported beside the encoders (the
	// molecules' Morgan fingerprints).
	Baseline *report.Baseline
	// TestTriplets, when not nil, are test triplets for the triplet accuracy (graph-edit).
	TestTriplets *report.Triplets
	// TestGroups, when not nil, group the test items (place-names: by script) for the report's
	// figures by group.
	TestGroups *report.Groups
	// Warnings are what the readers reported about lines they read: malformed lines skipped
	// (Config.SkipBadLines), duplicates left out, notes (datasets.LineError.Kind).
	Warnings []*datasets.LineError
}

// Dim returns the number of input features (0 for items that are not feature vectors).
func (d *Data) Dim() int {
	if d.TrainPairs != nil {
		return d.TrainPairs.Items.Dim()
	}
	return d.Train.Dim()
}

// HasRetrieval reports whether the data has class-labelled validation and test items.
func (d *Data) HasRetrieval() bool { return d.Val != nil && d.Test != nil }

// Seed tags, mixed with Config.Seed by subSeed so that each random draw of a run has its own stream.
const (
	seedSplit uint64 = iota + 1
	seedValPairs
	seedTestPairs
	seedValTrack
	seedTrainPairs
	seedBatches
	seedInit
	seedPairSplit
	seedGraphEditTrain
	seedGraphEditVal
)

// subSeed derives an independent seed for one use (tag) from the run's seed (SplitMix64).
func subSeed(seed, tag uint64) uint64 {
	z := seed + tag*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// LoadData reads the data cfg names (a built-in data set, an items file, a pairs file) and splits
// it (see PrepareItems and PreparePairs). Malformed lines of the user's files are an error that
// names each file and line (datasets.LineErrors), unless cfg.SkipBadLines. For a run folder, StartRun
// does the same and records the data's fingerprints and split, and RunData reloads them.
func LoadData(cfg Config) (*Data, error) {
	raw, err := readData(cfg, cfg.Items, cfg.Pairs)
	if err != nil {
		return nil, err
	}
	return raw.prepare(cfg)
}

// PrepareItems splits class-labelled items into training, validation and test items (seeded,
// class by class, in the fractions cfg.Split; a data set's official test split is kept; by class
// with cfg.SplitByClass), and draws
// the validation and test pairs (cfg.EvalPairs each, half positive) from the validation and test
// items.
func PrepareItems(cfg Config, items *datasets.Items) (*Data, error) {
	if items == nil {
		return nil, errors.New("no items")
	}
	if err := items.Validate(); err != nil {
		return nil, err
	}
	if !items.HasLabels() {
		return nil, fmt.Errorf("items %q have no class labels: give labeled pairs (--pairs) to train on them", items.Name)
	}
	d := &Data{Name: items.Name}
	var err error
	switch {
	case cfg.SplitByClass && items.OfficialTest != nil:
		return nil, fmt.Errorf("items %q have an official test split: they cannot be split by class", items.Name)
	case cfg.SplitByClass:
		d.Train, d.Val, d.Test, err = datasets.ClassSplit(items, cfg.Split, subSeed(cfg.Seed, seedSplit))
	case items.OfficialTest != nil:
		var rest *datasets.Items
		if rest, d.Test, err = items.OfficialSplit(); err != nil {
			return nil, err
		}
		f := cfg.Split.Train + cfg.Split.Val
		d.Train, d.Val, _, err = datasets.StratifiedSplit(rest, datasets.Fractions{Train: cfg.Split.Train / f, Val: 1 - cfg.Split.Train/f}, subSeed(cfg.Seed, seedSplit))
	default:
		d.Train, d.Val, d.Test, err = datasets.StratifiedSplit(items, cfg.Split, subSeed(cfg.Seed, seedSplit))
	}
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		name  string
		items *datasets.Items
	}{{"training", d.Train}, {"validation", d.Val}, {"test", d.Test}} {
		if s.items.NumClasses() < 2 || s.items.Len() < 4 {
			return nil, fmt.Errorf("items %q: the %s split has %d items in %d classes; need at least 4 items in 2 classes (more data or other split fractions)",
				items.Name, s.name, s.items.Len(), s.items.NumClasses())
		}
	}
	d.ValTrack = d.Val
	if cfg.ValItems > 0 && d.Val.Len() > cfg.ValItems {
		frac := float64(cfg.ValItems) / float64(d.Val.Len())
		if d.ValTrack, _, _, err = datasets.StratifiedSplit(d.Val, datasets.Fractions{Train: frac, Test: 1 - frac}, subSeed(cfg.Seed, seedValTrack)); err != nil {
			return nil, err
		}
	}
	if d.ValPairs, err = distinctPairs(d.Val, cfg.EvalPairs, subSeed(cfg.Seed, seedValPairs)); err != nil {
		return nil, fmt.Errorf("validation pairs: %w", err)
	}
	if d.TestPairs, err = distinctPairs(d.Test, cfg.EvalPairs, subSeed(cfg.Seed, seedTestPairs)); err != nil {
		return nil, fmt.Errorf("test pairs: %w", err)
	}
	return d, nil
}

// PreparePairs splits labeled pairs at random into training, validation and test pairs, in the
// fractions cfg.Split (seeded). The split is by unordered pair {a, b}: copies of one pair (in either
// order) always land in the same split, so no test pair is also a training pair (the pairs files
// reader keeps one copy anyway). The pairs' items are shared: an item may occur in pairs of several
// splits, so the test pairs measure how well pairs are told apart, not generalisation to unseen
// items. There are no retrieval metrics.
func PreparePairs(cfg Config, p *datasets.Pairs) (*Data, error) {
	if p == nil {
		return nil, errors.New("no pairs")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	groups := pairGroups(p)
	n := len(groups)
	perm := permutation(n, subSeed(cfg.Seed, seedPairSplit))
	nVal := int(float64(n)*cfg.Split.Val + 0.5)
	nTest := int(float64(n)*cfg.Split.Test + 0.5)
	nTrain := n - nVal - nTest
	if nTrain < 2 || nVal < 2 || nTest < 2 {
		return nil, fmt.Errorf("%d distinct pairs are too few to split into training, validation and test pairs (%d/%d/%d)", n, nTrain, nVal, nTest)
	}
	pick := func(gs []int) *datasets.Pairs {
		var idx []int
		for _, g := range gs {
			idx = append(idx, groups[g]...)
		}
		// In file order, so that the recorded split (pair lines) gives back the same sequence.
		slices.Sort(idx)
		return p.Subset(idx)
	}
	d := &Data{
		Name:       p.Items.Name,
		Train:      p.Items,
		TrainPairs: pick(perm[:nTrain]),
		ValPairs:   pick(perm[nTrain : nTrain+nVal]),
		TestPairs:  pick(perm[nTrain+nVal:]),
	}
	for _, s := range []struct {
		name string
		p    *datasets.Pairs
	}{{"validation", d.ValPairs}, {"test", d.TestPairs}} {
		if pos := s.p.NumPositives(); pos == 0 || pos == s.p.Len() {
			return nil, fmt.Errorf("the %s pairs (%d) are all of one label: need both positive and negative pairs", s.name, s.p.Len())
		}
	}
	return d, nil
}

// pairGroups groups the pairs by unordered pair of items {a, b}, in order of first occurrence.
func pairGroups(p *datasets.Pairs) [][]int {
	index := map[[2]int]int{}
	var groups [][]int
	for i := range p.Y {
		k := [2]int{min(p.A[i], p.B[i]), max(p.A[i], p.B[i])}
		g, ok := index[k]
		if !ok {
			g = len(groups)
			index[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// distinctPairs draws n labeled pairs of items (half positive, as datasets.SamplePairs draws them)
// that are distinct as unordered pairs {a, b}: a pair drawn twice would count twice in the
// verification metrics, and a pairs file holding it (test-pairs.jsonl) would be read back with the
// copy dropped. Items with identical features count as one (test-pairs.jsonl holds features, not
// ids): two of them never make a pair, and a pair is not drawn twice through them. It draws again (with derived seeds) until it has n, or returns fewer when the items
// have fewer distinct pairs of a label than asked for.
func distinctPairs(items *datasets.Items, n int, seed uint64) (*datasets.Pairs, error) {
	nPos := int(math.Round(float64(n) * 0.5))
	want := [2]int{n - nPos, nPos}
	var have [2]int
	out := &datasets.Pairs{Items: items}
	seen := map[[2]int]bool{}
	same := contentIDs(items)
	for round := uint64(0); round < 64 && have != want; round++ {
		draw := seed
		if round > 0 {
			draw = subSeed(seed, round)
		}
		p, err := datasets.SamplePairs(items, n, 0.5, draw)
		if err != nil {
			return nil, err
		}
		for i, y := range p.Y {
			a, b := same[p.A[i]], same[p.B[i]]
			k := [2]int{min(a, b), max(a, b)}
			if seen[k] || have[y] == want[y] || a == b {
				continue
			}
			seen[k] = true
			have[y]++
			out.A, out.B, out.Y = append(out.A, p.A[i]), append(out.B, p.B[i]), append(out.Y, y)
		}
	}
	return out, nil
}

// contentIDs maps each item to the first item with bitwise-identical features; items that are
// objects (graphs) are each their own.
func contentIDs(items *datasets.Items) []int {
	ids := make([]int, items.Len())
	if items.Objects != nil {
		for i := range ids {
			ids[i] = i
		}
		return ids
	}
	first := make(map[string]int, items.Len())
	for i := range ids {
		row := items.Features.Row(i)
		// The row's bytes as a map key, without copying the features (30 MB for MNIST's test
		// items); the map lives only while the features are not modified.
		key := unsafe.String((*byte)(unsafe.Pointer(unsafe.SliceData(row))), 4*len(row))
		if j, ok := first[key]; ok {
			ids[i] = j
		} else {
			first[key], ids[i] = i, i
		}
	}
	return ids
}
