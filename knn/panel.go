package knn

import "math"

// The blocked search and computeTile reduce a panel of panelRows queries against a panel of
// panelCols references at a time (the register block of the AVX2 kernels: 6 x 2 vectors of 4
// float64 accumulators), over the whole dimension D.
//
// Packed layouts, all float64 and zero-padded to whole panels:
//
//	query panel p:      qp[p*panelRows*D + k*panelRows + i]   (query p*panelRows+i, column k)
//	reference panel:    rp[k*panelCols + j]                    (reference j of the panel)
//
// so that a kernel reads, for each column k, panelRows query values to broadcast and panelCols
// contiguous reference values.
const (
	panelRows = 6
	panelCols = 8
	panelSize = panelRows * panelCols
)

// A panelKernel reduces np consecutive query panels at qp against the reference panel at rp (D =
// d columns): out[p*panelSize+i*panelCols+j] is the raw reduction of query p*panelRows+i with
// reference j. It also sets bit j of masks[p*8+i] when that value passes thr[p*panelRows+i]:
// value > thr for the dot product (a similarity), value < thr for every other reduction (a
// distance); masks[p*8+6] and masks[p*8+7] are set to zero. The values follow the definition of
// kernel.go exactly.
type panelKernel func(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8)

// panelDot and panelSqL2 are the kernels of the dot product and of the squared L2 distance: the
// AVX2 kernels where the CPU has them (panel_amd64.go), else the portable ones.
var panelDot, panelSqL2 panelKernel = panelDotGo, panelSqL2Go

// convDiv sets dst[k] = float64(src[k]) / div for every k of src: convDivGo, or its AVX2 twin.
var convDiv = convDivGo

// kernelFor returns the panel kernel of a reduction (p is the p of Lp).
func kernelFor(red reduction, p float64) panelKernel {
	switch red {
	case reduceDot:
		return panelDot
	case reduceSqL2:
		return panelSqL2
	}
	return func(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
		panelGenericGo(red, p, qp, np, rp, d, thr, out, masks)
	}
}

// checkPanelArgs panics unless the slices hold what a panelKernel reads and writes.
func checkPanelArgs(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
	if np < 0 || d < 1 || len(qp) < np*panelRows*d || len(rp) < panelCols*d || len(thr) < np*panelRows ||
		len(out) < np*panelSize || len(masks) < np*8 {
		panic("knn: panel kernel arguments out of range")
	}
}

// panelDotGo is the portable dot-product panel kernel.
func panelDotGo(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
	if fusedMulAdd {
		panelDotFMA(qp, np, rp, d, thr, out, masks)
	} else {
		panelDotMulAdd(qp, np, rp, d, thr, out, masks)
	}
}

// panelSqL2Go is the portable squared-L2 panel kernel.
func panelSqL2Go(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
	if fusedMulAdd {
		panelSqL2FMA(qp, np, rp, d, thr, out, masks)
	} else {
		panelSqL2MulAdd(qp, np, rp, d, thr, out, masks)
	}
}

