package gemm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gometric/gometric/internal/parallel"
)

// float is the element type of the generic driver.
type float interface{ ~float32 | ~float64 }

// microKernel computes a full mr×nr tile: c[i*ldc+j] = alpha·Σ_p a[p*mr+i]·b[p*nr+j] +
// beta·c[i*ldc+j] (c not read when beta == 0), from packed panels a (k×mr) and b (k×nr).
type microKernel[T float] func(k int, a, b, c []T, ldc int, alpha, beta T)

// Cache blocking (in elements): a packed B block is kc×nc (L3), a packed A block mc×kc (L2),
// one packed B micro-panel kc×nr (L1). mc is a multiple of mr, nc of nr.
const (
	kc = 256
	mc = 144
	nc = 2048
)

// Every product goes through packing and the micro-kernel, however small: a direct loop for small
// products (tried: faster below ~256 multiply-adds with the assembly kernel, ~32k with the portable
// one) rounds differently from the kernel (fused multiply-adds; partial sums per kc block), and a
// dot product must give the same bits whatever the matrix sizes around it. Losses compute a
// distance matrix block by block and compare it with the whole: with the direct loop, a 5-row block
// of a 12×4×12 product differed from the whole product in the last bit and flipped a threshold in a
// loss test (TestSubBlocksAreBitExact checks the property). Calls of fewer than parallelMACs
// multiply-adds run on one goroutine.
const parallelMACs = 256 << 10

// MatMul32 sets c[p] = alpha·a[p]·b[p] + beta·c[p] for p in [0, batch): a is [batch, m, k], b is
// [batch, k, n], c is [batch, m, n], all row-major and contiguous. beta == 0 means c's old
// contents are ignored (even NaN). Any size may be 0; with k == 0, c = beta·c. It panics when a
// size is negative or a slice's length is not the product of its sizes. Large products run on
// runtime.GOMAXPROCS goroutines.
func MatMul32(alpha, beta float32, a, b []float32, batch, m, n, k int, c []float32) {
	MatMulT32(false, false, alpha, beta, a, b, batch, m, n, k, c)
}

// MatMul64 is MatMul32 for float64: c[p] = alpha·a[p]·b[p] + beta·c[p] for p in [0, batch).
func MatMul64(alpha, beta float64, a, b []float64, batch, m, n, k int, c []float64) {
	MatMulT64(false, false, alpha, beta, a, b, batch, m, n, k, c)
}

// MatMulT32 is MatMul32 with operands that may be given transposed: with transA, a[p] is stored as
// its transpose, [k, m] row-major; with transB, b[p] as [n, k]. c[p] = alpha·op(a[p])·op(b[p]) +
// beta·c[p]. Transposition only changes how the operands are packed, so the results are
// bit-identical to MatMul32's on the transposed copies.
func MatMulT32(transA, transB bool, alpha, beta float32, a, b []float32, batch, m, n, k int, c []float32) {
	check("MatMul32", len(a), len(b), len(c), batch, m, n, k)
	matMul32(alpha, beta, a, b, batch, m, n, k, c, aMode(transA), transB)
}

// MatMulSymA32 is MatMul32 with a replaced by a + aᵀ (a square, [batch, m, m]): c[p] =
// alpha·(a[p] + a[p]ᵀ)·b[p] + beta·c[p]. The sum is formed while a is packed and never stored, so
// the results are bit-identical to MatMul32's on a symmetrized copy, without that copy's pass
// (a transposed read and a write of the whole matrix).
func MatMulSymA32(alpha, beta float32, a, b []float32, batch, m, n int, c []float32) {
	check("MatMulSymA32", len(a), len(b), len(c), batch, m, n, m)
	matMul32(alpha, beta, a, b, batch, m, n, m, c, aSymmetrized, false)
}

func matMul32(alpha, beta float32, a, b []float32, batch, m, n, k int, c []float32, modeA aLayout, transB bool) {
	kern, nr := microKernel[float32](kernel32Portable), nr32
	if useAsm {
		kern = kernel32Asm
	}
	matMul(alpha, beta, a, b, batch, m, n, k, c, kern, nr, pools32, modeA, transB)
}

