package graphs

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gometric/gometric/datasets"
)

const good = `{"id": "m17", "label": "scaffold-3", "nodes": [{"label": "C"}, {"label": "O"}], "edges": [[0, 1]], "edge_labels": ["double"]}
{"id": 18, "nodes": [{"label": "N"}], "label": "scaffold-1"}
`

func TestReadGraphsGood(t *testing.T) {
	set, warnings, err := ReadGraphs(strings.NewReader("\uFEFF"+good+"\n"), "g.jsonl", nil)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("ReadGraphs: %v %v", err, warnings)
	}
	if len(set.Graphs) != 2 || set.Name != "g" || set.Lines[1] != 2 {
		t.Fatalf("got %+v", set)
	}
	g := set.Graphs[0]
	if g.ID != "m17" || g.Label != "scaffold-3" || g.NumNodes() != 2 || g.Edges[0] != [2]int{0, 1} || g.EdgeLabels[0] != "double" || g.Directed {
		t.Fatalf("graph 0 = %+v", g)
	}
	if set.Graphs[1].ID != "18" {
		t.Errorf("numeric id read as %q", set.Graphs[1].ID)
	}
	want := Schema{NodeLabels: true, EdgeLabels: true}
	if set.Schema != want {
		t.Errorf("schema %v, want %v", set.Schema, want)
	}
}

