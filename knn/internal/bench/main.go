// Command bench times knn.Search on random embeddings and reports its peak memory:
//
//	go run ./knn/internal/bench -queries 100000 -refs 100000 -dim 128 -k 100
//
// Run it under /usr/bin/time -v for the peak resident set size as the kernel counts it; the
// program also prints the VmHWM line of /proc/self/status where that file exists.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

func main() {
	queries := flag.Int("queries", 100000, "number of query embeddings")
	refs := flag.Int("refs", 100000, "number of reference embeddings")
	dim := flag.Int("dim", 128, "embedding dimension")
	k := flag.Int("k", 100, "neighbours per query")
	dist := flag.String("distance", "cosine", "cosine, dot or euclidean")
	block := flag.Int("block", 0, "block size (0: knn.DefaultBlockSize)")
	workers := flag.Int("workers", 0, "goroutines (0: GOMAXPROCS)")
	self := flag.Bool("self", false, "leave-one-out: search the queries among themselves (ignores -refs)")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()

	var d knn.Distance
	switch *dist {
	case "cosine":
		d = knn.Cosine()
	case "dot":
		d = knn.DotProduct()
	case "euclidean":
		d = knn.Euclidean()
	default:
		fmt.Fprintf(os.Stderr, "bench: unknown distance %q (cosine, dot or euclidean)\n", *dist)
		os.Exit(2)
	}
	rng := rand.New(rand.NewSource(*seed))
	q := random(rng, *queries, *dim)
	r := q
	if !*self {
		r = random(rng, *refs, *dim)
	}
	opt := knn.Options{Distance: d, K: *k, ExcludeSelf: *self, BlockSize: *block, Workers: *workers}
	fmt.Printf("knn.Search: %d queries x %d references, D=%d, k=%d, %v, self=%v, GOMAXPROCS=%d\n",
		q.Rows, r.Rows, *dim, *k, d, *self, runtime.GOMAXPROCS(0))
	start := time.Now()
	res, err := knn.Search(q, r, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	el := time.Since(start)
	pairs := float64(q.Rows) * float64(r.Rows)
	fmt.Printf("time %.1f s, %.3g pairs/s, %.2f GFLOP/s (2*D flops per pair)\n",
		el.Seconds(), pairs/el.Seconds(), pairs*float64(2**dim)/el.Seconds()/1e9)
	fmt.Printf("first neighbours of query 0: %v\n", res.Indices[:min(5, res.K)])
	if hwm := vmHWM(); hwm != "" {
		fmt.Println("peak RSS (VmHWM):", hwm)
	}
}

// random returns rows x cols normal values.
func random(rng *rand.Rand, rows, cols int) *mat.Dense {
	m := mat.New(rows, cols)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}

// vmHWM returns the peak resident set size from /proc/self/status, or "".
func vmHWM() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
