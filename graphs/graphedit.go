package graphs

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gometric/gometric/eval"
)

// Defaults and sizes of the graph edit distance benchmark (see GraphEdit).
const (
	// GraphEditNodes is the paper's n for the compared Table 1 row: 20 nodes.
	GraphEditNodes = 20
	// GraphEditEdgeProb is the paper's p for the compared Table 1 row: 0.2.
	GraphEditEdgeProb = 0.2
	// GraphEditPositiveEdits is the paper's k_p: a positive is 1 edge substitution away.
	GraphEditPositiveEdits = 1
	// GraphEditNegativeEdits is the paper's k_n: a negative is 2 edge substitutions away.
	GraphEditNegativeEdits = 2
	// GraphEditEvalSize is the size of the paper's fixed evaluation sets: 1,000 pairs and 1,000
	// triplets.
	GraphEditEvalSize = 1000
	// GraphEditConnectTries is how many times a graph is sampled, at most, until it is connected
	// (the authors' code gives up after 100).
	GraphEditConnectTries = 100
)

// GraphEditConfig sets the distribution of the graph edit distance benchmark. The zero value is
// not valid; start from DefaultGraphEditConfig.
type GraphEditConfig struct {
	// Nodes is n, the number of nodes of every graph (default GraphEditNodes, 20).
	Nodes int
	// EdgeProb is p, the probability of each of the n(n−1)/2 possible edges (default 0.2).
	EdgeProb float64
	// PositiveEdits is k_p, the edges substituted to make a positive (default 1).
	PositiveEdits int
	// NegativeEdits is k_n, the edges substituted to make a negative (default 2); more than k_p.
	NegativeEdits int
	// KeepNodeOrder keeps the anchor's nodes in the order they were generated, the same as its
	// substituted copies'. By default (false) the anchor's nodes are randomly permuted, as in the
	// authors' code, so that no model can compare graphs node by node.
	KeepNodeOrder bool
}

// DefaultGraphEditConfig returns the paper's setting for the compared Table 1 row: n = 20,
// p = 0.2, k_p = 1, k_n = 2, anchor nodes permuted.
func DefaultGraphEditConfig() GraphEditConfig {
	return GraphEditConfig{
		Nodes:         GraphEditNodes,
		EdgeProb:      GraphEditEdgeProb,
		PositiveEdits: GraphEditPositiveEdits,
		NegativeEdits: GraphEditNegativeEdits,
	}
}

// Validate checks that c describes graphs that can be generated.
func (c GraphEditConfig) Validate() error {
	n := c.Nodes
	switch {
	case n < 2:
		return fmt.Errorf("graphs: graph edit: %d nodes, want at least 2", n)
	case n > DefaultMaxNodes:
		return fmt.Errorf("graphs: graph edit: %d nodes, more than the limit of %d", n, DefaultMaxNodes)
	case math.IsNaN(c.EdgeProb) || c.EdgeProb <= 0 || c.EdgeProb > 1:
		return fmt.Errorf("graphs: graph edit: edge probability %v, want 0 < p ≤ 1", c.EdgeProb)
	case c.PositiveEdits < 0:
		return fmt.Errorf("graphs: graph edit: %d positive edits, want at least 0", c.PositiveEdits)
	case c.NegativeEdits <= c.PositiveEdits:
		return fmt.Errorf("graphs: graph edit: %d negative edits, want more than the %d positive edits", c.NegativeEdits, c.PositiveEdits)
	case 2*c.NegativeEdits > n*(n-1)/2:
		return fmt.Errorf("graphs: graph edit: %d edge substitutions need %d edges and as many non-edges, more than the %d possible edges of %d nodes", c.NegativeEdits, c.NegativeEdits, n*(n-1)/2, n)
	}
	return nil
}

// Triplet is one triplet of the graph edit distance benchmark: Anchor is G (nodes permuted unless
// GraphEditConfig.KeepNodeOrder), Positive is G with k_p edges substituted, Negative G with k_n.
type Triplet struct {
	Anchor, Positive, Negative *Graph
}

