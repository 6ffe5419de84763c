package knn

import (
	"math"
	"math/bits"
	"slices"

	"github.com/gometric/gometric/mat"
)

// The float32 filter of the dot-product similarities (cosine and dot product), used where the
// AVX2 kernels are: the search pass computes every query-reference value in float32, twice as
// fast as in float64, as an estimate whose distance to the exact float64 value (kernel.go) has a
// proven bound eps (filterEps). Candidates are kept and selected by their estimates with a
// margin of 2·eps (topK with eps > 0), and the exact values of the few that can be among the K
// best (K or a little more per query) are then computed in float64 by the exact kernel and
// ranked. So the results, values and order, are exactly those of the exact kernel; the filter only
// changes how many values are computed in float64.

// panelCols32 is the number of references in a float32 reference panel (two 8-lane vectors).
const (
	panelCols32 = 16
	panelSize32 = panelRows * panelCols32
)

// A panelKernel32 is the float32 twin of a panelKernel for the dot product: query panels
// qp[p*panelRows*d + k*panelRows + i] against the reference panel rp[k*panelCols32 + j],
// estimates out[p*panelSize32 + i*panelCols32 + j] (a chain of float32 fused multiply-adds over
// k), and bit j of masks[p*8+i] set when that estimate is greater than thr[p*panelRows+i];
// masks[p*8+6] and masks[p*8+7] are set to zero.
type panelKernel32 func(qp []float32, np int, rp []float32, d int, thr, out []float32, masks []uint16)

// panelDot32 is the float32 filter kernel, nil where Search does not use the filter (no AVX2:
// the portable float32 kernel would not be faster than the exact one).
var panelDot32 panelKernel32

// checkPanel32Args panics unless the slices hold what a panelKernel32 reads and writes.
func checkPanel32Args(qp []float32, np int, rp []float32, d int, thr, out []float32, masks []uint16) {
	if np < 0 || d < 1 || len(qp) < np*panelRows*d || len(rp) < panelCols32*d || len(thr) < np*panelRows ||
		len(out) < np*panelSize32 || len(masks) < np*8 {
		panic("knn: panel kernel arguments out of range")
	}
}

// panelDot32Go is the portable float32 filter kernel (for tests: each step is a float64 fused
// multiply-add rounded to float32, within the same bound).
func panelDot32Go(qp []float32, np int, rp []float32, d int, thr, out []float32, masks []uint16) {
	checkPanel32Args(qp, np, rp, d, thr, out, masks)
	for p := 0; p < np; p++ {
		q := qp[p*panelRows*d : (p+1)*panelRows*d]
		o := out[p*panelSize32 : (p+1)*panelSize32]
		for i := 0; i < panelRows; i++ {
			var m uint16
			for j := 0; j < panelCols32; j++ {
				var s float32
				for k := 0; k < d; k++ {
					s = float32(math.FMA(float64(q[k*panelRows+i]), float64(rp[k*panelCols32+j]), float64(s)))
				}
				o[i*panelCols32+j] = s
				if s > thr[p*panelRows+i] {
					m |= 1 << j
				}
			}
			masks[p*8+i] = m
		}
		masks[p*8+6], masks[p*8+7] = 0, 0
	}
}

// filterEps bounds |estimate − exact| for the dot product of two prepared rows of dimension d
// with L2 norms at most qn and rn: the estimate is the float32 chain of fused multiply-adds over
// the rows rounded to float32, the exact value the float64 chain over the rows.
//
// With u = 2^-24 and γ_n(u) = n·u/(1−n·u): the float32 chain errs by at most γ_d(u)·Σ|q32·r32|,
// rounding the rows to float32 moves the sum by at most (2u+u²)·Σ|q·r|, the float64 chain errs by
// at most γ_d(2^-53)·Σ|q·r|, and Σ|q·r| <= qn·rn (Cauchy–Schwarz), Σ|q32·r32| <= (1+u)²·qn·rn.
// Underflow adds at most 2^-150 per rounding: the abs term. The total is scaled by 1.01, which
// also covers the portable kernel's double rounding (2^-53 per step).
func filterEps(d int, qn, rn float64) float64 {
	const u = 0x1p-24
	fd := float64(d)
	g32 := fd * u / (1 - fd*u)
	g64 := fd * 0x1p-53 / (1 - fd*0x1p-53)
	rel := g32*(1+u)*(1+u) + 2*u + u*u + g64
	abs := 0x1p-148 * (fd + math.Sqrt(fd)*(qn+rn) + 1)
	return 1.01 * (rel*qn*rn + abs)
}

