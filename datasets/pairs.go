package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/gometric/gometric/mat"
)

// Pairs is a set of labeled pairs of items: pair i joins items A[i] and B[i] of Items, and Y[i] is
// 1 when they are the same (same class, or a match) and 0 when they are different.
//
// Pairs whose sides were given as inline feature vectors rather than ids (NewInlinePairs, pairs
// JSON Lines files) hold those vectors as items of their own in Items, with generated ids, so that
// every pair side is always a row of Items.Features.
type Pairs struct {
	// Items holds the items that A and B index.
	Items *Items
	// A and B are the indices in Items of each pair's two sides.
	A, B []int
	// Y holds the pair labels: 1 same, 0 different.
	Y []int
}

// PairBatch is a batch of pairs gathered into feature matrices, ready for a model: row i of A and
// row i of B are the two sides of pair i, labeled Y[i].
type PairBatch struct {
	// A and B are the two sides' features, len(Y) x D each.
	A, B *mat.Dense
	// Y holds the pair labels: 1 same, 0 different.
	Y []int
	// IDsA and IDsB are the two sides' item ids.
	IDsA, IDsB []string
	// Index holds the gathered pairs' indices in the Pairs.
	Index []int
}

// DefaultPositiveFraction is the usual share of positive pairs for SamplePairs.
const DefaultPositiveFraction = 0.5

// pairsStream is the PCG stream of SamplePairs.
const pairsStream = 0x7061697273

// Len returns the number of pairs.
func (p *Pairs) Len() int { return len(p.Y) }

// NumPositives returns the number of pairs labeled 1.
func (p *Pairs) NumPositives() int {
	n := 0
	for _, y := range p.Y {
		n += y
	}
	return n
}

// Validate checks that A, B and Y have one entry per pair, that A and B index Items and that
// every label is 0 or 1.
func (p *Pairs) Validate() error {
	if p.Items == nil {
		return fmt.Errorf("pairs: nil Items")
	}
	if len(p.A) != len(p.Y) || len(p.B) != len(p.Y) {
		return fmt.Errorf("pairs: %d A sides, %d B sides, %d labels", len(p.A), len(p.B), len(p.Y))
	}
	n := p.Items.Len()
	for i := range p.Y {
		if p.A[i] < 0 || p.A[i] >= n || p.B[i] < 0 || p.B[i] >= n {
			return fmt.Errorf("pairs: pair %d joins items %d and %d, want 0..%d", i, p.A[i], p.B[i], n-1)
		}
		if p.Y[i] != 0 && p.Y[i] != 1 {
			return fmt.Errorf("pairs: pair %d has label %d, not 0 or 1", i, p.Y[i])
		}
	}
	return nil
}

// Subset returns the pairs at the given indices, in that order, over the same Items. An index out
// of range panics, as slice indexing does.
func (p *Pairs) Subset(idx []int) *Pairs {
	out := &Pairs{Items: p.Items, A: make([]int, len(idx)), B: make([]int, len(idx)), Y: make([]int, len(idx))}
	for i, j := range idx {
		out.A[i], out.B[i], out.Y[i] = p.A[j], p.B[j], p.Y[j]
	}
	return out
}

// Gather copies the pairs at the given indices into a PairBatch. An index out of range panics, as
// slice indexing does.
func (p *Pairs) Gather(idx []int) *PairBatch {
	s := p.Subset(idx)
	b := &PairBatch{
		A:     p.Items.Features.Select(s.A),
		B:     p.Items.Features.Select(s.B),
		Y:     s.Y,
		IDsA:  make([]string, len(idx)),
		IDsB:  make([]string, len(idx)),
		Index: append([]int(nil), idx...),
	}
	for i := range idx {
		b.IDsA[i] = p.Items.IDs[s.A[i]]
		b.IDsB[i] = p.Items.IDs[s.B[i]]
	}
	return b
}

