//go:build !amd64 || purego

package knn

// haveAVX2 says whether the AVX2 kernels are in use: never in this build (not amd64, or the purego
// tag), where panelDot and panelSqL2 are the portable kernels.
const haveAVX2 = false

// Unused in this build; they exist so that tests can name them.
var panelDotAsm, panelSqL2Asm panelKernel = panelDotGo, panelSqL2Go

// prefetchRow does nothing in this build.
func prefetchRow(row []float32) {}
