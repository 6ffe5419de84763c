package match

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gometric/gometric/mat"
)

func sampleIndex(t *testing.T, labels bool) *Index {
	t.Helper()
	var ix Index
	var l1, l2 []int
	if labels {
		l1, l2 = []int{7, -3}, []int{1 << 40}
	}
	if err := ix.Add(rows(t, [][]float32{{1, 2, 3}, {-1, 0.5, float32(math.Pi)}}), []string{"a", "ünïcode"}, l1); err != nil {
		t.Fatal(err)
	}
	if err := ix.Add(rows(t, [][]float32{{0, 0, -0}}), nil, l2); err != nil {
		t.Fatal(err)
	}
	return &ix
}

func sameIndex(t *testing.T, got, want *Index) {
	t.Helper()
	if got.Len() != want.Len() || got.Dim() != want.Dim() || got.HasLabels() != want.HasLabels() {
		t.Fatalf("got %d x %d labels=%v, want %d x %d labels=%v", got.Len(), got.Dim(), got.HasLabels(), want.Len(), want.Dim(), want.HasLabels())
	}
	for i := 0; i < want.Len(); i++ {
		gl, _ := got.Label(i)
		wl, _ := want.Label(i)
		if got.ID(i) != want.ID(i) || gl != wl {
			t.Fatalf("item %d: got (%q, %d), want (%q, %d)", i, got.ID(i), gl, want.ID(i), wl)
		}
	}
	for i, v := range want.Embeddings().Data {
		if math.Float32bits(got.Embeddings().Data[i]) != math.Float32bits(v) {
			t.Fatalf("value %d: got %v, want %v", i, got.Embeddings().Data[i], v)
		}
	}
}

func TestIndexSaveLoad(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		ix   *Index
	}{
		{"labels", sampleIndex(t, true)},
		{"no labels", sampleIndex(t, false)},
		{"empty", &Index{}},
	} {
		path := filepath.Join(dir, tc.name+".idx")
		if err := tc.ix.Save(path); err != nil {
			t.Fatal(err)
		}
		// Saving again replaces the file.
		if err := tc.ix.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := LoadIndex(path)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		sameIndex(t, got, tc.ix)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	if err := sampleIndex(t, false).Save(filepath.Join(dir, "missing", "x.idx")); err == nil {
		t.Error("saving into a missing folder: want an error")
	}
	if _, err := LoadIndex(filepath.Join(dir, "absent.idx")); err == nil {
		t.Error("loading a missing file: want an error")
	}
}

// withChecksum recomputes the trailing checksum of a modified file.
func withChecksum(b []byte) []byte {
	body := b[:len(b)-4]
	return binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.ChecksumIEEE(body))
}

func TestIndexCorruptFiles(t *testing.T) {
	var buf bytes.Buffer
	if _, err := sampleIndex(t, true).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	le := binary.LittleEndian
	flipped := append([]byte(nil), good...)
	flipped[headerSize+5] ^= 0x40
	version := append([]byte(nil), good...)
	le.PutUint32(version[len(indexMagic):], 9)
	flags := append([]byte(nil), good...)
	le.PutUint32(flags[len(indexMagic)+4:], 6)
	huge := append([]byte(nil), good...)
	le.PutUint64(huge[len(indexMagic)+8:], 1<<62)
	idLen := append([]byte(nil), good...)
	idLen[len(good)-8] = 200 // The length of the last (empty) ID now runs past the end.
	trailing := append(append([]byte(nil), good[:len(good)-4]...), 0, 0, 0, 0, 0)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "bad magic"},
		{"not an index", []byte("hello world, this is not it"), "bad magic"},
		{"header only", good[:headerSize], "truncated"},
		{"truncated", good[:len(good)-7], "checksum"},
		{"flipped bit", flipped, "checksum"},
		{"version", version, "version 9"},
		{"unknown flags", withChecksum(flags), "unknown flags"},
		{"huge sizes", withChecksum(huge), "declares"},
		{"id past end", withChecksum(idLen), "inconsistent"},
		{"trailing bytes", withChecksum(trailing), "trailing"},
	}
	for _, tc := range tests {
		_, err := ReadIndex(bytes.NewReader(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.idx")
	os.WriteFile(path, flipped, 0o644)
	if _, err := LoadIndex(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadIndex of a corrupt file: got %v, want the path in the error", err)
	}
}

func TestIndexAddErrors(t *testing.T) {
	ix := sampleIndex(t, true)
	nan := mat.New(1, 3)
	nan.Data[1] = float32(math.Inf(-1))
	tests := []struct {
		name   string
		emb    *mat.Dense
		ids    []string
		labels []int
		want   string
	}{
		{"nil", nil, nil, nil, "nil"},
		{"dimension", mat.New(1, 4), nil, []int{1}, "dimension 4"},
		{"not finite", nan, nil, []int{1}, "not finite"},
		{"ids", mat.New(1, 3), []string{"a", "b"}, []int{1}, "ids"},
		{"labels length", mat.New(1, 3), nil, []int{1, 2}, "labels"},
		{"missing labels", mat.New(1, 3), nil, nil, "need labels"},
		{"malformed", &mat.Dense{Rows: 2, Cols: 3}, nil, nil, "holds 0 values"},
	}
	for _, tc := range tests {
		if err := ix.Add(tc.emb, tc.ids, tc.labels); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if ix.Len() != 3 {
		t.Fatalf("failed adds changed the index: %d items", ix.Len())
	}
	noLabels := sampleIndex(t, false)
	if err := noLabels.Add(mat.New(1, 3), nil, []int{1}); err == nil {
		t.Error("labels added to an index without labels: want an error")
	}
	if _, ok := noLabels.Label(0); ok {
		t.Error("Label reports a label on an index without labels")
	}
	if err := noLabels.Add(mat.New(0, 3), nil, nil); err != nil || noLabels.Len() != 3 {
		t.Errorf("adding nothing: got %v, %d items", err, noLabels.Len())
	}
}

// failingWriter accepts n bytes, then fails.
type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, os.ErrClosed
	}
	f.n -= len(p)
	return len(p), nil
}

func TestIndexWriteToErrors(t *testing.T) {
	var buf bytes.Buffer
	ix := sampleIndex(t, true)
	n, err := ix.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d bytes reported, %d written, %v", n, buf.Len(), err)
	}
	n, err = ix.WriteTo(&failingWriter{n: 10})
	if err == nil || n != 10 {
		t.Fatalf("failing writer: got %d, %v; want 10 bytes and an error", n, err)
	}
}
