package knn

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gometric/gometric/mat"
)

// usePortable makes Search, Pairwise and Rowwise use the portable panel kernels until the test
// ends.
func usePortable(t *testing.T) {
	t.Helper()
	dot, sq, dot32, cd := panelDot, panelSqL2, panelDot32, convDiv
	panelDot, panelSqL2, panelDot32, convDiv = panelDotGo, panelSqL2Go, nil, convDivGo
	t.Cleanup(func() { panelDot, panelSqL2, panelDot32, convDiv = dot, sq, dot32, cd })
}

// useFilter32 makes Search use the float32 filter with kernel f until the test ends (nil: none).
func useFilter32(t *testing.T, f panelKernel32) {
	t.Helper()
	old := panelDot32
	panelDot32 = f
	t.Cleanup(func() { panelDot32 = old })
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

// TestSearchKernelsAgree runs Search with the AVX2 and the portable kernels on sizes that cross
// every block boundary and checks both against the brute force of the same kernel; the results
// are the same bit for bit.
func TestSearchKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for _, sz := range []struct{ nq, nr, d int }{{1, 2, 1}, {13, 9, 3}, {61, 203, 17}, {400, 700, 33}} {
		r := randomMatrix(rng, sz.nr, sz.d)
		// Duplicates across panels and blocks make exact ties.
		for j := 9; j < sz.nr; j += 11 {
			copy(r.Row(j), r.Row(j%7))
		}
		q := r.Select(seq(min(sz.nq, sz.nr)))
		for _, d := range []Distance{Cosine(), DotProduct(), Euclidean(), Lp(1, true)} {
			for _, opt := range []Options{
				{K: 5},
				{K: 50, ExcludeSelf: true, Workers: 3},
				{K: 7, BlockSize: 13, ExcludeSelf: true},
			} {
				opt.Distance = d
				fast, err := Search(q, r, opt)
				if err != nil {
					t.Fatal(err)
				}
				sameResult(t, fast, bruteForce(t, q, r, d, opt.K, opt.ExcludeSelf))
				t.Run("", func(t *testing.T) {
					usePortable(t)
					port, err := Search(q, r, opt)
					if err != nil {
						t.Fatal(err)
					}
					sameResult(t, port, fast)
					sameResult(t, port, bruteForce(t, q, r, d, opt.K, opt.ExcludeSelf))
					useFilter32(t, panelDot32Go) // The filter with the portable float32 kernel.
					port32, err := Search(q, r, opt)
					if err != nil {
						t.Fatal(err)
					}
					sameResult(t, port32, fast)
				})
			}
		}
	}
}

// TestPlanBlocks checks that the automatic blocks cover every query once, shrink towards the end,
// and that a given BlockSize is kept.
func TestPlanBlocks(t *testing.T) {
	pl := newPlan(128, 20000, Options{Workers: 2})
	if pl.refBlock != 256 || pl.minTask != 192 || pl.maxTask != 1536 || pl.workers != 2 {
		t.Fatalf("plan for D=128: refBlock %d, tasks %d..%d, %d workers", pl.refBlock, pl.minTask, pl.maxTask, pl.workers)
	}
	next, last := 0, 1<<30
	for {
		q0, q1, ok := pl.take()
		if !ok {
			break
		}
		if q0 != next || q1 <= q0 || q1-q0 > last {
			t.Fatalf("block [%d, %d) after %d (previous size %d)", q0, q1, next, last)
		}
		next, last = q1, q1-q0
	}
	if next != 20000 || last > 192 {
		t.Fatalf("blocks end at %d, last size %d", next, last)
	}
	pl = newPlan(5, 10, Options{BlockSize: 3, Workers: 8})
	if pl.workers != 4 {
		t.Fatalf("BlockSize 3 with 10 queries: %d workers, want 4", pl.workers)
	}
	for q0 := 0; q0 < 10; q0 += 3 {
		a, b, ok := pl.take()
		if !ok || a != q0 || b != min(q0+3, 10) {
			t.Fatalf("got [%d, %d) %v, want [%d, %d)", a, b, ok, q0, min(q0+3, 10))
		}
	}
}

