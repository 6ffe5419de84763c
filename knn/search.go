package knn

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gometric/gometric/mat"
)

// DefaultBlockSize is the number of query rows and of reference rows compared at once when
// Options.BlockSize is 0.
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
	// BlockSize is the number of query rows and of reference rows compared at once; 0 means
	// DefaultBlockSize. Working memory is about Workers * (2*BlockSize*D + BlockSize² +
	// BlockSize*K) float64 values, whatever the number of queries and references.
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
// Neighbours are ranked by the distance's value computed in float64 (from the float32 embeddings);
// ties are broken by the lower reference index. The search runs block by block (BlockSize queries
// against BlockSize references), with one goroutine per block of queries up to Workers, so memory
// beyond the inputs and the Q*K result is independent of the number of queries and references.
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

	block := opt.BlockSize
	if block == 0 {
		block = DefaultBlockSize
	}
	nBlocks := (query.Rows + block - 1) / block
	workers := opt.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, nBlocks)

	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSearcher(d, query.Cols, min(block, query.Rows), min(block, reference.Rows), k)
			for {
				b := int(next.Add(1)) - 1
				if b >= nBlocks {
					return
				}
				q0 := b * block
				s.run(query, reference, q0, min(q0+block, query.Rows), opt.ExcludeSelf, res)
			}
		}()
	}
	wg.Wait()
	return res, nil
}

// searcher is one worker's scratch memory.
type searcher struct {
	d      Distance
	red    reduction
	qb, rb *prepared
	tile   []float64
	heaps  []topK
}

// newSearcher allocates the scratch memory of one worker.
func newSearcher(d Distance, cols, qBlock, rBlock, k int) *searcher {
	s := &searcher{
		d:     d,
		red:   d.reduction(),
		qb:    newPrepared(qBlock, cols),
		rb:    newPrepared(rBlock, cols),
		tile:  make([]float64, qBlock*rBlock),
		heaps: make([]topK, qBlock),
	}
	for i := range s.heaps {
		s.heaps[i] = topK{k: k, heap: make([]candidate, 0, k)}
	}
	return s
}

// run finds the neighbours of queries [q0, q1) and writes them into res.
func (s *searcher) run(query, reference *mat.Dense, q0, q1 int, excludeSelf bool, res *Result) {
	d := s.d
	cols := query.Cols
	nq := q1 - q0
	s.qb.load(d, query, q0, q1)
	heaps := s.heaps[:nq]
	for i := range heaps {
		heaps[i].reset()
	}
	rBlock := len(s.rb.data) / cols
	sim := d.IsSimilarity()
	for r0 := 0; r0 < reference.Rows; r0 += rBlock {
		r1 := min(r0+rBlock, reference.Rows)
		nr := r1 - r0
		s.rb.load(d, reference, r0, r1)
		computeTile(s.red, d.p(), s.qb.data, nq, s.rb.data, nr, cols, s.tile)
		for i := range heaps {
			h := &heaps[i]
			row := s.tile[i*nr : (i+1)*nr]
			self := -1
			if excludeSelf {
				self = q0 + i - r0
			}
			for j, raw := range row {
				key := raw
				if sim {
					key = -raw
				}
				if h.full() && key >= h.bound() {
					continue
				}
				if j == self {
					continue
				}
				h.push(candidate{key: key, idx: r0 + j})
			}
		}
	}
	k := res.K
	for i := range heaps {
		out := (q0 + i) * k
		for n, c := range heaps[i].sorted() {
			res.Indices[out+n] = c.idx
			raw := c.key
			if sim {
				raw = -raw
			}
			res.Values[out+n] = d.finish(raw)
		}
	}
}
