package knn

import "math"

// computeTile writes into out[i*nr+j] the raw reduction between row i of q (nq rows of d values)
// and row j of r (nr rows). Every pair is reduced sequentially over the d columns with its own
// accumulator, and every product is rounded before it is added (the explicit float64 conversions
// forbid fused multiply-adds), so a pair's value does not depend on where it sits in a tile.
func computeTile(red reduction, p float64, q []float64, nq int, r []float64, nr int, d int, out []float64) {
	switch red {
	case reduceDot:
		tileDot(q, nq, r, nr, d, out)
	case reduceSqL2:
		tileSqL2(q, nq, r, nr, d, out)
	default:
		for i := 0; i < nq; i++ {
			a := q[i*d : (i+1)*d]
			for j := 0; j < nr; j++ {
				out[i*nr+j] = reduceGeneric(red, p, a, r[j*d:(j+1)*d])
			}
		}
	}
}

// reduceGeneric is the one-pair loop of the L1, L∞ and general Lp reductions.
func reduceGeneric(red reduction, p float64, a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	switch red {
	case reduceL1:
		for k, x := range a {
			s += math.Abs(x - b[k])
		}
	case reduceLInf:
		for k, x := range a {
			s = math.Max(s, math.Abs(x-b[k]))
		}
	default:
		for k, x := range a {
			s += math.Pow(math.Abs(x-b[k]), p)
		}
	}
	return s
}

// tileDot is computeTile for dot products: a 3x2 register-blocked micro-kernel (six independent
// accumulators, the shape that keeps everything in registers with Go's compiler on amd64) with
// one-pair loops for the edges.
func tileDot(q []float64, nq int, r []float64, nr int, d int, out []float64) {
	i := 0
	for ; i+3 <= nq; i += 3 {
		q0 := q[i*d : (i+1)*d]
		q1 := q[(i+1)*d : (i+2)*d][:len(q0)]
		q2 := q[(i+2)*d : (i+3)*d][:len(q0)]
		o0, o1, o2 := out[i*nr:(i+1)*nr], out[(i+1)*nr:(i+2)*nr], out[(i+2)*nr:(i+3)*nr]
		j := 0
		for ; j+2 <= nr; j += 2 {
			r0 := r[j*d : (j+1)*d][:len(q0)]
			r1 := r[(j+1)*d : (j+2)*d][:len(q0)]
			var s00, s01, s10, s11, s20, s21 float64
			for k, c0 := range r0 {
				c1 := r1[k]
				a := q0[k]
				s00 += float64(a * c0)
				s01 += float64(a * c1)
				a = q1[k]
				s10 += float64(a * c0)
				s11 += float64(a * c1)
				a = q2[k]
				s20 += float64(a * c0)
				s21 += float64(a * c1)
			}
			o0[j], o0[j+1] = s00, s01
			o1[j], o1[j+1] = s10, s11
			o2[j], o2[j+1] = s20, s21
		}
		for ; j < nr; j++ {
			rj := r[j*d : (j+1)*d]
			o0[j], o1[j], o2[j] = dot(q0, rj), dot(q1, rj), dot(q2, rj)
		}
	}
	for ; i < nq; i++ {
		qi := q[i*d : (i+1)*d]
		for j := 0; j < nr; j++ {
			out[i*nr+j] = dot(qi, r[j*d:(j+1)*d])
		}
	}
}

// dot is the one-pair loop of tileDot, with the same order of operations.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for k, x := range a {
		s += float64(x * b[k])
	}
	return s
}

// tileSqL2 is computeTile for squared L2 distances, computed from the differences (not from
// |a|²+|b|²−2a·b, which cancels badly for close pairs): the same 3x2 blocking as tileDot.
func tileSqL2(q []float64, nq int, r []float64, nr int, d int, out []float64) {
	i := 0
	for ; i+3 <= nq; i += 3 {
		q0 := q[i*d : (i+1)*d]
		q1 := q[(i+1)*d : (i+2)*d][:len(q0)]
		q2 := q[(i+2)*d : (i+3)*d][:len(q0)]
		o0, o1, o2 := out[i*nr:(i+1)*nr], out[(i+1)*nr:(i+2)*nr], out[(i+2)*nr:(i+3)*nr]
		j := 0
		for ; j+2 <= nr; j += 2 {
			r0 := r[j*d : (j+1)*d][:len(q0)]
			r1 := r[(j+1)*d : (j+2)*d][:len(q0)]
			var s00, s01, s10, s11, s20, s21 float64
			for k, c0 := range r0 {
				c1 := r1[k]
				a := q0[k]
				t := a - c0
				s00 += float64(t * t)
				t = a - c1
				s01 += float64(t * t)
				a = q1[k]
				t = a - c0
				s10 += float64(t * t)
				t = a - c1
				s11 += float64(t * t)
				a = q2[k]
				t = a - c0
				s20 += float64(t * t)
				t = a - c1
				s21 += float64(t * t)
			}
			o0[j], o0[j+1] = s00, s01
			o1[j], o1[j+1] = s10, s11
			o2[j], o2[j+1] = s20, s21
		}
		for ; j < nr; j++ {
			rj := r[j*d : (j+1)*d]
			o0[j], o1[j], o2[j] = sqL2(q0, rj), sqL2(q1, rj), sqL2(q2, rj)
		}
	}
	for ; i < nq; i++ {
		qi := q[i*d : (i+1)*d]
		for j := 0; j < nr; j++ {
			out[i*nr+j] = sqL2(qi, r[j*d:(j+1)*d])
		}
	}
}

// sqL2 is the one-pair loop of tileSqL2, with the same order of operations.
func sqL2(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for k, x := range a {
		t := x - b[k]
		s += float64(t * t)
	}
	return s
}
