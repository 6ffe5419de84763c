package graphs

import (
	"cmp"
	"fmt"
	"slices"
)

// Budget is the static shape of a packed batch: Graphs graph slots, Nodes node slots and Edges
// message slots (an undirected edge takes two, see Graph.NumMessages). A compiled encoder graph
// is specific to one Budget (and schema and dtype), so the number of distinct budgets of a
// training run is the number of times it compiles.
type Budget struct {
	Graphs, Nodes, Edges int
}

// String returns "G graphs, N nodes, E edges".
func (b Budget) String() string {
	return fmt.Sprintf("%d graphs, %d nodes, %d edges", b.Graphs, b.Nodes, b.Edges)
}

// fits reports whether a batch of g graphs, n nodes and e messages fits b.
func (b Budget) fits(g, n, e int) bool { return g <= b.Graphs && n <= b.Nodes && e <= b.Edges }

// RoundUp returns the smallest size of the form m·2^k (m in 4, 5, 6, 7; k ≥ 0) that is at least n:
// 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, ... Four sizes per doubling: padding wastes
// less than 25% (and 12.5% on average), and totals that vary by ±10% around their mean fall in
// two or three sizes.
func RoundUp(n int) int {
	if n <= 4 {
		return 4
	}
	k := 0
	for n > 7<<k {
		k++
	}
	for m := 4; ; m++ {
		if m<<k >= n {
			return m << k
		}
	}
}

// The default bounds of the budgets of a Packer with no explicit limits.
const (
	// DefaultBudgetNodes is the default Packer.MaxNodes: the most node slots of one batch.
	DefaultBudgetNodes = 1 << 20
	// DefaultBudgetEdges is the default Packer.MaxEdges: the most message slots of one batch.
	DefaultBudgetEdges = 1 << 22
)

// Packer packs batches of graphs into Batches of static shape.
//
// The budget rule: with Fixed set, a batch gets the first budget of Fixed (sorted by Graphs,
// Nodes, Edges) that holds it; otherwise its budget is RoundUp of its graph count (or Graphs when
// set), of its total node count and of its total message count, within MaxNodes and MaxEdges.
// With a fixed batch size B (Graphs = B) the node total of a random batch is near B times the
// mean graph size, so a whole training run needs a handful of budgets (see Packer.Budgets); with
// Fixed set to a single budget it compiles once. A batch that fits no budget is an error naming
// the graph that overflows it.
type Packer struct {
	// Schema is what every packed graph carries; a graph with another schema is an error.
	Schema Schema
	// Vocab maps node and edge labels to ids; it is required when the schema has labels.
	Vocab *Vocab
	// Graphs, when > 0, is the number of graph slots of every batch (a batch may have fewer
	// graphs; the rest are padding).
	Graphs int
	// MaxNodes and MaxEdges bound the rounded budgets (0: DefaultBudgetNodes, DefaultBudgetEdges).
	MaxNodes, MaxEdges int
	// Fixed, when set, are the only budgets used.
	Fixed []Budget
}

// NewPacker returns a Packer for the schema and vocabulary of a training set, with the rounding
// rule and graphs slots fixed to batchSize (0: rounded too).
func NewPacker(schema Schema, vocab *Vocab, batchSize int) *Packer {
	return &Packer{Schema: schema, Vocab: vocab, Graphs: batchSize}
}

