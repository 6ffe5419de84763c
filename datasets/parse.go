package datasets

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// This file holds the line-level machinery shared by the items and pairs readers.

// scanCSV reads a CSV file with a header row: onHeader gets the header (names trimmed;
// lineReport.read has dropped any UTF-8 byte order mark) and may reject it; onRow gets each row with
// its line number. CSV syntax errors are reported as malformed lines. It is an error when the file
// is empty or has no row.
func scanCSV(r io.Reader, rep *lineReport, onHeader func(line int, header []string) error, onRow func(line int, rec []string)) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	sawHeader, rows := false, 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if !sawHeader {
				return rep.fatal(pe.Line, "header: CSV syntax: %v", pe.Err)
			}
			rep.bad(pe.Line, "CSV syntax: %v", pe.Err)
			rows++
			continue
		}
		if err != nil {
			return rep.fatal(0, "%v", err)
		}
		line, _ := cr.FieldPos(0)
		if !sawHeader {
			sawHeader = true
			for i := range rec {
				rec[i] = strings.TrimSpace(rec[i])
			}
			if err := onHeader(line, rec); err != nil {
				return err
			}
			continue
		}
		rows++
		onRow(line, rec)
	}
	switch {
	case !sawHeader:
		return rep.fatal(0, "empty file (no header row)")
	case rows == 0:
		return rep.fatal(0, "no rows after the header")
	}
	return nil
}

// scanJSONL reads a JSON Lines file: onObject gets each non-blank line's object with its line
// number. Lines that are not JSON objects are reported as malformed. It is an error when the file
// has no non-blank line, or is a JSON array.
func scanJSONL(r io.Reader, rep *lineReport, onObject func(line int, obj map[string]json.RawMessage)) error {
	br := bufio.NewReader(r)
	lines := 0
	for line := 1; ; line++ {
		text, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return rep.fatal(0, "%v", err)
		}
		if t := bytes.TrimSpace(text); len(t) > 0 {
			if lines == 0 && t[0] == '[' {
				return rep.fatal(line, "a JSON array; want JSON Lines, one object per line")
			}
			lines++
			var obj map[string]json.RawMessage
			switch {
			case t[0] != '{':
				if json.Valid(t) {
					rep.bad(line, "%s, not a JSON object", aKind(t))
				} else {
					rep.bad(line, "invalid JSON: %v", jsonSyntax(t))
				}
			default:
				if err := json.Unmarshal(t, &obj); err != nil {
					rep.bad(line, "invalid JSON: %v", jsonSyntax(t))
				} else {
					onObject(line, obj)
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	if lines == 0 {
		return rep.fatal(0, "empty file (no JSON lines)")
	}
	return nil
}

// jsonSyntax returns the JSON syntax error of t.
func jsonSyntax(t []byte) error {
	var v any
	err := json.Unmarshal(t, &v)
	if err == nil {
		return errors.New("not valid JSON")
	}
	return err
}

// jsonKind names the kind of a JSON value: string, number, boolean, null, array or object.
func jsonKind(raw json.RawMessage) string {
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

// aKind names the kind of a JSON value with its article: "a string", "an array", ...
func aKind(raw json.RawMessage) string {
	switch k := jsonKind(raw); k {
	case "array", "object":
		return "an " + k
	case "null", "nothing":
		return k
	default:
		return "a " + k
	}
}

// isNull reports whether raw is JSON null.
func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonID returns the id in raw: a string, or a number written as in the file.
func jsonID(raw json.RawMessage) (string, error) {
	switch jsonKind(raw) {
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case "number":
		return string(bytes.TrimSpace(raw)), nil
	}
	return "", fmt.Errorf("%s, want a string or number", aKind(raw))
}

// jsonLabelToken returns a label in raw: a string, or an integer written in decimal.
func jsonLabelToken(raw json.RawMessage) (string, error) {
	switch jsonKind(raw) {
	case "string":
		return jsonID(raw)
	case "number":
		s := string(bytes.TrimSpace(raw))
		if _, err := strconv.Atoi(s); err != nil {
			return "", fmt.Errorf("%s is not an integer or a string", clip(s))
		}
		return s, nil
	}
	return "", fmt.Errorf("%s, want a string or integer", aKind(raw))
}

// jsonVector returns the feature vector in raw, an array of finite numbers.
func jsonVector(raw json.RawMessage) ([]float32, error) {
	if jsonKind(raw) != "array" {
		return nil, fmt.Errorf("%s, want an array of numbers", aKind(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, err
	}
	if len(elems) == 0 {
		return nil, errors.New("an empty array")
	}
	v := make([]float32, len(elems))
	for i, e := range elems {
		if jsonKind(e) != "number" {
			return nil, fmt.Errorf("element %d is %s, not a number", i, aKind(e))
		}
		x, err := parseValue(string(bytes.TrimSpace(e)))
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		v[i] = x
	}
	return v, nil
}

// parseValue parses a finite float32 feature value, written as a plain decimal literal
// (isPlainDecimal). strconv.ParseFloat alone would also take Go's forms: 1_000 as 1000 and 0x1p3
// as 8, which no other tool reading the same file would, so the file would mean two things.
func parseValue(s string) (float32, error) {
	s = strings.TrimSpace(s)
	if !isPlainDecimal(s) {
		x, err := strconv.ParseFloat(s, 32)
		switch {
		case strings.Contains(s, "_"):
			return 0, fmt.Errorf("%s is not a plain decimal number (_ digit separators are not allowed)", quote(s))
		case hasBasePrefix(s):
			return 0, fmt.Errorf("%s is not a plain decimal number (0x, 0o and 0b prefixes are not allowed)", quote(s))
		case err == nil && (math.IsNaN(x) || math.IsInf(x, 0)):
			return 0, fmt.Errorf("%s is not a finite number", quote(s))
		}
		return 0, fmt.Errorf("%s is not a number", quote(s))
	}
	x, err := strconv.ParseFloat(s, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%s is out of float32 range", quote(s))
		}
		return 0, fmt.Errorf("%s is not a number", quote(s))
	}
	return float32(x), nil
}

// isPlainDecimal reports whether s is a plain decimal floating-point literal: an optional sign,
// digits with at most one decimal point (at least one digit in all), and an optional exponent (e or
// E, an optional sign, digits). JSON numbers are all of this form.
func isPlainDecimal(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			n++
		}
		return n
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// hasBasePrefix reports whether s, after an optional sign, starts with 0x, 0o or 0b (any case).
func hasBasePrefix(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) >= 2 && s[0] == '0' && strings.ContainsRune("xXoObB", rune(s[1]))
}

// plainIndex returns the value of s when s is a non-negative integer written in plain decimal:
// digits only, no sign and no leading zero (so "0" but not "00"), small enough for an int. Only
// such labels are kept as class indices: "+3" or "03" kept as 3 would join class "3" although the
// file wrote something else.
func plainIndex(s string) (int, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}

// checkKeys reports the first key of obj not in allowed.
func checkKeys(obj map[string]json.RawMessage, allowed ...string) error {
	var unknown []string
	for k := range obj {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		if !known {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	// The smallest, so that the message does not depend on map order.
	first := unknown[0]
	for _, k := range unknown {
		first = min(first, k)
	}
	return fmt.Errorf("unknown key %s (want %s)", quote(first), strings.Join(allowed, ", "))
}
