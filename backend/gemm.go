package backend

import (
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/gomlx/gomlx/backends/simplego/packgemm"
	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"github.com/gometric/gometric/internal/gemm"
)

// GEMMName names the float32 matrix-product kernel gometric registered with GoMLX's pure-Go backend
// ("gometric avx2-fma" or "gometric portable"), or is empty when GoMLX's own kernel is used (an
// AVX-512 kernel under GOEXPERIMENT=simd, which is faster where the CPU has it).
var GEMMName string

// The pure-Go backend multiplies matrices through package packgemm when its configuration says
// "packgemm" (withFastOps adds it): products in matmul order ([batch, M, K] × [batch, K, N]) go to
// the registered GEMM of highest priority. GoMLX's only portable registration is a scalar loop
// (about 2 GMAC/s on a 2-core AVX2 machine); gometric registers internal/gemm's kernels (AVX2 + FMA
// where the CPU has them, a portable Go kernel otherwise) above it. Products in other orders take
// GoMLX's generic loops: gometric writes its own in matmul order (internal/dotorder).
//
// The registration goes through packgemm's exported table, whose function type names a GoMLX
// internal type (the worker pool); the function is therefore built with reflect.MakeFunc from the
// type of GoMLX's own float32 entry, and the pool argument is unused (internal/gemm runs its own
// goroutines). Only float32 is registered: GoMLX v0.27.2's packgemm path assumes float32 buffers.
func init() {
	GEMMName = registerGEMM()
}

// gemmCalls counts the products run by the registered kernel (tests check that it is used).
var gemmCalls atomic.Int64

// registerGEMM puts gemm.MatMul32 at the top of packgemm's float32 table unless a SIMD-specialised
// kernel of GoMLX's is already there, and returns the name it registered ("" for none).
func registerGEMM() string {
	pair := packgemm.DTypePair{Input: dtypes.Float32, Output: dtypes.Float32}
	regs := packgemm.DTypeToGEMM[pair]
	if len(regs) == 0 || regs[0].Priority >= packgemm.PrioritySIMD {
		return ""
	}
	typ := reflect.TypeOf(regs[0].GEMMFn)
	if err := checkGEMMType(typ); err != nil {
		// A GoMLX whose table has another shape: keep its kernels rather than guess.
		return ""
	}
	noError := reflect.Zero(typ.Out(0))
	fn := reflect.MakeFunc(typ, func(args []reflect.Value) []reflect.Value {
		gemmCalls.Add(1)
		gemm.MatMul32(float32(args[0].Float()), float32(args[1].Float()),
			args[2].Interface().([]float32), args[3].Interface().([]float32),
			int(args[4].Int()), int(args[5].Int()), int(args[6].Int()), int(args[7].Int()),
			args[8].Interface().([]float32))
		return []reflect.Value{noError}
	})
	name := "gometric " + gemm.Kernel()
	packgemm.DTypeToGEMM[pair] = append([]packgemm.GEMMRegistration{{
		Name:      name,
		DTypePair: pair,
		GEMMFn:    fn.Interface(),
		Priority:  packgemm.PrioritySIMD,
		Params:    regs[0].Params,
	}}, regs...)
	return name
}

// checkGEMMType checks that typ is packgemm's float32 GEMM function type as gometric knows it:
// (alpha, beta float32, lhs, rhs []float32, batch, lhsCross, rhsCross, contracting int,
// out []float32, alloc, release, pool) error.
func checkGEMMType(typ reflect.Type) error {
	f32, s32, i := reflect.TypeFor[float32](), reflect.TypeFor[[]float32](), reflect.TypeFor[int]()
	want := []reflect.Type{f32, f32, s32, s32, i, i, i, i, s32}
	if typ.Kind() != reflect.Func || typ.NumIn() != len(want)+3 || typ.NumOut() != 1 ||
		typ.Out(0) != reflect.TypeFor[error]() {
		return fmt.Errorf("packgemm GEMM has type %s", typ)
	}
	for k, w := range want {
		if typ.In(k) != w {
			return fmt.Errorf("packgemm GEMM argument %d is %s, want %s", k, typ.In(k), w)
		}
	}
	return nil
}