// BudgetFor returns the budget of a batch, by the rule of Packer; an error names the graph that
// does not fit.
func (p *Packer) BudgetFor(gs []*Graph) (Budget, error) {
	if len(gs) == 0 {
		return Budget{}, fmt.Errorf("graphs: packing an empty batch")
	}
	maxN, maxE, maxG := cmp.Or(p.MaxNodes, DefaultBudgetNodes), cmp.Or(p.MaxEdges, DefaultBudgetEdges), len(gs)
	if p.Graphs > 0 {
		maxG = p.Graphs
	}
	budgets := p.sortedBudgets()
	if len(budgets) > 0 {
		maxG, maxN, maxE = 0, 0, 0
		for _, b := range budgets {
			maxG, maxN, maxE = max(maxG, b.Graphs), max(maxN, b.Nodes), max(maxE, b.Edges)
		}
	}
	n, e := 0, 0
	for i, g := range gs {
		n += g.NumNodes()
		e += g.NumMessages()
		switch {
		case i >= maxG:
			return Budget{}, fmt.Errorf("graphs: graph %q (batch position %d): the batch has %d graphs, more than the budget's %d graph slots", g.ID, i, len(gs), maxG)
		case n > maxN:
			return Budget{}, fmt.Errorf("graphs: graph %q (batch position %d, %d nodes): the batch's nodes up to it total %d, more than the largest node budget %d", g.ID, i, g.NumNodes(), n, maxN)
		case e > maxE:
			return Budget{}, fmt.Errorf("graphs: graph %q (batch position %d, %d messages): the batch's messages up to it total %d, more than the largest edge budget %d", g.ID, i, g.NumMessages(), e, maxE)
		}
	}
	if len(budgets) > 0 {
		for _, b := range budgets {
			if b.fits(len(gs), n, e) {
				return b, nil
			}
		}
		return Budget{}, fmt.Errorf("graphs: no budget holds a batch of %d graphs, %d nodes and %d messages (first graph %q)", len(gs), n, e, gs[0].ID)
	}
	b := Budget{Graphs: p.Graphs, Nodes: min(RoundUp(n), maxN), Edges: min(RoundUp(max(e, 1)), maxE)}
	if b.Graphs <= 0 {
		b.Graphs = RoundUp(len(gs))
	}
	return b, nil
}

func (p *Packer) sortedBudgets() []Budget {
	if len(p.Fixed) == 0 {
		return nil
	}
	bs := slices.Clone(p.Fixed)
	slices.SortFunc(bs, func(a, b Budget) int {
		return cmp.Or(cmp.Compare(a.Graphs, b.Graphs), cmp.Compare(a.Nodes, b.Nodes), cmp.Compare(a.Edges, b.Edges))
	})
	return bs
}

// Budgets returns the distinct budgets, sorted, that the given sequence of batches needs: the
// number of compilations of an encoder fed these batches.
func (p *Packer) Budgets(batches [][]*Graph) ([]Budget, error) {
	seen := map[Budget]bool{}
	var out []Budget
	for _, gs := range batches {
		b, err := p.BudgetFor(gs)
		if err != nil {
			return nil, err
		}
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b Budget) int {
		return cmp.Or(cmp.Compare(a.Graphs, b.Graphs), cmp.Compare(a.Nodes, b.Nodes), cmp.Compare(a.Edges, b.Edges))
	})
	return out, nil
}

// Batch is a batch of graphs packed into a Budget: flat arrays of static shape. Graph i's nodes
// are node slots NodeStart[i] to NodeStart[i+1]-1 and its messages edge slots EdgeStart[i] to
// EdgeStart[i+1]-1; the slots after the last graph's are padding: masked out (mask false), with
// index 0 and zero features, so that they contribute nothing. Feature arrays are row-major.
type Batch struct {
	// Budget is the batch's static shape.
	Budget Budget
	// Schema says which of the optional arrays are set.
	Schema Schema
	// NumGraphs is the number of real graphs; graph slots NumGraphs to Budget.Graphs-1 are padding.
	NumGraphs int

	// NodeLabels [Nodes] holds node label ids (Vocab.NodeID), when Schema.NodeLabels.
	NodeLabels []int32
	// NodeFeatures [Nodes, Schema.NodeFeatures], when Schema.NodeFeatures > 0.
	NodeFeatures []float32
	// NodeMask [Nodes] is true for real nodes.
	NodeMask []bool
	// NodeGraph [Nodes] is the graph slot of each node (0 for padding nodes, which are masked).
	NodeGraph []int32

	// EdgeSrc and EdgeDst [Edges] are the node slots a message goes from and to: each directed
	// edge once, each undirected edge twice, {u, v} then {v, u} (a self-loop once).
	EdgeSrc, EdgeDst []int32
	// EdgeLabels [Edges] holds edge label ids (Vocab.EdgeID), when Schema.EdgeLabels.
	EdgeLabels []int32
	// EdgeFeatures [Edges, Schema.EdgeFeatures], when Schema.EdgeFeatures > 0.
	EdgeFeatures []float32
	// EdgeMask [Edges] is true for real messages.
	EdgeMask []bool

	// GraphMask [Graphs] is true for real graphs.
	GraphMask []bool
	// GraphFeatures [Graphs, Schema.GraphFeatures], when Schema.GraphFeatures > 0.
	GraphFeatures []float32

	// IDs, Labels and Directed are the real graphs' ids, class labels and directedness.
	IDs, Labels []string
	Directed    []bool
	// NodeStart and EdgeStart [NumGraphs+1] are each graph's first node and message slot.
	NodeStart, EdgeStart []int
}

