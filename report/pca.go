package report

import (
	"math"

	"github.com/gometric/gometric/mat"
)

// PCA2 projects the rows of x on their first two principal components (the centred data times
// the top two eigenvectors of its covariance, found by power iteration with deflation). The result
// is x.Rows x 2; a component that does not exist (fewer than two columns, constant data) is 0.
func PCA2(x *mat.Dense) *mat.Dense {
	n, d := x.Rows, x.Cols
	out := mat.New(n, 2)
	if n == 0 || d == 0 {
		return out
	}
	mean := make([]float64, d)
	for i := range n {
		for j, v := range x.Row(i) {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	cov := make([]float64, d*d)
	c := make([]float64, d)
	for i := range n {
		for j, v := range x.Row(i) {
			c[j] = float64(v) - mean[j]
		}
		for a := range d {
			if c[a] == 0 {
				continue
			}
			row := cov[a*d : (a+1)*d]
			for b := range d {
				row[b] += c[a] * c[b]
			}
		}
	}
	var comps [][]float64
	for range min(2, d) {
		v := powerIteration(cov, d)
		if v == nil {
			break
		}
		comps = append(comps, v)
		// Deflate: cov -= λ v vᵀ.
		lambda := quadratic(cov, v, d)
		for a := range d {
			for b := range d {
				cov[a*d+b] -= lambda * v[a] * v[b]
			}
		}
	}
	for i := range n {
		row := x.Row(i)
		for k, v := range comps {
			s := 0.0
			for j := range d {
				s += (float64(row[j]) - mean[j]) * v[j]
			}
			out.Row(i)[k] = float32(s)
		}
	}
	return out
}

// powerIteration returns the unit top eigenvector of the symmetric d x d matrix m, or nil when m is
// (numerically) zero.
func powerIteration(m []float64, d int) []float64 {
	v := make([]float64, d)
	for j := range v {
		v[j] = 1 / math.Sqrt(float64(d)) * (1 + 0.01*float64(j%7)) // not orthogonal to any axis
	}
	w := make([]float64, d)
	for range 300 {
		norm := 0.0
		for a := range d {
			s := 0.0
			for b := range d {
				s += m[a*d+b] * v[b]
			}
			w[a] = s
			norm += s * s
		}
		norm = math.Sqrt(norm)
		if norm < 1e-12 {
			return nil
		}
		delta := 0.0
		for a := range d {
			nv := w[a] / norm
			delta += math.Abs(nv - v[a])
			v[a] = nv
		}
		if delta < 1e-9 {
			break
		}
	}
	return v
}

// quadratic returns vᵀ m v.
func quadratic(m, v []float64, d int) float64 {
	s := 0.0
	for a := range d {
		for b := range d {
			s += v[a] * m[a*d+b] * v[b]
		}
	}
	return s
}