func TestReadGraphsFeatures(t *testing.T) {
	in := `{"id": "a", "node_features": [[1, 2], [3, 4.5]], "edges": [[0, 1]], "edge_features": [[0.5]], "graph_features": [7], "directed": true}
{"id": "b", "nodes": [{}, {}], "node_features": [[1, 2], [3, 4]], "edges": [[1, 0], [0, 1]], "edge_features": [[1], [2]], "graph_features": [8], "directed": true}
`
	set, _, err := ReadGraphs(strings.NewReader(in), "f.jsonl", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Schema{NodeFeatures: 2, EdgeFeatures: 1, GraphFeatures: 1}
	if set.Schema != want {
		t.Errorf("schema %v, want %v", set.Schema, want)
	}
	if g := set.Graphs[0]; !g.Directed || g.NodeFeatures[1][1] != 4.5 || g.Features[0] != 7 {
		t.Errorf("graph a = %+v", g)
	}
}

// TestReadGraphsErrors checks that each malformed line is reported as file:line: cause.
func TestReadGraphsErrors(t *testing.T) {
	first := `{"id": "x", "nodes": [{"label": "C"}, {"label": "O"}], "edges": [[0, 1]], "edge_labels": ["s"]}`
	tests := []struct {
		name, line, want string
	}{
		{"invalid JSON", `{"id": "a", "nodes": [}`, "invalid JSON"},
		{"not an object", `[1, 2]`, "an array, not a JSON object"},
		{"missing id", `{"nodes": [{"label": "C"}]}`, `no "id" key`},
		{"duplicate id", `{"id": "x", "nodes": [{"label": "C"}]}`, `duplicate id "x" (first on line 1)`},
		{"no nodes", `{"id": "a", "nodes": []}`, "a graph with no nodes"},
		{"no nodes key", `{"id": "a"}`, `no "nodes" or "node_features" key`},
		{"edge to missing node", `{"id": "a", "nodes": [{"label": "C"}], "edges": [[0, 3]], "edge_labels": ["s"]}`, "node 3 does not exist"},
		{"negative node", `{"id": "a", "nodes": [{"label": "C"}], "edges": [[0, -1]], "edge_labels": ["s"]}`, "-1 is not a node index"},
		{"edge not a pair", `{"id": "a", "nodes": [{"label": "C"}], "edges": [[0]], "edge_labels": ["s"]}`, "want [from, to]"},
		{"duplicate edge", `{"id": "a", "nodes": [{"label": "C"}, {"label": "C"}], "edges": [[0, 1], [1, 0]], "edge_labels": ["s", "s"]}`, "repeats edge 0"},
		{"edge label count", `{"id": "a", "nodes": [{"label": "C"}, {"label": "C"}], "edges": [[0, 1]], "edge_labels": ["s", "d"]}`, "2 labels for 1 edges"},
		{"edge feature count", `{"id": "a", "nodes": [{"label": "C"}, {"label": "C"}], "edges": [[0, 1]], "edge_labels": ["s"], "edge_features": [[1], [2]]}`, "2 vectors for 1 edges"},
		{"feature length in graph", `{"id": "a", "nodes": [{"label": "C"}, {"label": "C"}], "node_features": [[1], [1, 2]]}`, "vector 1 has 2 values, vector 0 has 1"},
		{"feature length across file", `{"id": "a", "nodes": [{"label": "C"}], "node_features": [[1]]}`, "1 node features, want no node features (as on line 1)"},
		{"node labels across file", `{"id": "a", "node_features": [[1]]}`, "no node labels, but the file's graphs have them"},
		{"edge labels across file", `{"id": "a", "nodes": [{"label": "C"}, {"label": "C"}], "edges": [[0, 1]]}`, "no edge labels, but the file's graphs have them (as on line 1)"},
		{"node without label or features", `{"id": "a", "nodes": [{}]}`, "neither a label nor features"},
		{"mixed node labels", `{"id": "a", "nodes": [{"label": "C"}, {}]}`, "node 1 has no label, but node 0 has one"},
		{"node label not string", `{"id": "a", "nodes": [{"label": 6}]}`, "6 is not a string"},
		{"graph label not string", `{"id": "a", "label": 3, "nodes": [{"label": "C"}]}`, `key "label": 3 is not a string`},
		{"edge label not string", `{"id": "a", "nodes": [{"label": "C"}, {"label": "C"}], "edges": [[0, 1]], "edge_labels": [1]}`, "label 0: 1 is not a string"},
		{"empty label", `{"id": "a", "nodes": [{"label": ""}]}`, "empty label"},
		{"NaN", `{"id": "a", "nodes": [{"label": "C"}], "graph_features": ["NaN"]}`, "not a number (NaN and Inf cannot be given)"},
		{"out of range", `{"id": "a", "nodes": [{"label": "C"}], "graph_features": [1e39]}`, "out of float32 range"},
		{"out of float64 range", `{"id": "a", "nodes": [{"label": "C"}], "graph_features": [1, -1e400]}`, "graph_features\": element 1: -1e400 is out of float32 range"},
		{"unknown key", `{"id": "a", "nodes": [{"label": "C"}], "edge_label": ["s"]}`, `unknown key "edge_label"`},
		{"unknown node key", `{"id": "a", "nodes": [{"label": "C", "charge": 1}]}`, `unknown key "charge"`},
		{"directed not bool", `{"id": "a", "nodes": [{"label": "C"}], "directed": "yes"}`, "want true or false"},
		{"node and feature counts", `{"id": "a", "nodes": [{"label": "C"}], "node_features": [[1], [2]]}`, "1 nodes but 2 node feature vectors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadGraphs(strings.NewReader(first+"\n"+tt.line+"\n"), "g.jsonl", nil)
			var le *datasets.LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v, want a *datasets.LineError", err)
			}
			if le.File != "g.jsonl" || le.Line != 2 || !strings.Contains(le.Msg, tt.want) {
				t.Fatalf("error %q, want g.jsonl:2: ...%s...", err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestReadGraphsLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"id": "big", "nodes": [`)
	for i := range 12 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"label": "C"}`)
	}
	b.WriteString("]}\n")
	_, _, err := ReadGraphs(strings.NewReader(b.String()), "g.jsonl", &ReadOptions{Limits: Limits{MaxNodes: 10}})
	if err == nil || !strings.Contains(err.Error(), "g.jsonl:1: key \"nodes\": 12 nodes, more than the limit of 10") {
		t.Fatalf("error %v", err)
	}
	_, _, err = ReadGraphs(strings.NewReader(`{"id": "e", "nodes": [{"label": "C"}, {"label": "C"}], "edges": [[0, 1], [1, 1], [0, 0]]}`), "g.jsonl", &ReadOptions{Limits: Limits{MaxEdges: 2}})
	if err == nil || !strings.Contains(err.Error(), "3 edges, more than the limit of 2") {
		t.Fatalf("error %v", err)
	}
}

func TestReadGraphsSkipBadLines(t *testing.T) {
	in := good + "{\"id\": \"bad\"}\nnot json\n"
	set, warnings, err := ReadGraphs(strings.NewReader(in), "g.jsonl", &ReadOptions{SkipBadLines: true})
	if err != nil || len(set.Graphs) != 2 || len(warnings) != 2 || warnings[0].Line != 3 || warnings[1].Line != 4 {
		t.Fatalf("got %v %v %v", set, warnings, err)
	}
	_, _, err = ReadGraphs(strings.NewReader(in), "g.jsonl", nil)
	var les datasets.LineErrors
	if !errors.As(err, &les) || len(les) != 2 {
		t.Fatalf("error %v, want 2 line errors", err)
	}
	if _, _, err := ReadGraphs(strings.NewReader("\n\n"), "g.jsonl", nil); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("empty file: %v", err)
	}
}

func TestReadPairs(t *testing.T) {
	set, _, err := ReadGraphs(strings.NewReader(good), "g.jsonl", nil)
	if err != nil {
		t.Fatal(err)
	}
	in := `{"a": "m17", "b": 18, "label": 1}
{"a": {"nodes": [{"label": "C"}]}, "b": "m17", "label": false}
`
	ps, _, err := ReadPairs(strings.NewReader(in), "p.jsonl", set, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.Pairs) != 2 || ps.Pairs[0].A != set.Graphs[0] || ps.Pairs[0].B != set.Graphs[1] || ps.Pairs[1].Label != 0 || ps.Pairs[1].A.ID != "p.jsonl:2:a" {
		t.Fatalf("pairs %+v", ps.Pairs)
	}
	bad := []struct{ line, want string }{
		{`{"a": "m17", "b": "zz", "label": 1}`, `key "b": unknown graph id "zz"`},
		{`{"a": "m17", "b": 18, "label": 2}`, `key "label": 2 is not 0 or 1`},
		{`{"a": "m17", "b": 18}`, `no "label" key`},
		{`{"a": "m17", "b": 18, "label": 1, "weight": 2}`, `unknown key "weight"`},
		{`{"a": "m17", "b": "m17", "label": 0}`, "cannot differ from itself"},
		{`{"a": {"nodes": [{"label": "C"}], "node_features": [[1]]}, "b": 18, "label": 1}`, `key "a": inline graph: 1 node features, want no node features (as in the graphs file)`},
		{`{"a": {"id": "m17", "nodes": [{"label": "C"}]}, "b": 18, "label": 1}`, `inline graph id "m17" is also the id of a graph in g`},
		{`{"a": [1, 2], "b": 18, "label": 1}`, "want a graph id (string or number) or an inline graph object"},
	}
	for _, tt := range bad {
		_, _, err := ReadPairs(strings.NewReader(tt.line), "p.jsonl", set, nil)
		if err == nil || !strings.Contains(err.Error(), "p.jsonl:1: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.line, err, tt.want)
		}
	}
	if _, _, err := ReadPairs(strings.NewReader(`{"a": "x", "b": "y", "label": 1}`), "p.jsonl", nil, nil); err == nil || !strings.Contains(err.Error(), "no graphs file was given") {
		t.Errorf("no graphs: %v", err)
	}
}

func TestReadExampleFiles(t *testing.T) {
	set, _, err := ReadGraphsFile("../examples/data/graphs.jsonl", nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := ReadPairsFile("../examples/data/graph-pairs.jsonl", set, nil)
	if err != nil {
		t.Fatal(err)
	}
	labels, names, err := Classes(set.Graphs)
	if err != nil || len(labels) != len(set.Graphs) || fmt.Sprint(names) != "[chain ring star]" {
		t.Errorf("Classes: %v %v %v", labels, names, err)
	}
	t.Logf("%d graphs (%s), %d pairs", len(set.Graphs), set.Schema, len(ps.Pairs))
}

func TestVocab(t *testing.T) {
	gs := []*Graph{
		{NodeLabels: []string{"O", "C"}, Edges: [][2]int{{0, 1}}, EdgeLabels: []string{"single"}},
		{NodeLabels: []string{"N", "C"}},
	}
	v := NewVocab(gs)
	if v.NumNodeIDs() != 4 || v.NodeID("C") != 1 || v.NodeID("N") != 2 || v.NodeID("O") != 3 || v.NodeID("Xe") != Unknown || v.EdgeID("double") != Unknown || v.EdgeID("single") != 1 {
		t.Fatalf("vocab ids wrong")
	}
	data, err := v.MarshalJSON()
	if err != nil || string(data) != `{"node_labels":["C","N","O"],"edge_labels":["single"]}` {
		t.Fatalf("marshal: %s %v", data, err)
	}
	var w Vocab
	if err := w.UnmarshalJSON(data); err != nil || w.NodeID("O") != 3 || w.EdgeLabel(1) != "single" {
		t.Fatalf("unmarshal: %v", err)
	}
	if err := w.UnmarshalJSON([]byte(`{"node_labels":["O","C"]}`)); err == nil {
		t.Error("unsorted vocab accepted")
	}
}
