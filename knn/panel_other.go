//go:build !amd64 || purego

package knn

import "runtime"

// haveAVX2 says whether the AVX2 kernels are in use: never in this build (not amd64, or the purego
// tag), where panelDot and panelSqL2 are the portable kernels.
const haveAVX2 = false

// fusedMulAdd says whether values are reduced with fused multiply-adds (kernel.go): where Go
// compiles math.FMA to one instruction without a run-time test.
var fusedMulAdd = goamd64v3 || runtime.GOARCH == "arm64" || runtime.GOARCH == "ppc64" ||
	runtime.GOARCH == "ppc64le" || runtime.GOARCH == "s390x" || runtime.GOARCH == "riscv64" ||
	runtime.GOARCH == "loong64"

// Unused in this build; they exist so that tests can name them.
var panelDotAsm, panelSqL2Asm panelKernel = panelDotGo, panelSqL2Go

// prefetchRow does nothing in this build.
func prefetchRow(row []float32) {}

// dotRows6x4Asm is the portable kernel in this build (for tests).
var dotRows6x4Asm = dotRows6x4Go
