package train

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// shapesOf returns the float32 shape with the given dimensions.
func shapesOf(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

// permutation returns a seeded random permutation of 0..n-1.
func permutation(n int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x7065726d))
	return rng.Perm(n)
}
