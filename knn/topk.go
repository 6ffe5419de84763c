package knn

import (
	"math"
	"slices"
)

// candidate is one neighbour being ranked: its rank key (smaller is closer) and reference index.
type candidate struct {
	key float64
	idx int
}

// less orders candidates: a is better than b when its key is smaller, or equal with a smaller
// index.
func less(a, b candidate) bool {
	return a.key < b.key || (a.key == b.key && a.idx < b.idx)
}

// topK keeps the k best candidates seen so far among more: a buffer of up to 2k candidates (at
// least k+16), each with a key below bound when it was offered. When the buffer is full, the k
// best are selected (quickselect, O(k)) and bound becomes the key of the worst of them, so that a
// candidate costs one comparison and, when it passes, one append; the selection is amortised over
// the k or more appends between two selections. (The float32 filter keeps its estimates in
// topK32, filter.go.)
type topK struct {
	k     int
	buf   []candidate
	bound float64 // a candidate needs a smaller key; +Inf until the first selection
}

// newTopK returns an empty topK for k candidates.
func newTopK(k int) topK {
	return topK{k: k, buf: make([]candidate, 0, max(2*k, k+16)), bound: math.Inf(1)}
}

// reset empties t for a new query.
func (t *topK) reset() {
	t.buf = t.buf[:0]
	t.bound = math.Inf(1)
}

// push offers c, whose key is below t.bound. References are offered in increasing index order,
// so a candidate whose key ties the bound is never better than the kept candidate that set it,
// and is rejected before push. It reports whether t.bound changed.
func (t *topK) push(c candidate) bool {
	t.buf = append(t.buf, c)
	if len(t.buf) < cap(t.buf) {
		return false
	}
	selectK(t.buf, t.k)
	t.buf = t.buf[:t.k]
	t.bound = t.buf[t.k-1].key
	return true
}

// sorted returns the (up to) k best candidates, best first, sharing memory with t.
func (t *topK) sorted() []candidate {
	return bestSorted(t.buf, t.k)
}

// bestSorted reorders c so that its (up to) k best candidates come first, sorted best first, and
// returns them.
func bestSorted(c []candidate, k int) []candidate {
	if len(c) > k {
		selectK(c, k)
		c = c[:k]
	}
	slices.SortFunc(c, func(a, b candidate) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	})
	return c
}

// selectK reorders c so that c[:k] holds its k best candidates and c[k-1] is the worst of them
// (Hoare quickselect with a median-of-three pivot; candidates are distinct by index, so less is a
// strict total order).
func selectK(c []candidate, k int) {
	lo, hi := 0, len(c)-1
	n := k - 1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if less(c[mid], c[lo]) {
			c[mid], c[lo] = c[lo], c[mid]
		}
		if less(c[hi], c[lo]) {
			c[hi], c[lo] = c[lo], c[hi]
		}
		if less(c[hi], c[mid]) {
			c[hi], c[mid] = c[mid], c[hi]
		}
		pivot := c[mid]
		i, j := lo, hi
		for i <= j {
			for less(c[i], pivot) {
				i++
			}
			for less(pivot, c[j]) {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		switch {
		case n <= j:
			hi = j
		case n >= i:
			lo = i
		default:
			return
		}
	}
}

// b2i is 1 for true and 0 for false.
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}
