package eval

import (
	"errors"
	"fmt"
	"math"
)

// NMI returns the normalized mutual information between two labellings of the same items, as
// scikit-learn 1.2.1's normalized_mutual_info_score with its default arithmetic normalisation:
// MI(U, V) / mean(H(U), H(V)), natural logarithms.
//
// Labels are arbitrary integers; only which items share a label matters. When both labellings
// put every item in one group the score is 1 (a perfect match, as in scikit-learn); when only
// one of them does, it is 0. Empty or different-length inputs are an error.
func NMI(labelsTrue, labelsPred []int) (float64, error) {
	c, err := newContingency(labelsTrue, labelsPred)
	if err != nil {
		return 0, err
	}
	if len(c.a) == 1 && len(c.b) == 1 {
		return 1, nil
	}
	mi := c.mutualInformation()
	normalizer := math.Max((entropy(c.a, c.n)+entropy(c.b, c.n))/2, epsilon)
	return mi / normalizer, nil
}

// AMI returns the adjusted mutual information between two labellings, as scikit-learn 1.2.1's
// adjusted_mutual_info_score with arithmetic normalisation:
// (MI − E[MI]) / (mean(H(U), H(V)) − E[MI]), where the expected mutual information under the
// hypergeometric model of random labellings with the same group sizes is computed exactly, with
// log-gamma.
//
// When both labellings put every item in one group the score is 1; it can be negative (worse than
// chance). Empty or different-length inputs are an error.
func AMI(labelsTrue, labelsPred []int) (float64, error) {
	c, err := newContingency(labelsTrue, labelsPred)
	if err != nil {
		return 0, err
	}
	if len(c.a) == 1 && len(c.b) == 1 {
		return 1, nil
	}
	mi := c.mutualInformation()
	emi := c.expectedMutualInformation()
	normalizer := (entropy(c.a, c.n) + entropy(c.b, c.n)) / 2
	denominator := normalizer - emi
	// As scikit-learn: keep the sign, avoid 0/0 when the expectation equals the maximum.
	if denominator < 0 {
		denominator = math.Min(denominator, -epsilon)
	} else {
		denominator = math.Max(denominator, epsilon)
	}
	return (mi - emi) / denominator, nil
}

// epsilon is numpy's float64 machine epsilon, which scikit-learn uses to avoid dividing by zero.
const epsilon = 2.220446049250313e-16

// contingency is the table of co-occurrence counts of two labellings.
type contingency struct {
	n     int
	a, b  []int    // row sums (sizes of the true groups) and column sums (predicted groups)
	cells [][3]int // non-zero cells: row, column, count
}

// newContingency counts the co-occurrences of two labellings.
func newContingency(u, v []int) (*contingency, error) {
	if len(u) != len(v) {
		return nil, fmt.Errorf("eval: labellings have different lengths (%d and %d)", len(u), len(v))
	}
	if len(u) == 0 {
		return nil, errors.New("eval: labellings are empty")
	}
	rows, cols := map[int]int{}, map[int]int{}
	cellIndex := map[[2]int]int{}
	c := &contingency{n: len(u)}
	for i := range u {
		r, ok := rows[u[i]]
		if !ok {
			r = len(c.a)
			rows[u[i]] = r
			c.a = append(c.a, 0)
		}
		k, ok := cols[v[i]]
		if !ok {
			k = len(c.b)
			cols[v[i]] = k
			c.b = append(c.b, 0)
		}
		c.a[r]++
		c.b[k]++
		key := [2]int{r, k}
		ci, ok := cellIndex[key]
		if !ok {
			ci = len(c.cells)
			cellIndex[key] = ci
			c.cells = append(c.cells, [3]int{r, k, 0})
		}
		c.cells[ci][2]++
	}
	return c, nil
}

// mutualInformation is Σ n_ij/N · log(N·n_ij / (a_i·b_j)), clipped at 0 as scikit-learn does.
func (c *contingency) mutualInformation() float64 {
	if len(c.a) == 1 || len(c.b) == 1 {
		return 0
	}
	n := float64(c.n)
	logN := math.Log(n)
	mi := 0.0
	for _, cell := range c.cells {
		nij := float64(cell[2])
		outer := float64(c.a[cell[0]]) * float64(c.b[cell[1]])
		term := nij / n * (math.Log(nij) + logN - math.Log(outer))
		if math.Abs(term) < epsilon {
			term = 0
		}
		mi += term
	}
	return math.Max(mi, 0)
}

// entropy is the Shannon entropy (natural log) of a partition with the given group sizes.
func entropy(sizes []int, n int) float64 {
	if len(sizes) <= 1 {
		return 0
	}
	total := float64(n)
	logTotal := math.Log(total)
	h := 0.0
	for _, s := range sizes {
		if s > 0 {
			p := float64(s)
			h -= p / total * (math.Log(p) - logTotal)
		}
	}
	return h
}

// expectedMutualInformation is E[MI] for random labellings with the row and column sums of c
// (Vinh, Epps and Bailey 2010), summed exactly as scikit-learn's expected_mutual_information.
func (c *contingency) expectedMutualInformation() float64 {
	if len(c.a) == 1 || len(c.b) == 1 {
		return 0
	}
	nInt := c.n
	n := float64(nInt)
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	logN := math.Log(n)
	glnN := lg(n + 1)
	emi := 0.0
	for _, ai := range c.a {
		fa := float64(ai)
		logA := math.Log(fa)
		glnA := lg(fa + 1)
		glnNA := lg(n - fa + 1)
		for _, bj := range c.b {
			fb := float64(bj)
			logB := math.Log(fb)
			glnB := lg(fb + 1)
			glnNB := lg(n - fb + 1)
			start := max(1, ai-nInt+bj)
			end := min(ai, bj)
			for nij := start; nij <= end; nij++ {
				fn := float64(nij)
				term1 := fn / n
				term2 := logN + math.Log(fn) - logA - logB
				gln := glnA + glnB + glnNA + glnNB - (lg(fn+1) + glnN) -
					lg(fa-fn+1) - lg(fb-fn+1) - lg(n-fa-fb+fn+1)
				emi += term1 * term2 * math.Exp(gln)
			}
		}
	}
	return emi
}
