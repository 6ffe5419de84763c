package knn_test

import (
	"fmt"

	"github.com/gometric/gometric/knn"
	"github.com/gometric/gometric/mat"
)

func Example() {
	reference, _ := mat.FromRows([][]float32{{1, 0}, {0, 1}, {-1, 0}, {0.9, 0.1}})
	query, _ := mat.FromRows([][]float32{{1, 0.05}})
	res, err := knn.Search(query, reference, knn.Options{Distance: knn.Cosine(), K: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	idx, sim := res.Row(0)
	for n := range idx {
		fmt.Printf("reference %d: cosine %.4f\n", idx[n], sim[n])
	}

	// Leave-one-out: the reference set is the query set, and no row is its own neighbour.
	loo, _ := knn.Search(reference, reference, knn.Options{Distance: knn.Euclidean(), K: 1, ExcludeSelf: true})
	fmt.Println(loo.Indices)
	// Output:
	// reference 0: cosine 0.9988
	// reference 3: cosine 0.9982
	// [3 3 1 0]
}
