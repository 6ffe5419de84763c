package graphs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/internal/lines"
	"github.com/gometric/gometric/mat"
)

// KindGraph is the datasets.Objects kind of graph items.
const KindGraph = "graph"

// Objects are graphs as the objects of a datasets.Items (see ToItems): item i is Graphs[i]. They
// implement datasets.Objects.
type Objects struct {
	// Schema is what every graph carries.
	Schema Schema
	// Graphs holds the graphs.
	Graphs []*Graph
}

// Kind implements datasets.Objects: "graph".
func (o *Objects) Kind() string { return KindGraph }

// Len implements datasets.Objects.
func (o *Objects) Len() int { return len(o.Graphs) }

// Subset implements datasets.Objects; the graphs are shared, not copied.
func (o *Objects) Subset(idx []int) datasets.Objects {
	out := &Objects{Schema: o.Schema, Graphs: make([]*Graph, len(idx))}
	for i, j := range idx {
		out.Graphs[i] = o.Graphs[j]
	}
	return out
}

// WriteContent implements datasets.Objects: each graph as JSON (its Go fields, in order), one per
// line.
func (o *Objects) WriteContent(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, g := range o.Graphs {
		if err := enc.Encode(g); err != nil {
			return err
		}
	}
	return nil
}

// GraphsOf returns the graphs of items whose objects are graphs, or an error that says what the
// items are.
func GraphsOf(items *datasets.Items) (*Objects, error) {
	o, ok := items.Objects.(*Objects)
	if !ok {
		return nil, fmt.Errorf("items %q are %ss, not graphs", items.Name, items.Kind())
	}
	return o, nil
}

// ToItems returns the graphs of set as datasets.Items: the graph ids, their class labels (sorted
// distinct labels are classes 0, 1, ...; none when no graph has one) and the graphs as Objects,
// so that gometric's splits, pair sampling and training work on them as on feature vectors.
func ToItems(set *Set) (*datasets.Items, error) {
	labels, names, err := Classes(set.Graphs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", set.Name, err)
	}
	items := &datasets.Items{
		Name: set.Name, IDs: make([]string, len(set.Graphs)), Features: mat.New(len(set.Graphs), 0),
		Labels: labels, ClassNames: names, Objects: &Objects{Schema: set.Schema, Graphs: set.Graphs},
	}
	for i, g := range set.Graphs {
		items.IDs[i] = g.ID
	}
	return items, items.Validate()
}

// ToPairs returns the pairs of ps as datasets.Pairs. items are ToItems of the graphs file the
// pairs name ids of (nil when every side is inline). When no side is inline, the pairs' Items are
// items itself; otherwise they are the graphs of items followed by the inline graphs (without class
// labels), an inline graph used on several lines under one id counting as one item. Pair lines
// are kept (Pairs.Lines).
func ToPairs(ps *PairSet, items *datasets.Items) (*datasets.Pairs, error) {
	var base []*Graph
	if items != nil {
		o, err := GraphsOf(items)
		if err != nil {
			return nil, err
		}
		base = o.Graphs
	}
	index := make(map[*Graph]int, len(base))
	for i, g := range base {
		index[g] = i
	}
	byID := map[string]int{}
	all := slices.Clone(base)
	p := &datasets.Pairs{A: make([]int, len(ps.Pairs)), B: make([]int, len(ps.Pairs)), Y: make([]int, len(ps.Pairs)), Lines: make([]int, len(ps.Pairs))}
	for k, pr := range ps.Pairs {
		for side, g := range []*Graph{pr.A, pr.B} {
			i, ok := index[g]
			if !ok {
				if j, seen := byID[g.ID]; seen {
					a, _ := json.Marshal(g)
					b, _ := json.Marshal(all[j])
					if !bytes.Equal(a, b) {
						return nil, fmt.Errorf("%s:%d: inline graph %s differs from an earlier inline graph with that id", ps.Name, pr.Line, lines.Quote(g.ID))
					}
					i = j
				} else {
					i = len(all)
					all = append(all, g)
					byID[g.ID] = i
				}
				index[g] = i
			}
			if side == 0 {
				p.A[k] = i
			} else {
				p.B[k] = i
			}
		}
		p.Y[k], p.Lines[k] = pr.Label, pr.Line
	}
	if items != nil && len(all) == len(base) {
		p.Items = items
		return p, p.Validate()
	}
	name := ps.Name
	if items != nil {
		name = items.Name
	}
	p.Items = &datasets.Items{Name: name, IDs: make([]string, len(all)), Features: mat.New(len(all), 0), Objects: &Objects{Schema: ps.Schema, Graphs: all}}
	for i, g := range all {
		p.Items.IDs[i] = g.ID
	}
	if err := p.Items.Validate(); err != nil {
		return nil, err
	}
	return p, p.Validate()
}

