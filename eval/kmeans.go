package eval

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

// KMeansOptions configure KMeans. The zero value runs 20 iterations from seed 1234, like the
// faiss k-means PML uses (niter=20, faiss's default seed).
type KMeansOptions struct {
	// Iterations is the number of Lloyd iterations after the k-means++ initialisation; 0 means 20.
	Iterations int
	// Seed seeds the k-means++ initialisation; 0 means 1234. The same seed and data always give
	// the same clusters.
	Seed uint64
}

// KMeans clusters the rows of x into k groups by squared Euclidean distance and returns the
// cluster of each row, in 0..k-1.
//
// Centres start from k-means++ (each new centre drawn with probability proportional to the squared
// distance to the nearest centre chosen so far), then move by Lloyd iterations: assign every row to
// its nearest centre (knn.Search, ties to the lower centre), then move every centre to the mean of
// its rows. A centre left without rows is moved onto the row farthest from its own centre, which
// then forms its cluster. The result is deterministic for a given seed, but it is not faiss's
// clustering (faiss draws initial centres uniformly and subsamples large inputs), so NMI and AMI
// computed from it match PML's only in distribution.
//
// Errors: nil or malformed x, non-finite values, k < 1 or k > Rows(x).
func KMeans(x *mat.Dense, k int, opt KMeansOptions) ([]int, error) {
	if x == nil {
		return nil, errors.New("eval: k-means input is nil")
	}
	if err := x.Validate(); err != nil {
		return nil, fmt.Errorf("eval: k-means input: %w", err)
	}
	if k < 1 || k > x.Rows {
		return nil, fmt.Errorf("eval: k-means needs 1 <= k <= %d rows, got k=%d", x.Rows, k)
	}
	if opt.Iterations < 0 {
		return nil, fmt.Errorf("eval: k-means iterations must not be negative, got %d", opt.Iterations)
	}
	iterations := opt.Iterations
	if iterations == 0 {
		iterations = 20
	}
	seed := opt.Seed
	if seed == 0 {
		seed = 1234
	}
	for i, v := range x.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("eval: k-means input row %d is not finite", i/x.Cols)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	centres := kmeansPlusPlus(x, k, rng)
	assign := make([]int, x.Rows)
	for it := 0; it <= iterations; it++ {
		nn, err := knn.Search(x, centres, knn.Options{Distance: knn.Euclidean(), K: 1})
		if err != nil {
			return nil, err
		}
		copy(assign, nn.Indices)
		if it == iterations {
			break
		}
		updateCentres(x, centres, assign, nn.Values)
	}
	return assign, nil
}

// kmeansPlusPlus draws k initial centres by D² sampling.
func kmeansPlusPlus(x *mat.Dense, k int, rng *rand.Rand) *mat.Dense {
	centres := mat.New(k, x.Cols)
	first := rng.IntN(x.Rows)
	copy(centres.Row(0), x.Row(first))
	d2 := make([]float64, x.Rows)
	for i := range d2 {
		d2[i] = sqDist(x.Row(i), centres.Row(0))
	}
	for c := 1; c < k; c++ {
		total := 0.0
		for _, v := range d2 {
			total += v
		}
		pick := -1
		if total > 0 {
			u := rng.Float64() * total
			for i, v := range d2 {
				u -= v
				if u < 0 && v > 0 {
					pick = i
					break
				}
			}
		}
		if pick < 0 { // All remaining rows coincide with a centre (or rounding ran off the end).
			pick = rng.IntN(x.Rows)
			for i, v := range d2 {
				if v > d2[pick] {
					pick = i
				}
			}
		}
		copy(centres.Row(c), x.Row(pick))
		for i := range d2 {
			d2[i] = math.Min(d2[i], sqDist(x.Row(i), centres.Row(c)))
		}
	}
	return centres
}

// updateCentres moves each centre to the mean of its rows; an empty centre takes over the row
// farthest from its current centre.
func updateCentres(x, centres *mat.Dense, assign []int, dist []float64) {
	k, d := centres.Rows, centres.Cols
	sums := make([]float64, k*d)
	counts := make([]int, k)
	for i, c := range assign {
		counts[c]++
		row := x.Row(i)
		s := sums[c*d : (c+1)*d]
		for j, v := range row {
			s[j] += float64(v)
		}
	}
	taken := map[int]bool{}
	for c := 0; c < k; c++ {
		if counts[c] > 0 {
			continue
		}
		far := -1
		for i, v := range dist {
			if !taken[i] && counts[assign[i]] > 1 && (far < 0 || v > dist[far]) {
				far = i
			}
		}
		if far < 0 {
			continue
		}
		taken[far] = true
		old := assign[far]
		counts[old]--
		row := x.Row(far)
		for j, v := range row {
			sums[old*d+j] -= float64(v)
			sums[c*d+j] = float64(v)
		}
		counts[c] = 1
		assign[far] = c
	}
	for c := 0; c < k; c++ {
		if counts[c] == 0 {
			continue
		}
		row := centres.Row(c)
		for j := range row {
			row[j] = float32(sums[c*d+j] / float64(counts[c]))
		}
	}
}

// sqDist is the squared Euclidean distance of two rows.
func sqDist(a, b []float32) float64 {
	s := 0.0
	for i, v := range a {
		t := float64(v) - float64(b[i])
		s += t * t
	}
	return s
}
