package placenames

import (
	"encoding/binary"
	"maps"
	"strings"
	"testing"
)

func TestReadMO(t *testing.T) {
	msgs := map[string]string{"Germany": "Deutschland", "France": "Frankreich", "Bavaria": "Bayern", "ctx\x04Georgia": "Georgien"}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b := WriteMO("Language: de\n", msgs, order)
		c, err := ReadMO(b)
		if err != nil {
			t.Fatalf("%s: %v", order, err)
		}
		if c.Header != "Language: de\n" || !maps.Equal(c.Messages, msgs) {
			t.Errorf("%s: header %q, messages %v", order, c.Header, c.Messages)
		}
	}
	// A plural entry keeps its singular and first form; an untranslated entry is left out.
	c, err := ReadMO(WriteMO("", map[string]string{"island\x00islands": "Insel\x00Inseln", "Kiribati": ""}, binary.LittleEndian))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"island": "Insel"}; !maps.Equal(c.Messages, want) {
		t.Errorf("messages %v, want %v", c.Messages, want)
	}
}

func TestReadMOErrors(t *testing.T) {
	good := WriteMO("h", map[string]string{"a": "b"}, binary.LittleEndian)
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"short", good[:10], "too short"},
		{"magic", edit(func(b []byte) []byte { b[0] = 0; return b }), "bad magic"},
		{"revision", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 2<<16); return b }), "major revision 2"},
		{"count", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 1<<30); return b }), "do not fit"},
		{"table", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], uint32(len(b))); return b }), "outside the file"},
		{"string", edit(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[28:], uint32(len(b))); return b }), "outside the file"},
		{"utf-8", WriteMO("", map[string]string{"a": "\xff"}, binary.LittleEndian), "not valid UTF-8"},
	} {
		_, err := ReadMO(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.name, err, c.want)
		}
	}
}
