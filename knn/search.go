package knn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"

	"github.com/gometric/gometric/mat"
)

// DefaultBlockSize is the number of reference rows packed at once at D = 128 when
// Options.BlockSize is 0 (the automatic sizes scale with D to fit the caches; see Options).
const DefaultBlockSize = 256

// Options configure Search.
type Options struct {
	// Distance compares embeddings; the zero value is CosineSimilarity.
	Distance Distance
	// K is the number of neighbours wanted per query; it must be >= 1. When fewer references are
	// available (Rows(reference), minus one with ExcludeSelf), Search returns them all and
	// Result.K says how many.
	K int
	// ExcludeSelf is leave-one-out search: query i is reference i (the query set is the first rows
	// of the reference set, PML's ref_includes_query) and reference i is never a neighbour of
	// query i. PML asks its kNN for K+1 neighbours and drops query i's own index, or the last
	// column when ties pushed the self match out of the K+1; both give the K best references other
	// than i, which is what skipping i gives, so the results are the same (up to the order of
	// exact ties, which PML leaves to torch.topk).
	ExcludeSelf bool
	// BlockSize is the number of query rows a goroutine takes at a time and the number of
	// reference rows prepared (converted, normalised and packed) at once. 0 chooses them from D
	// for the caches: 256 KiB of references (256 rows at D = 128), and up to 1,536 queries at D =
	// 128 (fewer as the search nears its end, so that the goroutines finish together). Working
	// memory is about Workers * (Q_b*D + R_b*D + 2*Q_b*K + R/2) 8-byte values for Q_b queries
	// and R_b references per block and R references, plus one per reference row when the distance
	// normalises (its norm), plus the prepared copies of the references when they fit their
	// budgets: float64 rows when R*D*8 bytes are at most 64 MiB, and with the float32 filter its
	// packed panels when R*D*4 bytes are at most 256 MiB.
	BlockSize int
	// Workers is the number of goroutines, each taking one block of queries at a time; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
}

// Result holds the K nearest neighbours of each query, best first.
type Result struct {
	// K is the number of neighbours per query (Options.K, or fewer when fewer references exist).
	K int
	// Indices[i*K+n] is the reference row of the n-th nearest neighbour of query i.
	Indices []int
	// Values[i*K+n] is its value under the distance: a similarity (larger first) or a distance
	// (smaller first), with the distance's normalisation and power applied.
	Values []float64
}

// Queries returns the number of queries in r.
func (r *Result) Queries() int {
	if r.K == 0 {
		return 0
	}
	return len(r.Indices) / r.K
}

// Row returns the neighbours of query i and their values, sharing memory with r.
func (r *Result) Row(i int) (indices []int, values []float64) {
	return r.Indices[i*r.K : (i+1)*r.K], r.Values[i*r.K : (i+1)*r.K]
}

// Search returns the exact K nearest neighbours in reference of every row of query.
//
// Neighbours are ranked by the distance's value computed in float64 (from the float32 embeddings,
// kernel.go says how); ties are broken by the lower reference index. The search runs block by
// block: a goroutine (up to Workers) takes a block of queries, packs them into panels of 6, then
// prepares and packs the references a block at a time into panels of 8 and runs the panel kernel
// (AVX2 on amd64 CPUs that have it) on every pair of panels. The kernel also compares each value
// with its query's current bound, so that only the few values that can enter a query's K best
// reach the candidate buffers (topk.go). For the dot-product similarities the pass runs in float32
// as a filter (filter.go), and the exact float64 values are computed for the final candidates
// only, a query panel at a time; the results are the same. The references are prepared once per
// search where their copies fit the budgets of Options.BlockSize's comment. Memory beyond the
// inputs, the Q*K result and those copies is linear in the number of references and independent
// of the number of queries.
//
// Errors: nil, malformed or non-finite matrices, different dimensions, K < 1, ExcludeSelf with
// more queries than references, no reference to return, an invalid distance.
func Search(query, reference *mat.Dense, opt Options) (*Result, error) {
	d := opt.Distance
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := checkPair(query, reference, "query", "reference"); err != nil {
		return nil, err
	}
	if opt.K < 1 {
		return nil, fmt.Errorf("knn: K must be >= 1, got %d", opt.K)
	}
	if opt.BlockSize < 0 || opt.Workers < 0 {
		return nil, fmt.Errorf("knn: BlockSize (%d) and Workers (%d) must not be negative", opt.BlockSize, opt.Workers)
	}
	self := 0
	if opt.ExcludeSelf {
		if query.Rows > reference.Rows {
			return nil, fmt.Errorf("knn: ExcludeSelf needs the queries to be the first rows of the reference set, but there are %d queries and %d references", query.Rows, reference.Rows)
		}
		self = 1
	}
	k := min(opt.K, reference.Rows-self)
	if k < 1 {
		return nil, errors.New("knn: no reference to return (the reference set is empty, or holds only the query itself)")
	}
	res := &Result{K: k, Indices: make([]int, query.Rows*k), Values: make([]float64, query.Rows*k)}
	if query.Rows == 0 {
		return res, nil
	}

	pl := newPlan(query.Cols, query.Rows, opt)
	pl.setupFilter(d, query, reference)
	if d.normalizes() {
		// Every task prepares every reference: their divisors are computed once.
		pl.refDiv = make([]float64, reference.Rows)
		for j := range pl.refDiv {
			pl.refDiv[j] = rowDivisor(d, reference.Data[j*reference.Cols:(j+1)*reference.Cols])
		}
	}
	pl.prepareRefs(d, reference)
	var wg sync.WaitGroup
	for w := 0; w < pl.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSearcher(d, query.Cols, pl, k, reference.Rows)
			for {
				q0, q1, ok := pl.take()
				if !ok {
					return
				}
				s.run(query, reference, q0, q1, opt.ExcludeSelf, res)
			}
		}()
	}
	wg.Wait()
	return res, nil
}