// MatMulT64 is MatMulT32 for float64.
func MatMulT64(transA, transB bool, alpha, beta float64, a, b []float64, batch, m, n, k int, c []float64) {
	check("MatMul64", len(a), len(b), len(c), batch, m, n, k)
	matMul64(alpha, beta, a, b, batch, m, n, k, c, aMode(transA), transB)
}

// MatMulSymA64 is MatMulSymA32 for float64.
func MatMulSymA64(alpha, beta float64, a, b []float64, batch, m, n int, c []float64) {
	check("MatMulSymA64", len(a), len(b), len(c), batch, m, n, m)
	matMul64(alpha, beta, a, b, batch, m, n, m, c, aSymmetrized, false)
}

func matMul64(alpha, beta float64, a, b []float64, batch, m, n, k int, c []float64, modeA aLayout, transB bool) {
	kern, nr := microKernel[float64](kernel64Portable), nr64
	if useAsm {
		kern = kernel64Asm
	}
	matMul(alpha, beta, a, b, batch, m, n, k, c, kern, nr, pools64, modeA, transB)
}

// aLayout is how the A operand is given: as stored, transposed, or to be symmetrized.
type aLayout int

const (
	aPlain       aLayout = iota // a[p] is [m, k] row-major
	aTransposed                 // a[p] is stored as its transpose, [k, m]
	aSymmetrized                // a[p] is [m, m] and the product uses a[p] + a[p]ᵀ
)

func aMode(transA bool) aLayout {
	if transA {
		return aTransposed
	}
	return aPlain
}

// check panics unless the sizes are non-negative, their products do not overflow, and the
// lengths are batch·m·k, batch·k·n and batch·m·n.
func check(fn string, la, lb, lc, batch, m, n, k int) {
	if batch < 0 || m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm.%s: negative size: batch=%d m=%d n=%d k=%d", fn, batch, m, n, k))
	}
	wa, okA := mul3(batch, m, k)
	wb, okB := mul3(batch, k, n)
	wc, okC := mul3(batch, m, n)
	if !okA || !okB || !okC {
		panic(fmt.Sprintf("gemm.%s: sizes overflow: batch=%d m=%d n=%d k=%d", fn, batch, m, n, k))
	}
	if la != wa || lb != wb || lc != wc {
		panic(fmt.Sprintf("gemm.%s: slice lengths a=%d b=%d c=%d do not match batch=%d m=%d n=%d k=%d (want a=%d b=%d c=%d)",
			fn, la, lb, lc, batch, m, n, k, wa, wb, wc))
	}
}

// mul3 returns x·y·z and whether it fits in an int (all non-negative).
func mul3(x, y, z int) (int, bool) {
	const maxInt = int(^uint(0) >> 1)
	if y != 0 && x > maxInt/y {
		return 0, false
	}
	xy := x * y
	if z != 0 && xy > maxInt/z {
		return 0, false
	}
	return xy * z, true
}

// buffers holds one goroutine's packing space.
type buffers[T float] struct {
	a, b []T
	tile []T // mr×nr scratch tile for edges
}

// pools recycles one element type's packing buffers and jobs, so that steady-state calls do not
// allocate.
type pools struct{ bufs, jobs sync.Pool }

var (
	pools32 = &pools{
		bufs: sync.Pool{New: func() any { return new(buffers[float32]) }},
		jobs: sync.Pool{New: func() any { return new(job[float32]) }},
	}
	pools64 = &pools{
		bufs: sync.Pool{New: func() any { return new(buffers[float64]) }},
		jobs: sync.Pool{New: func() any { return new(job[float64]) }},
	}
)