// GraphEdit generates the graph edit distance benchmark of Li, Gu, Dullien, Vinyals and Kohli,
// "Graph Matching Networks for Learning the Similarity of Graph Structured Objects", ICML 2019,
// PMLR 97 (arXiv:1904.12787): section 4.1 "Learning Graph Edit Distances", Table 1 (page 6) and
// appendix B.1.
//
// Data. A graph G is an Erdős–Rényi (binomial) graph with n nodes and edge probability p. A
// positive example is G with k_p edges substituted (k_p existing edges removed, k_p edges that G
// does not have added), a negative example is G with k_n edges substituted, k_p < k_n; the paper
// fixes k_p = 1 and k_n = 2 for Table 1. The paper's text does not say more; the authors' code
// (deepmind-research, graph_matching_networks: GraphEditDistanceDataset) also
//
//   - samples G again until it is connected (at most 100 tries);
//   - does not require the substituted graphs to stay connected;
//   - draws the removed edges among G's edges and the added ones among G's non-edges, all
//     distinct, so a substituted graph has exactly as many edges as G;
//   - randomly permutes the nodes of the anchor G (not of the substituted graphs), so that the
//     node order tells nothing;
//   - makes pairs alternately positive and negative (the first positive), each from a new G,
//     and triplets (G, G1, G2) with G1 the positive and G2 the negative of one G;
//   - gives nodes and edges constant features, vectors of ones (appendix B.1: the graphs have no
//     features; x_i = 1 and an input linear layer).
//
// GraphEdit follows all of it. Graphs here have one node feature, 1.0 per node, and no edge
// labels or features: with GIN's input layer (DenseWithBias) this is the paper's linear layer on
// constant node vectors, and messages carry no edge input, as the paper's identity edge encoder
// of constant vectors does not tell edges apart either.
//
// Evaluation (section 4.1): pair AUC, the area under the ROC curve of the similarity scores of a
// fixed set of 1,000 pairs (PairAUC), and triplet accuracy, the fraction of a fixed set of 1,000
// triplets in which sim(G, G1) > sim(G, G2) (TripletAccuracy).
//
// Paper figures to compare with (Table 1, "pair AUC / triplet accuracy (×100)", models trained
// and evaluated on the same distribution, n = 20, p = 0.2, k_p = 1, k_n = 2; node vectors of 32,
// graph vectors of 128, T = 5 propagation steps):
//
//	WL kernel (best T ≤ 5)              80.8 / 83.2
//	GNN (graph embedding, siamese)      88.8 / 94.0
//	GMN (graph matching network)        95.0 / 95.6
//
// (Figures read from the paper's text, ICML version, Table 1.) As a check that the data here has
// the paper's difficulty, TestGraphEditBaselines scores 1,000 pairs and 1,000 triplets of seed
// 2019 with the paper's baseline, a Weisfeiler–Lehman subtree kernel from node degrees
// (normalized): best T = 1 gives 79.6 / 83.0, against the paper's 80.8 / 83.2. The cosine of
// degree histograms gives 70.5 / 68.5.
// (The other rows: n = 20, p = 0.5: 74.5/78.0, 92.1/93.4, 96.6/98.0; n = 50, p = 0.2:
// 93.9/97.8, 95.9/97.2, 97.4/97.6; n = 50, p = 0.5: 82.3/89.0, 88.5/91.0, 93.8/92.6.) The GNN
// row is the one to compare gometric's GIN with: it embeds each graph independently, as
// gometric does; the GMN attends across the two graphs of a pair and cannot index single graphs.
//
// The pairs and triplets come as a deterministic stream, drawn with math/rand/v2's PCG from a
// seed: the same configuration and seed give the same graphs, call after call, on every platform.
// A GraphEdit is not safe for concurrent use.
//
// Graphs share their node features (read-only). Graph ids name where a graph comes from: pair i is "p<i>" (anchor) and "p<i>+<k>" (k edges
// substituted), triplet i "t<i>", "t<i>+<k_p>" and "t<i>+<k_n>", with i counted from 0 per
// stream. Graphs have no class label. Each graph's edges are listed once as [u, v] with u < v,
// in increasing order.
type GraphEdit struct {
	cfg                GraphEditConfig
	rng                *rand.Rand
	nPairs, nTriplets  int
	nonEdges           [][2]int    // scratch
	present            []bool      // scratch: the adjacency matrix, row-major
	perm, order, picks []int       // scratch
	ones               [][]float32 // the node features of every graph, shared
}

// NewGraphEdit returns a generator for cfg, seeded with seed.
func NewGraphEdit(cfg GraphEditConfig, seed uint64) (*GraphEdit, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &GraphEdit{cfg: cfg, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}, nil
}

// Config returns the generator's configuration.
func (ge *GraphEdit) Config() GraphEditConfig { return ge.cfg }