// filterMaxDim is the largest dimension the filter is used for (filterEps needs d·2^-24 well below
// 1).
const filterMaxDim = 1 << 16

// setupFilter decides whether the search of plan pl uses the float32 filter and finds the bound
// on the references' norms: for the dot-product similarities, where panelDot32 exists, and where
// float32 cannot overflow.
func (pl *plan) setupFilter(d Distance, query, reference *mat.Dense) {
	if panelDot32 == nil || !fusedMulAdd || d.reduction() != reduceDot || query.Cols > filterMaxDim || uint64(reference.Rows) > math.MaxUint32 {
		return // (Candidates keep their reference index in 32 bits.)
	}
	if d.normalizes() {
		// Prepared rows have norm 1 (or less, when the clamp at 1e-12 applies) up to the
		// rounding of the norm and of the divisions, (d+2)·2^-53 relatively.
		pl.filter, pl.rmax = true, 1+1e-9
		return
	}
	maxAbs := func(m *mat.Dense) float64 {
		a := float32(0)
		for _, v := range m.Data {
			a = max(a, v, -v)
		}
		return float64(a)
	}
	if maxAbs(query)*maxAbs(reference)*float64(query.Cols) > 0x1p100 {
		return // Estimates could overflow float32.
	}
	rmax := 0.0
	for j := 0; j < reference.Rows; j++ {
		s := 0.0
		for _, v := range reference.Data[j*reference.Cols : (j+1)*reference.Cols] {
			s += float64(v) * float64(v)
		}
		rmax = max(rmax, s)
	}
	pl.filter, pl.rmax = true, math.Sqrt(rmax)*(1+1e-9)
}

// filterScratch is one worker's scratch memory for the filter.
type filterScratch struct {
	cols  int
	rmax  float64
	qp    []float32 // the packed float32 query panels of a task
	rp    []float32 // the packed float32 reference panels of a block (without the plan's cache)
	out   []float32 // estimates: subPanels query panels against one reference panel
	masks []uint16
	thr   []float32 // per query of the task: the estimate a candidate must beat (NaN for padding)
	tops  []topK32  // per query of the task: its candidates

	// The re-ranking of a group of query panels (rerank); g is a panel's place in the group.
	mark  []uint64                         // a bit per reference: in the union being made
	slot  []int32                          // per reference: its place in the last union made
	union [rerankGroup][]uint32            // per panel: the candidates of any of its queries
	pos   [rerankGroup * panelRows][]int32 // per query: the place in union of each candidate
	vals  [rerankGroup][]float64           // vals[g][u*panelRows+i]: union[g][u]'s exact value for query i
	cand  []candidate                      // one query's candidates with their exact keys
	src   [panelCols][]float64             // the prepared rows of one reference panel
	zero  []float64                        // a row of zeros (padding)
}

// newFilterScratch allocates the filter's scratch memory of one worker, for refs references.
func newFilterScratch(cols, taskPanels int, pl *plan, k, refs int) *filterScratch {
	refPanels := (pl.refBlock + panelCols32 - 1) / panelCols32
	if pl.ref32 != nil {
		refPanels = 0
	}
	f := &filterScratch{
		cols:  cols,
		rmax:  pl.rmax,
		qp:    make([]float32, taskPanels*panelRows*cols),
		rp:    make([]float32, refPanels*panelCols32*cols),
		out:   make([]float32, pl.subPanels*panelSize32),
		masks: make([]uint16, pl.subPanels*8),
		thr:   make([]float32, taskPanels*panelRows),
		tops:  make([]topK32, taskPanels*panelRows),
		mark:  make([]uint64, (refs+63)/64),
		slot:  make([]int32, refs),
		zero:  make([]float64, cols),
	}
	for i := range f.tops {
		f.tops[i].k = k
	}
	return f
}

// startQueries prepares for a task of nqp query panels: no query yet (padding).
func (f *filterScratch) startQueries(nqp int) {
	clear(f.qp[(nqp-1)*panelRows*f.cols : nqp*panelRows*f.cols])
	thr := f.thr[:nqp*panelRows]
	for i := range thr {
		thr[i] = float32(math.NaN())
	}
}

