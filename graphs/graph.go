package graphs

import (
	"fmt"
	"math"
	"slices"
)

// Graph is one graph: its nodes, its edges and, optionally, a class label and graph-level
// features. Node i has label NodeLabels[i] and/or features NodeFeatures[i]; which of the two a
// graph has is the same for every graph of a file (see Schema).
type Graph struct {
	// ID names the graph; unique within a file.
	ID string
	// Label is the graph's class; "" when the graph has none.
	Label string
	// NodeLabels holds one categorical label per node, or is nil when nodes have no labels.
	NodeLabels []string
	// NodeFeatures holds one feature vector per node (all of one length), or is nil.
	NodeFeatures [][]float32
	// Edges holds the edges as pairs of node indices {from, to}. An undirected edge is listed once
	// and used in both directions by the encoder.
	Edges [][2]int
	// Directed says the edges are directed; the default, false, is undirected.
	Directed bool
	// EdgeLabels holds one categorical label per edge, or is nil.
	EdgeLabels []string
	// EdgeFeatures holds one feature vector per edge (all of one length), or is nil.
	EdgeFeatures [][]float32
	// Features is the graph-level feature vector, or nil.
	Features []float32
}

// NumNodes returns the number of nodes: the length of NodeLabels or of NodeFeatures.
func (g *Graph) NumNodes() int {
	return max(len(g.NodeLabels), len(g.NodeFeatures))
}

// NumMessages returns the number of directed messages the encoder passes along g's edges: two per
// undirected edge, one per directed edge or self-loop. It is what a graph takes of a Budget's Edges.
func (g *Graph) NumMessages() int {
	if g.Directed {
		return len(g.Edges)
	}
	n := 0
	for _, e := range g.Edges {
		if e[0] == e[1] {
			n++
		} else {
			n += 2
		}
	}
	return n
}

// Limits bounds the size of one graph; a larger graph is refused when read (and by Validate).
type Limits struct {
	// MaxNodes is the most nodes a graph may have (default DefaultMaxNodes).
	MaxNodes int
	// MaxEdges is the most edges a graph may list (default DefaultMaxEdges); an undirected edge
	// counts once.
	MaxEdges int
}

const (
	// DefaultMaxNodes is the default Limits.MaxNodes: 10,000 nodes per graph.
	DefaultMaxNodes = 10_000
	// DefaultMaxEdges is the default Limits.MaxEdges: 100,000 edges per graph.
	DefaultMaxEdges = 100_000
)

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MaxEdges <= 0 {
		l.MaxEdges = DefaultMaxEdges
	}
	return l
}

// Schema says what every graph of a data set carries: node labels and/or node features of one
// length, edge labels and/or edge features, graph features. The encoder's input layer follows it.
type Schema struct {
	// NodeLabels says nodes have categorical labels.
	NodeLabels bool `json:"node_labels"`
	// NodeFeatures is the length of node feature vectors; 0 for none.
	NodeFeatures int `json:"node_features"`
	// EdgeLabels says edges have categorical labels.
	EdgeLabels bool `json:"edge_labels"`
	// EdgeFeatures is the length of edge feature vectors; 0 for none.
	EdgeFeatures int `json:"edge_features"`
	// GraphFeatures is the length of graph feature vectors; 0 for none.
	GraphFeatures int `json:"graph_features"`
}