// panelDotFMA is panelDotGo with fused multiply-adds.
func panelDotFMA(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
	checkPanelArgs(qp, np, rp, d, thr, out, masks)
	rp = rp[:panelCols*d]
	for p := 0; p < np; p++ {
		q := qp[p*panelRows*d : (p+1)*panelRows*d]
		o := out[p*panelSize : (p+1)*panelSize]
		for j := 0; j < panelCols; j += 2 { // Rows 0–2: 3 x 2 accumulators in registers.
			var s00, s01, s10, s11, s20, s21 float64
			for k := 0; k < d; k++ {
				qk := q[k*panelRows : k*panelRows+panelRows : k*panelRows+panelRows]
				rk := rp[k*panelCols+j : k*panelCols+j+2 : k*panelCols+j+2]
				a0, a1, a2, b0, b1 := qk[0], qk[1], qk[2], rk[0], rk[1]
				s00 = math.FMA(a0, b0, s00)
				s01 = math.FMA(a0, b1, s01)
				s10 = math.FMA(a1, b0, s10)
				s11 = math.FMA(a1, b1, s11)
				s20 = math.FMA(a2, b0, s20)
				s21 = math.FMA(a2, b1, s21)
			}
			o[0*panelCols+j], o[0*panelCols+j+1] = s00, s01
			o[1*panelCols+j], o[1*panelCols+j+1] = s10, s11
			o[2*panelCols+j], o[2*panelCols+j+1] = s20, s21
		}
		for j := 0; j < panelCols; j += 2 { // Rows 3–5: 3 x 2 accumulators in registers.
			var s00, s01, s10, s11, s20, s21 float64
			for k := 0; k < d; k++ {
				qk := q[k*panelRows : k*panelRows+panelRows : k*panelRows+panelRows]
				rk := rp[k*panelCols+j : k*panelCols+j+2 : k*panelCols+j+2]
				a0, a1, a2, b0, b1 := qk[3], qk[4], qk[5], rk[0], rk[1]
				s00 = math.FMA(a0, b0, s00)
				s01 = math.FMA(a0, b1, s01)
				s10 = math.FMA(a1, b0, s10)
				s11 = math.FMA(a1, b1, s11)
				s20 = math.FMA(a2, b0, s20)
				s21 = math.FMA(a2, b1, s21)
			}
			o[3*panelCols+j], o[3*panelCols+j+1] = s00, s01
			o[4*panelCols+j], o[4*panelCols+j+1] = s10, s11
			o[5*panelCols+j], o[5*panelCols+j+1] = s20, s21
		}
		setMasks(o, thr[p*panelRows:(p+1)*panelRows], masks[p*8:(p+1)*8], true)
	}
}

// panelDotMulAdd is panelDotGo with rounded products (no fused multiply-add).
func panelDotMulAdd(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
	checkPanelArgs(qp, np, rp, d, thr, out, masks)
	rp = rp[:panelCols*d]
	for p := 0; p < np; p++ {
		q := qp[p*panelRows*d : (p+1)*panelRows*d]
		o := out[p*panelSize : (p+1)*panelSize]
		for j := 0; j < panelCols; j += 2 { // Rows 0–2: 3 x 2 accumulators in registers.
			var s00, s01, s10, s11, s20, s21 float64
			for k := 0; k < d; k++ {
				qk := q[k*panelRows : k*panelRows+panelRows : k*panelRows+panelRows]
				rk := rp[k*panelCols+j : k*panelCols+j+2 : k*panelCols+j+2]
				a0, a1, a2, b0, b1 := qk[0], qk[1], qk[2], rk[0], rk[1]
				s00 += float64(a0 * b0)
				s01 += float64(a0 * b1)
				s10 += float64(a1 * b0)
				s11 += float64(a1 * b1)
				s20 += float64(a2 * b0)
				s21 += float64(a2 * b1)
			}
			o[0*panelCols+j], o[0*panelCols+j+1] = s00, s01
			o[1*panelCols+j], o[1*panelCols+j+1] = s10, s11
			o[2*panelCols+j], o[2*panelCols+j+1] = s20, s21
		}
		for j := 0; j < panelCols; j += 2 { // Rows 3–5: 3 x 2 accumulators in registers.
			var s00, s01, s10, s11, s20, s21 float64
			for k := 0; k < d; k++ {
				qk := q[k*panelRows : k*panelRows+panelRows : k*panelRows+panelRows]
				rk := rp[k*panelCols+j : k*panelCols+j+2 : k*panelCols+j+2]
				a0, a1, a2, b0, b1 := qk[3], qk[4], qk[5], rk[0], rk[1]
				s00 += float64(a0 * b0)
				s01 += float64(a0 * b1)
				s10 += float64(a1 * b0)
				s11 += float64(a1 * b1)
				s20 += float64(a2 * b0)
				s21 += float64(a2 * b1)
			}
			o[3*panelCols+j], o[3*panelCols+j+1] = s00, s01
			o[4*panelCols+j], o[4*panelCols+j+1] = s10, s11
			o[5*panelCols+j], o[5*panelCols+j+1] = s20, s21
		}
		setMasks(o, thr[p*panelRows:(p+1)*panelRows], masks[p*8:(p+1)*8], true)
	}
}

