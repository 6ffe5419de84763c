package losses

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// PairWeights converts PML's indices_tuple (a1, p, a2, n) into the [numQueries, numRefs] weight
// matrices of Inputs.Pos and Inputs.Neg: Pos[a1[k], p[k]] counts positive pair k, Neg[a2[k], n[k]]
// counts negative pair k. Positive and negative lists may have different lengths; an index out of
// range is an error naming it.
func PairWeights(numQueries, numRefs int, a1, p, a2, n []int) (pos, neg *tensors.Tensor, err error) {
	if len(a1) != len(p) {
		return nil, nil, fmt.Errorf("PairWeights: positive pairs: %d anchors but %d positives", len(a1), len(p))
	}
	if len(a2) != len(n) {
		return nil, nil, fmt.Errorf("PairWeights: negative pairs: %d anchors but %d negatives", len(a2), len(n))
	}
	posW, err := countPairs(numQueries, numRefs, a1, p, "positive")
	if err != nil {
		return nil, nil, err
	}
	negW, err := countPairs(numQueries, numRefs, a2, n, "negative")
	if err != nil {
		return nil, nil, err
	}
	return tensors.FromFlatDataAndDimensions(posW, numQueries, numRefs),
		tensors.FromFlatDataAndDimensions(negW, numQueries, numRefs), nil
}

// TripletWeights converts triplets (a, p, n) to pair weights the way PML's convert_to_pairs does: each
// triplet contributes the positive pair (a, p) and the negative pair (a, n).
func TripletWeights(numQueries, numRefs int, a, p, n []int) (pos, neg *tensors.Tensor, err error) {
	if len(a) != len(p) || len(a) != len(n) {
		return nil, nil, fmt.Errorf("TripletWeights: %d anchors, %d positives and %d negatives", len(a), len(p), len(n))
	}
	return PairWeights(numQueries, numRefs, a, p, a, n)
}

func countPairs(rows, cols int, r, c []int, what string) ([]float32, error) {
	w := make([]float32, rows*cols)
	for k := range r {
		if r[k] < 0 || r[k] >= rows {
			return nil, fmt.Errorf("%s pair %d: query index %d out of range [0, %d)", what, k, r[k], rows)
		}
		if c[k] < 0 || c[k] >= cols {
			return nil, fmt.Errorf("%s pair %d: reference index %d out of range [0, %d)", what, k, c[k], cols)
		}
		w[r[k]*cols+c[k]]++
	}
	return w, nil
}