// TestFilterEpsBound checks the float32 estimates of both filter kernels against the exact values
// and filterEps, on rows of mixed magnitudes, and that the AVX2 masks follow the estimates.
func TestFilterEpsBound(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	kernels := []panelKernel32{panelDot32Go}
	if panelDot32 != nil {
		kernels = append(kernels, panelDot32)
	}
	worst := 0.0
	for _, d := range []int{1, 2, 3, 17, 128, 129, 1000} {
		np := 3
		rows := make([][]float64, np*panelRows+panelCols32)
		for i := range rows {
			rows[i] = make([]float64, d)
			scale := math.Pow(2, float64(rng.Intn(60)-30))
			for k := range rows[i] {
				rows[i][k] = rng.NormFloat64() * scale * math.Pow(2, float64(rng.Intn(8)))
			}
		}
		qp := make([]float32, np*panelRows*d)
		for i := 0; i < np*panelRows; i++ {
			packQueryRow32(qp, i, rows[i])
		}
		rp := make([]float32, panelCols32*d)
		for j := 0; j < panelCols32; j++ {
			packRefRow32(rp, j, rows[np*panelRows+j])
		}
		thr := make([]float32, np*panelRows)
		for i := range thr {
			thr[i] = float32(rng.NormFloat64())
		}
		norm := func(v []float64) float64 { return math.Sqrt(dot(v, v)) * (1 + 1e-9) }
		for _, kern := range kernels {
			out := make([]float32, np*panelSize32)
			masks := make([]uint16, np*8)
			kern(qp, np, rp, d, thr, out, masks)
			for i := 0; i < np*panelRows; i++ {
				var m uint16
				for j := 0; j < panelCols32; j++ {
					q, r := rows[i], rows[np*panelRows+j]
					est := float64(out[(i/panelRows)*panelSize32+(i%panelRows)*panelCols32+j])
					eps := filterEps(d, norm(q), norm(r))
					if err := math.Abs(est - dot(q, r)); err > eps {
						t.Fatalf("d=%d pair (%d, %d): estimate %v, exact %v: error %g > eps %g", d, i, j, est, dot(q, r), err, eps)
					} else {
						worst = max(worst, err/eps)
					}
					if float32(est) > thr[i] {
						m |= 1 << j
					}
				}
				if got := masks[(i/panelRows)*8+i%panelRows]; got != m {
					t.Fatalf("d=%d row %d: mask %016b, want %016b", d, i, got, m)
				}
			}
		}
	}
	t.Logf("largest error / eps: %.3g", worst)
}

// TestFilterNearTies searches references that differ from each other by one float32 ulp in one
// column, closer than the filter's resolution, and checks the exact ranking and values.
func TestFilterNearTies(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	const n, d = 300, 64
	base := randomMatrix(rng, 1, d)
	r := mat.New(n, d)
	for j := 0; j < n; j++ {
		copy(r.Row(j), base.Row(0))
		c := rng.Intn(d)
		v := r.Row(j)[c]
		for s := rng.Intn(5); s > 0; s-- {
			v = math.Nextafter32(v, float32(math.Inf(1-2*(j%2))))
		}
		r.Row(j)[c] = v
	}
	q := r.Select([]int{0, 1, 2, 7})
	for _, dist := range []Distance{Cosine(), DotProduct()} {
		got, err := Search(q, r, Options{Distance: dist, K: 40, ExcludeSelf: true, BlockSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, got, bruteForce(t, q, r, dist, 40, true))
	}
}

// TestMulAddMode runs the portable kernels as on CPUs without fused multiply-add (products
// rounded, then added) and checks that Search, Pairwise and Rowwise still agree bit for bit, and
// that the values differ from the fused ones by rounding only.
func TestMulAddMode(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	q := randomMatrix(rng, 23, 19)
	r := randomMatrix(rng, 61, 19)
	fused := map[Distance][]float64{}
	for _, d := range []Distance{Cosine(), DotProduct(), Euclidean()} {
		fused[d], _ = d.Pairwise(q, r)
	}
	usePortable(t)
	old := fusedMulAdd
	fusedMulAdd = false
	t.Cleanup(func() { fusedMulAdd = old })
	for d, want := range fused {
		got, err := Search(q, r, Options{Distance: d, K: 9, BlockSize: 7})
		if err != nil {
			t.Fatal(err)
		}
		sameResult(t, got, bruteForce(t, q, r, d, 9, false))
		pw, _ := d.Pairwise(q, r)
		for n := range pw {
			if math.Abs(pw[n]-want[n]) > 1e-12*(1+math.Abs(want[n])) {
				t.Fatalf("%v: mul-add value %v, fused %v", d, pw[n], want[n])
			}
		}
		rw, _ := d.Rowwise(q, r.Select(seq(q.Rows)))
		for i := range rw {
			if rw[i] != pw[i*r.Rows+i] {
				t.Fatalf("%v row %d: Rowwise %v != Pairwise %v", d, i, rw[i], pw[i*r.Rows+i])
			}
		}
	}
}
