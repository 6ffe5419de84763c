package datasets

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gometric/gometric/internal/lines"
)

// This file holds the line-level machinery shared by the items and pairs readers.

// scanCSV reads a CSV file with a header row (lines.ScanCSV): onHeader gets the header, names
// trimmed (LineReport.read has dropped any UTF-8 byte order mark), and may reject it; onRow gets
// each row with its line number.
func scanCSV(r io.Reader, rep *LineReport, onHeader func(line int, header []string) error, onRow func(line int, rec []string)) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	return lines.ScanCSV(cr, rep, func(line int, header []string) error {
		for i := range header {
			header[i] = strings.TrimSpace(header[i])
		}
		return onHeader(line, header)
	}, onRow)
}

// scanJSONL reads a JSON Lines file (lines.ScanJSONL), lines of any length.
func scanJSONL(r io.Reader, rep *LineReport, onObject func(line int, obj map[string]json.RawMessage)) error {
	return lines.ScanJSONL(r, rep, lines.JSONLOptions{}, onObject)
}

// jsonLabelToken returns a label in raw: a string, or an integer written in decimal.
func jsonLabelToken(raw json.RawMessage) (string, error) {
	switch lines.Kind(raw) {
	case "string":
		return lines.ID(raw)
	case "number":
		s := string(bytes.TrimSpace(raw))
		if _, err := strconv.Atoi(s); err != nil {
			return "", fmt.Errorf("%s is not an integer or a string", lines.Clip(s))
		}
		return s, nil
	}
	return "", fmt.Errorf("%s, want a string or integer", lines.AKind(raw))
}

// jsonVector returns the feature vector in raw, an array of finite numbers.
func jsonVector(raw json.RawMessage) ([]float32, error) {
	return lines.Vector(raw, lines.VectorStyle{})
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
			return 0, fmt.Errorf("%s is not a plain decimal number (_ digit separators are not allowed)", lines.Quote(s))
		case hasBasePrefix(s):
			return 0, fmt.Errorf("%s is not a plain decimal number (0x, 0o and 0b prefixes are not allowed)", lines.Quote(s))
		case err == nil && (math.IsNaN(x) || math.IsInf(x, 0)):
			return 0, fmt.Errorf("%s is not a finite number", lines.Quote(s))
		}
		return 0, fmt.Errorf("%s is not a number", lines.Quote(s))
	}
	x, err := strconv.ParseFloat(s, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("%s is out of float32 range", lines.Quote(s))
		}
		return 0, fmt.Errorf("%s is not a number", lines.Quote(s))
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
