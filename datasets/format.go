package datasets

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is an input or output file format.
type Format string

const (
	// FormatAuto picks the format from the file name's extension (see FormatOf).
	FormatAuto Format = ""
	// FormatCSV is comma-separated values with a header row.
	FormatCSV Format = "csv"
	// FormatJSONL is JSON Lines: one JSON object per line.
	FormatJSONL Format = "jsonl"
)

// ParseFormat parses a format name as a command-line flag gives it: "csv", "jsonl" (also "ndjson"
// and "json"), or "" / "auto" for FormatAuto.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "csv":
		return FormatCSV, nil
	case "jsonl", "ndjson", "json":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("unknown format %q (want csv or jsonl)", s)
}

// FormatOf returns the format of a file from its extension, ignoring case: .csv is FormatCSV;
// .jsonl, .ndjson and .json are FormatJSONL (one object per line, also for .json).
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV, nil
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL, nil
	}
	return "", &LineError{File: name, Msg: fmt.Sprintf("cannot tell the format from the extension %q (want .csv, .jsonl, .ndjson or .json, or give the format explicitly)", filepath.Ext(name))}
}

// resolve returns f, or the format of name when f is FormatAuto.
func (f Format) resolve(name string) (Format, error) {
	switch f {
	case FormatAuto:
		return FormatOf(name)
	case FormatCSV, FormatJSONL:
		return f, nil
	}
	return "", &LineError{File: name, Msg: fmt.Sprintf("unknown format %q (want csv or jsonl)", string(f))}
}

// ReadOptions tunes ReadItems and ReadPairs. The zero value (or a nil *ReadOptions) reads by
// extension and rejects a file with any malformed line.
type ReadOptions struct {
	// Format overrides the format that the file name's extension implies.
	Format Format
	// SkipBadLines skips malformed lines instead of failing; the skipped lines come back as
	// warnings, with the same detail as errors. Header problems and files with no valid line
	// remain errors.
	SkipBadLines bool
	// Duplicates, for pairs files, says what to do with a line that repeats an earlier line's pair
	// exactly; the default, DuplicatesKeepFirst, keeps the first and warns about the others.
	Duplicates DuplicatePolicy
	// ClassNames, for items files, fixes the class index of these label names (ClassNames[c] is
	// class c), for example the training file's Items.ClassNames when reading its test file. Label
	// names not in it get the next indices, in sorted order.
	ClassNames []string
}

// DuplicatePolicy says what ReadPairs does with a line whose pair is exactly an earlier line's: the
// same unordered pair of items with the same label.
type DuplicatePolicy int

const (
	// DuplicatesKeepFirst keeps the first line and leaves the repeats out, each reported as a
	// KindDuplicate warning ("duplicate of line N, kept once"), with or without SkipBadLines.
	DuplicatesKeepFirst DuplicatePolicy = iota
	// DuplicatesError makes each repeat a malformed line: an error, or, with SkipBadLines, a
	// skipped line (the first line is still kept).
	DuplicatesError
)

// String returns "keep-first" or "error".
func (d DuplicatePolicy) String() string {
	switch d {
	case DuplicatesKeepFirst:
		return "keep-first"
	case DuplicatesError:
		return "error"
	}
	return fmt.Sprintf("DuplicatePolicy(%d)", int(d))
}

// orZero returns o, or the zero options when o is nil.
func (o *ReadOptions) orZero() *ReadOptions {
	if o == nil {
		return &ReadOptions{}
	}
	return o
}