// addQuery packs the prepared row of task query i and empties its candidates.
func (f *filterScratch) addQuery(i int, row []float64) {
	packQueryRow32(f.qp, i, row)
	f.thr[i] = float32(math.Inf(-1))
	s := 0.0
	for _, v := range row {
		s += v * v
	}
	t := &f.tops[i]
	if t.buf == nil {
		*t = newTopK32(t.k)
	}
	t.reset(filterEps(len(row), math.Sqrt(s)*(1+1e-9), f.rmax))
}

// filterBlock runs the filter over references [r0, r1) for the nqp query panels of the task and
// offers the estimates that pass to the heaps.
func (s *searcher) filterBlock(reference *mat.Dense, r0, r1, nqp int, self func(base int) int) {
	f, cols := s.f, s.cols
	nrp := (r1 - r0 + panelCols32 - 1) / panelCols32
	var rp []float32
	if s.pl.ref32 != nil { // r0 is a multiple of panelCols32.
		rp = s.pl.ref32[r0*cols : (r0+nrp*panelCols32)*cols]
	} else {
		rp = f.rp[:nrp*panelCols32*cols]
		for pj := 0; pj < nrp; pj++ {
			j0 := r0 + pj*panelCols32
			n := min(panelCols32, r1-j0)
			for j := 0; j < n; j++ {
				s.prepareRef(reference, j0+j, s.rows[j*cols:(j+1)*cols])
			}
			packRefPanel32(rp[pj*panelCols32*cols:], s.rows, n, cols)
		}
	}
	for sb := 0; sb < nqp; sb += s.pl.subPanels {
		np := min(s.pl.subPanels, nqp-sb)
		for pj := 0; pj < nrp; pj++ {
			panelDot32(f.qp[sb*panelRows*cols:], np, rp[pj*panelCols32*cols:], cols, f.thr[sb*panelRows:], f.out, f.masks)
			base := r0 + pj*panelCols32
			valid := uint16(0xffff >> (panelCols32 - min(panelCols32, r1-base)))
			s.collect32(np, sb*panelRows, base, valid, self(base))
		}
	}
}

// collect32 is collect for the filter's estimates (similarities: the key is −estimate). The set
// bits of a panel's six masks are visited as one sequence (rows 0–3, then 4–5), which costs fewer
// mispredicted branches than a loop per row.
func (s *searcher) collect32(np, q0, base int, valid uint16, self int) {
	f := s.f
	v64 := uint64(valid) * 0x0001_0001_0001_0001
	for p := 0; p < np; p++ {
		m := f.masks[p*8 : p*8+8 : p*8+8]
		lo := (uint64(m[0]) | uint64(m[1])<<16 | uint64(m[2])<<32 | uint64(m[3])<<48) & v64
		hi := (uint64(m[4]) | uint64(m[5])<<16) & v64
		if lo|hi == 0 {
			continue
		}
		qp := q0 + p*panelRows
		vals := f.out[p*panelSize32 : (p+1)*panelSize32]
		for r := 0; r < 2; r++ {
			for lo != 0 {
				b := bits.TrailingZeros64(lo)
				lo &= lo - 1
				i, j := b>>4, b&15
				qi := qp + r*4 + i
				if qi-j == self {
					continue
				}
				h := &f.tops[qi]
				// The mask compared the estimate with the bound as of the kernel call: a candidate
				// that a shrink during this call would reject is kept until the next shrink.
				if h.push(encKey(-vals[(r*4+i)*panelCols32+j], uint32(base+j))) {
					f.thr[qi] = roundDown32(-h.bound)
				}
			}
			lo = hi
		}
	}
}

// rerankGroup is the number of query panels re-ranked together: with the plan's float64 rows,
// each block of rows is read once from memory for all of them (exactRowsGroup).
const rerankGroup = 16