// NextPair returns the next pair: (G, G with k_p edges substituted), label 1, and (G, G with k_n
// edges substituted), label 0, alternately, the first positive; each pair has its own G. It is
// an error when no connected graph with enough edges and non-edges was drawn in
// GraphEditConnectTries tries (p too low, or too high for the substitutions).
func (ge *GraphEdit) NextPair() (Pair, error) {
	i := ge.nPairs
	positive := i%2 == 0
	k, label := ge.cfg.NegativeEdits, 0
	if positive {
		k, label = ge.cfg.PositiveEdits, 1
	}
	g, err := ge.graph()
	if err != nil {
		return Pair{}, err
	}
	changed := ge.substitute(g, k)
	ge.nPairs++
	id := fmt.Sprintf("p%d", i)
	return Pair{A: ge.anchor(g, id), B: ge.toGraph(changed, fmt.Sprintf("%s+%d", id, k)), Label: label}, nil
}

// NextTriplet returns the next triplet (G, G1, G2), G1 = G with k_p edges substituted and G2 = G
// with k_n edges substituted, each triplet with its own G. Errors are as for NextPair.
func (ge *GraphEdit) NextTriplet() (Triplet, error) {
	t, _, err := ge.nextTriplet()
	return t, err
}

// nextTriplet is NextTriplet that also returns the anchor's edges in generated node order.
func (ge *GraphEdit) nextTriplet() (Triplet, [][2]int, error) {
	g, err := ge.graph()
	if err != nil {
		return Triplet{}, nil, err
	}
	pos := ge.substitute(g, ge.cfg.PositiveEdits)
	neg := ge.substitute(g, ge.cfg.NegativeEdits)
	id := fmt.Sprintf("t%d", ge.nTriplets)
	ge.nTriplets++
	return Triplet{
		Anchor:   ge.anchor(g, id),
		Positive: ge.toGraph(pos, fmt.Sprintf("%s+%d", id, ge.cfg.PositiveEdits)),
		Negative: ge.toGraph(neg, fmt.Sprintf("%s+%d", id, ge.cfg.NegativeEdits)),
	}, g, nil
}

