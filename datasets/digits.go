package datasets

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/gometric/gometric/mat"
)

// digitsCSVGz is UCI's optdigits test set as scikit-learn ships it (CC BY 4.0; see
// data/NOTICE.md): 1,797 rows, no header, 64 pixel columns (0..16) then the digit.
//
//go:embed data/digits.csv.gz
var digitsCSVGz []byte

const (
	digitsRows   = 1797
	digitsPixels = 64
)

// LoadDigits returns the embedded UCI optdigits data set: 1,797 8x8 images of handwritten digits
// in 10 classes ("0" to "9"). Features are the 64 pixels, row-major, scaled to [0, 1] (pixel/16);
// ids are "digits-<row>" with rows counted from 0.
func LoadDigits() (*Items, error) {
	z, err := gzip.NewReader(bytes.NewReader(digitsCSVGz))
	if err != nil {
		return nil, fmt.Errorf("digits: %w", err)
	}
	r := csv.NewReader(z)
	r.FieldsPerRecord = digitsPixels + 1
	r.ReuseRecord = true
	it := &Items{
		Name:       "digits",
		IDs:        make([]string, 0, digitsRows),
		Features:   &mat.Dense{Cols: digitsPixels, Data: make([]float32, 0, digitsRows*digitsPixels)},
		Labels:     make([]int, 0, digitsRows),
		ClassNames: slices.Clone(MNISTClassNames),
	}
	for row := 0; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("digits: %w", err)
		}
		for c, f := range rec[:digitsPixels] {
			v, err := strconv.Atoi(f)
			if err != nil || v < 0 || v > 16 {
				return nil, fmt.Errorf("digits: row %d, column %d: %q is not a pixel 0..16", row, c, f)
			}
			it.Features.Data = append(it.Features.Data, float32(v)/16)
		}
		l, err := strconv.Atoi(rec[digitsPixels])
		if err != nil || l < 0 || l > 9 {
			return nil, fmt.Errorf("digits: row %d: %q is not a digit 0..9", row, rec[digitsPixels])
		}
		it.IDs = append(it.IDs, "digits-"+strconv.Itoa(row))
		it.Labels = append(it.Labels, l)
	}
	it.Features.Rows = len(it.IDs)
	return it, nil
}