// NewInlinePairs returns pairs whose sides are given as feature vectors: pair i joins a[i] and
// b[i], labeled y[i] (0 or 1). The vectors become the items of the result (ids "inline-<k>", a[i]
// as item 2i and b[i] as item 2i+1, no labels) and must all have the same length.
func NewInlinePairs(a, b [][]float32, y []int) (*Pairs, error) {
	if len(a) != len(y) || len(b) != len(y) {
		return nil, fmt.Errorf("inline pairs: %d A vectors, %d B vectors, %d labels", len(a), len(b), len(y))
	}
	rows := make([][]float32, 0, 2*len(y))
	p := &Pairs{A: make([]int, len(y)), B: make([]int, len(y)), Y: append([]int(nil), y...)}
	for i := range y {
		if y[i] != 0 && y[i] != 1 {
			return nil, fmt.Errorf("inline pairs: pair %d has label %d, not 0 or 1", i, y[i])
		}
		p.A[i], p.B[i] = len(rows), len(rows)+1
		rows = append(rows, a[i], b[i])
	}
	for k, r := range rows {
		if len(r) != len(rows[0]) {
			return nil, fmt.Errorf("inline pairs: pair %d side %c has %d values, pair 0 side A has %d", k/2, "AB"[k%2], len(r), len(rows[0]))
		}
	}
	feats, err := mat.FromRows(rows)
	if err != nil {
		return nil, fmt.Errorf("inline pairs: %w", err)
	}
	if len(rows) == 0 {
		feats = mat.New(0, 0)
	}
	ids := make([]string, len(rows))
	for k := range ids {
		ids[k] = "inline-" + strconv.Itoa(k)
	}
	p.Items = &Items{Name: "inline", IDs: ids, Features: feats}
	return p, nil
}

// SamplePairs draws n labeled pairs at random from class-labeled items: round(n*positiveFraction)
// positives (two different items of the same class; pick DefaultPositiveFraction when unsure) and
// the rest negatives (items of different classes), in random order. Pairs are drawn with
// replacement, so a pair may repeat. The result depends only on the items, n, positiveFraction
// and seed.
func SamplePairs(items *Items, n int, positiveFraction float64, seed uint64) (*Pairs, error) {
	switch {
	case items == nil:
		return nil, fmt.Errorf("sample pairs: nil items")
	case items.Labels == nil:
		return nil, fmt.Errorf("sample pairs: items %q have no class labels", items.Name)
	case n < 0:
		return nil, fmt.Errorf("sample pairs: negative number of pairs %d", n)
	case !(positiveFraction >= 0 && positiveFraction <= 1):
		return nil, fmt.Errorf("sample pairs: positive fraction %v is not in [0, 1]", positiveFraction)
	}
	nPos := int(math.Round(float64(n) * positiveFraction))
	nNeg := n - nPos

	// Items sorted by class: class c's items are sorted[start[c]:end[c]].
	byClass := items.IndicesByClass()
	classes := items.Classes()
	var sorted, posPool []int
	span := make(map[int][2]int, len(classes))
	for _, c := range classes {
		span[c] = [2]int{len(sorted), len(sorted) + len(byClass[c])}
		sorted = append(sorted, byClass[c]...)
		if len(byClass[c]) >= 2 {
			posPool = append(posPool, byClass[c]...)
		}
	}
	if nPos > 0 && len(posPool) == 0 {
		return nil, fmt.Errorf("sample pairs: items %q have no class with two items, so no positive pairs", items.Name)
	}
	if nNeg > 0 && len(classes) < 2 {
		return nil, fmt.Errorf("sample pairs: items %q have fewer than two classes, so no negative pairs", items.Name)
	}

	rng := rand.New(rand.NewPCG(seed, pairsStream))
	p := &Pairs{Items: items, A: make([]int, 0, n), B: make([]int, 0, n), Y: make([]int, 0, n)}
	for range nPos {
		a := posPool[rng.IntN(len(posPool))]
		s := span[items.Labels[a]]
		b := sorted[s[0]+rng.IntN(s[1]-s[0]-1)]
		if b == a { // skip a itself: draw from the class's other items
			b = sorted[s[1]-1]
		}
		p.A, p.B, p.Y = append(p.A, a), append(p.B, b), append(p.Y, 1)
	}
	N := len(sorted)
	for range nNeg {
		a := rng.IntN(N)
		s := span[items.Labels[a]]
		k := rng.IntN(N - (s[1] - s[0])) // a position outside a's class
		if k >= s[0] {
			k += s[1] - s[0]
		}
		p.A, p.B, p.Y = append(p.A, a), append(p.B, sorted[k]), append(p.Y, 0)
	}
	rng.Shuffle(n, func(i, j int) {
		p.A[i], p.A[j] = p.A[j], p.A[i]
		p.B[i], p.B[j] = p.B[j], p.B[i]
		p.Y[i], p.Y[j] = p.Y[j], p.Y[i]
	})
	return p, nil
}
