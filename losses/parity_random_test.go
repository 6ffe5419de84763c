package losses_test

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

// checkParityFrequencies compares a random miner with PML by selection frequencies: it draws
// c.Draws times from a GoMLX RNG state seeded with seed (threaded from draw to draw through
// MineRandom / DrawTriplets), counts each tuple as the golden file does, and compares the two count
// tables.
//
// Exact part: the tuples form groups whose totals do not depend on the draws — each anchor's triplets
// for DistanceWeighted (n_p per draw), and the positive and the negative pairs for UniformHistogram
// (per_bin per non-empty bin per draw) — and each group's total must equal PML's.
//
// Statistical part: within a group the counts of both sides are multinomial samples of equal size
// (the draws are independent: torch.randint/multinomial in PML, an RNG in gometric). Under "same
// distribution" the two-sample chi-square statistic X² = Σ (O_gometric − O_pml)² / (O_gometric + O_pml)
// over the tuples that either side selected is approximately χ² with df = Σ_groups (tuples − 1)
// degrees of freedom (for UniformHistogram the true df is smaller by the number of bins, since the
// bins are groups too; using the larger df only loosens the test by a few units). The check fails when
// X² > df + 6·√(2·df), six standard deviations of χ²_df above its mean: a correct miner fails with a
// probability far below 1e-6 (the normal approximation is conservative here, and the cells' small
// counts only lower the variance of X²), while a wrong distribution adds about Σ (p − q)²·draws/(p + q)
// per tuple — TestParityFrequenciesCanFail shows that modest changes of one option exceed the bound
// many times over.
func checkParityFrequencies(c *parityMinerCase, seed int64) (problems []string) {
	text, err := minerSpecString(c)
	if err != nil {
		return []string{err.Error()}
	}
	m, err := miners.Parse(text)
	if err != nil {
		return []string{fmt.Sprintf("Parse(%q): %v", text, err)}
	}
	rm, ok := m.(miners.RandomMiner)
	if !ok {
		return []string{fmt.Sprintf("%T is not a miners.RandomMiner", m)}
	}
	dw, triplets := m.(*miners.DistanceWeighted)
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, fmt.Sprintf("panic: %v", r))
		}
	}()
	exec, err := graph.NewExecAny(backend.MustShared(), func(in []*graph.Node) []*graph.Node {
		li := losses.Inputs{Embeddings: in[0], Labels: graph.Const(in[0].Graph(), c.Labels)}
		if triplets {
			rng, p, n, valid := dw.DrawTriplets(in[1], li)
			return []*graph.Node{rng, p, n, valid}
		}
		rng, p, n := rm.MineRandom(in[1], li)
		return []*graph.Node{rng, p, n}
	})
	if err != nil {
		return []string{err.Error()}
	}
	state, err := graph.RNGStateFromSeed(seed)
	if err != nil {
		return []string{err.Error()}
	}
	emb := tensors.FromValue(c.Embeddings)
	got := map[string]int{}
	for range c.Draws {
		outs, err := exec.Exec(emb, state)
		if err != nil {
			return []string{err.Error()}
		}
		state = outs[0]
		if triplets {
			p, n, valid := outs[1].Value().([][]int32), outs[2].Value().([][]int32), outs[3].Value().([][]bool)
			for a := range valid {
				for t, v := range valid[a] {
					if v {
						got[fmt.Sprintf("(%d, %d, %d)", a, p[a][t], n[a][t])]++
					}
				}
			}
			continue
		}
		for k, what := range []string{"pos", "neg"} {
			for i, row := range outs[1+k].Value().([][]float64) {
				for j, x := range row {
					if x != 0 {
						got[fmt.Sprintf("%s (%d, %d)", what, i, j)] += int(x)
					}
				}
			}
		}
	}
	return compareFrequencies(got, c.Frequencies, triplets)
}

// compareFrequencies applies checkParityFrequencies' exact and statistical comparisons to two count
// tables; group keys are the anchor of a triplet or the kind of a pair.
func compareFrequencies(got, want map[string]int, triplets bool) []string {
	group := func(key string) string {
		if triplets {
			return "anchor " + strings.TrimPrefix(strings.SplitN(key, ",", 2)[0], "(")
		}
		return strings.SplitN(key, " ", 2)[0] // "pos" or "neg"
	}
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	totals := map[string][2]int{}
	cells := map[string]int{}
	var chi2 float64
	var onlyGot, onlyWant []string
	for k := range keys {
		g, w := got[k], want[k]
		t := totals[group(k)]
		totals[group(k)] = [2]int{t[0] + g, t[1] + w}
		cells[group(k)]++
		chi2 += float64((g-w)*(g-w)) / float64(g+w)
		if w == 0 && g >= 10 {
			onlyGot = append(onlyGot, fmt.Sprintf("%s×%d", k, g))
		}
		if g == 0 && w >= 10 {
			onlyWant = append(onlyWant, fmt.Sprintf("%s×%d", k, w))
		}
	}
	var problems []string
	var groups []string
	for gk := range totals {
		groups = append(groups, gk)
	}
	sort.Strings(groups)
	df := 0
	for _, gk := range groups {
		if t := totals[gk]; t[0] != t[1] {
			problems = append(problems, fmt.Sprintf("%s: %d selections, PML %d", gk, t[0], t[1]))
		}
		df += cells[gk] - 1
	}
	bound := float64(df) + 6*math.Sqrt(2*float64(df))
	if chi2 > bound {
		sort.Strings(onlyGot)
		sort.Strings(onlyWant)
		problems = append(problems, fmt.Sprintf("chi-square %.1f > %.1f (df %d): distributions differ; selected ≥10 times only here %v, only by PML %v", chi2, bound, df, head(onlyGot), head(onlyWant)))
	}
	return problems
}

// TestParityFrequenciesCanFail makes sure the frequency check rejects each random miner with one
// option changed (the selections then follow another distribution), and passes it with another seed.
func TestParityFrequenciesCanFail(t *testing.T) {
	if testing.Short() {
		t.Skip("draws 2,000 times per case")
	}
	f := loadParity(t)
	n := 0
	for _, raw := range f.Miners {
		var c parityMinerCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		if c.Frequencies == nil {
			continue
		}
		n++
		if p := checkParityFrequencies(&c, 12345); len(p) > 0 {
			t.Errorf("%s with seed 12345: %v", c.Name, p)
		}
		params := c.Spec["params"].(map[string]any)
		switch c.Spec["miner"] {
		case "DistanceWeightedMiner":
			params["nonzero_loss_cutoff"] = 1.3 // Drops the farthest negatives.
		case "UniformHistogramMiner":
			params["num_bins"] = 8.0 // Other bins, other per-bin shares.
		default:
			t.Fatalf("%s: no modification for %v", c.Name, c.Spec["miner"])
		}
		if p := checkParityFrequencies(&c, 12345); len(p) == 0 {
			t.Errorf("%s with %v: the check passed, want a failure", c.Name, params)
		} else {
			t.Logf("%s modified: %v", c.Name, p)
		}
	}
	if n != 2 {
		t.Errorf("%d frequency cases, want 2", n)
	}
}