// String describes the schema, for example "node labels, 3 node features, edge labels".
func (s Schema) String() string {
	var parts []string
	if s.NodeLabels {
		parts = append(parts, "node labels")
	}
	if s.NodeFeatures > 0 {
		parts = append(parts, fmt.Sprintf("%d node features", s.NodeFeatures))
	}
	if s.EdgeLabels {
		parts = append(parts, "edge labels")
	}
	if s.EdgeFeatures > 0 {
		parts = append(parts, fmt.Sprintf("%d edge features", s.EdgeFeatures))
	}
	if s.GraphFeatures > 0 {
		parts = append(parts, fmt.Sprintf("%d graph features", s.GraphFeatures))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	out := parts[0]
	for _, p := range parts[1:] {
		out += ", " + p
	}
	return out
}

// SchemaOf returns the schema of g. A graph without edges says nothing about edges: its schema
// has no edge labels or features.
func SchemaOf(g *Graph) Schema {
	s := Schema{NodeLabels: g.NodeLabels != nil, EdgeLabels: g.EdgeLabels != nil, GraphFeatures: len(g.Features)}
	if len(g.NodeFeatures) > 0 {
		s.NodeFeatures = len(g.NodeFeatures[0])
	}
	if len(g.EdgeFeatures) > 0 {
		s.EdgeFeatures = len(g.EdgeFeatures[0])
	}
	return s
}

// Validate checks g on its own: at least one node, node labels and features one per node and
// features of one length, every edge between existing nodes, no duplicate edge (for an
// undirected graph {u, v} and {v, u} are the same edge), edge labels and features one per edge,
// finite features, non-empty labels, and the default Limits. Self-loops are allowed: a self-loop
// passes one message from a node to itself, also in an undirected graph.
func (g *Graph) Validate() error {
	return g.validate(Limits{}.withDefaults())
}

func (g *Graph) validate(lim Limits) error {
	n := g.NumNodes()
	switch {
	case n == 0:
		return fmt.Errorf("no nodes")
	case n > lim.MaxNodes:
		return fmt.Errorf("%d nodes, more than the limit of %d", n, lim.MaxNodes)
	case len(g.Edges) > lim.MaxEdges:
		return fmt.Errorf("%d edges, more than the limit of %d", len(g.Edges), lim.MaxEdges)
	case g.NodeLabels != nil && len(g.NodeLabels) != n:
		return fmt.Errorf("%d node labels for %d nodes", len(g.NodeLabels), n)
	case g.NodeFeatures != nil && len(g.NodeFeatures) != n:
		return fmt.Errorf("%d node feature vectors for %d nodes", len(g.NodeFeatures), n)
	case g.EdgeLabels != nil && len(g.EdgeLabels) != len(g.Edges):
		return fmt.Errorf("%d edge labels for %d edges", len(g.EdgeLabels), len(g.Edges))
	case g.EdgeFeatures != nil && len(g.EdgeFeatures) != len(g.Edges):
		return fmt.Errorf("%d edge feature vectors for %d edges", len(g.EdgeFeatures), len(g.Edges))
	}
	for i, l := range g.NodeLabels {
		if l == "" {
			return fmt.Errorf("node %d: empty label", i)
		}
	}
	for i, l := range g.EdgeLabels {
		if l == "" {
			return fmt.Errorf("edge %d: empty label", i)
		}
	}
	if err := checkVectors("node_features", g.NodeFeatures); err != nil {
		return err
	}
	if err := checkVectors("edge_features", g.EdgeFeatures); err != nil {
		return err
	}
	if g.Features != nil {
		if err := checkVectors("graph_features", [][]float32{g.Features}); err != nil {
			return err
		}
	}
	return checkEdges(g.Edges, n, g.Directed)
}

// checkVectors checks that vs are non-empty vectors of one length with finite values.
func checkVectors(what string, vs [][]float32) error {
	for i, v := range vs {
		if len(v) == 0 {
			return fmt.Errorf("%s: vector %d is empty", what, i)
		}
		if len(v) != len(vs[0]) {
			return fmt.Errorf("%s: vector %d has %d values, vector 0 has %d", what, i, len(v), len(vs[0]))
		}
		for j, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s: vector %d value %d is %v, not a finite number", what, i, j, x)
			}
		}
	}
	return nil
}

// checkEdges checks that every edge joins existing nodes and that no edge is listed twice.
func checkEdges(edges [][2]int, n int, directed bool) error {
	seen := make(map[[2]int]int, len(edges))
	for i, e := range edges {
		for _, v := range e {
			if v < 0 || v >= n {
				return fmt.Errorf("edge %d [%d, %d]: node %d does not exist (the graph has %d nodes, 0 to %d)", i, e[0], e[1], v, n, n-1)
			}
		}
		key := e
		if !directed && key[0] > key[1] {
			key[0], key[1] = key[1], key[0]
		}
		if j, dup := seen[key]; dup {
			how := ""
			if !directed && edges[j] != e {
				how = " (the graph is undirected: list each edge once, or set \"directed\": true)"
			}
			return fmt.Errorf("edge %d [%d, %d] repeats edge %d [%d, %d]%s", i, e[0], e[1], j, edges[j][0], edges[j][1], how)
		}
		seen[key] = i
	}
	return nil
}

// Classes returns the class index of each graph's label: the sorted distinct labels are classes
// 0, 1, 2, ... (names). It is an error when some graphs have a label and others none; labels and
// names are nil when no graph has a label.
func Classes(gs []*Graph) (labels []int, names []string, err error) {
	labelled := 0
	for _, g := range gs {
		if g.Label != "" {
			labelled++
		}
	}
	if labelled == 0 {
		return nil, nil, nil
	}
	if labelled != len(gs) {
		for _, g := range gs {
			if g.Label == "" {
				return nil, nil, fmt.Errorf("graph %q has no label, but %d other graphs have one", g.ID, labelled)
			}
		}
	}
	index := map[string]int{}
	for _, g := range gs {
		if _, ok := index[g.Label]; !ok {
			index[g.Label] = 0
			names = append(names, g.Label)
		}
	}
	slices.Sort(names)
	for i, n := range names {
		index[n] = i
	}
	labels = make([]int, len(gs))
	for i, g := range gs {
		labels[i] = index[g.Label]
	}
	return labels, names, nil
}
