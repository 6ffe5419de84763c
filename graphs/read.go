package graphs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/internal/lines"
)

// ReadOptions tunes ReadGraphs and ReadPairs. The zero value (or nil) rejects a file with any
// malformed line and uses the default Limits.
type ReadOptions struct {
	// SkipBadLines skips malformed lines instead of failing; the skipped lines come back as
	// warnings, with the same detail as errors. A file without a single valid line is still an error.
	SkipBadLines bool
	// Limits bounds each graph's size; zero fields take the defaults (10,000 nodes, 100,000 edges).
	Limits Limits
}

func (o *ReadOptions) orZero() *ReadOptions {
	if o == nil {
		return &ReadOptions{}
	}
	return o
}

// MaxLineBytes is the longest line a graphs or pairs file may have (64 MiB): a longer line is
// reported and skipped without being held in memory.
const MaxLineBytes = 64 << 20

// Set is the content of a graphs file.
type Set struct {
	// Name is the file's base name without its extension.
	Name string
	// Graphs holds the graphs in file order.
	Graphs []*Graph
	// Lines holds each graph's line in the file.
	Lines []int
	// Schema is what every graph carries.
	Schema Schema
}

// Index returns the index of each graph by id.
func (s *Set) Index() map[string]int {
	m := make(map[string]int, len(s.Graphs))
	for i, g := range s.Graphs {
		m[g.ID] = i
	}
	return m
}

// ReadGraphsFile reads a graphs file (see ReadGraphs); errors and warnings name the file by path.
func ReadGraphsFile(path string, opts *ReadOptions) (set *Set, warnings []*datasets.LineError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadGraphs(f, path, opts)
}

// ReadGraphs reads a graphs file in JSON Lines from r, one graph per line; name is the file's
// name, for messages. A line is an object with the keys
//
//   - "id": a string or number, unique in the file (required);
//   - "label": the graph's class, a non-empty string (optional; null is none);
//   - "nodes": an array of node objects {"label": "C"}, or {} when nodes have only features;
//   - "node_features": an array with one array of numbers per node;
//   - "edges": an array of [from, to] node indices (0-based; optional: a graph may have no edges);
//   - "edge_labels": one non-empty string per edge; "edge_features": one array of numbers per edge;
//   - "graph_features": an array of numbers;
//   - "directed": true for directed edges (default false: each edge is used in both directions).
//
// At least one of "nodes" (with labels) and "node_features" is required; with both, they have one
// entry per node each. Every graph of the file carries the same kinds (Schema): node labels or
// not, node, edge and graph features of one length each, edge labels or not (a graph with no edge
// sets nothing about edges). Unknown keys are errors, and so are graphs larger than
// opts.Limits (by default 10,000 nodes or 100,000 edges). See Graph.Validate for the rest.
//
// The file is read line by line, never whole. Every malformed line is reported (a
// datasets.LineErrors error, in line order, each a *datasets.LineError "file:line: cause") and
// nothing is returned, unless opts.SkipBadLines: then the malformed lines come back as warnings.
func ReadGraphs(r io.Reader, name string, opts *ReadOptions) (set *Set, warnings []*datasets.LineError, err error) {
	opts = opts.orZero()
	rep := &datasets.LineReport{File: name}
	sc := &schemaCheck{}
	lim := opts.Limits.withDefaults()
	idLine := map[string]int{}
	set = &Set{Name: strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))}
	err = lines.ScanJSONL(lines.SkipBOM(r), rep, lines.JSONLOptions{MaxLineBytes: MaxLineBytes}, func(line int, obj map[string]json.RawMessage) {
		g, err := parseGraph(obj, true, lim)
		if err == nil {
			if first, dup := idLine[g.ID]; dup {
				err = fmt.Errorf("duplicate id %s (first on line %d)", lines.Quote(g.ID), first)
			}
		}
		if err == nil {
			err = sc.check(g, line)
		}
		if err != nil {
			rep.Bad(line, "%v", err)
			return
		}
		idLine[g.ID] = line
		set.Graphs = append(set.Graphs, g)
		set.Lines = append(set.Lines, line)
	})
	if err != nil {
		return nil, nil, err
	}
	if warnings, err = rep.Finish(opts.SkipBadLines); err != nil {
		return nil, nil, err
	}
	if len(set.Graphs) == 0 {
		return nil, warnings, rep.Fatal(0, "no valid graphs (%d malformed lines skipped)", len(warnings))
	}
	set.Schema = sc.s
	return set, warnings, nil
}