// job is one call's arguments, shared by its goroutines.
type job[T float] struct {
	alpha, beta T
	a, b, c     []T
	m, n, k     int
	kern        microKernel[T]
	nr          int
	pools       *pools
	splits      int  // parts of each batch item
	splitM      bool // split over rows (else over columns)
	modeA       aLayout
	transB      bool // b is stored transposed, [n, k]
	tasks       int  // batch·splits
	next        atomic.Int64
	run         func() // j.work, bound once: a method value made per call would allocate

	// The shared-B schedule (sharedB): the current block of B, packed once for all workers, and
	// the row blocks of A that the workers take.
	bPacked               []T
	jc, ncb, pc, kcb      int
	packTasks             int
	rowsPerTask, rowTasks int
	runPack, runRows      func() // j.packWork and j.rowWork, bound once
}

func matMul[T float](alpha, beta T, a, b []T, batch, m, n, k int, c []T, kern microKernel[T], nr int, pools *pools, modeA aLayout, transB bool) {
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scale(c, beta)
		return
	}
	macs := batch * m * n * k
	workers := runtime.GOMAXPROCS(0)
	if macs < parallelMACs {
		workers = 1
	}
	if batch == 1 && workers > 1 && m >= sharedBMinRows*workers {
		j := pools.jobs.Get().(*job[T])
		j.alpha, j.beta, j.a, j.b, j.c, j.m, j.n, j.k, j.kern, j.nr = alpha, beta, a, b, c, m, n, k, kern, nr
		j.pools, j.modeA, j.transB = pools, modeA, transB
		j.sharedB(workers)
		j.a, j.b, j.c = nil, nil, nil
		pools.jobs.Put(j)
		return
	}
	// Split each batch item so that the tasks divide evenly among the workers when the batch
	// alone does not, over the longer of m and n, in whole micro-tiles.
	splits := 1
	if workers > 1 && batch%workers != 0 && batch < 8*workers {
		splits = workers / gcd(batch, workers)
	}
	splitM := m >= n
	if splitM {
		splits = min(splits, (m+mr-1)/mr)
	} else {
		splits = min(splits, (n+nr-1)/nr)
	}
	j := pools.jobs.Get().(*job[T])
	j.alpha, j.beta, j.a, j.b, j.c, j.m, j.n, j.k, j.kern, j.nr = alpha, beta, a, b, c, m, n, k, kern, nr
	j.pools, j.splits, j.splitM, j.tasks = pools, splits, splitM, batch*splits
	j.modeA, j.transB = modeA, transB
	j.next.Store(0)
	if j.run == nil {
		j.run = j.work
	}
	parallel.Run(min(workers, j.tasks), j.run)
	j.a, j.b, j.c = nil, nil, nil
	pools.jobs.Put(j)
}

func gcd(x, y int) int {
	for y != 0 {
		x, y = y, x%y
	}
	return x
}

// work takes tasks until none is left.
func (j *job[T]) work() {
	buf := j.pools.bufs.Get().(*buffers[T])
	defer j.pools.bufs.Put(buf)
	for {
		t := int(j.next.Add(1) - 1)
		if t >= j.tasks {
			return
		}
		p, part := t/j.splits, t%j.splits
		m, n, k := j.m, j.n, j.k
		i0, i1, j0, j1 := 0, m, 0, n
		if j.splitM {
			units := (m + mr - 1) / mr
			i0, i1 = part*units/j.splits*mr, min(m, (part+1)*units/j.splits*mr)
		} else {
			units := (n + j.nr - 1) / j.nr
			j0, j1 = part*units/j.splits*j.nr, min(n, (part+1)*units/j.splits*j.nr)
		}
		j.block(buf, j.a[p*m*k:(p+1)*m*k], j.b[p*k*n:(p+1)*k*n], j.c[p*m*n:(p+1)*m*n], i0, i1, j0, j1)
	}
}

// sharedBMinRows is the fewest rows of A per worker for which a single product takes the
// shared-B schedule: 4 micro-panels each.
const sharedBMinRows = 4 * mr

