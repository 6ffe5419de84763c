package knn

import "math"

// The value of a pair of prepared rows a and b (float64, normalised as the Distance requires) is
// reduced sequentially over the columns k = 0, 1, ..., D−1 with one accumulator s = 0:
//
//	dot product:        s = fma(a[k], b[k], s)
//	squared L2:         t = a[k] − b[k]; s = fma(t, t, s)
//	L1, L∞ and Lp:      see reduceGeneric
//
// where fma is one fused multiply-add, rounded once (math.FMA), on every CPU that has the
// instruction (fusedMulAdd: amd64 with FMA, arm64, ppc64, s390x, riscv64, loong64); elsewhere,
// where math.FMA would be emulated in software 5 to 30 times slower, it is the product rounded and
// then added (s += a·b), which differs by rounding only. That order and rounding define a value
// in this package: the scalar loops below (dot, sqL2), the portable panel kernels (panelDotGo,
// panelSqL2Go) and the AVX2 panel kernels of panel_amd64.s (one pair per vector lane) all compute
// exactly it, so a pair's value is bit-for-bit the same whichever kernel computes it and wherever
// the pair sits in a block.

// computeTile writes into out[i*nr+j] the raw reduction between row i of q (nq rows of d values,
// row-major) and row j of r (nr rows).
func computeTile(red reduction, p float64, q []float64, nq int, r []float64, nr int, d int, out []float64) {
	switch red {
	case reduceDot, reduceSqL2:
		tilePanels(red, q, nq, r, nr, d, out)
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

// reducePair is the value of one pair, by the scalar loop of its reduction.
func reducePair(red reduction, p float64, a, b []float64) float64 {
	switch red {
	case reduceDot:
		return dot(a, b)
	case reduceSqL2:
		return sqL2(a, b)
	}
	return reduceGeneric(red, p, a, b)
}

// dot is the dot product of a and b (of one length), one fused multiply-add per column.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	if !fusedMulAdd {
		for k, x := range a {
			s += float64(x * b[k])
		}
		return s
	}
	for k, x := range a {
		s = math.FMA(x, b[k], s)
	}
	return s
}

// sqL2 is the squared L2 distance of a and b (of one length), one fused multiply-add per column.
func sqL2(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	if !fusedMulAdd {
		for k, x := range a {
			t := x - b[k]
			s += float64(t * t)
		}
		return s
	}
	for k, x := range a {
		t := x - b[k]
		s = math.FMA(t, t, s)
	}
	return s
}

// tilePanels is computeTile for the dot product and the squared L2 distance: the rows are packed
// into panels and reduced by the panel kernel of the reduction, whose values are then copied out
// row-major.
func tilePanels(red reduction, q []float64, nq int, r []float64, nr int, d int, out []float64) {
	kern := kernelFor(red, 2)
	nqp := (nq + panelRows - 1) / panelRows
	qp := make([]float64, nqp*panelRows*d)
	for i := 0; i < nq; i++ {
		packQueryRow(qp, i, q[i*d:(i+1)*d])
	}
	rp := make([]float64, panelCols*d)
	res := make([]float64, nqp*panelSize)
	masks := make([]uint8, nqp*8)
	thr := make([]float64, nqp*panelRows) // The masks are not used.
	for j0 := 0; j0 < nr; j0 += panelCols {
		n := min(panelCols, nr-j0)
		clear(rp)
		for j := 0; j < n; j++ {
			packRefRow(rp, j, r[(j0+j)*d:(j0+j+1)*d])
		}
		kern(qp, nqp, rp, d, thr, res, masks)
		for i := 0; i < nq; i++ {
			blk := res[(i/panelRows)*panelSize+(i%panelRows)*panelCols:]
			copy(out[i*nr+j0:i*nr+j0+n], blk[:n])
		}
	}
}