// panelSqL2FMA is panelSqL2Go with fused multiply-adds.
func panelSqL2FMA(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
	checkPanelArgs(qp, np, rp, d, thr, out, masks)
	rp = rp[:panelCols*d]
	for p := 0; p < np; p++ {
		q := qp[p*panelRows*d : (p+1)*panelRows*d]
		o := out[p*panelSize : (p+1)*panelSize]
		for j := 0; j < panelCols; j += 2 { // Rows 0–2: 3 x 2 accumulators in registers.
			var s00, s01, s10, s11, s20, s21 float64
			for k := 0; k < d; k++ {
				qk := q[k*panelRows : k*panelRows+panelRows : k*panelRows+panelRows]
				rk := rp[k*panelCols+j : k*panelCols+j+2 : k*panelCols+j+2]
				a0, a1, a2, b0, b1 := qk[0], qk[1], qk[2], rk[0], rk[1]
				t := a0 - b0
				s00 = math.FMA(t, t, s00)
				t = a0 - b1
				s01 = math.FMA(t, t, s01)
				t = a1 - b0
				s10 = math.FMA(t, t, s10)
				t = a1 - b1
				s11 = math.FMA(t, t, s11)
				t = a2 - b0
				s20 = math.FMA(t, t, s20)
				t = a2 - b1
				s21 = math.FMA(t, t, s21)
			}
			o[0*panelCols+j], o[0*panelCols+j+1] = s00, s01
			o[1*panelCols+j], o[1*panelCols+j+1] = s10, s11
			o[2*panelCols+j], o[2*panelCols+j+1] = s20, s21
		}
		for j := 0; j < panelCols; j += 2 { // Rows 3–5: 3 x 2 accumulators in registers.
			var s00, s01, s10, s11, s20, s21 float64
			for k := 0; k < d; k++ {
				qk := q[k*panelRows : k*panelRows+panelRows : k*panelRows+panelRows]
				rk := rp[k*panelCols+j : k*panelCols+j+2 : k*panelCols+j+2]
				a0, a1, a2, b0, b1 := qk[3], qk[4], qk[5], rk[0], rk[1]
				t := a0 - b0
				s00 = math.FMA(t, t, s00)
				t = a0 - b1
				s01 = math.FMA(t, t, s01)
				t = a1 - b0
				s10 = math.FMA(t, t, s10)
				t = a1 - b1
				s11 = math.FMA(t, t, s11)
				t = a2 - b0
				s20 = math.FMA(t, t, s20)
				t = a2 - b1
				s21 = math.FMA(t, t, s21)
			}
			o[3*panelCols+j], o[3*panelCols+j+1] = s00, s01
			o[4*panelCols+j], o[4*panelCols+j+1] = s10, s11
			o[5*panelCols+j], o[5*panelCols+j+1] = s20, s21
		}
		setMasks(o, thr[p*panelRows:(p+1)*panelRows], masks[p*8:(p+1)*8], false)
	}
}

