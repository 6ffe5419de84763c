// Package dotorder writes any DotGeneral as one matrix product in "matmul order": the left operand
// shaped [batch..., M, K] and the right one [batch..., K, N], contracting the left's last axis with
// the right's first non-batch axis.
//
// Why: GoMLX's pure-Go backend sends only products in that order to its registered GEMM kernels
// (package packgemm, where gometric registers its vectorised kernels, see package backend); any
// other order (q·rᵀ, the transposed products of a gradient) goes through its generic blocked loops,
// about ten times slower here. Transposing an operand first costs one pass over it, which is small
// next to the product it speeds up (O(N·D) against O(N·M·D)). On XLA the transposes fold away.
package dotorder

import (
	"slices"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// General returns graph.DotGeneral(lhs, lhsContracting, lhsBatch, rhs, rhsContracting, rhsBatch):
// the same values and the same output layout ([batch..., lhs cross axes..., rhs cross axes...]),
// computed as one matmul-order product between operands transposed and reshaped as needed.
func General(lhs *graph.Node, lhsContracting, lhsBatch []int, rhs *graph.Node, rhsContracting, rhsBatch []int) *graph.Node {
	lhsCross := crossAxes(lhs.Rank(), lhsContracting, lhsBatch)
	rhsCross := crossAxes(rhs.Rank(), rhsContracting, rhsBatch)
	nb := len(lhsBatch)
	batchDims := dimsOf(lhs, lhsBatch)
	lhsCrossDims, rhsCrossDims := dimsOf(lhs, lhsCross), dimsOf(rhs, rhsCross)
	m, n, k := prod(lhsCrossDims), prod(rhsCrossDims), prod(dimsOf(lhs, lhsContracting))

	l := transpose(lhs, slices.Concat(lhsBatch, lhsCross, lhsContracting))
	r := transpose(rhs, slices.Concat(rhsBatch, rhsContracting, rhsCross))
	l = reshape(l, slices.Concat(batchDims, []int{m, k}))
	r = reshape(r, slices.Concat(batchDims, []int{k, n}))
	batch := make([]int, nb)
	for i := range batch {
		batch[i] = i
	}
	out := graph.DotGeneral(l, []int{nb + 1}, batch, r, []int{nb}, batch)
	return reshape(out, slices.Concat(batchDims, lhsCrossDims, rhsCrossDims))
}

// MatMulT returns a · bᵀ for a [N, D] and b [M, D]: [N, M].
func MatMulT(a, b *graph.Node) *graph.Node {
	return General(a, []int{1}, nil, b, []int{1}, nil)
}

// crossAxes lists, in order, the axes of a rank-r operand that are neither contracted nor batch.
func crossAxes(r int, contracting, batch []int) []int {
	var cross []int
	for a := range r {
		if !slices.Contains(contracting, a) && !slices.Contains(batch, a) {
			cross = append(cross, a)
		}
	}
	return cross
}

// dimsOf returns x's dimensions along axes.
func dimsOf(x *graph.Node, axes []int) []int {
	dims := make([]int, len(axes))
	for i, a := range axes {
		dims[i] = x.Shape().Dimensions[a]
	}
	return dims
}

// prod is the product of dims (1 for none).
func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// transpose permutes x's axes into perm's order, or returns x when perm is the identity.
func transpose(x *graph.Node, perm []int) *graph.Node {
	for i, a := range perm {
		if i != a {
			return graph.TransposeAllAxes(x, perm...)
		}
	}
	return x
}

// reshape reshapes x to dims, or returns x when it already has them.
func reshape(x *graph.Node, dims []int) *graph.Node {
	if slices.Equal(x.Shape().Dimensions, dims) {
		return x
	}
	return graph.Reshape(x, dims...)
}
