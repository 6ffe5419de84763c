package match

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/gometric/gometric/mat"
)

// Index holds the embeddings that queries are matched against, with an optional ID and an
// optional integer label per item. The zero Index is empty and takes its dimension from the first
// Add. An Index is not safe for concurrent use while items are added.
type Index struct {
	emb       mat.Dense
	ids       []string
	labels    []int
	hasLabels bool
}

// Len returns the number of items.
func (ix *Index) Len() int { return ix.emb.Rows }

// Dim returns the embedding dimension (0 while the index is empty).
func (ix *Index) Dim() int { return ix.emb.Cols }

// Embeddings returns the items' embeddings, sharing memory with the index: do not modify them.
func (ix *Index) Embeddings() *mat.Dense { return &ix.emb }

// ID returns the ID of item i ("" when it was added without one).
func (ix *Index) ID(i int) string { return ix.ids[i] }

// Label returns the label of item i, and whether the index has labels.
func (ix *Index) Label(i int) (int, bool) {
	if !ix.hasLabels {
		return 0, false
	}
	return ix.labels[i], true
}

// HasLabels reports whether the items carry labels.
func (ix *Index) HasLabels() bool { return ix.hasLabels }

// Add appends embeddings, one item per row, with their IDs and labels. ids may be nil (the items
// get the ID ""); labels may be nil only if every item added so far has none, and must be given
// if any item added so far has one. Embeddings must be finite and have the index's dimension.
func (ix *Index) Add(embeddings *mat.Dense, ids []string, labels []int) error {
	if embeddings == nil {
		return errors.New("match: embeddings to add are nil")
	}
	if err := embeddings.Validate(); err != nil {
		return fmt.Errorf("match: embeddings to add: %w", err)
	}
	n := embeddings.Rows
	if n == 0 {
		return nil
	}
	if embeddings.Cols == 0 {
		return errors.New("match: embeddings to add have dimension 0")
	}
	if ix.emb.Rows > 0 && embeddings.Cols != ix.emb.Cols {
		return fmt.Errorf("match: embeddings of dimension %d added to an index of dimension %d", embeddings.Cols, ix.emb.Cols)
	}
	for i, v := range embeddings.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("match: embedding row %d is not finite", i/embeddings.Cols)
		}
	}
	if ids != nil && len(ids) != n {
		return fmt.Errorf("match: %d embeddings but %d ids", n, len(ids))
	}
	if labels != nil && len(labels) != n {
		return fmt.Errorf("match: %d embeddings but %d labels", n, len(labels))
	}
	if ix.emb.Rows > 0 && (labels != nil) != ix.hasLabels {
		if ix.hasLabels {
			return errors.New("match: the index has labels, so added items need labels too")
		}
		return errors.New("match: the index has no labels, so added items cannot have any")
	}
	ix.emb.Cols = embeddings.Cols
	ix.emb.Rows += n
	ix.emb.Data = append(ix.emb.Data, embeddings.Data...)
	if ids == nil {
		ids = make([]string, n)
	}
	ix.ids = append(ix.ids, ids...)
	ix.hasLabels = labels != nil
	ix.labels = append(ix.labels, labels...)
	return nil
}

// File format, little-endian:
//
//	magic "GMINDEX\n", version uint32 (1), flags uint32 (bit 0: labels),
//	rows uint64, cols uint64, rows*cols float32 embeddings,
//	[rows int64 labels], rows x (uint32 length, bytes) IDs,
//	CRC-32 (IEEE) of everything before it, uint32.
const (
	indexMagic   = "GMINDEX\n"
	indexVersion = 1
	flagLabels   = 1
	headerSize   = len(indexMagic) + 4 + 4 + 8 + 8
)