// Pack packs gs into a Batch of the budget BudgetFor gives. Node and edge labels map through the
// Vocab, labels not in it to Unknown. A graph whose schema is not p.Schema, or with an edge to a
// node it does not have, is an error naming it.
func (p *Packer) Pack(gs []*Graph) (*Batch, error) {
	b, err := p.BudgetFor(gs)
	if err != nil {
		return nil, err
	}
	return p.PackInto(gs, b)
}

// PackInto packs gs into the given budget, which must hold them.
func (p *Packer) PackInto(gs []*Graph, budget Budget) (*Batch, error) {
	s := p.Schema
	if (s.NodeLabels || s.EdgeLabels) && p.Vocab == nil {
		return nil, fmt.Errorf("graphs: the schema has labels (%s) but the Packer has no Vocab", s)
	}
	n, e := 0, 0
	for i, g := range gs {
		if err := p.checkGraph(g); err != nil {
			return nil, fmt.Errorf("graphs: graph %q (batch position %d): %v", g.ID, i, err)
		}
		n += g.NumNodes()
		e += g.NumMessages()
	}
	if !budget.fits(len(gs), n, e) {
		return nil, fmt.Errorf("graphs: a batch of %d graphs, %d nodes and %d messages does not fit the budget %s", len(gs), n, e, budget)
	}
	N, E, G := budget.Nodes, budget.Edges, budget.Graphs
	bt := &Batch{
		Budget: budget, Schema: s, NumGraphs: len(gs),
		NodeMask: make([]bool, N), NodeGraph: make([]int32, N),
		EdgeSrc: make([]int32, E), EdgeDst: make([]int32, E), EdgeMask: make([]bool, E),
		GraphMask: make([]bool, G),
		IDs:       make([]string, len(gs)), Labels: make([]string, len(gs)), Directed: make([]bool, len(gs)),
		NodeStart: make([]int, len(gs)+1), EdgeStart: make([]int, len(gs)+1),
	}
	if s.NodeLabels {
		bt.NodeLabels = make([]int32, N)
	}
	if s.NodeFeatures > 0 {
		bt.NodeFeatures = make([]float32, N*s.NodeFeatures)
	}
	if s.EdgeLabels {
		bt.EdgeLabels = make([]int32, E)
	}
	if s.EdgeFeatures > 0 {
		bt.EdgeFeatures = make([]float32, E*s.EdgeFeatures)
	}
	if s.GraphFeatures > 0 {
		bt.GraphFeatures = make([]float32, G*s.GraphFeatures)
	}
	n, e = 0, 0
	for i, g := range gs {
		bt.IDs[i], bt.Labels[i], bt.Directed[i] = g.ID, g.Label, g.Directed
		bt.GraphMask[i] = true
		bt.NodeStart[i], bt.EdgeStart[i] = n, e
		if s.GraphFeatures > 0 {
			copy(bt.GraphFeatures[i*s.GraphFeatures:], g.Features)
		}
		for v := range g.NumNodes() {
			bt.NodeMask[n+v] = true
			bt.NodeGraph[n+v] = int32(i)
			if s.NodeLabels {
				bt.NodeLabels[n+v] = p.Vocab.NodeID(g.NodeLabels[v])
			}
			if s.NodeFeatures > 0 {
				copy(bt.NodeFeatures[(n+v)*s.NodeFeatures:], g.NodeFeatures[v])
			}
		}
		put := func(k, src, dst int) {
			bt.EdgeSrc[e], bt.EdgeDst[e], bt.EdgeMask[e] = int32(n+src), int32(n+dst), true
			if s.EdgeLabels {
				bt.EdgeLabels[e] = p.Vocab.EdgeID(g.EdgeLabels[k])
			}
			if s.EdgeFeatures > 0 {
				copy(bt.EdgeFeatures[e*s.EdgeFeatures:], g.EdgeFeatures[k])
			}
			e++
		}
		for k, ed := range g.Edges {
			put(k, ed[0], ed[1])
			if !g.Directed && ed[0] != ed[1] {
				put(k, ed[1], ed[0])
			}
		}
		n += g.NumNodes()
	}
	bt.NodeStart[len(gs)], bt.EdgeStart[len(gs)] = n, e
	return bt, nil
}