// sharedB computes a single product (batch 1) with B's blocks packed once for all workers: for
// each kc×nc block of B, the workers first pack its micro-panels, then take row blocks of A (each
// packing its own rows) and multiply them by the whole block. The row blocks are small enough
// that each worker gets about three: a worker that the operating system deschedules (another
// process on the core) then holds up one small block while the others take the rest, where with
// one half of the product per worker the other worker waited for the whole half. The results are
// bit-identical to block's: each entry of C sums the same kc blocks in the same order.
func (j *job[T]) sharedB(workers int) {
	m, n, k, nr := j.m, j.n, j.k, j.nr
	rows := (m + 3*workers - 1) / (3 * workers)
	j.rowsPerTask = min(mc, roundUp(max(rows, sharedBMinRows), mr))
	j.rowTasks = (m + j.rowsPerTask - 1) / j.rowsPerTask
	j.bPacked = grow(j.bPacked, min(kc, k)*min(nc, roundUp(n, nr)))
	if j.runPack == nil {
		j.runPack, j.runRows = j.packWork, j.rowWork
	}
	for jc := 0; jc < n; jc += nc {
		for pc := 0; pc < k; pc += kc {
			j.jc, j.ncb, j.pc, j.kcb = jc, min(nc, n-jc), pc, min(kc, k-pc)
			j.packTasks = min((j.ncb+nr-1)/nr, 4*workers)
			j.next.Store(0)
			parallel.Run(min(workers, j.packTasks), j.runPack)
			j.next.Store(0)
			parallel.Run(min(workers, j.rowTasks), j.runRows)
		}
	}
}

// packWork packs groups of micro-panels of the current block of B into j.bPacked until none is
// left.
func (j *job[T]) packWork() {
	panels := (j.ncb + j.nr - 1) / j.nr
	for {
		t := int(j.next.Add(1) - 1)
		if t >= j.packTasks {
			return
		}
		p0, p1 := t*panels/j.packTasks, (t+1)*panels/j.packTasks
		c0, c1 := p0*j.nr, min(p1*j.nr, j.ncb)
		if c1 <= c0 {
			continue
		}
		dst := j.bPacked[p0*j.nr*j.kcb:]
		if j.transB {
			packBT(dst, j.b, j.k, j.pc, j.kcb, j.jc+c0, c1-c0, j.nr)
		} else {
			packB(dst, j.b, j.n, j.pc, j.kcb, j.jc+c0, c1-c0, j.nr)
		}
	}
}

// rowWork takes row blocks of A until none is left: packs each and multiplies it by the current
// packed block of B.
func (j *job[T]) rowWork() {
	buf := j.pools.bufs.Get().(*buffers[T])
	defer j.pools.bufs.Put(buf)
	buf.a = grow(buf.a, j.rowsPerTask*j.kcb)
	buf.tile = grow(buf.tile, mr*j.nr)
	beta := j.beta
	if j.pc > 0 {
		beta = 1
	}
	for {
		t := int(j.next.Add(1) - 1)
		if t >= j.rowTasks {
			return
		}
		ic := t * j.rowsPerTask
		mcb := min(j.rowsPerTask, j.m-ic)
		j.packARows(buf.a, j.a, ic, mcb, j.pc, j.kcb)
		j.macro(buf.a, j.bPacked, j.c, buf.tile[:mr*j.nr], ic, mcb, j.jc, j.ncb, j.kcb, beta)
	}
}

// packARows packs rows [ic, ic+mcb) × columns [pc, pc+kcb) of A as its layout says.
func (j *job[T]) packARows(dst, a []T, ic, mcb, pc, kcb int) {
	switch j.modeA {
	case aTransposed:
		packAT(dst, a, j.m, ic, mcb, pc, kcb)
	case aSymmetrized:
		packASym(dst, a, j.k, ic, mcb, pc, kcb)
	default:
		packA(dst, a, j.k, ic, mcb, pc, kcb)
	}
}

