package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// splitStream is the PCG stream of StratifiedSplit, so that its draws differ from the samplers'
// for the same seed.
const splitStream = 0x73706c6974

// Fractions are the shares of the items that StratifiedSplit puts in the training, validation and
// test splits: each in [0, 1], summing to 1.
type Fractions struct {
	Train, Val, Test float64
}

// StratifiedSplit splits items at random into training, validation and test items, class by
// class, so that each class is shared among the splits in the given fractions (up to rounding).
// A class with at least as many items as there are non-zero fractions has at least one item in
// each split with a non-zero fraction. Items without labels are split as one class. Each split
// keeps the items' original order. The result depends only on the items and seed.
func StratifiedSplit(items *Items, f Fractions, seed uint64) (train, val, test *Items, err error) {
	splits, err := stratifiedSplitN(items, []float64{f.Train, f.Val, f.Test}, seed)
	if err != nil {
		return nil, nil, nil, err
	}
	return splits[0], splits[1], splits[2], nil
}

// stratifiedSplitN splits items into len(fractions) parts; see StratifiedSplit.
func stratifiedSplitN(items *Items, fractions []float64, seed uint64) ([]*Items, error) {
	if items == nil {
		return nil, fmt.Errorf("stratified split: nil items")
	}
	sum := 0.0
	for _, f := range fractions {
		if !(f >= 0 && f <= 1) {
			return nil, fmt.Errorf("stratified split: fraction %v is not in [0, 1]", f)
		}
		sum += f
	}
	if math.Abs(sum-1) > 1e-6 {
		return nil, fmt.Errorf("stratified split: fractions %v sum to %.6g, not 1", fractions, sum)
	}
	groups := [][]int{}
	if items.Labels == nil {
		all := make([]int, items.Len())
		for i := range all {
			all[i] = i
		}
		groups = append(groups, all)
	} else {
		byClass := items.IndicesByClass()
		for _, c := range items.Classes() {
			groups = append(groups, byClass[c])
		}
	}
	rng := rand.New(rand.NewPCG(seed, splitStream))
	parts := make([][]int, len(fractions))
	for _, g := range groups {
		g = slices.Clone(g)
		rng.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
		start := 0
		for k, n := range splitCounts(len(g), fractions) {
			parts[k] = append(parts[k], g[start:start+n]...)
			start += n
		}
	}
	out := make([]*Items, len(parts))
	for k, p := range parts {
		slices.Sort(p)
		out[k] = items.Subset(p)
	}
	return out, nil
}

// splitCounts divides n items among the fractions by largest remainders, then moves items so that
// every non-zero fraction gets at least one when n allows it.
func splitCounts(n int, fractions []float64) []int {
	counts := make([]int, len(fractions))
	rem := make([]float64, len(fractions))
	total := 0
	for k, f := range fractions {
		exact := f * float64(n)
		counts[k] = int(math.Floor(exact))
		rem[k] = exact - float64(counts[k])
		total += counts[k]
	}
	order := make([]int, len(fractions))
	for k := range order {
		order[k] = k
	}
	// Larger remainders first; ties to the earlier split.
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return 0
	})
	for total > n { // fractions summing to slightly over 1
		k := slices.Index(counts, slices.Max(counts))
		counts[k]--
		total--
	}
	for i := 0; total < n; i++ {
		k := order[i%len(order)]
		if fractions[k] > 0 {
			counts[k]++
			total++
		}
	}
	positive := 0
	for _, f := range fractions {
		if f > 0 {
			positive++
		}
	}
	if n < positive {
		return counts
	}
	for k, f := range fractions {
		if f == 0 || counts[k] > 0 {
			continue
		}
		// Take one from the largest split that can spare it.
		donor := -1
		for j := range counts {
			if counts[j] > 1 && (donor < 0 || counts[j] > counts[donor]) {
				donor = j
			}
		}
		if donor < 0 {
			break
		}
		counts[donor]--
		counts[k]++
	}
	return counts
}