// plan holds the block sizes of a search and hands out blocks of queries to the workers.
type plan struct {
	subPanels int // query panels per kernel call (kept in L2 while the reference panels pass)
	refBlock  int // reference rows prepared at once
	maxTask   int // most query rows per task
	minTask   int // fewest query rows per task (but the last)
	workers   int
	refDiv    []float64 // what each reference row is divided by (rowDivisor), or nil
	ref64     []float64 // every prepared reference row, row-major (refCache), or nil
	ref32     []float32 // with the filter: every prepared reference, packed in float32 panels, or nil
	filter    bool      // the float32 filter is used (filter.go)
	rmax      float64   // with the filter: a bound on the L2 norms of the prepared references

	mu          sync.Mutex
	next, total int
}

// newPlan chooses the block sizes for queries of dimension cols.
func newPlan(cols, queries int, opt Options) *plan {
	pl := &plan{total: queries}
	rowBytes := cols * 8
	pl.subPanels = max(1, (192<<10)/(panelRows*rowBytes))
	if opt.BlockSize > 0 {
		pl.refBlock = opt.BlockSize
		pl.maxTask, pl.minTask = opt.BlockSize, opt.BlockSize
	} else {
		pl.refBlock = max(panelCols, (256<<10)/rowBytes/panelCols*panelCols)
		pl.minTask = pl.subPanels * panelRows
		pl.maxTask = 8 * pl.minTask
	}
	workers := opt.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	pl.workers = max(1, min(workers, (queries+pl.minTask-1)/pl.minTask))
	return pl
}

// take returns the next block of queries [q0, q1), or ok = false when none is left. With
// automatic sizes a block is about 1/(2*workers) of what is left, between minTask and maxTask
// rows, so that the last blocks are small.
func (pl *plan) take() (q0, q1 int, ok bool) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	left := pl.total - pl.next
	if left <= 0 {
		return 0, 0, false
	}
	size := pl.maxTask
	if pl.minTask != pl.maxTask {
		size = (left + 2*pl.workers - 1) / (2 * pl.workers)
		size = (size + panelRows - 1) / panelRows * panelRows
		size = min(max(size, pl.minTask), pl.maxTask)
	}
	q0 = pl.next
	q1 = min(q0+size, pl.total)
	pl.next = q1
	return q0, q1, true
}

// searcher is one worker's scratch memory.
type searcher struct {
	d     Distance
	sim   bool
	kern  panelKernel
	pl    *plan
	cols  int
	qp    []float64 // the packed query panels of a task
	rp    []float64 // the packed reference panels of a block (exact kernels)
	row   []float64 // one prepared row
	rows  []float64 // the prepared rows of a reference panel
	out   []float64 // kernel values: subPanels query panels against one reference panel
	masks []uint8   // their masks
	thr   []float64 // per query of the task: the value a candidate must beat (NaN for padding)
	heaps []topK

	f *filterScratch // the float32 filter's, when the plan uses it
}

