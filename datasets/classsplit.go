package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// classSplitStream is the PCG stream of ClassSplit.
const classSplitStream = 0x7363616666

// ClassSplit splits class-labelled items into training, validation and test items by class: every
// class goes whole to one split, so that no class of the test (or validation) items is seen in
// training. It is the "balanced scaffold split" of molecular property prediction (Chemprop's
// scaffold_balanced), with classes as scaffolds:
//
//   - the target sizes are the fractions of the items (f.Train·N, f.Val·N, the rest for test);
//   - classes larger than half the validation or half the test target go first, in a seeded
//     random order, then the other classes, in a seeded random order;
//   - each class in turn goes to training if it fits in the training target, else to validation if
//     it fits there, else to test.
//
// So the sizes meet the fractions as closely as whole classes allow, the largest classes train,
// and the held-out splits are made of smaller classes. Each split keeps the items' original order.
// The result depends only on the items and seed. Items without labels are an error.
func ClassSplit(items *Items, f Fractions, seed uint64) (train, val, test *Items, err error) {
	if items == nil || !items.HasLabels() {
		return nil, nil, nil, fmt.Errorf("class split: the items have no class labels")
	}
	for _, v := range []float64{f.Train, f.Val, f.Test} {
		if !(v >= 0 && v <= 1) {
			return nil, nil, nil, fmt.Errorf("class split: fraction %v is not in [0, 1]", v)
		}
	}
	if math.Abs(f.Train+f.Val+f.Test-1) > 1e-6 {
		return nil, nil, nil, fmt.Errorf("class split: fractions %v/%v/%v do not sum to 1", f.Train, f.Val, f.Test)
	}
	n := items.Len()
	trainN := int(math.Round(f.Train * float64(n)))
	valN := int(math.Round(f.Val * float64(n)))
	testN := n - trainN - valN
	byClass := items.IndicesByClass()
	var big, small [][]int
	for _, c := range items.Classes() {
		g := byClass[c]
		if 2*len(g) > valN || 2*len(g) > testN {
			big = append(big, g)
		} else {
			small = append(small, g)
		}
	}
	rng := rand.New(rand.NewPCG(seed, classSplitStream))
	rng.Shuffle(len(big), func(i, j int) { big[i], big[j] = big[j], big[i] })
	rng.Shuffle(len(small), func(i, j int) { small[i], small[j] = small[j], small[i] })
	var parts [3][]int
	for _, g := range append(big, small...) {
		switch {
		case len(parts[0])+len(g) <= trainN:
			parts[0] = append(parts[0], g...)
		case len(parts[1])+len(g) <= valN:
			parts[1] = append(parts[1], g...)
		default:
			parts[2] = append(parts[2], g...)
		}
	}
	out := make([]*Items, 3)
	for k, p := range parts {
		slices.Sort(p)
		out[k] = items.Subset(p)
	}
	return out[0], out[1], out[2], nil
}
