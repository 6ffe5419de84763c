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

// tileDot is computeTile for dot products, on the blocking of tile3x2.
func tileDot(q []float64, nq int, r []float64, nr int, d int, out []float64) {
	tile3x2(q, nq, r, nr, d, out, blockDot, dot)
}

// tileSqL2 is computeTile for squared L2 distances, computed from the differences (not from
// |a|²+|b|²−2a·b, which cancels badly for close pairs), on the blocking of tile3x2.
func tileSqL2(q []float64, nq int, r []float64, nr int, d int, out []float64) {
	tile3x2(q, nq, r, nr, d, out, blockSqL2, sqL2)
}

// tile3x2 is the blocking of tileDot and tileSqL2: a 3x2 register-blocked micro-kernel block (six
// independent accumulators, the shape that keeps everything in registers with Go's compiler on
// amd64) over the tile, with the one-pair loop pair for the edges. block and pair reduce in the
// same order of operations, so a pair's value does not depend on where it sits in the tile.
func tile3x2(q []float64, nq int, r []float64, nr int, d int, out []float64,
	block func(q0, q1, q2, r0, r1 []float64) (s00, s01, s10, s11, s20, s21 float64), pair func(a, b []float64) float64) {
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
			o0[j], o0[j+1], o1[j], o1[j+1], o2[j], o2[j+1] = block(q0, q1, q2, r0, r1)
		}
		for ; j < nr; j++ {
			rj := r[j*d : (j+1)*d]
			o0[j], o1[j], o2[j] = pair(q0, rj), pair(q1, rj), pair(q2, rj)
		}
	}
	for ; i < nq; i++ {
		qi := q[i*d : (i+1)*d]
		for j := 0; j < nr; j++ {
			out[i*nr+j] = pair(qi, r[j*d:(j+1)*d])
		}
	}
}

// blockDot is tileDot's micro-kernel: the dot products of q0, q1, q2 with r0 and r1 (all of one
// length).
func blockDot(q0, q1, q2, r0, r1 []float64) (s00, s01, s10, s11, s20, s21 float64) {
	q0, q1, q2, r1 = q0[:len(r0)], q1[:len(r0)], q2[:len(r0)], r1[:len(r0)] // Lets the compiler drop bounds checks.
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
	return
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

// blockSqL2 is tileSqL2's micro-kernel: the squared L2 distances of q0, q1, q2 to r0 and r1 (all of
// one length).
func blockSqL2(q0, q1, q2, r0, r1 []float64) (s00, s01, s10, s11, s20, s21 float64) {
	q0, q1, q2, r1 = q0[:len(r0)], q1[:len(r0)], q2[:len(r0)], r1[:len(r0)] // Lets the compiler drop bounds checks.
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
	return
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
