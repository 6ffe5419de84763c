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
				got := tk.sorted(nil)
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

// TestTopKEstimates offers estimates within eps of the exact keys (many of them tied) and checks
// that the exact k best come out once exact restores the exact keys.
func TestTopKEstimates(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, k := range []int{1, 5, 100} {
		for _, n := range []int{k, 4*k + 3, 60 * k} {
			for _, eps := range []float64{1e-9, 0.01, 0.5} {
				exact := make([]candidate, n)
				for i := range exact {
					exact[i] = candidate{key: float64(rng.Intn(50)) / 50, idx: i}
				}
				tk := newTopK(k)
				tk.reset(eps)
				exactCalls := 0
				for _, c := range exact {
					est := c
					est.key += (2*rng.Float64() - 1) * eps
					if est.key < tk.bound {
						tk.push(est)
					}
				}
				got := tk.sorted(func(c []candidate) {
					exactCalls += len(c)
					for i := range c {
						c[i].key = exact[c[i].idx].key
					}
				})
				sort.Slice(exact, func(a, b int) bool { return less(exact[a], exact[b]) })
				for i := range got {
					if got[i] != exact[i] {
						t.Fatalf("k=%d n=%d eps=%v: rank %d = %v, want %v", k, n, eps, i, got[i], exact[i])
					}
				}
				if len(got) != k {
					t.Fatalf("k=%d n=%d: got %d", k, n, len(got))
				}
				if eps < 1e-6 && n > 4*k && exactCalls > n/2 {
					t.Errorf("k=%d n=%d eps=%v: %d exact keys computed", k, n, eps, exactCalls)
				}
			}
		}
	}
}