// panelSqL2MulAdd is panelSqL2Go with rounded products (no fused multiply-add).
func panelSqL2MulAdd(qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
	checkPanelArgs(qp, np, rp, d, thr, out, masks)
	rp = rp[:panelCols*d]
	for p := 0; p < np; p++ {
		q := qp[p*panelRows*d : (p+1)*panelRows*d]
		o := out[p*panelSize : (p+1)*panelSize]
		for j := 0; j < panelCols; j += 2 { // Rows 0–2: 3 x 2 accumulators in registers.
			var s00, s01, s10, s11, s20, s21 float64
			for k := 0; k < d; k++ {
				qk := q[k*panelRows : k*panelRows+panelRows : k*panelRows+panelRows]
				rk := rp[k*panelCols+j : k*panelCols+j+2 : k*panelCols+j+2]
				a0, a1, a2, b0, b1 := qk[0], qk[1], qk[2], rk[0], rk[1]
				t := a0 - b0
				s00 += float64(t * t)
				t = a0 - b1
				s01 += float64(t * t)
				t = a1 - b0
				s10 += float64(t * t)
				t = a1 - b1
				s11 += float64(t * t)
				t = a2 - b0
				s20 += float64(t * t)
				t = a2 - b1
				s21 += float64(t * t)
			}
			o[0*panelCols+j], o[0*panelCols+j+1] = s00, s01
			o[1*panelCols+j], o[1*panelCols+j+1] = s10, s11
			o[2*panelCols+j], o[2*panelCols+j+1] = s20, s21
		}
		for j := 0; j < panelCols; j += 2 { // Rows 3–5: 3 x 2 accumulators in registers.
			var s00, s01, s10, s11, s20, s21 float64
			for k := 0; k < d; k++ {
				qk := q[k*panelRows : k*panelRows+panelRows : k*panelRows+panelRows]
				rk := rp[k*panelCols+j : k*panelCols+j+2 : k*panelCols+j+2]
				a0, a1, a2, b0, b1 := qk[3], qk[4], qk[5], rk[0], rk[1]
				t := a0 - b0
				s00 += float64(t * t)
				t = a0 - b1
				s01 += float64(t * t)
				t = a1 - b0
				s10 += float64(t * t)
				t = a1 - b1
				s11 += float64(t * t)
				t = a2 - b0
				s20 += float64(t * t)
				t = a2 - b1
				s21 += float64(t * t)
			}
			o[3*panelCols+j], o[3*panelCols+j+1] = s00, s01
			o[4*panelCols+j], o[4*panelCols+j+1] = s10, s11
			o[5*panelCols+j], o[5*panelCols+j+1] = s20, s21
		}
		setMasks(o, thr[p*panelRows:(p+1)*panelRows], masks[p*8:(p+1)*8], false)
	}
}

// panelGenericGo is the panel kernel of the L1, L∞ and Lp reductions (portable only), with the
// order of operations of reduceGeneric.
func panelGenericGo(red reduction, pw float64, qp []float64, np int, rp []float64, d int, thr, out []float64, masks []uint8) {
	checkPanelArgs(qp, np, rp, d, thr, out, masks)
	for p := 0; p < np; p++ {
		q := qp[p*panelRows*d : (p+1)*panelRows*d]
		o := out[p*panelSize : (p+1)*panelSize]
		for i := 0; i < panelRows; i++ {
			for j := 0; j < panelCols; j++ {
				s := 0.0
				switch red {
				case reduceL1:
					for k := 0; k < d; k++ {
						s += math.Abs(q[k*panelRows+i] - rp[k*panelCols+j])
					}
				case reduceLInf:
					for k := 0; k < d; k++ {
						s = math.Max(s, math.Abs(q[k*panelRows+i]-rp[k*panelCols+j]))
					}
				default:
					for k := 0; k < d; k++ {
						s += math.Pow(math.Abs(q[k*panelRows+i]-rp[k*panelCols+j]), pw)
					}
				}
				o[i*panelCols+j] = s
			}
		}
		setMasks(o, thr[p*panelRows:(p+1)*panelRows], masks[p*8:(p+1)*8], false)
	}
}

// setMasks sets the masks of one panel's values o against the thresholds of its rows.
func setMasks(o, thr []float64, m []uint8, greater bool) {
	for i := 0; i < panelRows; i++ {
		var b uint8
		for j, v := range o[i*panelCols : (i+1)*panelCols] {
			if (greater && v > thr[i]) || (!greater && v < thr[i]) {
				b |= 1 << j
			}
		}
		m[i] = b
	}
	m[6], m[7] = 0, 0
}

