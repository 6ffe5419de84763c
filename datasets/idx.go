package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX is the content of an idx file (the format of the MNIST and Fashion-MNIST files) of
// unsigned bytes: Dims gives the shape (for example [60000 28 28] for images, [60000] for labels)
// and Data the values in row-major order.
type IDX struct {
	Dims []int
	Data []byte
}

// idxMaxBytes bounds the data size an idx header may announce, so that a corrupt header cannot
// ask for an absurd allocation.
const idxMaxBytes = 1 << 31

// ReadIDX reads an unsigned-byte idx file from r, gzip-compressed or plain (told apart by the
// gzip magic bytes). The file must hold exactly the data its header announces.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && len(head) < 2 {
		return nil, fmt.Errorf("idx: empty or truncated header")
	}
	var src io.Reader = br
	if head[0] == 0x1f && head[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("idx: gzip: %w", err)
		}
		defer z.Close()
		src = z
	}
	var magic [4]byte
	if _, err := io.ReadFull(src, magic[:]); err != nil {
		return nil, fmt.Errorf("idx: truncated header: %w", gzipErr(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("idx: bad magic number 0x%08x: not an idx file", binary.BigEndian.Uint32(magic[:]))
	}
	if magic[2] != 0x08 {
		return nil, fmt.Errorf("idx: value type 0x%02x not supported (only 0x08, unsigned byte)", magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, fmt.Errorf("idx: magic number 0x%08x announces 0 dimensions", binary.BigEndian.Uint32(magic[:]))
	}
	dimBytes := make([]byte, 4*nd)
	if _, err := io.ReadFull(src, dimBytes); err != nil {
		return nil, fmt.Errorf("idx: truncated header (%d dimensions): %w", nd, gzipErr(err))
	}
	x := &IDX{Dims: make([]int, nd)}
	size := 1
	for i := range nd {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		if d > idxMaxBytes || (d > 0 && size > idxMaxBytes/int(d)) {
			return nil, fmt.Errorf("idx: dimensions %v... announce more than %d bytes", x.Dims[:i+1], idxMaxBytes)
		}
		x.Dims[i] = int(d)
		size *= int(d)
	}
	x.Data = make([]byte, size)
	if n, err := io.ReadFull(src, x.Data); err != nil {
		return nil, fmt.Errorf("idx: truncated data: read %d of %d bytes for dimensions %v: %w", n, size, x.Dims, gzipErr(err))
	}
	var one [1]byte
	switch _, err := io.ReadFull(src, one[:]); err {
	case nil:
		return nil, fmt.Errorf("idx: trailing data after %d bytes for dimensions %v", size, x.Dims)
	case io.EOF:
	default: // a truncated or corrupt gzip trailer
		return nil, fmt.Errorf("idx: after the data: %w", gzipErr(err))
	}
	return x, nil
}

// gzipErr turns the end-of-file errors of a short read into one clear error.
func gzipErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("unexpected end of file")
	}
	return err
}

// ReadIDXFile reads the idx file at path (see ReadIDX); errors name the file.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	x, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}
