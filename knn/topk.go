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
// best are selected (quickselect, O(k)) and bound is lowered, so that a candidate costs one
// comparison and, when it passes, one append; the selection is amortised over the k or more
// appends between two selections.
//
// With eps = 0 the keys are exact and a selection keeps exactly the k best. With eps > 0 the
// keys are estimates within eps of the exact keys (the float32 filter, filter.go): a selection
// then keeps every candidate whose estimate is within 2·eps of the k-th best estimate, which holds
// the exact k best, and final computes the exact keys of those alone.
type topK struct {
	k     int
	eps   float64
	buf   []candidate
	bound float64 // a candidate needs a smaller key; +Inf until the first selection
}

// newTopK returns an empty topK for k candidates.
func newTopK(k int) topK {
	return topK{k: k, buf: make([]candidate, 0, max(2*k, k+16)), bound: math.Inf(1)}
}

// reset empties t for a new query whose keys are within eps of the exact keys.
func (t *topK) reset(eps float64) {
	t.buf = t.buf[:0]
	t.eps = eps
	t.bound = math.Inf(1)
}

// push offers c, whose key is below t.bound. References are offered in increasing index order,
// so a candidate whose exact key ties the bound set by an exact selection is never better than
// the kept candidate that set it, and is rejected before push. It reports whether t.bound changed.
func (t *topK) push(c candidate) bool {
	t.buf = append(t.buf, c)
	if len(t.buf) < cap(t.buf) {
		return false
	}
	t.shrink()
	return true
}

// shrink selects the k best candidates (and, with estimates, those that may be among the k best)
// and lowers the bound.
func (t *topK) shrink() {
	selectK(t.buf, t.k)
	kth := t.buf[t.k-1].key
	if t.eps == 0 {
		t.buf = t.buf[:t.k]
		t.bound = kth
		return
	}
	// At least k candidates have exact keys <= kth+eps, so the exact k-th best key is at most
	// that; a candidate whose estimate exceeds kth+2·eps has an exact key above it.
	band := math.Nextafter(kth+2*t.eps, math.Inf(1))
	n := t.k
	for _, c := range t.buf[t.k:] {
		if c.key <= band {
			t.buf[n] = c
			n++
		}
	}
	t.buf = t.buf[:n]
	t.bound = min(t.bound, math.Nextafter(band, math.Inf(1)))
	if n > cap(t.buf)-max(t.k/2, 8) { // Many estimates within the band: make room.
		t.buf = append(make([]candidate, 0, 2*cap(t.buf)), t.buf...)
	}
}

// sorted returns the (up to) k best candidates, best first, sharing memory with t. With
// estimates, exact computes the exact keys of the candidates left (in place) first.
func (t *topK) sorted(exact func([]candidate)) []candidate {
	if t.eps != 0 {
		if len(t.buf) > t.k {
			t.shrink()
		}
		exact(t.buf)
	}
	if len(t.buf) > t.k {
		selectK(t.buf, t.k)
		t.buf = t.buf[:t.k]
	}
	slices.SortFunc(t.buf, func(a, b candidate) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	})
	return t.buf
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