// checkGraph checks what packing relies on: g's schema and its edges' node indices.
func (p *Packer) checkGraph(g *Graph) error {
	nn := g.NumNodes()
	if nn == 0 {
		return fmt.Errorf("no nodes")
	}
	gs := SchemaOf(g)
	s := p.Schema
	if gs.NodeLabels != s.NodeLabels || gs.NodeFeatures != s.NodeFeatures || gs.GraphFeatures != s.GraphFeatures ||
		(len(g.Edges) > 0 && (gs.EdgeLabels != s.EdgeLabels || gs.EdgeFeatures != s.EdgeFeatures)) {
		return fmt.Errorf("schema %s, the Packer's is %s", gs, s)
	}
	if (g.NodeLabels != nil && len(g.NodeLabels) != nn) || (g.NodeFeatures != nil && len(g.NodeFeatures) != nn) {
		return fmt.Errorf("node labels and node features disagree on the node count")
	}
	if (g.EdgeLabels != nil && len(g.EdgeLabels) != len(g.Edges)) || (g.EdgeFeatures != nil && len(g.EdgeFeatures) != len(g.Edges)) {
		return fmt.Errorf("%d edges but %d edge labels and %d edge feature vectors", len(g.Edges), len(g.EdgeLabels), len(g.EdgeFeatures))
	}
	for _, vs := range [][][]float32{g.NodeFeatures, g.EdgeFeatures} {
		for _, v := range vs {
			if len(v) != len(vs[0]) {
				return fmt.Errorf("feature vectors of different lengths")
			}
		}
	}
	for k, ed := range g.Edges {
		if ed[0] < 0 || ed[0] >= nn || ed[1] < 0 || ed[1] >= nn {
			return fmt.Errorf("edge %d [%d, %d]: the graph has nodes 0 to %d", k, ed[0], ed[1], nn-1)
		}
	}
	return nil
}

// Unpack returns the graphs of the batch, as they were packed: node and edge labels through
// vocab (a label that was not in it comes back as ""), features, edges in their order (an
// undirected edge once, as it was given).
func (b *Batch) Unpack(vocab *Vocab) []*Graph {
	s := b.Schema
	out := make([]*Graph, b.NumGraphs)
	for i := range out {
		g := &Graph{ID: b.IDs[i], Label: b.Labels[i], Directed: b.Directed[i]}
		n0, n1 := b.NodeStart[i], b.NodeStart[i+1]
		for v := n0; v < n1; v++ {
			if s.NodeLabels {
				g.NodeLabels = append(g.NodeLabels, vocab.NodeLabel(b.NodeLabels[v]))
			}
			if f := s.NodeFeatures; f > 0 {
				g.NodeFeatures = append(g.NodeFeatures, slices.Clone(b.NodeFeatures[v*f:(v+1)*f]))
			}
		}
		for k := b.EdgeStart[i]; k < b.EdgeStart[i+1]; k++ {
			src, dst := int(b.EdgeSrc[k])-n0, int(b.EdgeDst[k])-n0
			g.Edges = append(g.Edges, [2]int{src, dst})
			if s.EdgeLabels {
				g.EdgeLabels = append(g.EdgeLabels, vocab.EdgeLabel(b.EdgeLabels[k]))
			}
			if f := s.EdgeFeatures; f > 0 {
				g.EdgeFeatures = append(g.EdgeFeatures, slices.Clone(b.EdgeFeatures[k*f:(k+1)*f]))
			}
			if !g.Directed && src != dst {
				k++ // The reverse message of the same edge.
			}
		}
		if f := s.GraphFeatures; f > 0 {
			g.Features = slices.Clone(b.GraphFeatures[i*f : (i+1)*f])
		}
		out[i] = g
	}
	return out
}
