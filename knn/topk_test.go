package knn

import (
	"math/rand"
	"sort"
	"testing"
)

// TestTopKMatchesSort offers candidates in increasing index order, as Search does, with keys
// drawn from a few values (many ties) and checks the k kept against a full sort.
func TestTopKMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, k := range []int{1, 2, 3, 10, 100} {
		for _, n := range []int{1, k, k + 1, 3*k + 17, 50 * k} {
			for _, distinct := range []int{1, 3, 1000} {
				all := make([]candidate, n)
				for i := range all {
					all[i] = candidate{key: float64(rng.Intn(distinct)), idx: i}
				}
				tk := newTopK(k)
				for _, c := range all {
					if c.key < tk.bound {
						tk.push(c)
					}
				}
				got := tk.sorted()
				sort.Slice(all, func(a, b int) bool { return less(all[a], all[b]) })
				want := all[:min(k, n)]
				if len(got) != len(want) {
					t.Fatalf("k=%d n=%d: kept %d, want %d", k, n, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("k=%d n=%d distinct=%d: rank %d = %v, want %v", k, n, distinct, i, got[i], want[i])
					}
				}
			}
		}
	}
}
