package datasets

import (
	"encoding/binary"
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
	// Lines, for pairs read from a file (ReadPairs), holds each pair's 1-based line in that file;
	// nil for pairs made otherwise (SamplePairs, NewInlinePairs).
	Lines []int

	// same, when not nil, gives the item that each item of Items counts as in Key: an item named
	// by id counts as itself, an inline vector as the first item of Items with bitwise the same
	// features. nil: every item counts as itself. It belongs to Items, and so is shared by
	// subsets over the same Items.
	same []int
}

// PairKey is a pair of items without order: Lo <= Hi are item indices in Pairs.Items, as Pairs.Key
// gives them. Pairs with equal keys join the same two things, so a split that puts pairs with one
// key on two sides would test on what it trained on. PairKey is comparable, for maps.
type PairKey struct {
	Lo, Hi int
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

// Key returns pair i's unordered key: its two sides' item indices, smaller first, where an inline
// vector counts as the first item of Items with bitwise the same features (ReadPairs,
// NewInlinePairs) and an item named by id counts as itself. Two items with the same features but
// different ids are different items. An index out of range panics, as slice indexing does.
func (p *Pairs) Key(i int) PairKey {
	a, b := p.A[i], p.B[i]
	if p.same != nil {
		a, b = p.same[a], p.same[b]
	}
	return PairKey{Lo: min(a, b), Hi: max(a, b)}
}

// Keys returns every pair's Key, in pair order.
func (p *Pairs) Keys() []PairKey {
	keys := make([]PairKey, p.Len())
	for i := range keys {
		keys[i] = p.Key(i)
	}
	return keys
}

// Validate checks that A, B and Y have one entry per pair (and Lines, when set), that A and B
// index Items, that every label is 0 or 1 and every line number positive.
func (p *Pairs) Validate() error {
	if p.Items == nil {
		return fmt.Errorf("pairs: nil Items")
	}
	if len(p.A) != len(p.Y) || len(p.B) != len(p.Y) {
		return fmt.Errorf("pairs: %d A sides, %d B sides, %d labels", len(p.A), len(p.B), len(p.Y))
	}
	if p.Lines != nil && len(p.Lines) != len(p.Y) {
		return fmt.Errorf("pairs: %d line numbers, %d labels", len(p.Lines), len(p.Y))
	}
	n := p.Items.Len()
	// same is set with Items; an Items of another length put in their place afterwards would
	// make Key index the wrong items.
	if p.same != nil && len(p.same) != n {
		return fmt.Errorf("pairs: keys for %d items, Items has %d", len(p.same), n)
	}
	for i, l := range p.Lines {
		if l < 1 {
			return fmt.Errorf("pairs: pair %d has line number %d", i, l)
		}
	}
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

// Subset returns the pairs at the given indices, in that order, over the same Items, with their
// Lines (when set) and keys. An index out of range panics, as slice indexing does.
func (p *Pairs) Subset(idx []int) *Pairs {
	out := &Pairs{Items: p.Items, A: make([]int, len(idx)), B: make([]int, len(idx)), Y: make([]int, len(idx)), same: p.same}
	if p.Lines != nil {
		out.Lines = make([]int, len(idx))
	}
	for i, j := range idx {
		out.A[i], out.B[i], out.Y[i] = p.A[j], p.B[j], p.Y[j]
		if p.Lines != nil {
			out.Lines[i] = p.Lines[j]
		}
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
	p.same = firstSame(feats.Rows, rowOf(feats), 0)
	return p, nil
}

// firstSame returns, for each of n rows, the first row with bitwise the same values, where only
// rows from on are looked up (inline vectors) and rows before from count as themselves (items
// named by id) but are found by the later ones. It returns nil when no row is from on.
func firstSame(n int, row func(int) []float32, from int) []int {
	if from >= n {
		return nil
	}
	first := map[string]int{}
	var key []byte
	for j := from; j < n; j++ {
		key = vecKey(key[:0], row(j))
		if _, ok := first[string(key)]; !ok {
			first[string(key)] = j
		}
	}
	// Then the rows named by id, in order, so that the first of them with the values wins. Only
	// the inline vectors' values are kept as map keys: a lookup by string(key) of a reused buffer
	// does not allocate, so a large items file costs no memory here.
	for i := range from {
		key = vecKey(key[:0], row(i))
		if k, ok := first[string(key)]; ok && k >= from {
			first[string(key)] = i
		}
	}
	same := make([]int, n)
	for i := range from {
		same[i] = i
	}
	for j := from; j < n; j++ {
		same[j] = first[string(vecKey(key[:0], row(j)))]
	}
	return same
}

// rowOf returns the function giving row i of m.
func rowOf(m *mat.Dense) func(int) []float32 {
	return func(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }
}

// vecKey appends v's bits to buf, little-endian: equal keys are bitwise-equal vectors (0 and -0
// differ).
func vecKey(buf []byte, v []float32) []byte {
	for _, x := range v {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
	}
	return buf
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