// Pair is one labeled pair of graphs.
type Pair struct {
	// A and B are the pair's graphs: graphs of the graphs file, or inline graphs.
	A, B *Graph
	// Label is 1 (same) or 0 (different).
	Label int
	// Line is the pair's line in the pairs file.
	Line int
}

// PairSet is the content of a graph pairs file.
type PairSet struct {
	// Name is the file's base name without its extension.
	Name string
	// Pairs holds the pairs in file order.
	Pairs []Pair
	// Schema is what every graph of the pairs carries (the graphs file's, when there is one).
	Schema Schema
}

// ReadPairsFile reads a graph pairs file (see ReadPairs); errors and warnings name the file by path.
func ReadPairsFile(path string, graphs *Set, opts *ReadOptions) (pairs *PairSet, warnings []*datasets.LineError, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadPairs(f, path, graphs, opts)
}

// ReadPairs reads a graph pairs file in JSON Lines from r: one object {"a": ..., "b": ...,
// "label": 0 or 1} per line (the label may also be true or false), where a and b are each the id
// of a graph in graphs (a string or number) or an inline graph object, written as a line of a
// graphs file is, whose "id" is optional (without one it is "<file>:<line>:a" or ":b") and must
// not be an id of graphs. graphs may be nil when every side is inline. Inline graphs must have
// the schema of graphs (or of the first inline graph). A pair of a graph id with itself labelled
// 0 is malformed. Errors and SkipBadLines are as for ReadGraphs.
func ReadPairs(r io.Reader, name string, graphs *Set, opts *ReadOptions) (pairs *PairSet, warnings []*datasets.LineError, err error) {
	opts = opts.orZero()
	rep := &datasets.LineReport{File: name}
	sc := &schemaCheck{}
	var index map[string]int
	if graphs != nil {
		index = graphs.Index()
		sc.s, sc.nodesSet, sc.edgesSet = graphs.Schema, true, true
	}
	lim := opts.Limits.withDefaults()
	base := filepath.Base(name)
	pairs = &PairSet{Name: strings.TrimSuffix(base, filepath.Ext(base))}
	err = lines.ScanJSONL(lines.SkipBOM(r), rep, lines.JSONLOptions{MaxLineBytes: MaxLineBytes}, func(line int, obj map[string]json.RawMessage) {
		if err := lines.CheckKeys(obj, "a", "b", "label"); err != nil {
			rep.Bad(line, "%v", err)
			return
		}
		var sides [2]*Graph
		var byID [2]string
		for k, key := range []string{"a", "b"} {
			raw, ok := obj[key]
			if !ok {
				rep.Bad(line, "no %q key", key)
				return
			}
			switch lines.Kind(raw) {
			case "object":
				var gobj map[string]json.RawMessage
				if err := json.Unmarshal(raw, &gobj); err != nil {
					rep.Bad(line, "key %q: %v", key, err)
					return
				}
				g, err := parseGraph(gobj, false, lim)
				if err == nil {
					err = sc.check(g, line)
				}
				if err != nil {
					rep.Bad(line, "key %q: inline graph: %v", key, err)
					return
				}
				if g.ID == "" {
					g.ID = fmt.Sprintf("%s:%d:%s", base, line, key)
				} else if _, clash := index[g.ID]; clash {
					rep.Bad(line, "key %q: inline graph id %s is also the id of a graph in %s", key, lines.Quote(g.ID), graphs.Name)
					return
				}
				sides[k] = g
			case "string", "number":
				id, _ := lines.ID(raw)
				if graphs == nil {
					rep.Bad(line, "key %q: graph id %s, but no graphs file was given (give one, or inline graphs)", key, lines.Quote(id))
					return
				}
				i, ok := index[id]
				if !ok {
					rep.Bad(line, "key %q: unknown graph id %s", key, lines.Quote(id))
					return
				}
				sides[k], byID[k] = graphs.Graphs[i], id
			default:
				rep.Bad(line, "key %q: %s, want a graph id (string or number) or an inline graph object", key, lines.AKind(raw))
				return
			}
		}
		rawL, ok := obj["label"]
		if !ok {
			rep.Bad(line, "no \"label\" key")
			return
		}
		y, ok := lines.PairLabel(string(rawL))
		if !ok {
			rep.Bad(line, "key \"label\": %s is not 0 or 1", lines.Clip(strings.TrimSpace(string(rawL))))
			return
		}
		if y == 0 && byID[0] != "" && byID[0] == byID[1] {
			rep.Bad(line, "self pair {%s, %s} is labelled 0, but a graph cannot differ from itself", lines.Quote(byID[0]), lines.Quote(byID[1]))
			return
		}
		pairs.Pairs = append(pairs.Pairs, Pair{A: sides[0], B: sides[1], Label: y, Line: line})
	})
	if err != nil {
		return nil, nil, err
	}
	if warnings, err = rep.Finish(opts.SkipBadLines); err != nil {
		return nil, nil, err
	}
	if len(pairs.Pairs) == 0 {
		return nil, warnings, rep.Fatal(0, "no valid pairs (%d malformed lines skipped)", len(warnings))
	}
	pairs.Schema = sc.s
	return pairs, warnings, nil
}