// rerank computes the exact keys of the final candidates of the nq queries of the task (nqp
// panels; task row 0 is query q0) and writes their K best into res.
//
// The candidates of a panel's six queries are merged into one list of references (its union),
// each of which is reduced against the six queries at once, by dotRows6x4 on the plan's float64
// rows (for rerankGroup panels at a time, block of rows by block of rows, so that the rows are
// read from memory once per group rather than once per panel), or by the panel kernel after
// preparing and packing them; every query then takes its own values. Each query's candidates
// are sorted by their encoded estimates (uint64s) first: the exact keys are within eps of the
// estimates, so that order is nearly the exact one, which an insertion sort then completes
// (sortCandidates).
func (s *searcher) rerank(reference *mat.Dense, nqp, nq, q0 int, res *Result) {
	f := s.f
	for g0 := 0; g0 < nqp; g0 += rerankGroup {
		g1 := min(g0+rerankGroup, nqp)
		for p := g0; p < g1; p++ {
			s.unionPanel(p, min(panelRows, nq-p*panelRows), p-g0)
		}
		if s.pl.ref64 != nil {
			s.exactRowsGroup(g0, g1)
		} else {
			for p := g0; p < g1; p++ {
				s.exactPacked(reference, p, f.union[p-g0], f.vals[p-g0])
			}
		}
		for p := g0; p < g1; p++ {
			vals := f.vals[p-g0]
			for i := 0; i < min(panelRows, nq-p*panelRows); i++ {
				c := f.cand[:0]
				pos := f.pos[(p-g0)*panelRows+i]
				for t, x := range f.tops[p*panelRows+i].buf {
					key := vals[int(pos[t])*panelRows+i]
					if s.sim {
						key = -key
					}
					c = append(c, candidate{key: key, idx: int(uint32(x))})
				}
				f.cand = c
				sortCandidates(c)
				s.write(res, q0+p*panelRows+i, c)
			}
		}
	}
}

// unionPanel sorts the final candidates of the n queries of task panel p by estimate and finds
// their union, sorted by index, into f.union[g], the place of every candidate in it into
// f.pos[g*panelRows+i], and room for the values into f.vals[g].
func (s *searcher) unionPanel(p, n, g int) {
	f := s.f
	for i := 0; i < n; i++ {
		c := f.tops[p*panelRows+i].final()
		slices.Sort(c)
		for _, x := range c {
			j := uint32(x)
			f.mark[j>>6] |= 1 << (j & 63)
		}
	}
	union := f.union[g][:0]
	for w, m := range f.mark { // In index order: the rows are read in memory order.
		if m == 0 {
			continue
		}
		f.mark[w] = 0
		for ; m != 0; m &= m - 1 {
			j := uint32(w<<6 + bits.TrailingZeros64(m))
			f.slot[j] = int32(len(union))
			union = append(union, j)
		}
	}
	f.union[g] = union
	for i := 0; i < n; i++ {
		pos := f.pos[g*panelRows+i][:0]
		for _, x := range f.tops[p*panelRows+i].buf {
			pos = append(pos, f.slot[uint32(x)])
		}
		f.pos[g*panelRows+i] = pos
	}
	if cap(f.vals[g]) < len(union)*panelRows {
		f.vals[g] = make([]float64, len(union)*panelRows, 2*len(union)*panelRows)
	}
	f.vals[g] = f.vals[g][:len(union)*panelRows]
}

// exactPacked writes into vals[u*panelRows+i] the exact value of reference union[u] for query i
// of task query panel p: the rows are prepared and packed into reference panels for the panel
// kernel.
func (s *searcher) exactPacked(reference *mat.Dense, p int, union []uint32, vals []float64) {
	f, cols := s.f, s.cols
	rp := s.rp[:panelCols*cols]
	row := func(j uint32) []float32 { return reference.Data[int(j)*cols : (int(j)+1)*cols] }
	for _, j := range union[:min(len(union), panelCols)] {
		prefetchRow(row(j))
	}
	for u0 := 0; u0 < len(union); u0 += panelCols {
		m := min(panelCols, len(union)-u0)
		for l := 0; l < panelCols; l++ {
			switch {
			case l >= m:
				f.src[l] = f.zero
			default:
				if u0+panelCols+l < len(union) {
					prefetchRow(row(union[u0+panelCols+l])) // The next chunk's.
				}
				f.src[l] = s.rows[l*cols : (l+1)*cols]
				s.prepareRef(reference, int(union[u0+l]), f.src[l])
			}
		}
		packRefRows(rp, &f.src, cols)
		s.kern(s.qp[p*panelRows*cols:], 1, rp, cols, s.thr[p*panelRows:], s.out, s.masks)
		for l := 0; l < m; l++ {
			v := vals[(u0+l)*panelRows : (u0+l+1)*panelRows : (u0+l+1)*panelRows]
			for i := range v {
				v[i] = s.out[i*panelCols+l]
			}
		}
	}

}