// WriteTo writes the index in gometric's versioned binary format, streaming (no copy of the
// embeddings is built in memory).
func (ix *Index) WriteTo(w io.Writer) (int64, error) {
	counter := &countingWriter{w: w}
	buf := bufio.NewWriter(counter)
	sum := crc32.NewIEEE()
	out := io.MultiWriter(buf, sum)
	le := binary.LittleEndian
	var flags uint32
	if ix.hasLabels {
		flags |= flagLabels
	}
	head := []byte(indexMagic)
	head = le.AppendUint32(head, indexVersion)
	head = le.AppendUint32(head, flags)
	head = le.AppendUint64(head, uint64(ix.emb.Rows))
	head = le.AppendUint64(head, uint64(ix.emb.Cols))
	out.Write(head)
	scratch := make([]byte, 0, 4096)
	flush := func(force bool) {
		if force || len(scratch) > cap(scratch)-16 {
			out.Write(scratch)
			scratch = scratch[:0]
		}
	}
	for _, v := range ix.emb.Data {
		scratch = le.AppendUint32(scratch, math.Float32bits(v))
		flush(false)
	}
	if ix.hasLabels {
		for _, l := range ix.labels {
			scratch = le.AppendUint64(scratch, uint64(int64(l)))
			flush(false)
		}
	}
	flush(true)
	for _, id := range ix.ids {
		out.Write(le.AppendUint32(scratch[:0], uint32(len(id))))
		io.WriteString(out, id)
	}
	buf.Write(le.AppendUint32(scratch[:0], sum.Sum32()))
	err := buf.Flush() // bufio.Writer keeps the first write error.
	return counter.n, err
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

// Write writes p and counts it.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadIndex reads an index written by WriteTo. A file that is not an index, of an unknown
// version, truncated or corrupt (checksum mismatch) is a clear error.
func ReadIndex(r io.Reader) (*Index, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("match: reading index: %w", err)
	}
	return decodeIndex(data)
}

// decodeIndex parses a whole index file.
func decodeIndex(data []byte) (*Index, error) {
	if len(data) < len(indexMagic) || string(data[:len(indexMagic)]) != indexMagic {
		return nil, errors.New("match: not a gometric index file (bad magic)")
	}
	if len(data) < headerSize+4 {
		return nil, fmt.Errorf("match: index file truncated: %d bytes, the header alone needs %d", len(data), headerSize+4)
	}
	le := binary.LittleEndian
	p := len(indexMagic)
	version := le.Uint32(data[p:])
	if version != indexVersion {
		return nil, fmt.Errorf("match: index file version %d, this build reads version %d", version, indexVersion)
	}
	body, sum := data[:len(data)-4], le.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errors.New("match: index file corrupt or truncated (checksum mismatch)")
	}
	flags := le.Uint32(data[p+4:])
	rows, cols := le.Uint64(data[p+8:]), le.Uint64(data[p+16:])
	p = headerSize
	if flags&^uint32(flagLabels) != 0 {
		return nil, fmt.Errorf("match: index file has unknown flags %#x", flags)
	}
	// Bound the sizes by the bytes present before allocating anything.
	avail := uint64(len(body) - p)
	perRow := 4*cols + 4 // Embedding and ID length.
	if flags&flagLabels != 0 {
		perRow += 8
	}
	if cols > avail/4 || (rows > 0 && (cols == 0 || rows > avail/perRow)) {
		return nil, fmt.Errorf("match: index file declares %d x %d embeddings but holds %d bytes", rows, cols, avail)
	}
	ix := &Index{hasLabels: flags&flagLabels != 0}
	ix.emb = mat.Dense{Rows: int(rows), Cols: int(cols), Data: make([]float32, rows*cols)}
	for i := range ix.emb.Data {
		ix.emb.Data[i] = math.Float32frombits(le.Uint32(body[p:]))
		p += 4
	}
	if ix.hasLabels {
		ix.labels = make([]int, rows)
		for i := range ix.labels {
			ix.labels[i] = int(int64(le.Uint64(body[p:])))
			p += 8
		}
	}
	ix.ids = make([]string, rows)
	for i := range ix.ids {
		if len(body)-p < 4 {
			return nil, errors.New("match: index file inconsistent: IDs run past the end")
		}
		n := int(le.Uint32(body[p:]))
		p += 4
		if n > len(body)-p {
			return nil, errors.New("match: index file inconsistent: IDs run past the end")
		}
		ix.ids[i] = string(body[p : p+n])
		p += n
	}
	if p != len(body) {
		return nil, fmt.Errorf("match: index file has %d unexpected trailing bytes", len(body)-p)
	}
	if rows == 0 {
		ix.emb.Cols = 0
	}
	return ix, nil
}

// Save writes the index to path atomically: to a temporary file in the same folder, synced, then
// renamed over path, so that a crash never leaves a half-written index under that name.
func (ix *Index) Save(path string) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("match: saving index: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = ix.WriteTo(tmp); err != nil {
		return fmt.Errorf("match: saving index: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("match: saving index: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("match: saving index: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("match: saving index: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil { // Persist the rename; best effort.
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadIndex reads an index saved by Save.
func LoadIndex(path string) (*Index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("match: loading index: %w", err)
	}
	ix, err := decodeIndex(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return ix, nil
}