// schemaCheck checks that the graphs of a file share one schema: the first graph sets the node
// and graph parts, the first graph with an edge the edge parts.
type schemaCheck struct {
	s                  Schema
	nodesSet, edgesSet bool
	nodesLine          int // 0: set by the graphs file
	edgesLine          int
}

// as says where a schema part was set, for messages.
func as(line int) string {
	if line == 0 {
		return "as in the graphs file"
	}
	return fmt.Sprintf("as on line %d", line)
}

func (c *schemaCheck) check(g *Graph, line int) error {
	gs := SchemaOf(g)
	if !c.nodesSet {
		c.s.NodeLabels, c.s.NodeFeatures, c.s.GraphFeatures = gs.NodeLabels, gs.NodeFeatures, gs.GraphFeatures
		c.nodesSet, c.nodesLine = true, line
	}
	switch {
	case gs.NodeLabels != c.s.NodeLabels:
		return fmt.Errorf("%s (%s)", has(gs.NodeLabels, "node labels"), as(c.nodesLine))
	case gs.NodeFeatures != c.s.NodeFeatures:
		return fmt.Errorf("%s, want %s (%s)", count(gs.NodeFeatures, "node features"), count(c.s.NodeFeatures, "node features"), as(c.nodesLine))
	case gs.GraphFeatures != c.s.GraphFeatures:
		return fmt.Errorf("%s, want %s (%s)", count(gs.GraphFeatures, "graph features"), count(c.s.GraphFeatures, "graph features"), as(c.nodesLine))
	}
	if len(g.Edges) == 0 {
		return nil
	}
	if !c.edgesSet {
		c.s.EdgeLabels, c.s.EdgeFeatures = gs.EdgeLabels, gs.EdgeFeatures
		c.edgesSet, c.edgesLine = true, line
	}
	switch {
	case gs.EdgeLabels != c.s.EdgeLabels:
		return fmt.Errorf("%s (%s)", has(gs.EdgeLabels, "edge labels"), as(c.edgesLine))
	case gs.EdgeFeatures != c.s.EdgeFeatures:
		return fmt.Errorf("%s, want %s (%s)", count(gs.EdgeFeatures, "edge features"), count(c.s.EdgeFeatures, "edge features"), as(c.edgesLine))
	}
	return nil
}

func has(yes bool, what string) string {
	if yes {
		return "has " + what + ", but the file's graphs have none"
	}
	return "no " + what + ", but the file's graphs have them"
}

func count(n int, what string) string {
	if n == 0 {
		return "no " + what
	}
	return fmt.Sprintf("%d %s", n, what)
}

