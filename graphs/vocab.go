package graphs

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Unknown is the id of a label not in a Vocab: row 0 of the encoder's label embeddings, shared by
// every label that the training graphs did not have.
const Unknown = 0

// Vocab maps node and edge labels to ids: the sorted distinct labels of the training graphs get
// ids 1, 2, ...; id 0 (Unknown) is reserved for labels never seen in training, so that a graph
// with a new label can still be encoded at inference (the label is not an error, it maps to the
// unknown row). A Vocab is deterministic (the same graphs in any order give the same ids) and
// marshals to JSON, {"node_labels": [...], "edge_labels": [...]}, to be saved with a model.
type Vocab struct {
	nodeLabels, edgeLabels []string
	nodeIndex, edgeIndex   map[string]int32
}

// NewVocab returns the vocabulary of the node and edge labels of gs.
func NewVocab(gs []*Graph) *Vocab {
	nodes, edges := map[string]bool{}, map[string]bool{}
	for _, g := range gs {
		for _, l := range g.NodeLabels {
			nodes[l] = true
		}
		for _, l := range g.EdgeLabels {
			edges[l] = true
		}
	}
	v := &Vocab{}
	for l := range nodes {
		v.nodeLabels = append(v.nodeLabels, l)
	}
	for l := range edges {
		v.edgeLabels = append(v.edgeLabels, l)
	}
	slices.Sort(v.nodeLabels)
	slices.Sort(v.edgeLabels)
	v.index()
	return v
}

func (v *Vocab) index() {
	v.nodeIndex = make(map[string]int32, len(v.nodeLabels))
	for i, l := range v.nodeLabels {
		v.nodeIndex[l] = int32(i + 1)
	}
	v.edgeIndex = make(map[string]int32, len(v.edgeLabels))
	for i, l := range v.edgeLabels {
		v.edgeIndex[l] = int32(i + 1)
	}
}

// NodeID returns the id of a node label: 1 to NumNodeIDs()-1, or Unknown.
func (v *Vocab) NodeID(label string) int32 { return v.nodeIndex[label] }

// EdgeID returns the id of an edge label: 1 to NumEdgeIDs()-1, or Unknown.
func (v *Vocab) EdgeID(label string) int32 { return v.edgeIndex[label] }

// NodeLabel returns the node label of id, "" for Unknown or an id out of range.
func (v *Vocab) NodeLabel(id int32) string {
	if id < 1 || int(id) > len(v.nodeLabels) {
		return ""
	}
	return v.nodeLabels[id-1]
}

// EdgeLabel returns the edge label of id, "" for Unknown or an id out of range.
func (v *Vocab) EdgeLabel(id int32) string {
	if id < 1 || int(id) > len(v.edgeLabels) {
		return ""
	}
	return v.edgeLabels[id-1]
}

// NumNodeIDs returns the number of node label ids, the unknown id included: the rows of the node
// label embedding table.
func (v *Vocab) NumNodeIDs() int { return len(v.nodeLabels) + 1 }

// NumEdgeIDs returns the number of edge label ids, the unknown id included.
func (v *Vocab) NumEdgeIDs() int { return len(v.edgeLabels) + 1 }

type vocabJSON struct {
	NodeLabels []string `json:"node_labels"`
	EdgeLabels []string `json:"edge_labels"`
}

// MarshalJSON implements json.Marshaler: {"node_labels": [...], "edge_labels": [...]}, the
// labels of ids 1, 2, ... in order.
func (v *Vocab) MarshalJSON() ([]byte, error) {
	j := vocabJSON{NodeLabels: v.nodeLabels, EdgeLabels: v.edgeLabels}
	if j.NodeLabels == nil {
		j.NodeLabels = []string{}
	}
	if j.EdgeLabels == nil {
		j.EdgeLabels = []string{}
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler; the labels must be non-empty, sorted and distinct,
// as NewVocab makes them.
func (v *Vocab) UnmarshalJSON(data []byte) error {
	var j vocabJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("vocab: %w", err)
	}
	for _, ls := range []struct {
		what string
		l    []string
	}{{"node_labels", j.NodeLabels}, {"edge_labels", j.EdgeLabels}} {
		for i, l := range ls.l {
			if l == "" {
				return fmt.Errorf("vocab: %s: label %d is empty", ls.what, i)
			}
			if i > 0 && ls.l[i-1] >= l {
				return fmt.Errorf("vocab: %s: %q after %q: labels must be sorted and distinct", ls.what, l, ls.l[i-1])
			}
		}
	}
	v.nodeLabels, v.edgeLabels = j.NodeLabels, j.EdgeLabels
	v.index()
	return nil
}
