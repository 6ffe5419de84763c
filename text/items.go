package text

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/internal/lines"
	"github.com/gometric/gometric/mat"
)

// KindText is the datasets.Objects kind of text items.
const KindText = "text"

// Objects are texts as the objects of a datasets.Items (see ToItems): item i is Texts[i]. They
// implement datasets.Objects.
type Objects struct {
	// Texts holds the texts, as read (not normalised).
	Texts []string
}

// Kind implements datasets.Objects: "text".
func (o *Objects) Kind() string { return KindText }

// Len implements datasets.Objects.
func (o *Objects) Len() int { return len(o.Texts) }

// Subset implements datasets.Objects.
func (o *Objects) Subset(idx []int) datasets.Objects {
	out := &Objects{Texts: make([]string, len(idx))}
	for i, j := range idx {
		out.Texts[i] = o.Texts[j]
	}
	return out
}

// WriteContent implements datasets.Objects: each text as a JSON string, one per line.
func (o *Objects) WriteContent(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, t := range o.Texts {
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// JSONItem returns text i as a pairs file writes an inline side, {"text": "..."}: what a run
// writes in its test pairs (runfolder.Folder.WriteTestPairs), which ReadPairs reads back.
func (o *Objects) JSONItem(i int) (json.RawMessage, error) {
	return json.Marshal(struct {
		Text string `json:"text"`
	}{o.Texts[i]})
}

// TextsOf returns the texts of items whose objects are texts, or an error that says what the
// items are.
func TextsOf(items *datasets.Items) (*Objects, error) {
	o, ok := items.Objects.(*Objects)
	if !ok {
		return nil, fmt.Errorf("items %q are %ss, not texts", items.Name, items.Kind())
	}
	return o, nil
}

// NewItems returns texts as datasets.Items named name: ids, class labels (sorted distinct label
// names are classes 0, 1, ...; labels nil for none) and the texts as Objects.
func NewItems(name string, ids, texts, labels []string) (*datasets.Items, error) {
	if len(ids) != len(texts) || labels != nil && len(labels) != len(texts) {
		return nil, fmt.Errorf("text items %q: %d ids, %d texts, %d labels", name, len(ids), len(texts), len(labels))
	}
	items := &datasets.Items{
		Name: name, IDs: slices.Clone(ids), Features: mat.New(len(ids), 0),
		Objects: &Objects{Texts: slices.Clone(texts)},
	}
	if labels != nil {
		names := slices.Clone(labels)
		slices.Sort(names)
		names = slices.Compact(names)
		index := make(map[string]int, len(names))
		for i, n := range names {
			index[n] = i
		}
		items.Labels = make([]int, len(labels))
		for i, l := range labels {
			items.Labels[i] = index[l]
		}
		items.ClassNames = names
	}
	return items, items.Validate()
}

// ToItems returns the texts of set as datasets.Items (see NewItems), so that gometric's splits,
// pair sampling and training work on them as on feature vectors.
func ToItems(set *Set) (*datasets.Items, error) {
	return NewItems(set.Name, set.IDs, set.Texts, set.Labels)
}

// ToPairs returns the pairs of ps as datasets.Pairs. items are ToItems of the texts file the pairs
// name ids of (nil when every side is inline). When no side is inline, the pairs' Items are items
// itself; otherwise they are the texts of items followed by the distinct inline texts (without
// class labels, with ids "<pairs file>:<line>:a" or ":b" after the first line that has them): the
// same inline text on several lines is one item. Pair lines are kept (Pairs.Lines).
func ToPairs(ps *PairSet, items *datasets.Items) (*datasets.Pairs, error) {
	var base *Objects
	if items != nil {
		o, err := TextsOf(items)
		if err != nil {
			return nil, err
		}
		base = o
	}
	var ids, texts []string
	if base != nil {
		ids, texts = slices.Clone(items.IDs), slices.Clone(base.Texts)
	}
	byText := map[string]int{}
	taken := map[string]bool{}
	for _, id := range ids {
		taken[id] = true
	}
	n := len(ps.Pairs)
	p := &datasets.Pairs{A: make([]int, n), B: make([]int, n), Y: make([]int, n), Lines: make([]int, n)}
	for k, pr := range ps.Pairs {
		for side, s := range []struct {
			text  string
			index int
		}{{pr.A, pr.IndexA}, {pr.B, pr.IndexB}} {
			i := s.index
			if i < 0 {
				j, seen := byText[s.text]
				if !seen {
					j = len(texts)
					id := fmt.Sprintf("%s:%d:%c", ps.Name, pr.Line, "ab"[side])
					for taken[id] {
						id += "'"
					}
					taken[id] = true
					ids, texts = append(ids, id), append(texts, s.text)
					byText[s.text] = j
				}
				i = j
			} else if base == nil {
				return nil, fmt.Errorf("%s:%d: a text id without a texts file", ps.Name, pr.Line)
			}
			if side == 0 {
				p.A[k] = i
			} else {
				p.B[k] = i
			}
		}
		p.Y[k], p.Lines[k] = pr.Label, pr.Line
	}
	if items != nil && len(texts) == items.Len() {
		p.Items = items
		return p, p.Validate()
	}
	name := ps.Name
	if items != nil {
		name = items.Name
	}
	var err error
	if p.Items, err = NewItems(name, ids, texts, nil); err != nil {
		return nil, err
	}
	return p, p.Validate()
}

// IsTextFile reports whether the file at path holds texts (a texts file, or a pairs file with
// inline texts): for a .csv file, its header has a "text", "a_text" or "b_text" column; for JSON
// Lines, its first non-blank line is an object with a "text", "a_text" or "b_text" key, or
// whose "a" or "b" is an object with a "text" key. Anything else (feature vectors, graphs) is not.
// A pairs file that names texts by id only is not a text file: its items file says the kind.
func IsTextFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	r := bufio.NewReader(lines.SkipBOM(f))
	textKeys := []string{"text", "a_text", "b_text"}
	if format, err := datasets.FormatOf(path); err == nil && format == datasets.FormatCSV {
		header, err := csv.NewReader(r).Read()
		if err != nil {
			return false, nil
		}
		for _, c := range header {
			if slices.Contains(textKeys, strings.ToLower(strings.TrimSpace(c))) {
				return true, nil
			}
		}
		return false, nil
	}
	for {
		line, err := r.ReadBytes('\n')
		if t := bytes.TrimSpace(line); len(t) > 0 {
			var obj map[string]json.RawMessage
			if json.Unmarshal(t, &obj) != nil {
				return false, nil
			}
			for _, k := range textKeys {
				if _, ok := obj[k]; ok {
					return true, nil
				}
			}
			for _, k := range []string{"a", "b"} {
				var side map[string]json.RawMessage
				if raw, ok := obj[k]; ok && json.Unmarshal(raw, &side) == nil {
					if _, ok := side["text"]; ok {
						return true, nil
					}
				}
			}
			return false, nil
		}
		if err != nil {
			return false, nil
		}
	}
}