// Pairs returns the next n pairs of the stream (see NextPair).
func (ge *GraphEdit) Pairs(n int) ([]Pair, error) {
	out := make([]Pair, 0, n)
	for range n {
		p, err := ge.NextPair()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Triplets returns the next n triplets of the stream (see NextTriplet).
func (ge *GraphEdit) Triplets(n int) ([]Triplet, error) {
	out := make([]Triplet, 0, n)
	for range n {
		t, err := ge.NextTriplet()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// graph draws a connected G(n, p) graph with at least k_n edges and k_n non-edges, its edges
// [u, v], u < v, in increasing order.
func (ge *GraphEdit) graph() ([][2]int, error) {
	n, k := ge.cfg.Nodes, ge.cfg.NegativeEdits
	for range GraphEditConnectTries {
		var es [][2]int
		for u := range n {
			for v := u + 1; v < n; v++ {
				if ge.rng.Float64() < ge.cfg.EdgeProb {
					es = append(es, [2]int{u, v})
				}
			}
		}
		if len(es) >= k && n*(n-1)/2-len(es) >= k && connected(n, es) {
			return es, nil
		}
	}
	return nil, fmt.Errorf("graphs: graph edit: no connected graph of %d nodes with p = %v and room for %d edge substitutions in %d tries", n, ge.cfg.EdgeProb, k, GraphEditConnectTries)
}

// substitute returns g with k of its edges removed and k of its non-edges added, chosen uniformly
// without replacement; the result's edges are sorted.
func (ge *GraphEdit) substitute(g [][2]int, k int) [][2]int {
	n := ge.cfg.Nodes
	ge.present = slices.Grow(ge.present[:0], n*n)[:n*n]
	clear(ge.present)
	for _, e := range g {
		ge.present[e[0]*n+e[1]] = true
	}
	ge.nonEdges = ge.nonEdges[:0]
	for u := range n {
		for v := u + 1; v < n; v++ {
			if !ge.present[u*n+v] {
				ge.nonEdges = append(ge.nonEdges, [2]int{u, v})
			}
		}
	}
	remove := ge.sample(len(g), k)
	drop := make(map[int]bool, k)
	for _, i := range remove {
		drop[i] = true
	}
	out := make([][2]int, 0, len(g))
	for i, e := range g {
		if !drop[i] {
			out = append(out, e)
		}
	}
	for _, i := range ge.sample(len(ge.nonEdges), k) {
		out = append(out, ge.nonEdges[i])
	}
	slices.SortFunc(out, compareEdges)
	return out
}

// sample returns k distinct indices in [0, n), uniformly (a partial Fisher–Yates shuffle).
func (ge *GraphEdit) sample(n, k int) []int {
	ge.order = slices.Grow(ge.order[:0], n)[:n]
	for i := range ge.order {
		ge.order[i] = i
	}
	for i := range k {
		j := i + ge.rng.IntN(n-i)
		ge.order[i], ge.order[j] = ge.order[j], ge.order[i]
	}
	ge.picks = append(ge.picks[:0], ge.order[:k]...)
	return ge.picks
}

// anchor returns g as a Graph, its nodes permuted at random unless KeepNodeOrder.
func (ge *GraphEdit) anchor(g [][2]int, id string) *Graph {
	if ge.cfg.KeepNodeOrder {
		return ge.toGraph(g, id)
	}
	ge.perm = append(ge.perm[:0], ge.rng.Perm(ge.cfg.Nodes)...)
	es := make([][2]int, len(g))
	for i, e := range g {
		u, v := ge.perm[e[0]], ge.perm[e[1]]
		es[i] = [2]int{min(u, v), max(u, v)}
	}
	slices.SortFunc(es, compareEdges)
	return ge.toGraph(es, id)
}

// toGraph returns the Graph with edges es (not copied), nodes with the constant feature 1. The
// node features are shared by all the generator's graphs (read-only), which keeps a large set of
// generated graphs small.
func (ge *GraphEdit) toGraph(es [][2]int, id string) *Graph {
	if ge.ones == nil {
		one := []float32{1}
		ge.ones = make([][]float32, ge.cfg.Nodes)
		for i := range ge.ones {
			ge.ones[i] = one
		}
	}
	return &Graph{ID: id, NodeFeatures: ge.ones, Edges: es}
}

func compareEdges(a, b [2]int) int {
	if a[0] != b[0] {
		return a[0] - b[0]
	}
	return a[1] - b[1]
}

// connected reports whether the undirected graph of n nodes and edges es is connected.
func connected(n int, es [][2]int) bool {
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	components := n
	for _, e := range es {
		a, b := find(e[0]), find(e[1])
		if a != b {
			parent[a] = b
			components--
		}
	}
	return components == 1
}

// PairAUC returns the paper's pair AUC: the area under the ROC curve of similarity scores
// (higher = more alike) of pairs labelled 1 (similar) or 0 (not), ties counting one half; it is
// eval.ROCAUC. It is an error when the lengths differ, a score is not finite, a label is not 0 or
// 1, or only one label is present.
func PairAUC(similarities []float64, labels []int) (float64, error) {
	return eval.ROCAUC(eval.Similarities(similarities, labels))
}

// TripletAccuracy returns the paper's triplet accuracy: the fraction of triplets i in which the
// positive pair is more similar than the negative, positive[i] > negative[i] (similarities of
// (G, G1) and (G, G2)); a tie counts as a miss, since the positive is not assigned a higher
// similarity. It is an error when there are no triplets, the lengths differ or a score is NaN.
func TripletAccuracy(positive, negative []float64) (float64, error) {
	if len(positive) != len(negative) {
		return 0, fmt.Errorf("graphs: triplet accuracy: %d positive but %d negative similarities", len(positive), len(negative))
	}
	if len(positive) == 0 {
		return 0, errors.New("graphs: triplet accuracy: no triplets")
	}
	hits := 0
	for i, p := range positive {
		q := negative[i]
		if math.IsNaN(p) || math.IsNaN(q) {
			return 0, fmt.Errorf("graphs: triplet accuracy: triplet %d has a NaN similarity", i)
		}
		if p > q {
			hits++
		}
	}
	return float64(hits) / float64(len(positive)), nil
}

// PaperRow is one row of a published table: a method's pair AUC and triplet accuracy (fractions,
// not percentages).
type PaperRow struct {
	// Name names the method as the paper does.
	Name string
	// PairAUC and TripletAccuracy are the published figures.
	PairAUC, TripletAccuracy float64
}

// GraphEditTable1 are the rows of Li et al. 2019, Table 1, for n = 20, p = 0.2 (see GraphEdit):
// the WL kernel, the graph embedding model (a siamese GNN, the one to compare gometric's GIN
// with) and the graph matching network.
var GraphEditTable1 = []PaperRow{
	{Name: "WL kernel (Li et al. 2019, Table 1)", PairAUC: 0.808, TripletAccuracy: 0.832},
	{Name: "GNN graph embedding (Li et al. 2019, Table 1)", PairAUC: 0.888, TripletAccuracy: 0.940},
	{Name: "GMN graph matching (Li et al. 2019, Table 1)", PairAUC: 0.950, TripletAccuracy: 0.956},
}
