package placenames

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// moMagic is the magic number of a GNU gettext .mo file, read in the file's byte order.
const moMagic = 0x950412de

// Catalog is the content of a GNU gettext message catalog (.mo file): each original string
// (msgid) with its translation (msgstr).
type Catalog struct {
	// Header is the translation of the empty msgid: the catalog's metadata ("Language: de\n...").
	Header string
	// Messages maps each msgid to its translation. A msgid with a context is "context\x04msgid",
	// as the file stores it; for a plural entry the key is the singular msgid and the value the
	// first form.
	Messages map[string]string
}

// ReadMOFile reads a .mo file (see ReadMO).
func ReadMOFile(path string) (*Catalog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ReadMO(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadMO parses a GNU gettext .mo file, as documented in the GNU gettext manual, section "The
// Format of GNU MO Files": a header of 32-bit words in the file's byte order (the magic number
// 0x950412de tells little from big endian), the revision (major 0 or 1), the number of strings N,
// and the offsets of the table of original strings and of the table of translations, each N
// (length, offset) pairs of 32-bit words. The hash table is not used. Strings must be valid UTF-8
// (the catalogs of iso-codes are); empty translations (untranslated entries) are left out.
func ReadMO(b []byte) (*Catalog, error) {
	if len(b) < 20 {
		return nil, errors.New("mo: file too short for a header")
	}
	var order binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint32(b) == moMagic:
		order = binary.LittleEndian
	case binary.BigEndian.Uint32(b) == moMagic:
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("mo: bad magic number %#08x", binary.LittleEndian.Uint32(b))
	}
	if rev := order.Uint32(b[4:]); rev>>16 > 1 {
		return nil, fmt.Errorf("mo: unknown major revision %d", rev>>16)
	}
	n, origs, trans := order.Uint32(b[8:]), order.Uint32(b[12:]), order.Uint32(b[16:])
	if uint64(n)*8 > uint64(len(b)) {
		return nil, fmt.Errorf("mo: %d strings do not fit in %d bytes", n, len(b))
	}
	str := func(table uint32, i uint32, what string) (string, error) {
		at := uint64(table) + uint64(i)*8
		if at+8 > uint64(len(b)) {
			return "", fmt.Errorf("mo: %s table entry %d at byte %d is outside the file (%d bytes)", what, i, at, len(b))
		}
		length, off := uint64(order.Uint32(b[at:])), uint64(order.Uint32(b[at+4:]))
		if off+length > uint64(len(b)) {
			return "", fmt.Errorf("mo: %s string %d (%d bytes at %d) is outside the file (%d bytes)", what, i, length, off, len(b))
		}
		s := string(b[off : off+length])
		if !utf8.ValidString(s) {
			return "", fmt.Errorf("mo: %s string %d is not valid UTF-8", what, i)
		}
		return s, nil
	}
	c := &Catalog{Messages: make(map[string]string, n)}
	for i := range n {
		id, err := str(origs, i, "original")
		if err != nil {
			return nil, err
		}
		tr, err := str(trans, i, "translation")
		if err != nil {
			return nil, err
		}
		id, _, _ = strings.Cut(id, "\x00") // plural entries: the singular
		tr, _, _ = strings.Cut(tr, "\x00") // and its first form
		switch {
		case id == "":
			c.Header = tr
		case tr != "":
			c.Messages[id] = tr
		}
	}
	return c, nil
}

// WriteMO returns a .mo file holding messages (msgid → msgstr) and, under the empty msgid,
// header, in the given byte order, without a hash table: the inverse of ReadMO, for tests and
// tools. The originals are sorted, as GNU msgfmt sorts them.
func WriteMO(header string, messages map[string]string, order binary.ByteOrder) []byte {
	ids := []string{""}
	for id := range messages {
		if id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	n := uint32(len(ids))
	const headerSize = 28
	origs := uint32(headerSize)
	trans := origs + 8*n
	data := trans + 8*n
	out := make([]byte, data)
	order.PutUint32(out[0:], moMagic)
	order.PutUint32(out[4:], 0)
	order.PutUint32(out[8:], n)
	order.PutUint32(out[12:], origs)
	order.PutUint32(out[16:], trans)
	order.PutUint32(out[20:], 0) // hash table size
	order.PutUint32(out[24:], data)
	put := func(table uint32, i int, s string) {
		order.PutUint32(out[table+uint32(8*i):], uint32(len(s)))
		order.PutUint32(out[table+uint32(8*i)+4:], uint32(len(out)))
		out = append(append(out, s...), 0)
	}
	for i, id := range ids {
		put(origs, i, id)
	}
	for i, id := range ids {
		tr := messages[id]
		if id == "" {
			tr = header
		}
		put(trans, i, tr)
	}
	return out
}