// macro sets C[ic:ic+mcb, jc:jc+ncb] = alpha·Ã·B̃ + beta·C from packed A rows ap (mcb×kcb) and
// packed B columns bp (kcb×ncb), one mr×nr tile at a time (edge tiles through tile).
func (j *job[T]) macro(ap, bp, c, tile []T, ic, mcb, jc, ncb, kcb int, beta T) {
	n, nr := j.n, j.nr
	for jr := 0; jr < ncb; jr += nr {
		nrb := min(nr, ncb-jr)
		bpan := bp[jr*kcb : (jr+nr)*kcb]
		for ir := 0; ir < mcb; ir += mr {
			mrb := min(mr, mcb-ir)
			apan := ap[ir*kcb : (ir+mr)*kcb]
			off := (ic+ir)*n + jc + jr
			if mrb == mr && nrb == nr {
				j.kern(kcb, apan, bpan, c[off:], n, j.alpha, beta)
				continue
			}
			j.kern(kcb, apan, bpan, tile, nr, j.alpha, 0)
			for i := range mrb {
				row := c[off+i*n : off+i*n+nrb]
				t := tile[i*nr : i*nr+nrb]
				if beta == 0 {
					copy(row, t)
				} else {
					for x := range row {
						row[x] = t[x] + beta*row[x]
					}
				}
			}
		}
	}
}

// block computes rows [i0, i1) × columns [j0, j1) of one batch item.
func (j *job[T]) block(buf *buffers[T], a, b, c []T, i0, i1, j0, j1 int) {
	n, k, nr := j.n, j.k, j.nr
	ncMax := min(nc, roundUp(j1-j0, nr))
	kcMax := min(kc, k)
	mcMax := min(mc, roundUp(i1-i0, mr))
	buf.b = grow(buf.b, kcMax*ncMax)
	buf.a = grow(buf.a, mcMax*kcMax)
	buf.tile = grow(buf.tile, mr*nr)
	tile := buf.tile[:mr*nr]
	for jc := j0; jc < j1; jc += nc {
		ncb := min(nc, j1-jc)
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			if j.transB {
				packBT(buf.b, b, k, pc, kcb, jc, ncb, nr)
			} else {
				packB(buf.b, b, n, pc, kcb, jc, ncb, nr)
			}
			beta := j.beta
			if pc > 0 {
				beta = 1
			}
			for ic := i0; ic < i1; ic += mc {
				mcb := min(mc, i1-ic)
				j.packARows(buf.a, a, ic, mcb, pc, kcb)
				j.macro(buf.a, buf.b, c, tile, ic, mcb, jc, ncb, kcb, beta)
			}
		}
	}
}

func roundUp(x, q int) int { return (x + q - 1) / q * q }

// grow returns s with length at least size, reusing its array when it is large enough.
func grow[T float](s []T, size int) []T {
	if cap(s) < size {
		return make([]T, size)
	}
	return s[:cap(s)]
}

// packB copies rows [pc, pc+kcb) × columns [jc, jc+ncb) of b (row length n) into dst as
// consecutive micro-panels of nr columns, each kcb rows of nr values, zero-padding the last.
func packB[T float](dst, b []T, n, pc, kcb, jc, ncb, nr int) {
	for jr := 0; jr < ncb; jr += nr {
		w := min(nr, ncb-jr)
		panel := dst[jr*kcb : jr*kcb+kcb*nr]
		src := (pc)*n + jc + jr
		if w == nr {
			for p := range kcb {
				copy(panel[p*nr:p*nr+nr], b[src:src+nr])
				src += n
			}
			continue
		}
		for p := range kcb {
			d := panel[p*nr : p*nr+nr]
			copy(d, b[src:src+w])
			clear(d[w:])
			src += n
		}
	}
}

