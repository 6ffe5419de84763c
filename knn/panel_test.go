package knn

import (
	"math"
	"math/rand"
	"testing"
)

// usePortable makes Search, Pairwise and Rowwise use the portable panel kernels until the test
// ends.
func usePortable(t *testing.T) {
	t.Helper()
	dot, sq := panelDot, panelSqL2
	panelDot, panelSqL2 = panelDotGo, panelSqL2Go
	t.Cleanup(func() { panelDot, panelSqL2 = dot, sq })
}

// TestPanelKernelsAgree checks the AVX2 kernels (where the CPU has them) against the portable
// ones and the scalar definitions, bit for bit, values and masks, on odd dimensions and
// thresholds that make every mask bit vary.
func TestPanelKernelsAgree(t *testing.T) {
	if !haveAVX2 {
		t.Log("no AVX2 kernels in this build or on this CPU: checking the portable kernels against the definitions only")
	}
	rng := rand.New(rand.NewSource(5))
	kernels := []struct {
		name      string
		asm, port panelKernel
		pair      func(a, b []float64) float64
		greater   bool
	}{
		{"dot", panelDotAsm, panelDotGo, dot, true},
		{"sqL2", panelSqL2Asm, panelSqL2Go, sqL2, false},
	}
	for _, d := range []int{1, 2, 3, 4, 5, 7, 8, 31, 127, 128, 129} {
		for _, np := range []int{0, 1, 2, 5} {
			qp := make([]float64, np*panelRows*d+3) // Longer than needed: kernels must not read past.
			rp := make([]float64, panelCols*d)
			for i := range qp {
				qp[i] = rng.NormFloat64()
			}
			for i := range rp {
				rp[i] = rng.NormFloat64() * math.Pow(2, float64(rng.Intn(40)-20))
			}
			for _, kc := range kernels {
				// Exact values first, then thresholds among them so that masks vary.
				want := make([]float64, np*panelSize)
				for p := 0; p < np; p++ {
					for i := 0; i < panelRows; i++ {
						a := make([]float64, d)
						b := make([]float64, d)
						for j := 0; j < panelCols; j++ {
							for k := 0; k < d; k++ {
								a[k] = qp[p*panelRows*d+k*panelRows+i]
								b[k] = rp[k*panelCols+j]
							}
							want[p*panelSize+i*panelCols+j] = kc.pair(a, b)
						}
					}
				}
				thr := make([]float64, np*panelRows)
				for i := range thr {
					switch i % 5 {
					case 0:
						thr[i] = math.NaN()
					case 1:
						thr[i] = math.Inf(1 - 2*(i%2))
					default:
						thr[i] = want[(i/panelRows)*panelSize+(i%panelRows)*panelCols+rng.Intn(panelCols)]
					}
				}
				for _, k := range []struct {
					name string
					f    panelKernel
				}{{"portable", kc.port}, {"avx2", kc.asm}} {
					out := make([]float64, np*panelSize)
					masks := make([]uint8, np*8)
					for i := range masks {
						masks[i] = 0xa5
					}
					k.f(qp, np, rp, d, thr, out, masks)
					for n := range want {
						if math.Float64bits(out[n]) != math.Float64bits(want[n]) {
							t.Fatalf("%s %s d=%d np=%d: value %d = %v, want %v", kc.name, k.name, d, np, n, out[n], want[n])
						}
					}
					for p := 0; p < np; p++ {
						for i := 0; i < 8; i++ {
							var m uint8
							for j := 0; i < panelRows && j < panelCols; j++ {
								v, th := want[p*panelSize+i*panelCols+j], thr[p*panelRows+i]
								if (kc.greater && v > th) || (!kc.greater && v < th) {
									m |= 1 << j
								}
							}
							if masks[p*8+i] != m {
								t.Fatalf("%s %s d=%d np=%d: mask of panel %d row %d = %08b, want %08b", kc.name, k.name, d, np, p, i, masks[p*8+i], m)
							}
						}
					}
				}
			}
		}
	}
}

