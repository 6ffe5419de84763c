package datasets

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gometric/gometric/internal/lines"
)

// LineError is a problem with one line of an input file, or with the whole file when Line is 0:
// it prints as "file:line: message", for example
//
//	pairs.csv:7: column "label": "2" is not 0 or 1
//
// A reader's warnings are LineErrors too; their Kind says what became of the line, so that a
// caller can print "skipped ...", "duplicate ..." or "note ..." as it fits.
type LineError struct {
	// File is the file's name as the caller gave it.
	File string
	// Line is the 1-based line number; 0 for a problem with the whole file.
	Line int
	// Msg says what is wrong.
	Msg string
	// Kind says what the line is: KindMalformed (the zero value) for a wrong line, KindDuplicate
	// for an exact repeat that was left out, KindNote for a line that was kept with a remark.
	Kind LineKind
	// Other is the line that this one is reported against: the kept line that a duplicate repeats,
	// or the line that gives a pair the other label; 0 when none.
	Other int
}

// LineKind says what a LineError reports about its line.
type LineKind int

const (
	// KindMalformed is a wrong line: an error, or, with ReadOptions.SkipBadLines, a line that was
	// skipped and comes back as a warning.
	KindMalformed LineKind = iota
	// KindDuplicate is a line that repeats an earlier line's pair exactly (ReadPairs): it was left
	// out and the earlier line, Other, kept. Always a warning, with or without SkipBadLines
	// (ReadOptions.Duplicates can make duplicates malformed lines instead).
	KindDuplicate
	// KindNote is a line that was kept, with a remark worth reading (ReadPairs: a self pair
	// labelled 1). Always a warning.
	KindNote
)

// String returns "malformed", "duplicate" or "note".
func (k LineKind) String() string {
	switch k {
	case KindMalformed:
		return "malformed"
	case KindDuplicate:
		return "duplicate"
	case KindNote:
		return "note"
	}
	return "LineKind(" + strconv.Itoa(int(k)) + ")"
}

// Error returns "file:line: message" (or "file: message" when Line is 0).
func (e *LineError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// LineErrors is the list of every malformed line of an input file, in file order. errors.As finds
// each *LineError in it.
type LineErrors []*LineError

// maxErrorLines bounds how many lines LineErrors.Error prints.
const maxErrorLines = 20

// Error returns one line per malformed line (the first 20, then a count of the rest).
func (es LineErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i == maxErrorLines {
			fmt.Fprintf(&b, "\n(and %d more malformed lines)", len(es)-i)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the individual errors, for errors.Is and errors.As.
func (es LineErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// LineReport collects the problems of one input file while a reader reads it: the malformed
// lines (Bad), the notes on lines that are kept (Note), and the error that ends the read (Fatal).
// Finish then applies the ReadOptions.SkipBadLines policy. The readers of this package, of graphs
// and of text use it, so that their errors and warnings read alike; it is for readers of other
// formats too.
type LineReport struct {
	// File is the file's name as the caller gave it, for messages.
	File  string
	errs  LineErrors
	notes []*LineError
}

// Bad records a malformed line.
func (r *LineReport) Bad(line int, format string, args ...any) {
	r.BadOther(line, 0, format, args...)
}

// BadOther records a malformed line reported against another line (LineError.Other).
func (r *LineReport) BadOther(line, other int, format string, args ...any) {
	r.errs = append(r.errs, &LineError{File: r.File, Line: line, Msg: fmt.Sprintf(format, args...), Other: other})
}

// Note records a line that is not malformed but comes back as a warning, of the given kind
// (KindDuplicate or KindNote).
func (r *LineReport) Note(kind LineKind, line, other int, format string, args ...any) {
	r.notes = append(r.notes, &LineError{File: r.File, Line: line, Msg: fmt.Sprintf(format, args...), Kind: kind, Other: other})
}

// Fatal returns a whole-file (line 0) or header error, which ends the read; it records nothing.
func (r *LineReport) Fatal(line int, format string, args ...any) error {
	return &LineError{File: r.File, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Malformed returns how many malformed lines have been recorded.
func (r *LineReport) Malformed() int { return len(r.errs) }

// Finish applies the skip policy once the file is read: with skip false any malformed line is an
// error (LineErrors); with skip true the malformed lines are returned as warnings. Notes are
// warnings either way (but none come back with an error). Errors and warnings are in line order,
// whatever order the checks found them in.
func (r *LineReport) Finish(skip bool) (warnings []*LineError, err error) {
	byLine := func(a, b *LineError) int { return cmp.Compare(a.Line, b.Line) }
	slices.SortStableFunc(r.errs, byLine)
	if len(r.errs) > 0 && !skip {
		return nil, r.errs
	}
	warnings = append(warnings, r.errs...)
	warnings = append(warnings, r.notes...)
	slices.SortStableFunc(warnings, byLine)
	return warnings, nil
}

// countMalformed returns how many of warnings are malformed lines (skipped), not notes.
func countMalformed(warnings []*LineError) int {
	n := 0
	for _, w := range warnings {
		if w.Kind == KindMalformed {
			n++
		}
	}
	return n
}

// read reads in with readCSV or readJSONL, as format says, then applies the skip policy
// (Finish). A UTF-8 byte order mark is dropped first, so that neither reader sees it: to
// encoding/csv it is part of the first field, and a quoted first header name after it is a
// syntax error.
func (r *LineReport) read(in io.Reader, format Format, skip bool, readCSV, readJSONL func(io.Reader) error) (warnings []*LineError, err error) {
	in = lines.SkipBOM(in)
	if format == FormatCSV {
		err = readCSV(in)
	} else {
		err = readJSONL(in)
	}
	if err != nil {
		return nil, err
	}
	return r.Finish(skip)
}