// parseGraph parses one graph object; needID says the "id" key is required.
func parseGraph(obj map[string]json.RawMessage, needID bool, lim Limits) (*Graph, error) {
	if err := lines.CheckKeys(obj, "id", "label", "nodes", "node_features", "edges", "edge_labels", "edge_features", "graph_features", "directed"); err != nil {
		return nil, err
	}
	g := &Graph{}
	if raw, ok := obj["id"]; ok {
		id, err := lines.ID(raw)
		if err != nil {
			return nil, fmt.Errorf("key \"id\": %v", err)
		}
		if id == "" {
			return nil, errors.New("key \"id\": empty id")
		}
		g.ID = id
	} else if needID {
		return nil, errors.New("no \"id\" key")
	}
	if raw, ok := obj["label"]; ok && !lines.IsNull(raw) {
		l, err := jsonLabel(raw)
		if err != nil {
			return nil, fmt.Errorf("key \"label\": %v", err)
		}
		g.Label = l
	}
	if raw, ok := obj["directed"]; ok {
		switch strings.TrimSpace(string(raw)) {
		case "true":
			g.Directed = true
		case "false":
		default:
			return nil, fmt.Errorf("key \"directed\": %s, want true or false", lines.AKind(raw))
		}
	}
	// Nodes.
	rawNodes, okNodes := obj["nodes"]
	rawNF, okNF := obj["node_features"]
	if !okNodes && !okNF {
		return nil, errors.New("no \"nodes\" or \"node_features\" key")
	}
	nNodes := -1
	if okNF {
		vs, err := jsonVectors(rawNF, lim.MaxNodes, "nodes")
		if err != nil {
			return nil, fmt.Errorf("key \"node_features\": %v", err)
		}
		g.NodeFeatures, nNodes = vs, len(vs)
	}
	if okNodes {
		labels, n, err := jsonNodes(rawNodes, lim.MaxNodes, okNF)
		if err != nil {
			return nil, fmt.Errorf("key \"nodes\": %v", err)
		}
		if nNodes >= 0 && n != nNodes {
			return nil, fmt.Errorf("%d nodes but %d node feature vectors", n, nNodes)
		}
		g.NodeLabels, nNodes = labels, n
	}
	if nNodes == 0 {
		return nil, errors.New("a graph with no nodes")
	}
	// Edges.
	if raw, ok := obj["edges"]; ok {
		es, err := jsonEdges(raw, lim.MaxEdges)
		if err != nil {
			return nil, fmt.Errorf("key \"edges\": %v", err)
		}
		g.Edges = es
	}
	if raw, ok := obj["edge_labels"]; ok {
		ls, err := jsonLabels(raw, lim.MaxEdges)
		if err != nil {
			return nil, fmt.Errorf("key \"edge_labels\": %v", err)
		}
		if len(ls) != len(g.Edges) {
			return nil, fmt.Errorf("key \"edge_labels\": %d labels for %d edges", len(ls), len(g.Edges))
		}
		if len(ls) > 0 {
			g.EdgeLabels = ls
		}
	}
	if raw, ok := obj["edge_features"]; ok {
		vs, err := jsonVectors(raw, lim.MaxEdges, "edges")
		if err != nil {
			return nil, fmt.Errorf("key \"edge_features\": %v", err)
		}
		if len(vs) != len(g.Edges) {
			return nil, fmt.Errorf("key \"edge_features\": %d vectors for %d edges", len(vs), len(g.Edges))
		}
		if len(vs) > 0 {
			g.EdgeFeatures = vs
		}
	}
	if raw, ok := obj["graph_features"]; ok {
		v, err := jsonVector(raw)
		if err != nil {
			return nil, fmt.Errorf("key \"graph_features\": %v", err)
		}
		g.Features = v
	}
	if err := g.validate(lim); err != nil {
		return nil, err
	}
	return g, nil
}

