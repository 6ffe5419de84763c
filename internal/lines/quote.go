package lines

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxQuoted is how many bytes of an input value a message quotes: enough to recognise the value,
// and a 10 MB field does not make a 10 MB message.
const MaxQuoted = 64

// Quote returns s quoted as %q does; a value longer than MaxQuoted bytes is cut to its first
// MaxQuoted bytes (whole runes, CutRunes), followed by "… (N bytes)" with its full length.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(CutRunes(s)) + fmt.Sprintf("… (%d bytes)", len(s))
}

// Clip returns s unquoted, cut as Quote cuts it; for values written as they are, such as numbers.
func Clip(s string) string {
	if len(s) <= MaxQuoted {
		return s
	}
	return CutRunes(s) + fmt.Sprintf("… (%d bytes)", len(s))
}

// CutRunes returns s cut to at most MaxQuoted bytes, at the start of a rune (s itself when it is
// no longer than that).
func CutRunes(s string) string {
	if len(s) <= MaxQuoted {
		return s
	}
	i := MaxQuoted
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