// exactRowsGroup is exactPacked for the panels [g0, g1) of a group, with the plan's float64 rows,
// which dotRows6x4 reads where they are: block by block of rows that fit in the L2 cache, each
// block for every panel of the group.
func (s *searcher) exactRowsGroup(g0, g1 int) {
	f, cols := s.f, s.cols
	block := max(4, (256<<10)/(cols*8))
	var cur [rerankGroup]int
	var o [4]int
	var tail [4 * panelRows]float64
	for b1, left := block, true; left; b1 += block {
		left = false
		for p := g0; p < g1; p++ {
			union, vals := f.union[p-g0], f.vals[p-g0]
			qp := s.qp[p*panelRows*cols : (p+1)*panelRows*cols]
			u0 := cur[p-g0]
			for ; u0 < len(union) && int(union[u0]) < b1; u0 += 4 {
				m := min(4, len(union)-u0)
				for l := range o {
					o[l] = int(union[u0+min(l, m-1)]) * cols
				}
				if m == 4 {
					dotRows6x4(qp, s.pl.ref64, &o, cols, vals[u0*panelRows:])
					continue
				}
				dotRows6x4(qp, s.pl.ref64, &o, cols, tail[:])
				copy(vals[u0*panelRows:], tail[:m*panelRows])
			}
			cur[p-g0] = u0
			left = left || u0 < len(union)
		}
	}
}

// sortCandidates sorts c best first (less). It is an insertion sort, linear when c is nearly
// sorted, as the filter's candidates are; when that takes more than a few moves per candidate it
// sorts what is left with slices.SortFunc.
func sortCandidates(c []candidate) {
	budget := 8*len(c) + 64
	for n := 1; n < len(c); n++ {
		x := c[n]
		m := n
		for m > 0 && less(x, c[m-1]) {
			c[m] = c[m-1]
			m--
		}
		c[m] = x
		if budget -= n - m; budget < 0 {
			slices.SortFunc(c, cmpCandidates)
			return
		}
	}
}

// cmpCandidates is less as a three-way comparison.
func cmpCandidates(a, b candidate) int {
	switch {
	case less(a, b):
		return -1
	case less(b, a):
		return 1
	}
	return 0
}

