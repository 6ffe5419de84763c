package knn

// candidate is one neighbour being ranked: its rank key (smaller is closer) and reference index.
type candidate struct {
	key float64
	idx int
}

// worse orders candidates: a is worse than b when its key is larger, or equal with a larger index.
func worse(a, b candidate) bool {
	return a.key > b.key || (a.key == b.key && a.idx > b.idx)
}

// topK keeps the k best candidates seen so far in a max-heap on worse (the worst on top).
type topK struct {
	k    int
	heap []candidate
}

// reset empties t for a new query.
func (t *topK) reset() { t.heap = t.heap[:0] }

// push offers c. References are offered in increasing index order, so a candidate that ties the
// current worst on key is never better than it.
func (t *topK) push(c candidate) {
	h := t.heap
	if len(h) < t.k {
		h = append(h, c)
		// Sift up.
		i := len(h) - 1
		for i > 0 {
			parent := (i - 1) / 2
			if !worse(h[i], h[parent]) {
				break
			}
			h[i], h[parent] = h[parent], h[i]
			i = parent
		}
		t.heap = h
		return
	}
	if !worse(h[0], c) {
		return
	}
	h[0] = c
	t.siftDown(0, len(h))
}

// full reports whether t holds k candidates, so that bound() is meaningful.
func (t *topK) full() bool { return len(t.heap) == t.k }

// bound is the key of the worst kept candidate.
func (t *topK) bound() float64 { return t.heap[0].key }

// siftDown restores the heap property below i within h[:n].
func (t *topK) siftDown(i, n int) {
	h := t.heap
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l
		if r := l + 1; r < n && worse(h[r], h[l]) {
			w = r
		}
		if !worse(h[w], h[i]) {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// sorted sorts the kept candidates best first, in place (heap sort), and returns them.
func (t *topK) sorted() []candidate {
	h := t.heap
	for n := len(h) - 1; n > 0; n-- {
		h[0], h[n] = h[n], h[0]
		t.siftDown(0, n)
	}
	return h
}