// packQueryRow writes the prepared row of query i into the packed query panels qp.
func packQueryRow(qp []float64, i int, row []float64) {
	d := len(row)
	base := (i/panelRows)*panelRows*d + i%panelRows
	dst := qp[base : base+(d-1)*panelRows+1]
	for k, v := range row {
		dst[k*panelRows] = v
	}
}

// packRefRow writes the prepared row of reference j into the packed reference panels rp (panel
// j/panelCols, lane j%panelCols).
func packRefRow(rp []float64, j int, row []float64) {
	d := len(row)
	base := (j/panelCols)*panelCols*d + j%panelCols
	dst := rp[base : base+(d-1)*panelCols+1]
	for k, v := range row {
		dst[k*panelCols] = v
	}
}

// packRefPanel writes n <= panelCols prepared rows (row-major in rows, d values each) into the
// reference panel rp, zero beyond them.
func packRefPanel(rp []float64, rows []float64, n, d int) {
	rp = rp[:panelCols*d]
	if n < panelCols {
		clear(rp)
		for j := 0; j < n; j++ {
			for k, v := range rows[j*d : (j+1)*d] {
				rp[k*panelCols+j] = v
			}
		}
		return
	}
	r0, r1, r2, r3 := rows[:d], rows[d : 2*d][:d], rows[2*d : 3*d][:d], rows[3*d : 4*d][:d]
	r4, r5, r6, r7 := rows[4*d : 5*d][:d], rows[5*d : 6*d][:d], rows[6*d : 7*d][:d], rows[7*d : 8*d][:d]
	for k := range r0 {
		o := rp[k*panelCols : k*panelCols+8 : k*panelCols+8]
		o[0], o[1], o[2], o[3] = r0[k], r1[k], r2[k], r3[k]
		o[4], o[5], o[6], o[7] = r4[k], r5[k], r6[k], r7[k]
	}
}

// packRefRows writes the panelCols prepared rows src (d values each) into the reference panel rp.
func packRefRows(rp []float64, src *[panelCols][]float64, d int) {
	rp = rp[:panelCols*d]
	r0, r1, r2, r3 := src[0][:d], src[1][:d], src[2][:d], src[3][:d]
	r4, r5, r6, r7 := src[4][:d], src[5][:d], src[6][:d], src[7][:d]
	for k := range r0 {
		o := rp[k*panelCols : k*panelCols+8 : k*panelCols+8]
		o[0], o[1], o[2], o[3] = r0[k], r1[k], r2[k], r3[k]
		o[4], o[5], o[6], o[7] = r4[k], r5[k], r6[k], r7[k]
	}
}

// dotRows6x4 writes into out[j*panelRows+i] the dot product of query i of the packed query panel
// qp (panelRows*d values) with the prepared row of d values at ref[o[j]:], for j < 4: the exact
// values (kernel.go) of a query panel against rows that are not packed. dotRows6x4Go, or its AVX2
// twin.
var dotRows6x4 = dotRows6x4Go

// checkRows6x4Args panics unless the slices hold what dotRows6x4 reads and writes.
func checkRows6x4Args(qp, ref []float64, o *[4]int, d int, out []float64) {
	if d < 1 || len(qp) < panelRows*d || len(out) < 4*panelRows {
		panic("knn: dotRows6x4 arguments out of range")
	}
	for _, oj := range o {
		if oj < 0 || oj > len(ref)-d {
			panic("knn: dotRows6x4 row out of range")
		}
	}
}

// dotRows6x4Go is the portable dotRows6x4.
func dotRows6x4Go(qp, ref []float64, o *[4]int, d int, out []float64) {
	checkRows6x4Args(qp, ref, o, d, out)
	for j, oj := range o {
		r := ref[oj : oj+d]
		for i := 0; i < panelRows; i++ {
			s := 0.0
			for k, v := range r {
				if fusedMulAdd {
					s = math.FMA(qp[k*panelRows+i], v, s)
				} else {
					s += float64(qp[k*panelRows+i] * v)
				}
			}
			out[j*panelRows+i] = s
		}
	}
}