// roundDown32 returns the largest float32 not above x.
func roundDown32(x float64) float32 {
	f := float32(x)
	if float64(f) > x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

// packQueryRow32 writes the prepared row of query i, rounded to float32, into the packed float32
// query panels qp.
func packQueryRow32(qp []float32, i int, row []float64) {
	d := len(row)
	base := (i/panelRows)*panelRows*d + i%panelRows
	dst := qp[base : base+(d-1)*panelRows+1]
	for k, v := range row {
		dst[k*panelRows] = float32(v)
	}
}

// packRefRow32 writes the prepared row of reference j, rounded to float32, into the packed
// float32 reference panels rp (panel j/panelCols32, lane j%panelCols32).
func packRefRow32(rp []float32, j int, row []float64) {
	d := len(row)
	base := (j/panelCols32)*panelCols32*d + j%panelCols32
	dst := rp[base : base+(d-1)*panelCols32+1]
	for k, v := range row {
		dst[k*panelCols32] = float32(v)
	}
}

// packRefPanel32 writes n <= panelCols32 prepared rows (row-major in rows, d values each),
// rounded to float32, into the float32 reference panel rp, zero beyond them.
func packRefPanel32(rp []float32, rows []float64, n, d int) {
	rp = rp[:panelCols32*d]
	if n < panelCols32 {
		clear(rp)
		for j := 0; j < n; j++ {
			for k, v := range rows[j*d : (j+1)*d] {
				rp[k*panelCols32+j] = float32(v)
			}
		}
		return
	}
	for h := 0; h < panelCols32; h += 8 {
		r := rows[h*d:]
		r0, r1, r2, r3 := r[:d], r[d : 2*d][:d], r[2*d : 3*d][:d], r[3*d : 4*d][:d]
		r4, r5, r6, r7 := r[4*d : 5*d][:d], r[5*d : 6*d][:d], r[6*d : 7*d][:d], r[7*d : 8*d][:d]
		for k := range r0 {
			o := rp[k*panelCols32+h : k*panelCols32+h+8 : k*panelCols32+h+8]
			o[0], o[1], o[2], o[3] = float32(r0[k]), float32(r1[k]), float32(r2[k]), float32(r3[k])
			o[4], o[5], o[6], o[7] = float32(r4[k]), float32(r5[k]), float32(r6[k]), float32(r7[k])
		}
	}
}

// topK32 holds the candidates of one query in the filter: like topK, a buffer of up to 2k
// (at least k+16), but each candidate is its estimated key and its index in one uint64
// (encKey), ordered like (key, index). When the buffer is full it is shrunk to the candidates
// whose estimates are within 2·eps of a value v that at least k estimates do not exceed: at least
// k candidates then have exact keys <= v+eps, so any candidate whose estimate is above v+2·eps has
// an exact key above the exact k-th best and is not needed. v is found with one histogram of the
// keys (no sort): the k best are always kept, a few more with them.
type topK32 struct {
	k     int
	eps   float64
	buf   []uint64
	bound float64 // a candidate needs a smaller estimated key; +Inf until the first shrink
}

// newTopK32 returns an empty topK32 for k candidates.
func newTopK32(k int) topK32 {
	return topK32{k: k, buf: make([]uint64, 0, max(2*k, k+16)), bound: math.Inf(1)}
}

// reset empties t for a new query whose estimates are within eps of the exact keys.
func (t *topK32) reset(eps float64) {
	t.buf = t.buf[:0]
	t.eps = eps
	t.bound = math.Inf(1)
}

// push offers encoded candidate x, whose key is below t.bound, and reports whether t.bound
// changed.
func (t *topK32) push(x uint64) bool {
	t.buf = append(t.buf, x)
	if len(t.buf) < cap(t.buf) {
		return false
	}
	t.shrink()
	return true
}

// final returns the candidates that may be among the k best: at least k of them (all if fewer
// were offered).
func (t *topK32) final() []uint64 {
	if len(t.buf) > t.k {
		t.shrink()
	}
	return t.buf
}

// shrink keeps the candidates within the band of the histogram's value v (see topK32) and lowers
// the bound.
func (t *topK32) shrink() {
	buf := t.buf
	lo, hi := buf[0], buf[0]
	for _, x := range buf[1:] { // Branch-free: the comparisons are unpredictable.
		lo ^= (lo ^ x) & -uint64(b2i(x < lo))
		hi ^= (hi ^ x) & -uint64(b2i(x > hi))
	}
	sh := max(0, bits.Len64(hi-lo)-8) // 256 buckets of 2^sh encoded values from lo.
	var hist [256]int32
	for _, x := range buf {
		hist[(x-lo)>>sh]++
	}
	b, cum := 0, 0
	for ; b < 255; b++ {
		if cum += int(hist[b]); cum >= t.k {
			break
		}
	}
	v := hi // At least k candidates are <= v: the last of bucket b (or hi).
	if b < 255 {
		v = min(hi, lo+(uint64(b+1)<<sh)-1)
	}
	band := math.Nextafter(float64(decKey(v))+2*t.eps, math.Inf(1))
	keep := encKey(roundDown32(band), math.MaxUint32) // Every candidate whose key is <= band.
	n := 0
	for _, x := range buf {
		buf[n] = x
		n += b2i(x <= keep)
	}
	t.buf = buf[:n]
	t.bound = min(t.bound, math.Nextafter(band, math.Inf(1)))
	if n > cap(buf)-max(t.k/2, 8) { // Many estimates within the band: make room.
		t.buf = append(make([]uint64, 0, 2*cap(buf)), t.buf...)
	}
}

// encKey encodes an estimated key and a reference index (< 2^32) into one uint64 that orders like
// (key, index): the key's bits made monotone (negative keys inverted, positive ones with the sign
// bit set) above the index.
func encKey(key float32, idx uint32) uint64 {
	b := math.Float32bits(key)
	if b>>31 != 0 {
		b = ^b
	} else {
		b |= 1 << 31
	}
	return uint64(b)<<32 | uint64(idx)
}

// decKey returns the key of an encoded candidate.
func decKey(x uint64) float32 {
	b := uint32(x >> 32)
	if b>>31 != 0 {
		b &^= 1 << 31
	} else {
		b = ^b
	}
	return math.Float32frombits(b)
}
