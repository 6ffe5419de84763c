package datasets

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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

// lineReport collects the malformed lines of one file, and the notes on lines that are not
// malformed (duplicates, remarks).
type lineReport struct {
	file  string
	errs  LineErrors
	notes []*LineError
}

// bad records a malformed line.
func (r *lineReport) bad(line int, format string, args ...any) {
	r.badOther(line, 0, format, args...)
}

// badOther records a malformed line reported against another line.
func (r *lineReport) badOther(line, other int, format string, args ...any) {
	r.errs = append(r.errs, &LineError{File: r.file, Line: line, Msg: fmt.Sprintf(format, args...), Other: other})
}

// note records a line that is not malformed but comes back as a warning, of the given kind.
func (r *lineReport) note(kind LineKind, line, other int, format string, args ...any) {
	r.notes = append(r.notes, &LineError{File: r.file, Line: line, Msg: fmt.Sprintf(format, args...), Kind: kind, Other: other})
}

// fatal returns a whole-file (line 0) or header error.
func (r *lineReport) fatal(line int, format string, args ...any) error {
	return &LineError{File: r.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// finish applies the skip policy once the file is read: with skip false any malformed line is an
// error; with skip true the malformed lines are returned as warnings. Notes are warnings either
// way (but none come back with an error). Errors and warnings are in line order, whatever order
// the checks found them in.
func (r *lineReport) finish(skip bool) (warnings []*LineError, err error) {
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

// read reads r with readCSV or readJSONL, as format says, then applies the skip policy (finish).
// A UTF-8 byte order mark is dropped first, so that neither reader sees it: to encoding/csv it is
// part of the first field, and a quoted first header name after it is a syntax error.
func (r *lineReport) read(in io.Reader, format Format, skip bool, readCSV, readJSONL func(io.Reader) error) (warnings []*LineError, err error) {
	in = skipBOM(in)
	if format == FormatCSV {
		err = readCSV(in)
	} else {
		err = readJSONL(in)
	}
	if err != nil {
		return nil, err
	}
	return r.finish(skip)
}

// bom is the UTF-8 byte order mark that some editors write at the start of a file.
const bom = "\uFEFF"

// skipBOM returns in without a leading UTF-8 byte order mark.
func skipBOM(in io.Reader) io.Reader {
	br := bufio.NewReader(in)
	if head, err := br.Peek(len(bom)); err == nil && string(head) == bom {
		br.Discard(len(bom))
	}
	return br
}

// maxQuoted is how many bytes of an input value an error message quotes: enough to recognise the
// value, and a 10 MB field does not make a 10 MB message.
const maxQuoted = 64

// quote returns s quoted as %q does; a value longer than maxQuoted bytes is cut to its first
// maxQuoted bytes (whole runes), followed by "… (N bytes)" with its full length.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:cutAt(s)]) + fmt.Sprintf("… (%d bytes)", len(s))
}

// clip returns s unquoted, cut as quote cuts it; for values written as they are, such as numbers.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:cutAt(s)] + fmt.Sprintf("… (%d bytes)", len(s))
}

// cutAt returns where quote cuts a long s: at most maxQuoted bytes, at the start of a rune.
func cutAt(s string) int {
	i := maxQuoted
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
