package knn

import (
	"math"
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

// TestTopK32Estimates offers float32 estimates within eps of exact keys (many of them tied) and
// checks that the exact k best are among the candidates kept, and that few are kept.
func TestTopK32Estimates(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, k := range []int{1, 5, 100} {
		for _, n := range []int{k, 4*k + 3, 60 * k} {
			for _, eps := range []float64{1e-9, 0.01, 0.5} {
				exact := make([]candidate, n)
				for i := range exact {
					exact[i] = candidate{key: float64(rng.Intn(50))/50 - 0.5, idx: i}
				}
				tk := newTopK32(k)
				bound := eps + 0x1p-24 // The estimates are rounded to float32 too.
				tk.reset(bound)
				for _, c := range exact {
					est := float32(c.key + (2*rng.Float64()-1)*eps)
					if float64(est) < tk.bound {
						tk.push(encKey(est, uint32(c.idx)))
					}
				}
				var got []candidate
				for _, x := range tk.final() {
					if e := float64(decKey(x)); math.Abs(e-exact[int(uint32(x))].key) > bound {
						t.Fatalf("decoded estimate %v of %d is %v away from %v", e, uint32(x), e-exact[int(uint32(x))].key, exact[int(uint32(x))].key)
					}
					got = append(got, exact[int(uint32(x))])
				}
				got = bestSorted(got, k)
				want := bestSorted(append([]candidate(nil), exact...), k)
				if len(got) != len(want) {
					t.Fatalf("k=%d n=%d eps=%v: %d candidates, want %d", k, n, eps, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("k=%d n=%d eps=%v: rank %d = %v, want %v", k, n, eps, i, got[i], want[i])
					}
				}
				if eps < 1e-6 && n > 4*k && len(tk.buf) > n/2 {
					t.Errorf("k=%d n=%d eps=%v: %d candidates kept", k, n, eps, len(tk.buf))
				}
			}
		}
	}
}

// TestEncKeyOrder checks that encoded keys order like (key, index).
func TestEncKeyOrder(t *testing.T) {
	keys := []float32{float32(math.Inf(-1)), -3e38, -1, -1e-40, 0, 1e-40, 0.5, 1, 3e38, float32(math.Inf(1))}
	for i := range keys {
		for j := range keys {
			for _, ij := range [][2]int{{1, 2}, {2, 1}, {7, 7}} {
				a, b := encKey(keys[i], uint32(ij[0])), encKey(keys[j], uint32(ij[1]))
				want := keys[i] < keys[j] || (keys[i] == keys[j] && ij[0] < ij[1])
				if (a < b) != want {
					t.Fatalf("enc(%v, %d) < enc(%v, %d) = %v", keys[i], ij[0], keys[j], ij[1], a < b)
				}
				if decKey(a) != keys[i] {
					t.Fatalf("decKey(encKey(%v)) = %v", keys[i], decKey(a))
				}
			}
		}
	}
}
