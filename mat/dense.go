// Package mat holds Dense, the plain row-major float32 matrix that gometric's data sets, evaluation
// and matching exchange: N items by D features or embedding dimensions, with no graph or backend
// attached.
package mat

import "fmt"

// Dense is a row-major Rows x Cols matrix of float32: row i is Data[i*Cols : (i+1)*Cols].
type Dense struct {
	Rows, Cols int
	Data       []float32
}

// New returns a zero Rows x Cols matrix.
func New(rows, cols int) *Dense {
	return &Dense{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// FromRows copies equal-length rows into a Dense; rows of different lengths are an error naming the
// first offending row.
func FromRows(rows [][]float32) (*Dense, error) {
	if len(rows) == 0 {
		return &Dense{}, nil
	}
	cols := len(rows[0])
	m := New(len(rows), cols)
	for i, r := range rows {
		if len(r) != cols {
			return nil, fmt.Errorf("row %d has %d values, row 0 has %d", i, len(r), cols)
		}
		copy(m.Data[i*cols:], r)
	}
	return m, nil
}

// Row returns row i, sharing memory with m.
func (m *Dense) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// Rowsf returns the rows as slices sharing memory with m.
func (m *Dense) Rowsf() [][]float32 {
	out := make([][]float32, m.Rows)
	for i := range out {
		out[i] = m.Row(i)
	}
	return out
}

// Validate checks that Data has Rows*Cols values.
func (m *Dense) Validate() error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("matrix %dx%d holds %d values, want %d", m.Rows, m.Cols, len(m.Data), m.Rows*m.Cols)
	}
	return nil
}

// Select returns a new matrix of the given rows of m, in order.
func (m *Dense) Select(rows []int) *Dense {
	out := New(len(rows), m.Cols)
	for i, r := range rows {
		copy(out.Row(i), m.Row(r))
	}
	return out
}