// IsGraphsFile reports whether the file at path holds graphs (a graphs file, or a pairs file with
// inline graphs): its first non-blank line is a JSON object with a "nodes" or "node_features" key,
// or whose "a" or "b" is such an object. Anything else (CSV, feature vectors) is not.
func IsGraphsFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for {
		line, err := r.ReadBytes('\n')
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return isGraphLine(t), nil
		}
		if err != nil {
			return false, nil
		}
	}
}

func isGraphLine(t []byte) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(t, &obj) != nil {
		return false
	}
	isGraph := func(o map[string]json.RawMessage) bool {
		_, nodes := o["nodes"]
		_, feats := o["node_features"]
		return nodes || feats
	}
	if isGraph(obj) {
		return true
	}
	for _, key := range []string{"a", "b"} {
		var side map[string]json.RawMessage
		if raw, ok := obj[key]; ok && json.Unmarshal(raw, &side) == nil && isGraph(side) {
			return true
		}
	}
	return false
}

// Settings are the sizes of a GIN that EncoderFor builds; zero fields take GIN's defaults.
type Settings struct {
	// Hidden, Layers, LabelDim and LearnEps are as in GIN.
	Hidden, Layers, LabelDim int
	LearnEps                 bool
}

// Encoder is a GIN with the vocabulary of its training graphs: the encoders.ItemEncoder of graph
// items. Inputs packs a batch of graphs into a budget (Packer, slots graph slots, the node and
// message counts rounded by RoundUp), so that a run compiles once per distinct budget;
// EncodeInputs runs the GIN on it. Spec and EncoderFromSpec save and rebuild it, vocabulary
// included.
type Encoder struct {
	// GIN is the network.
	GIN *GIN
	// Vocab maps the training graphs' labels to ids; unknown labels go to row Unknown.
	Vocab *Vocab
}

// EncoderFor returns the Encoder for graphs of the given schema, with the vocabulary of the
// training graphs, the given sizes and embedding dimension.
func EncoderFor(schema Schema, training []*Graph, s Settings, embeddingDim int) *Encoder {
	vocab := NewVocab(training)
	gin := NewGIN(schema, vocab, embeddingDim)
	if s.Hidden > 0 {
		gin.Hidden = s.Hidden
	}
	if s.Layers > 0 {
		gin.Layers = s.Layers
	}
	if s.LabelDim > 0 {
		gin.LabelDim = s.LabelDim
	}
	gin.LearnEps = s.LearnEps
	return &Encoder{GIN: gin, Vocab: vocab}
}

// Inputs implements encoders.ItemEncoder: the tensors (Batch.Tensors, float32) of the graphs idx
// of items packed into slots graph slots.
func (e *Encoder) Inputs(items *datasets.Items, idx []int, slots int) ([]*tensors.Tensor, error) {
	o, err := GraphsOf(items)
	if err != nil {
		return nil, err
	}
	gs := make([]*Graph, len(idx))
	for i, j := range idx {
		gs[i] = o.Graphs[j]
	}
	b, err := (&Packer{Schema: e.GIN.Schema, Vocab: e.Vocab, Graphs: slots}).Pack(gs)
	if err != nil {
		return nil, err
	}
	return b.Tensors(dtypes.Float32), nil
}

