package graphs

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// randomGraph returns a random connected-ish graph of n nodes with labels and features as s says.
func randomGraph(r *rand.Rand, id string, n int, s Schema, directed bool) *Graph {
	g := &Graph{ID: id, Label: []string{"a", "b", "c"}[r.IntN(3)], Directed: directed}
	nodeLabels := []string{"C", "N", "O", "S"}
	for range n {
		if s.NodeLabels {
			g.NodeLabels = append(g.NodeLabels, nodeLabels[r.IntN(len(nodeLabels))])
		}
		if s.NodeFeatures > 0 {
			g.NodeFeatures = append(g.NodeFeatures, randVec(r, s.NodeFeatures))
		}
	}
	seen := map[[2]int]bool{}
	add := func(u, v int) {
		key := [2]int{u, v}
		if !directed && u > v {
			key = [2]int{v, u}
		}
		if seen[key] {
			return
		}
		seen[key] = true
		g.Edges = append(g.Edges, [2]int{u, v})
		if s.EdgeLabels {
			g.EdgeLabels = append(g.EdgeLabels, []string{"single", "double"}[r.IntN(2)])
		}
		if s.EdgeFeatures > 0 {
			g.EdgeFeatures = append(g.EdgeFeatures, randVec(r, s.EdgeFeatures))
		}
	}
	for v := 1; v < n; v++ {
		add(r.IntN(v), v)
	}
	for range n / 3 {
		add(r.IntN(n), r.IntN(n)) // Extra edges, self-loops included.
	}
	if s.GraphFeatures > 0 {
		g.Features = randVec(r, s.GraphFeatures)
	}
	return g
}

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

var fullSchema = Schema{NodeLabels: true, NodeFeatures: 3, EdgeLabels: true, EdgeFeatures: 2, GraphFeatures: 2}

func TestPackUnpack(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []Schema{fullSchema, {NodeLabels: true}, {NodeFeatures: 4, EdgeFeatures: 1}} {
		var gs []*Graph
		for i := range 9 {
			gs = append(gs, randomGraph(r, string(rune('a'+i)), 1+r.IntN(12), s, i%2 == 0))
		}
		for _, g := range gs {
			if err := g.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		vocab := NewVocab(gs)
		p := NewPacker(s, vocab, 0)
		b, err := p.Pack(gs)
		if err != nil {
			t.Fatal(err)
		}
		if b.Budget.Graphs != 10 || b.NumGraphs != 9 {
			t.Errorf("budget %v", b.Budget)
		}
		back := b.Unpack(vocab)
		for i := range gs {
			if !reflect.DeepEqual(gs[i], back[i]) {
				t.Fatalf("schema %v: graph %d\npacked   %+v\nunpacked %+v", s, i, gs[i], back[i])
			}
		}
		// Padding: masked, index 0, zero features.
		n, e := b.NodeStart[9], b.EdgeStart[9]
		for v := n; v < b.Budget.Nodes; v++ {
			if b.NodeMask[v] || b.NodeGraph[v] != 0 || (s.NodeLabels && b.NodeLabels[v] != 0) {
				t.Fatalf("padding node %d not blank", v)
			}
		}
		for k := e; k < b.Budget.Edges; k++ {
			if b.EdgeMask[k] || b.EdgeSrc[k] != 0 || b.EdgeDst[k] != 0 {
				t.Fatalf("padding edge %d not blank", k)
			}
		}
		for _, x := range b.NodeFeatures[n*s.NodeFeatures:] {
			if x != 0 {
				t.Fatal("padding node features not zero")
			}
		}
		if b.GraphMask[9] {
			t.Fatal("padding graph unmasked")
		}
	}
}

func TestRoundUp(t *testing.T) {
	want := []int{4, 4, 4, 4, 4, 5, 6, 7, 8, 10, 10, 12, 12, 14, 14, 16, 16, 20}
	for n, w := range want {
		if got := RoundUp(n); got != w {
			t.Errorf("RoundUp(%d) = %d, want %d", n, got, w)
		}
	}
	for n := 1; n < 100000; n += 37 {
		if got := RoundUp(n); got < n || float64(got) >= 1.25*float64(n)+4 {
			t.Fatalf("RoundUp(%d) = %d", n, got)
		}
	}
}

func TestPackErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := Schema{NodeLabels: true}
	gs := []*Graph{randomGraph(r, "small", 5, s, false), randomGraph(r, "big", 50, s, false)}
	p := &Packer{Schema: s, Vocab: NewVocab(gs), MaxNodes: 32}
	if _, err := p.Pack(gs); err == nil || !strings.Contains(err.Error(), `graph "big" (batch position 1, 50 nodes)`) {
		t.Errorf("error %v", err)
	}
	p = &Packer{Schema: s, Vocab: NewVocab(gs), Fixed: []Budget{{4, 16, 64}, {4, 64, 256}}}
	if b, err := p.BudgetFor(gs[:1]); err != nil || b != (Budget{4, 16, 64}) {
		t.Errorf("budget %v %v", b, err)
	}
	if b, err := p.BudgetFor(gs); err != nil || b != (Budget{4, 64, 256}) {
		t.Errorf("budget %v %v", b, err)
	}
	p.Graphs = 1
	p.Fixed = nil
	if _, err := p.Pack(gs); err == nil || !strings.Contains(err.Error(), `graph "big" (batch position 1): the batch has 2 graphs, more than the budget's 1 graph slots`) {
		t.Errorf("error %v", err)
	}
	other := randomGraph(r, "other", 3, Schema{NodeFeatures: 2}, false)
	p = NewPacker(s, NewVocab(gs), 0)
	if _, err := p.Pack([]*Graph{gs[0], other}); err == nil || !strings.Contains(err.Error(), `graph "other" (batch position 1): schema 2 node features`) {
		t.Errorf("error %v", err)
	}
}

// sizedStream returns graphs whose node counts follow a skewed distribution around 25 nodes.
func sizedStream(r *rand.Rand, count int, s Schema) []*Graph {
	gs := make([]*Graph, count)
	for i := range gs {
		n := max(3, int(25+8*r.NormFloat64()))
		if r.IntN(20) == 0 {
			n += 30 // A few large molecules.
		}
		gs[i] = randomGraph(r, "g"+string(rune(i)), n, s, false)
	}
	return gs
}

// TestBudgetsOfStream counts the distinct budgets (compilations) of a realistic training stream:
// 5 epochs of shuffled batches of 128 graphs of ~25 nodes, the last batch of each epoch smaller.
func TestBudgetsOfStream(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := Schema{NodeLabels: true, EdgeLabels: true}
	gs := sizedStream(r, 3000, s)
	p := NewPacker(s, NewVocab(gs), 128)
	var batches [][]*Graph
	for range 5 {
		perm := r.Perm(len(gs))
		for i := 0; i < len(perm); i += 128 {
			var batch []*Graph
			for _, j := range perm[i:min(i+128, len(perm))] {
				batch = append(batch, gs[j])
			}
			batches = append(batches, batch)
		}
	}
	budgets, err := p.Budgets(batches)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d batches need %d budgets: %v", len(batches), len(budgets), budgets)
	if len(budgets) > 8 {
		t.Errorf("%d budgets, want at most 8", len(budgets))
	}
}