// newSearcher allocates the scratch memory of one worker.
func newSearcher(d Distance, cols int, pl *plan, k, refs int) *searcher {
	taskPanels := (min(pl.maxTask, pl.total) + panelRows - 1) / panelRows
	refPanels := (pl.refBlock + panelCols - 1) / panelCols
	if pl.filter {
		refPanels = 1 // For the exact values of the candidates only.
	}
	s := &searcher{
		d:     d,
		sim:   d.IsSimilarity(),
		kern:  kernelFor(d.reduction(), d.p()),
		pl:    pl,
		cols:  cols,
		qp:    make([]float64, taskPanels*panelRows*cols),
		rp:    make([]float64, refPanels*panelCols*cols),
		row:   make([]float64, cols),
		rows:  make([]float64, panelCols32*cols),
		out:   make([]float64, pl.subPanels*panelSize),
		masks: make([]uint8, pl.subPanels*8),
		thr:   make([]float64, taskPanels*panelRows),
		heaps: make([]topK, taskPanels*panelRows),
	}
	if pl.filter {
		s.f = newFilterScratch(cols, taskPanels, pl, k, refs)
	}
	for i := range s.heaps {
		s.heaps[i].k = k
	}
	return s
}

// run finds the neighbours of queries [q0, q1) and writes them into res.
func (s *searcher) run(query, reference *mat.Dense, q0, q1 int, excludeSelf bool, res *Result) {
	d, cols := s.d, s.cols
	nq := q1 - q0
	nqp := (nq + panelRows - 1) / panelRows
	qp := s.qp[:nqp*panelRows*cols]
	clear(qp[(nqp-1)*panelRows*cols:]) // The padding rows of the last panel.
	if s.f != nil {
		s.f.startQueries(nqp)
	}
	for i := 0; i < nq; i++ {
		prepareRow(d, query.Data[(q0+i)*cols:(q0+i+1)*cols], s.row)
		packQueryRow(qp, i, s.row)
		if s.f != nil {
			s.f.addQuery(i, s.row)
			continue
		}
		h := &s.heaps[i]
		if h.buf == nil {
			*h = newTopK(h.k)
		}
		h.reset()
	}
	start := math.Inf(-1) // Every finite similarity passes until a heap is full...
	if !s.sim {
		start = math.Inf(1) // ... and every finite distance.
	}
	thr := s.thr[:nqp*panelRows]
	for i := range thr {
		thr[i] = start
		if i >= nq {
			thr[i] = math.NaN() // Padding never passes.
		}
	}

	self := func(base int) int {
		if excludeSelf {
			return base - q0
		}
		return math.MinInt // No query is its own reference.
	}
	refBlock := s.pl.refBlock
	if s.pl.ref32 != nil {
		refBlock = (refBlock + panelCols32 - 1) / panelCols32 * panelCols32 // Whole cached panels.
	}
	for r0 := 0; r0 < reference.Rows; r0 += refBlock {
		r1 := min(r0+refBlock, reference.Rows)
		if s.f != nil {
			s.filterBlock(reference, r0, r1, nqp, self)
			continue
		}
		nrp := (r1 - r0 + panelCols - 1) / panelCols
		rp := s.rp[:nrp*panelCols*cols]
		for pj := 0; pj < nrp; pj++ {
			j0 := r0 + pj*panelCols
			n := min(panelCols, r1-j0)
			if s.pl.ref64 != nil {
				packRefPanel(rp[pj*panelCols*cols:], s.pl.ref64[j0*cols:], n, cols)
				continue
			}
			for j := 0; j < n; j++ {
				s.prepareRef(reference, j0+j, s.rows[j*cols:(j+1)*cols])
			}
			packRefPanel(rp[pj*panelCols*cols:], s.rows, n, cols)
		}
		for sb := 0; sb < nqp; sb += s.pl.subPanels {
			np := min(s.pl.subPanels, nqp-sb)
			for pj := 0; pj < nrp; pj++ {
				s.kern(qp[sb*panelRows*cols:], np, rp[pj*panelCols*cols:], cols, thr[sb*panelRows:], s.out, s.masks)
				base := r0 + pj*panelCols
				valid := uint8(0xff >> (panelCols - min(panelCols, r1-base)))
				s.collect(np, sb*panelRows, base, valid, self(base))
			}
		}
	}

	if s.f != nil {
		s.rerank(reference, nqp, nq, q0, res)
		return
	}
	for i := 0; i < nq; i++ {
		s.write(res, q0+i, s.heaps[i].sorted())
	}
}