// jsonNodes parses the "nodes" array: node objects with an optional "label". Either every node
// has a label or none does; with none, features must be given (haveFeatures).
func jsonNodes(raw json.RawMessage, maxNodes int, haveFeatures bool) (labels []string, n int, err error) {
	elems, err := jsonArray(raw, maxNodes, "nodes")
	if err != nil {
		return nil, 0, err
	}
	withLabel := 0
	labels = make([]string, len(elems))
	for i, e := range elems {
		if lines.Kind(e) != "object" {
			return nil, 0, fmt.Errorf("node %d is %s, want an object such as {\"label\": \"C\"}", i, lines.AKind(e))
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(e, &obj); err != nil {
			return nil, 0, fmt.Errorf("node %d: %v", i, err)
		}
		if err := lines.CheckKeys(obj, "label"); err != nil {
			return nil, 0, fmt.Errorf("node %d: %v (node features go in \"node_features\")", i, err)
		}
		if rawL, ok := obj["label"]; ok && !lines.IsNull(rawL) {
			l, err := jsonLabel(rawL)
			if err != nil {
				return nil, 0, fmt.Errorf("node %d: key \"label\": %v", i, err)
			}
			labels[i] = l
			withLabel++
		}
		switch {
		case labels[i] == "" && withLabel > 0:
			return nil, 0, fmt.Errorf("node %d has no label, but node %d has one", i, slices.IndexFunc(labels, func(s string) bool { return s != "" }))
		case labels[i] != "" && withLabel != i+1:
			return nil, 0, fmt.Errorf("node %d has a label, but node %d has none", i, slices.Index(labels, ""))
		}
	}
	if withLabel == 0 {
		if len(elems) > 0 && !haveFeatures {
			return nil, 0, errors.New("node 0 has neither a label nor features (give \"label\" or \"node_features\")")
		}
		labels = nil
	}
	return labels, len(elems), nil
}

// jsonEdges parses the "edges" array of [from, to] pairs of non-negative integers.
func jsonEdges(raw json.RawMessage, maxEdges int) ([][2]int, error) {
	elems, err := jsonArray(raw, maxEdges, "edges")
	if err != nil {
		return nil, err
	}
	es := make([][2]int, len(elems))
	for i, e := range elems {
		var pair []json.RawMessage
		if lines.Kind(e) != "array" || json.Unmarshal(e, &pair) != nil || len(pair) != 2 {
			return nil, fmt.Errorf("edge %d is %s, want [from, to] node indices", i, lines.Clip(string(bytes.TrimSpace(e))))
		}
		for k, v := range pair {
			x, ok := jsonIndex(v)
			if !ok {
				return nil, fmt.Errorf("edge %d: %s is not a node index (an integer ≥ 0)", i, lines.Clip(string(bytes.TrimSpace(v))))
			}
			es[i][k] = x
		}
	}
	return es, nil
}

// jsonIndex returns the non-negative integer in raw.
func jsonIndex(raw json.RawMessage) (int, bool) {
	if lines.Kind(raw) != "number" {
		return 0, false
	}
	var x int
	if err := json.Unmarshal(raw, &x); err != nil || x < 0 {
		return 0, false
	}
	return x, true
}

// jsonLabels parses an array of non-empty strings.
func jsonLabels(raw json.RawMessage, limit int) ([]string, error) {
	elems, err := jsonArray(raw, limit, "edges")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		l, err := jsonLabel(e)
		if err != nil {
			return nil, fmt.Errorf("label %d: %v", i, err)
		}
		out[i] = l
	}
	return out, nil
}

// jsonLabel returns the non-empty string in raw.
func jsonLabel(raw json.RawMessage) (string, error) {
	switch lines.Kind(raw) {
	case "string":
	case "number":
		v := lines.Clip(string(bytes.TrimSpace(raw)))
		return "", fmt.Errorf("%s is not a string (write it as %q)", v, v)
	default:
		return "", fmt.Errorf("%s, want a string", lines.AKind(raw))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	if s == "" {
		return "", errors.New("empty label")
	}
	return s, nil
}

// jsonArray returns the elements of the array raw, at most limit of them (what names them).
func jsonArray(raw json.RawMessage, limit int, what string) ([]json.RawMessage, error) {
	if lines.Kind(raw) != "array" {
		return nil, fmt.Errorf("%s, want an array", lines.AKind(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, err
	}
	if len(elems) > limit {
		return nil, fmt.Errorf("%d %s, more than the limit of %d", len(elems), what, limit)
	}
	return elems, nil
}

// jsonVectors parses an array of feature vectors (arrays of finite numbers), all of one length.
func jsonVectors(raw json.RawMessage, limit int, what string) ([][]float32, error) {
	elems, err := jsonArray(raw, limit, what)
	if err != nil {
		return nil, err
	}
	vs := make([][]float32, len(elems))
	for i, e := range elems {
		v, err := jsonVector(e)
		if err != nil {
			return nil, fmt.Errorf("vector %d: %v", i, err)
		}
		if i > 0 && len(v) != len(vs[0]) {
			return nil, fmt.Errorf("vector %d has %d values, vector 0 has %d", i, len(v), len(vs[0]))
		}
		vs[i] = v
	}
	return vs, nil
}

// jsonVector parses a non-empty array of numbers, in float32 range.
func jsonVector(raw json.RawMessage) ([]float32, error) {
	return lines.Vector(raw, lines.VectorStyle{NotNumberHint: " (NaN and Inf cannot be given)", Value: lines.Clip})
}