// EncodeInputs implements encoders.ItemEncoder: GIN.Encode on the nodes of Inputs' tensors.
func (e *Encoder) EncodeInputs(ctx *context.Context, inputs []*graph.Node) *graph.Node {
	return e.GIN.Encode(ctx, NewInputs(e.GIN.Schema, inputs))
}

// specItems is the content of encoders.Spec.Items for a gnn.
type specItems struct {
	Schema Schema `json:"schema"`
	Vocab  *Vocab `json:"vocab"`
}

// Spec returns the description of e that EncoderFromSpec rebuilds it from (kind gnn), the schema
// and the vocabulary in Spec.Items.
func (e *Encoder) Spec() encoders.Spec {
	g := e.GIN.withDefaults()
	items, err := json.Marshal(specItems{Schema: g.Schema, Vocab: e.Vocab})
	if err != nil {
		panic(err) // a Schema and a Vocab always marshal
	}
	return encoders.Spec{
		Kind: encoders.KindGNN, EmbeddingDim: g.EmbeddingDim, Hidden: []int{g.Hidden},
		Layers: g.Layers, LabelDim: g.LabelDim, LearnEps: g.LearnEps, Items: items,
	}
}

// EncoderFromSpec rebuilds the Encoder that Encoder.Spec described.
func EncoderFromSpec(spec encoders.Spec) (*Encoder, error) {
	if spec.Kind != encoders.KindGNN {
		return nil, fmt.Errorf("graphs: encoder kind %q, want %q", spec.Kind, encoders.KindGNN)
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	var it specItems
	dec := json.NewDecoder(bytes.NewReader(spec.Items))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil {
		return nil, fmt.Errorf("encoder gnn: items: %w", err)
	}
	if it.Vocab == nil {
		it.Vocab = NewVocab(nil)
	}
	gin := &GIN{
		Schema: it.Schema, NodeIDs: it.Vocab.NumNodeIDs(), EdgeIDs: it.Vocab.NumEdgeIDs(),
		Hidden: spec.Hidden[0], Layers: spec.Layers, EmbeddingDim: spec.EmbeddingDim, LabelDim: spec.LabelDim, LearnEps: spec.LearnEps,
	}
	return &Encoder{GIN: gin.withDefaults(), Vocab: it.Vocab}, nil
}

// JSONItem returns graph i as a graphs file writes it (one line of ReadGraphs' format, id and
// label included): what a run writes inline in its test pairs (runfolder.Folder.WriteTestPairs).
func (o *Objects) JSONItem(i int) (json.RawMessage, error) {
	return fileJSON(o.Graphs[i])
}

// fileJSON returns g in the graphs file format.
func fileJSON(g *Graph) (json.RawMessage, error) {
	type node struct {
		Label string `json:"label,omitempty"`
	}
	out := struct {
		ID            string      `json:"id,omitempty"`
		Label         string      `json:"label,omitempty"`
		Nodes         []node      `json:"nodes,omitempty"`
		NodeFeatures  [][]float32 `json:"node_features,omitempty"`
		Edges         [][2]int    `json:"edges"`
		Directed      bool        `json:"directed,omitempty"`
		EdgeLabels    []string    `json:"edge_labels,omitempty"`
		EdgeFeatures  [][]float32 `json:"edge_features,omitempty"`
		GraphFeatures []float32   `json:"graph_features,omitempty"`
	}{ID: g.ID, Label: g.Label, NodeFeatures: g.NodeFeatures, Edges: g.Edges, Directed: g.Directed,
		EdgeLabels: g.EdgeLabels, EdgeFeatures: g.EdgeFeatures, GraphFeatures: g.Features}
	if out.Edges == nil {
		out.Edges = [][2]int{}
	}
	for _, l := range g.NodeLabels {
		out.Nodes = append(out.Nodes, node{Label: l})
	}
	return json.Marshal(out)
}
