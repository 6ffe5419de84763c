package lines

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// Reporter receives what a scanner finds wrong: Bad records a malformed line and reading goes on;
// Fatal makes the error that ends the read (line 0 for the whole file). datasets.LineReport is
// one.
type Reporter interface {
	Bad(line int, format string, args ...any)
	Fatal(line int, format string, args ...any) error
}

// bom is the UTF-8 byte order mark that some editors write at the start of a file.
const bom = "\uFEFF"

// bufSize is the scanners' read buffer: lines are read in chunks of at most this size.
const bufSize = 64 << 10

// SkipBOM returns in without a leading UTF-8 byte order mark (to encoding/csv it would be part of
// the first field, and a quoted first header name after it a syntax error).
func SkipBOM(in io.Reader) io.Reader {
	br := bufio.NewReaderSize(in, bufSize)
	if head, err := br.Peek(len(bom)); err == nil && string(head) == bom {
		br.Discard(len(bom))
	}
	return br
}

// JSONLOptions tunes ScanJSONL.
type JSONLOptions struct {
	// MaxLineBytes is the longest line read: a longer line is a malformed line ("line longer than
	// N MiB"), skipped without being held in memory. 0 means no limit.
	MaxLineBytes int
	// CheckUTF8 makes a line that is not valid UTF-8 malformed; otherwise encoding/json turns
	// invalid bytes into U+FFFD silently.
	CheckUTF8 bool
}

// ScanJSONL reads a JSON Lines file line by line (a byte order mark is the caller's business,
// SkipBOM): onObject gets each non-blank line's object with its 1-based line number. Lines that
// are not JSON objects are reported to rep as malformed, with those that opts refuses. It is an
// error (rep.Fatal) when the file has no non-blank line, when its first non-blank line starts a
// JSON array, or when r fails.
func ScanJSONL(r io.Reader, rep Reporter, opts JSONLOptions, onObject func(line int, obj map[string]json.RawMessage)) error {
	br := bufio.NewReaderSize(r, bufSize)
	lines := 0
	var buf []byte
	for line := 1; ; line++ {
		buf = buf[:0]
		tooLong := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if !tooLong {
				if opts.MaxLineBytes > 0 && len(buf)+len(chunk) > opts.MaxLineBytes {
					tooLong, buf = true, buf[:0]
				} else {
					buf = append(buf, chunk...)
				}
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return rep.Fatal(0, "%v", err)
		}
		t := bytes.TrimSpace(buf)
		switch {
		case tooLong:
			lines++
			rep.Bad(line, "line longer than %d MiB", opts.MaxLineBytes>>20)
		case len(t) == 0:
		case lines == 0 && t[0] == '[':
			return rep.Fatal(line, "a JSON array; want JSON Lines, one object per line")
		case opts.CheckUTF8 && !utf8.Valid(t):
			lines++
			off := InvalidUTF8(string(t))
			rep.Bad(line, "not valid UTF-8 (byte %d of the line: %#x)", off, t[off])
		case t[0] != '{':
			lines++
			if json.Valid(t) {
				rep.Bad(line, "%s, not a JSON object", AKind(t))
			} else {
				rep.Bad(line, "invalid JSON: %v", Syntax(t))
			}
		default:
			lines++
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(t, &obj); err != nil {
				rep.Bad(line, "invalid JSON: %v", Syntax(t))
			} else {
				onObject(line, obj)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if lines == 0 {
		return rep.Fatal(0, "empty file (no JSON lines)")
	}
	return nil
}

// InvalidUTF8 returns the offset of the first byte of s that does not start a valid UTF-8
// sequence; len(s) when s is valid UTF-8.
func InvalidUTF8(s string) int {
	off := 0
	for off < len(s) {
		c, size := utf8.DecodeRuneInString(s[off:])
		if c == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	return off
}

// ScanCSV reads a CSV file with a header row from cr, configured by the caller (trimming,
// record reuse): onHeader gets the header row's fields and may reject the header with an error
// that ends the read; onRow gets each later row with its line number. CSV syntax errors are
// malformed lines ("CSV syntax: ..."), or end the read in the header. It is an error (rep.Fatal)
// when the file is empty or has no row after the header.
func ScanCSV(cr *csv.Reader, rep Reporter, onHeader func(line int, header []string) error, onRow func(line int, rec []string)) error {
	sawHeader, rows := false, 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if !sawHeader {
				return rep.Fatal(pe.Line, "header: CSV syntax: %v", pe.Err)
			}
			rep.Bad(pe.Line, "CSV syntax: %v", pe.Err)
			rows++
			continue
		}
		if err != nil {
			return rep.Fatal(0, "%v", err)
		}
		line, _ := cr.FieldPos(0)
		if !sawHeader {
			sawHeader = true
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
		return rep.Fatal(0, "empty file (no header row)")
	case rows == 0:
		return rep.Fatal(0, "no rows after the header")
	}
	return nil
}