// write stores the neighbours best of query qi (rank keys, best first) into res.
func (s *searcher) write(res *Result, qi int, best []candidate) {
	out := qi * res.K
	for n, c := range best[:min(len(best), res.K)] {
		res.Indices[out+n] = c.idx
		raw := c.key
		if s.sim {
			raw = -raw
		}
		res.Values[out+n] = s.d.finish(raw)
	}
}

// refCache64Budget and refCache32Budget are the most bytes Search spends on its copies of the
// prepared references (plan.prepareRefs): the float64 rows, which the float64 kernels read
// without converting and dividing again, and the float32 panels of the filter, which every block
// of queries reads. Variables, so that tests can turn the caches off.
var (
	refCache64Budget = 64 << 20
	refCache32Budget = 256 << 20
)

// prepareRefs prepares the references once for the whole search, where they fit the budgets: as
// float64 rows (ref64) and, with the filter, as packed float32 panels (ref32). Without them every
// block of queries prepares every reference again, and every candidate of the filter once per
// query panel.
func (pl *plan) prepareRefs(d Distance, reference *mat.Dense) {
	rows, cols := reference.Rows, reference.Cols
	if rows*cols*8 <= refCache64Budget {
		pl.ref64 = make([]float64, rows*cols)
	}
	nrp := (rows + panelCols32 - 1) / panelCols32
	if pl.filter && nrp*panelCols32*cols*4 <= refCache32Budget {
		pl.ref32 = make([]float32, nrp*panelCols32*cols)
	}
	if pl.ref64 == nil && pl.ref32 == nil {
		return
	}
	// Panels of panelCols32 rows, spread over the workers.
	var wg sync.WaitGroup
	var next sync.Mutex
	p := 0
	for w := 0; w < pl.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tmp := make([]float64, panelCols32*cols)
			for {
				next.Lock()
				pj := p
				p++
				next.Unlock()
				if pj >= nrp {
					return
				}
				j0 := pj * panelCols32
				n := min(panelCols32, rows-j0)
				dst := tmp
				if pl.ref64 != nil {
					dst = pl.ref64[j0*cols : (j0+n)*cols]
				}
				for j := 0; j < n; j++ {
					src := reference.Data[(j0+j)*cols : (j0+j+1)*cols]
					if pl.refDiv != nil {
						convDiv(dst[j*cols:(j+1)*cols], src, pl.refDiv[j0+j])
					} else {
						prepareRow(d, src, dst[j*cols:(j+1)*cols])
					}
				}
				if pl.ref32 != nil {
					packRefPanel32(pl.ref32[j0*cols:], dst, n, cols)
				}
			}
		}()
	}
	wg.Wait()
}

// prepareRef prepares reference row j into dst: a copy of the cached row, or with the cached
// divisor when the plan has one.
func (s *searcher) prepareRef(reference *mat.Dense, j int, dst []float64) {
	if s.pl.ref64 != nil {
		copy(dst, s.pl.ref64[j*s.cols:(j+1)*s.cols])
		return
	}
	src := reference.Data[j*s.cols : (j+1)*s.cols]
	if s.pl.refDiv != nil {
		convDiv(dst, src, s.pl.refDiv[j])
		return
	}
	prepareRow(s.d, src, dst)
}

// collect offers to the heaps the values of one kernel call that passed their query's threshold:
// np panels from task row q0 against the reference panel starting at reference base, whose lanes
// in valid exist. Lane j of task row i is the query itself when i - j == self.
func (s *searcher) collect(np, q0, base int, valid uint8, self int) {
	for p := 0; p < np; p++ {
		mw := binary.LittleEndian.Uint64(s.masks[p*8 : p*8+8])
		if mw == 0 {
			continue
		}
		for i := 0; i < panelRows; i++ {
			m := uint8(mw>>(8*i)) & valid
			if m == 0 {
				continue
			}
			qi := q0 + p*panelRows + i
			h := &s.heaps[qi]
			vals := s.out[p*panelSize+i*panelCols : p*panelSize+(i+1)*panelCols]
			for m != 0 {
				j := bits.TrailingZeros8(m)
				m &= m - 1
				if qi-j == self {
					continue
				}
				key := vals[j]
				if s.sim {
					key = -key
				}
				if key >= h.bound {
					continue
				}
				if h.push(candidate{key: key, idx: base + j}) {
					if s.sim {
						s.thr[qi] = -h.bound
					} else {
						s.thr[qi] = h.bound
					}
				}
			}
		}
	}
}