// packA copies rows [ic, ic+mcb) × columns [pc, pc+kcb) of a (row length k) into dst as
// consecutive micro-panels of mr rows, each kcb steps of mr values (a column of the panel),
// zero-padding the last.
func packA[T float](dst, a []T, k, ic, mcb, pc, kcb int) {
	for ir := 0; ir < mcb; ir += mr {
		h := min(mr, mcb-ir)
		panel := dst[ir*kcb : ir*kcb+kcb*mr]
		if h == mr {
			r0, r1, r2, r3, r4, r5 := panelRows(a, k, ic+ir, pc, kcb)
			for p := range kcb {
				d := panel[p*mr : p*mr+mr : p*mr+mr]
				d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		clear(panel)
		for i := range h {
			r := a[(ic+ir+i)*k+pc : (ic+ir+i)*k+pc+kcb]
			for p, v := range r {
				panel[p*mr+i] = v
			}
		}
	}
}

// panelRows returns columns [pc, pc+kcb) of the mr = 6 rows of a (row length k) from row i on: the
// rows packA and packASym interleave into one micro-panel.
func panelRows[T float](a []T, k, i, pc, kcb int) (r0, r1, r2, r3, r4, r5 []T) {
	row := func(r int) []T { return a[(i+r)*k+pc : (i+r)*k+pc+kcb : (i+r)*k+pc+kcb] }
	return row(0), row(1), row(2), row(3), row(4), row(5)
}

// packASym is packA for a + aᵀ, a square (row length k = m): the panel's row r at step p is
// a[(ic+ir+r)·k + pc + p] + a[(pc+p)·k + ic + ir + r], the second term read as packAT reads.
func packASym[T float](dst, a []T, k, ic, mcb, pc, kcb int) {
	for ir := 0; ir < mcb; ir += mr {
		h := min(mr, mcb-ir)
		panel := dst[ir*kcb : ir*kcb+kcb*mr]
		if h == mr {
			r0, r1, r2, r3, r4, r5 := panelRows(a, k, ic+ir, pc, kcb)
			for p := range kcb {
				t := a[(pc+p)*k+ic+ir : (pc+p)*k+ic+ir+mr : (pc+p)*k+ic+ir+mr]
				d := panel[p*mr : p*mr+mr : p*mr+mr]
				d[0], d[1], d[2], d[3], d[4], d[5] = r0[p]+t[0], r1[p]+t[1], r2[p]+t[2], r3[p]+t[3], r4[p]+t[4], r5[p]+t[5]
			}
			continue
		}
		clear(panel)
		for i := range h {
			r := a[(ic+ir+i)*k+pc : (ic+ir+i)*k+pc+kcb]
			for p, v := range r {
				panel[p*mr+i] = v + a[(pc+p)*k+ic+ir+i]
			}
		}
	}
}

// packBT is packB for b stored transposed ([n, k] row-major, row length k): the panel's column jj
// at step p is bt[(jc+jr+jj)·k + pc + p].
func packBT[T float](dst, bt []T, k, pc, kcb, jc, ncb, nr int) {
	for jr := 0; jr < ncb; jr += nr {
		w := min(nr, ncb-jr)
		panel := dst[jr*kcb : jr*kcb+kcb*nr]
		if w < nr {
			clear(panel)
		}
		for jj := range w {
			src := bt[(jc+jr+jj)*k+pc : (jc+jr+jj)*k+pc+kcb]
			for p, v := range src {
				panel[p*nr+jj] = v
			}
		}
	}
}

// packAT is packA for a stored transposed ([k, m] row-major, row length m): the panel's row i at
// step p is at[(pc+p)·m + ic+ir+i].
func packAT[T float](dst, at []T, m, ic, mcb, pc, kcb int) {
	for ir := 0; ir < mcb; ir += mr {
		h := min(mr, mcb-ir)
		panel := dst[ir*kcb : ir*kcb+kcb*mr]
		if h < mr {
			clear(panel)
		}
		for p := range kcb {
			src := at[(pc+p)*m+ic+ir : (pc+p)*m+ic+ir+h]
			copy(panel[p*mr:p*mr+h], src)
		}
	}
}

// scale sets c = beta·c (c = 0 when beta == 0, whatever c held).
func scale[T float](c []T, beta T) {
	switch beta {
	case 0:
		clear(c)
	case 1:
	default:
		for i := range c {
			c[i] *= beta
		}
	}
}
