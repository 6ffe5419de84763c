package mat_test

import (
	"fmt"

	"github.com/gometric/gometric/mat"
)

func Example() {
	m, err := mat.FromRows([][]float32{{1, 2, 3}, {4, 5, 6}})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Rows, m.Cols, m.Row(1), m.Select([]int{1, 0}).Data)
	// Output: 2 3 [4 5 6] [4 5 6 1 2 3]
}
