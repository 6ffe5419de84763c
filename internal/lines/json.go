// Package lines holds what the line-by-line readers of gometric's data files share: the JSON value
// helpers (kinds, ids, allowed keys, feature vectors), the quoting of input values in messages, and
// the JSON Lines and CSV scanners. It reports problems through a Reporter, which
// datasets.LineReport implements, so that the readers of datasets, graphs and text say the same
// things the same way ("file:line: cause").
package lines

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind names the kind of a JSON value: "string", "number", "boolean", "null", "array" or
// "object"; "nothing" when raw is empty or white space. raw is assumed to be valid JSON: only its
// first byte is looked at.
func Kind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "string"
	case '[':
		return "array"
	case '{':
		return "object"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// AKind names the kind of a JSON value with its article: "a string", "an array", ..., and "null"
// or "nothing" without one.
func AKind(raw json.RawMessage) string {
	switch k := Kind(raw); k {
	case "array", "object":
		return "an " + k
	case "null", "nothing":
		return k
	default:
		return "a " + k
	}
}

// IsNull reports whether raw is JSON null.
func IsNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// ID returns the id in raw: a string, or a number as it is written in the file (so that 007 and
// 7.0 stay what the file says).
func ID(raw json.RawMessage) (string, error) {
	switch Kind(raw) {
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case "number":
		return string(bytes.TrimSpace(raw)), nil
	}
	return "", fmt.Errorf("%s, want a string or number", AKind(raw))
}

// Syntax returns encoding/json's description of what is wrong with t, which is not valid JSON
// (or "not valid JSON" should t parse after all).
func Syntax(t []byte) error {
	var v any
	if err := json.Unmarshal(t, &v); err != nil {
		return err
	}
	return errors.New("not valid JSON")
}

// CheckKeys reports the smallest key of obj that is not in allowed (the smallest, so that the
// message does not depend on map order): `unknown key "x" (want a, b)`.
func CheckKeys(obj map[string]json.RawMessage, allowed ...string) error {
	first, found := "", false
	for k := range obj {
		if !slices.Contains(allowed, k) && (!found || k < first) {
			first, found = k, true
		}
	}
	if !found {
		return nil
	}
	return fmt.Errorf("unknown key %s (want %s)", Quote(first), strings.Join(allowed, ", "))
}

// VectorStyle says how Vector words its errors, so that each reader keeps its own messages.
type VectorStyle struct {
	// NotNumberHint follows "element i is a string, not a number" (with its leading space or
	// punctuation), for example " (NaN and Inf cannot be given)"; empty for none.
	NotNumberHint string
	// Value writes an element's number in a message: Quote or Clip; nil means Quote.
	Value func(string) string
}

// Vector returns the feature vector in raw: a non-empty array of numbers, each in float32 range
// (JSON has no NaN or Inf; a string such as "NaN" is not a number). Numbers are rounded to float32
// once, from their decimal text.
func Vector(raw json.RawMessage, style VectorStyle) ([]float32, error) {
	if Kind(raw) != "array" {
		return nil, fmt.Errorf("%s, want an array of numbers", AKind(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, err
	}
	if len(elems) == 0 {
		return nil, errors.New("an empty array")
	}
	value := style.Value
	if value == nil {
		value = Quote
	}
	v := make([]float32, len(elems))
	for i, e := range elems {
		if Kind(e) != "number" {
			return nil, fmt.Errorf("element %d is %s, not a number%s", i, AKind(e), style.NotNumberHint)
		}
		s := string(bytes.TrimSpace(e))
		x, err := strconv.ParseFloat(s, 32)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("element %d: %s is out of float32 range", i, value(s))
			}
			// Not reached for valid JSON, whose numbers ParseFloat takes.
			return nil, fmt.Errorf("element %d: %s is not a number", i, value(s))
		}
		v[i] = float32(x)
	}
	return v, nil
}

// PairLabel returns the label of a pair written as s (white space around it ignored): 0 for "0"
// or "false", 1 for "1" or "true"; ok is false for anything else.
func PairLabel(s string) (y int, ok bool) {
	switch strings.TrimSpace(s) {
	case "0", "false":
		return 0, true
	case "1", "true":
		return 1, true
	}
	return 0, false
}
