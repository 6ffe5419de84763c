package golden

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/losses"
	"github.com/gometric/gometric/miners"
)

func init() { sectionCheckers["miners"] = checkMinerCase }

type minerSpec struct {
	Miner    string         `json:"miner"`
	Params   map[string]any `json:"params"`
	Distance map[string]any `json:"distance"`
	Kind     string         `json:"kind"`
}

type minerCase struct {
	Name          string      `json:"name"`
	Spec          minerSpec   `json:"spec"`
	Embeddings    [][]float64 `json:"embeddings"`
	Labels        []int       `json:"labels"`
	RefEmbeddings [][]float64 `json:"ref_embeddings"`
	RefLabels     []int       `json:"ref_labels"`
	PosPairs      [][]int     `json:"pos_pairs"`
	NegPairs      [][]int     `json:"neg_pairs"`
	Triplets      [][]int     `json:"triplets"`
}

// runMiner runs the miner in float64 and returns its pair weights and, for a triplet miner, the
// triplet mask.
func runMiner(m miners.PairMiner, c *minerCase, triplets bool) (pos, neg [][]float64, tri [][][]bool, err error) {
	defer recoverError(&err)
	args := []any{tensors.FromValue(c.Embeddings)}
	if c.RefEmbeddings != nil {
		args = append(args, tensors.FromValue(c.RefEmbeddings))
	}
	exec, err := graph.NewExecAny(backend.MustShared(), func(inputs []*graph.Node) []*graph.Node {
		g := inputs[0].Graph()
		in := losses.Inputs{Embeddings: inputs[0], Labels: graph.Const(g, c.Labels)}
		if len(inputs) > 1 {
			in.Ref, in.RefLabels = inputs[1], graph.Const(g, c.RefLabels)
		}
		p, n := m.Mine(in)
		outs := []*graph.Node{p, n}
		if triplets {
			outs = append(outs, m.(miners.TripletMiner).MineTriplets(in))
		}
		return outs
	})
	if err != nil {
		return nil, nil, nil, err
	}
	outs, err := exec.Exec(args...)
	if err != nil {
		return nil, nil, nil, err
	}
	pos, neg = outs[0].Value().([][]float64), outs[1].Value().([][]float64)
	if triplets {
		tri = outs[2].Value().([][][]bool)
	}
	return pos, neg, tri, nil
}

// pairSet lists the (i, j) with a nonzero weight, as "i,j" strings, each repeated by its count.
func pairSet(w [][]float64) []string {
	var out []string
	for i, row := range w {
		for j, v := range row {
			for k := 0; k < int(v); k++ {
				out = append(out, fmt.Sprintf("%d,%d", i, j))
			}
		}
	}
	sort.Strings(out)
	return out
}

func wantSet(tuples [][]int) []string {
	out := make([]string, len(tuples))
	for i, t := range tuples {
		s := make([]string, len(t))
		for k, v := range t {
			s[k] = fmt.Sprint(v)
		}
		out[i] = strings.Join(s, ",")
	}
	sort.Strings(out)
	return out
}

// diffSets describes how got differs from want (both sorted multisets), or returns "".
func diffSets(what string, got, want []string) string {
	count := map[string]int{}
	for _, s := range got {
		count[s]++
	}
	for _, s := range want {
		count[s]--
	}
	var extra, missing []string
	for s, c := range count {
		for ; c > 0; c-- {
			extra = append(extra, "("+s+")")
		}
		for ; c < 0; c++ {
			missing = append(missing, "("+s+")")
		}
	}
	if len(extra) == 0 && len(missing) == 0 {
		return ""
	}
	sort.Strings(extra)
	sort.Strings(missing)
	const show = 6
	if len(extra) > show {
		extra = append(extra[:show], "...")
	}
	if len(missing) > show {
		missing = append(missing[:show], "...")
	}
	return fmt.Sprintf("%s: %d got, %d want; extra %v, missing %v", what, len(got), len(want), extra, missing)
}

func checkMinerCase(raw json.RawMessage) outcome {
	var c minerCase
	if err := json.Unmarshal(raw, &c); err != nil {
		return fail("decoding case: %v", err)
	}
	if c.Spec.Kind != "" && c.Spec.Kind != "labels" && c.Spec.Kind != "ref" {
		return skip("miner kind %s not implemented", c.Spec.Kind)
	}
	m, err := buildMiner(c.Spec)
	if err != nil {
		return buildOutcome(err, "building the miner: ")
	}
	triplets := c.Triplets != nil
	if _, ok := m.(miners.TripletMiner); triplets && !ok {
		return fail("case expects triplets but %s is a pair miner", c.Spec.Miner)
	}
	pos, neg, tri, err := runMiner(m, &c, triplets)
	if err != nil {
		return fail("mining: %v", err)
	}
	var problems []string
	add := func(s string) {
		if s != "" {
			problems = append(problems, s)
		}
	}
	if triplets {
		var got []string
		for a := range tri {
			for p := range tri[a] {
				for n, v := range tri[a][p] {
					if v {
						got = append(got, fmt.Sprintf("%d,%d,%d", a, p, n))
					}
				}
			}
		}
		sort.Strings(got)
		add(diffSets("triplets", got, wantSet(c.Triplets)))
		// Mine must be the triplets' pairs, with multiplicity (PML's convert_to_pairs).
		var wantPos, wantNeg [][]int
		for _, t := range c.Triplets {
			wantPos, wantNeg = append(wantPos, []int{t[0], t[1]}), append(wantNeg, []int{t[0], t[2]})
		}
		add(diffSets("pairs of the triplets: positives", pairSet(pos), wantSet(wantPos)))
		add(diffSets("pairs of the triplets: negatives", pairSet(neg), wantSet(wantNeg)))
	} else {
		add(diffSets("pos_pairs", pairSet(pos), wantSet(c.PosPairs)))
		add(diffSets("neg_pairs", pairSet(neg), wantSet(c.NegPairs)))
	}
	return failOrMatch(problems)
}

// TestMinerCheckerCanFail makes sure the miners checker rejects a selection with one pair or triplet
// too many or too few.
func TestMinerCheckerCanFail(t *testing.T) {
	f, err := Load("../../testdata/golden/pml-2.8.1.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 6} { // A pairs case and a triplets case.
		var raw map[string]any
		if err := json.Unmarshal(f.Sections["miners"][i], &raw); err != nil {
			t.Fatal(err)
		}
		if o := checkMinerCase(mustJSON(t, raw)); o.status != matched {
			t.Fatalf("case %d unmodified: %v %s", i, o.status, o.detail)
		}
		key := "pos_pairs"
		if _, ok := raw["triplets"]; ok {
			key = "triplets"
		}
		dropped := cloneCase(t, raw)
		dropped[key] = dropped[key].([]any)[1:]
		if o := checkMinerCase(mustJSON(t, dropped)); o.status != failed {
			t.Errorf("case %d with one %s dropped: got status %v, want failed", i, key, o.status)
		}
	}
}
