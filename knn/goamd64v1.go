//go:build !amd64.v3

package knn

// goamd64v3 is true in builds for GOAMD64=v3 or above, where math.FMA is one instruction.
const goamd64v3 = false
