package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// kernels returns the kernels to test: the portable one always, the assembly one where the CPU
// has it. The function restores useAsm when the test ends.
func kernels(t *testing.T) []bool {
	old := useAsm
	t.Cleanup(func() { useAsm = old })
	if hasAsm {
		return []bool{false, true}
	}
	return []bool{false}
}

func kernelName(asm bool) string {
	if asm {
		return "avx2-fma"
	}
	return "portable"
}

type shape struct{ batch, m, n, k int }

// shapes covers empty and vector sizes, primes, the edges around mr, nr, kc, mc and nc, batches
// and both the direct (small) and packed paths, single- and multi-goroutine.
func shapes() []shape {
	s := []shape{
		{0, 3, 4, 5}, {1, 0, 4, 5}, {1, 3, 0, 5}, {1, 3, 4, 0}, {2, 3, 4, 0},
		{1, 1, 1, 1}, {1, 1, 1, 7}, {1, 1, 9, 1}, {1, 9, 1, 1}, {1, 1, 300, 200}, {1, 300, 1, 200},
		{1, 200, 300, 1}, {3, 1, 1, 1},
		{1, 7, 13, 5}, {1, 6, 16, 1}, {1, 6, 8, 3}, {1, 5, 15, 4}, {1, 7, 17, 9},
		{1, 12, 32, 256}, {1, 13, 33, 257}, {1, 11, 31, 255}, {1, 6, 16, 512}, {1, 37, 41, 513},
		{1, 143, 70, 100}, {1, 144, 64, 64}, {1, 145, 65, 300}, {1, 289, 50, 40},
		{1, 20, 2049, 30}, {1, 10, 4100, 20}, {1, 64, 2048, 16},
		{2, 7, 13, 5}, {3, 61, 67, 71}, {5, 30, 40, 50}, {4, 100, 90, 80}, {3, 128, 64, 256},
		{1, 128, 256, 64}, {1, 250, 130, 270}, {2, 1, 4000, 100}, {1, 3000, 2, 50},
		{7, 12, 16, 300}, {5000, 4, 4, 4}, {5001, 3, 5, 4}, {301, 10, 10, 10}, {3, 200, 100, 300},
	}
	return s
}

type coef struct{ alpha, beta float64 }

var coefs = []coef{{1, 0}, {1, 1}, {0.5, -2}, {-1.5, 0}, {2, 0.25}}

// reference computes the product in float64 and, per entry, the sum of the absolute values of
// the terms (the scale of the rounding error).
func reference(alpha, beta float64, a, b, c []float64, batch, m, n, k int) (want, mag []float64) {
	want = make([]float64, len(c))
	mag = make([]float64, len(c))
	for p := range batch {
		for i := range m {
			for j := range n {
				var s, abs float64
				for x := range k {
					v := a[p*m*k+i*k+x] * b[p*k*n+x*n+j]
					s += v
					abs += math.Abs(v)
				}
				o := p*m*n + i*n + j
				want[o] = alpha * s
				mag[o] = math.Abs(alpha) * abs
				if beta != 0 {
					want[o] += beta * c[o]
					mag[o] += math.Abs(beta * c[o])
				}
			}
		}
	}
	return want, mag
}

func randSlice(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.Float64()*2 - 1
	}
	return s
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, asm := range kernels(t) {
		for _, sh := range shapes() {
			for _, cf := range coefs {
				name := fmt.Sprintf("%s/b%d_m%d_n%d_k%d/alpha%g_beta%g", kernelName(asm), sh.batch, sh.m, sh.n, sh.k, cf.alpha, cf.beta)
				a := randSlice(r, sh.batch*sh.m*sh.k)
				b := randSlice(r, sh.batch*sh.k*sh.n)
				c := randSlice(r, sh.batch*sh.m*sh.n)
				if cf.beta == 0 {
					for i := range c {
						c[i] = math.NaN()
					}
				}
				want, mag := reference(cf.alpha, cf.beta, a, b, c, sh.batch, sh.m, sh.n, sh.k)
				useAsm = asm

				a32, b32, c32 := to32(a), to32(b), to32(c)
				// The float32 reference uses the rounded inputs.
				want32, mag32 := reference(cf.alpha, cf.beta, to64(a32), to64(b32), to64(c32), sh.batch, sh.m, sh.n, sh.k)
				MatMul32(float32(cf.alpha), float32(cf.beta), a32, b32, sh.batch, sh.m, sh.n, sh.k, c32)
				tol32 := 1e-5 * math.Sqrt(float64(max(sh.k, 1)))
				compare(t, name+"/f32", to64(c32), want32, mag32, tol32)

				c64 := append([]float64(nil), c...)
				MatMul64(cf.alpha, cf.beta, a, b, sh.batch, sh.m, sh.n, sh.k, c64)
				compare(t, name+"/f64", c64, want, mag, 1e-12)
			}
		}
	}
}

func compare(t *testing.T, name string, got, want, mag []float64, tol float64) {
	t.Helper()
	bad := 0
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol*mag[i]+1e-30 {
			if bad < 3 {
				t.Errorf("%s: c[%d] = %g, want %g (|terms| %g)", name, i, got[i], want[i], mag[i])
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d wrong entries in all", name, bad)
	}
}

func to32(s []float64) []float32 {
	r := make([]float32, len(s))
	for i, v := range s {
		r[i] = float32(v)
	}
	return r
}

func to64(s []float32) []float64 {
	r := make([]float64, len(s))
	for i, v := range s {
		r[i] = float64(v)
	}
	return r
}

// TestKernelsAgree compares the assembly and portable kernels directly on one large product.
func TestKernelsAgree(t *testing.T) {
	ks := kernels(t)
	if len(ks) < 2 {
		t.Skip("no assembly kernel on this machine")
	}
	r := rand.New(rand.NewPCG(3, 4))
	m, n, k := 301, 517, 600
	a, b := to32(randSlice(r, m*k)), to32(randSlice(r, k*n))
	var out [2][]float32
	for x, asm := range ks {
		useAsm = asm
		out[x] = make([]float32, m*n)
		MatMul32(1, 0, a, b, 1, m, n, k, out[x])
	}
	for i := range out[0] {
		if d := math.Abs(float64(out[0][i] - out[1][i])); d > 1e-4 {
			t.Fatalf("c[%d]: portable %g, asm %g", i, out[0][i], out[1][i])
		}
	}
}

func TestKernelName(t *testing.T) {
	for _, asm := range kernels(t) {
		useAsm = asm
		if got := Kernel(); got != kernelName(asm) {
			t.Errorf("Kernel() = %q, want %q", got, kernelName(asm))
		}
	}
}

// TestConcurrent runs products of several shapes from several goroutines at once (run it with
// -race).
func TestConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	type cs struct {
		sh       shape
		a, b     []float32
		want     []float64
		mag      []float64
		a64, b64 []float64
	}
	var cases []cs
	for _, sh := range []shape{{1, 7, 13, 5}, {2, 100, 120, 130}, {1, 300, 200, 100}, {3, 40, 600, 20}} {
		a, b := randSlice(r, sh.batch*sh.m*sh.k), randSlice(r, sh.batch*sh.k*sh.n)
		a32, b32 := to32(a), to32(b)
		want, mag := reference(1, 0, to64(a32), to64(b32), make([]float64, sh.batch*sh.m*sh.n), sh.batch, sh.m, sh.n, sh.k)
		cases = append(cases, cs{sh: sh, a: a32, b: b32, want: want, mag: mag})
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range 4 {
				x := cases[(g+it)%len(cases)]
				c := make([]float32, x.sh.batch*x.sh.m*x.sh.n)
				MatMul32(1, 0, x.a, x.b, x.sh.batch, x.sh.m, x.sh.n, x.sh.k, c)
				compare(t, fmt.Sprintf("goroutine %d %v", g, x.sh), to64(c), x.want, x.mag, 1e-5*math.Sqrt(float64(x.sh.k)))
			}
		}()
	}
	wg.Wait()
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name           string
		la, lb, lc     int
		batch, m, n, k int
		want           string
	}{
		{"short a", 5, 6, 6, 1, 2, 3, 3, "slice lengths"},
		{"long b", 6, 10, 6, 1, 2, 3, 3, "slice lengths"},
		{"short c", 6, 9, 5, 1, 2, 3, 3, "slice lengths"},
		{"batch", 6, 9, 6, 2, 2, 3, 3, "slice lengths"},
		{"negative", 0, 0, 0, 1, -1, 3, 3, "negative size"},
		{"overflow", 0, 0, 0, 1, 1 << 40, 1 << 40, 1 << 40, "overflow"},
	}
	for _, tt := range tests {
		for _, f64 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/f64=%v", tt.name, f64), func(t *testing.T) {
				defer func() {
					r := recover()
					if r == nil {
						t.Fatal("no panic")
					}
					if s := fmt.Sprint(r); !strings.Contains(s, tt.want) {
						t.Fatalf("panic %q does not mention %q", s, tt.want)
					}
				}()
				if f64 {
					MatMul64(1, 0, make([]float64, tt.la), make([]float64, tt.lb), tt.batch, tt.m, tt.n, tt.k, make([]float64, tt.lc))
				} else {
					MatMul32(1, 0, make([]float32, tt.la), make([]float32, tt.lb), tt.batch, tt.m, tt.n, tt.k, make([]float32, tt.lc))
				}
			})
		}
	}
}

// TestNoAllocs checks that steady-state calls on one goroutine do not allocate.
func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	m, n, k := 50, 60, 70 // packed path, below the parallel threshold
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	MatMul32(1, 0, a, b, 1, m, n, k, c)
	if allocs := testing.AllocsPerRun(20, func() { MatMul32(1, 0, a, b, 1, m, n, k, c) }); allocs > 0 {
		t.Errorf("MatMul32 allocates %v times per call", allocs)
	}
}

// A product's entries do not depend on the matrix around them: rows [i0, i1) of A·B equal, bit for
// bit, the product of those rows of A with B, and columns likewise, whatever the sizes (small
// products included). Losses compute a distance matrix block by block and compare it with the
// whole; a path chosen by size that rounds differently broke that (a 5-row block of a 12×4×12
// product took a direct loop, the whole the fused kernel).
func TestSubBlocksAreBitExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, asm := range kernels(t) {
		useAsm = asm
		for _, s := range []struct{ m, n, k, i0, i1, j0, j1 int }{
			{12, 12, 4, 0, 5, 0, 12}, {12, 12, 4, 5, 12, 0, 12}, {12, 12, 4, 0, 12, 3, 4},
			{3, 2, 5, 1, 2, 0, 2}, {40, 33, 300, 7, 9, 0, 33}, {40, 33, 300, 0, 40, 16, 17},
			{7, 70, 1, 2, 3, 0, 70}, {1, 9, 128, 0, 1, 4, 9},
		} {
			a, b := to32(randSlice(r, s.m*s.k)), to32(randSlice(r, s.k*s.n))
			whole := make([]float32, s.m*s.n)
			MatMul32(1, 0, a, b, 1, s.m, s.n, s.k, whole)
			rows, cols := s.i1-s.i0, s.j1-s.j0
			subB := make([]float32, s.k*cols)
			for l := range s.k {
				copy(subB[l*cols:(l+1)*cols], b[l*s.n+s.j0:l*s.n+s.j1])
			}
			part := make([]float32, rows*cols)
			MatMul32(1, 0, a[s.i0*s.k:s.i1*s.k], subB, 1, rows, cols, s.k, part)
			for i := range rows {
				for j := range cols {
					if w, g := whole[(s.i0+i)*s.n+s.j0+j], part[i*cols+j]; math.Float32bits(w) != math.Float32bits(g) {
						t.Fatalf("%s %+v: entry (%d, %d): block %g, whole %g", kernelName(asm), s, s.i0+i, s.j0+j, g, w)
					}
				}
			}
		}
	}
}

// TestTransposedOperands: MatMulT with transposed operands gives the same bits as MatMul on
// transposed copies (only the packing differs), with both kernels, at sizes with edge tiles and
// several k blocks.
func TestTransposedOperands(t *testing.T) {
	defer func(v bool) { useAsm = v }(useAsm)
	r := rand.New(rand.NewPCG(5, 6))
	for _, asm := range []bool{false, useAsm} {
		useAsm = asm
		for _, sz := range [][4]int{{1, 1, 1, 1}, {2, 7, 19, 5}, {1, 13, 33, 300}, {3, 6, 16, 8}, {1, 150, 70, 129}} {
			batch, m, n, k := sz[0], sz[1], sz[2], sz[3]
			a, b := make([]float64, batch*m*k), make([]float64, batch*k*n)
			for i := range a {
				a[i] = r.NormFloat64()
			}
			for i := range b {
				b[i] = r.NormFloat64()
			}
			at, bt := make([]float64, len(a)), make([]float64, len(b))
			for p := range batch {
				for i := range m {
					for q := range k {
						at[p*m*k+q*m+i] = a[p*m*k+i*k+q]
					}
				}
				for q := range k {
					for j := range n {
						bt[p*k*n+j*k+q] = b[p*k*n+q*n+j]
					}
				}
			}
			a32, b32, at32, bt32 := to32(a), to32(b), to32(at), to32(bt)
			want64, want32 := make([]float64, batch*m*n), make([]float32, batch*m*n)
			MatMul64(1.5, 0, a, b, batch, m, n, k, want64)
			MatMul32(1.5, 0, a32, b32, batch, m, n, k, want32)
			for _, tr := range [][2]bool{{true, false}, {false, true}, {true, true}} {
				ta, tb := a, b
				ta32, tb32 := a32, b32
				if tr[0] {
					ta, ta32 = at, at32
				}
				if tr[1] {
					tb, tb32 = bt, bt32
				}
				got64, got32 := make([]float64, batch*m*n), make([]float32, batch*m*n)
				MatMulT64(tr[0], tr[1], 1.5, 0, ta, tb, batch, m, n, k, got64)
				MatMulT32(tr[0], tr[1], 1.5, 0, ta32, tb32, batch, m, n, k, got32)
				for i := range got64 {
					if got64[i] != want64[i] || got32[i] != want32[i] {
						t.Fatalf("asm %v %v trans %v: entry %d: %v/%v, want %v/%v", asm, sz, tr, i, got64[i], got32[i], want64[i], want32[i])
					}
				}
			}
		}
	}
}

// TestSymmetrizedA: MatMulSymA gives MatMul's bits on a + aᵀ formed beforehand, with both kernels,
// edge panels, several k blocks (m > 256) and row blocks (m > 144), one goroutine and several, and
// beta ≠ 0.
func TestSymmetrizedA(t *testing.T) {
	defer func(v bool) { useAsm = v }(useAsm)
	r := rand.New(rand.NewPCG(7, 8))
	for _, asm := range []bool{false, useAsm} {
		useAsm = asm
		for _, sz := range [][3]int{{1, 1, 1}, {2, 7, 19}, {1, 13, 33}, {3, 6, 16}, {1, 150, 70}, {1, 300, 128}, {2, 64, 9}} {
			batch, m, n := sz[0], sz[1], sz[2]
			a, b, c0 := make([]float64, batch*m*m), make([]float64, batch*m*n), make([]float64, batch*m*n)
			for i := range a {
				a[i] = r.NormFloat64()
			}
			for i := range b {
				b[i] = r.NormFloat64()
			}
			for i := range c0 {
				c0[i] = r.NormFloat64()
			}
			a32, b32 := to32(a), to32(b)
			sym, sym32 := make([]float64, len(a)), make([]float32, len(a))
			for p := range batch {
				for i := range m {
					for j := range m {
						sym[p*m*m+i*m+j] = a[p*m*m+i*m+j] + a[p*m*m+j*m+i]
						sym32[p*m*m+i*m+j] = a32[p*m*m+i*m+j] + a32[p*m*m+j*m+i]
					}
				}
			}
			want64, want32 := append([]float64(nil), c0...), to32(c0)
			got64, got32 := append([]float64(nil), c0...), to32(c0)
			MatMul64(1.5, 0.5, sym, b, batch, m, n, m, want64)
			MatMul32(1.5, 0.5, sym32, b32, batch, m, n, m, want32)
			MatMulSymA64(1.5, 0.5, a, b, batch, m, n, got64)
			MatMulSymA32(1.5, 0.5, a32, b32, batch, m, n, got32)
			for i := range got64 {
				if got64[i] != want64[i] || got32[i] != want32[i] {
					t.Fatalf("asm %v %v: entry %d: %v/%v, want %v/%v", asm, sz, i, got64[i], got32[i], want64[i], want32[i])
				}
			}
		}
	}
}

// TestSchedulesAgree: the shared-B schedule of large single products (several workers) gives the
// same bits as one goroutine's blocks, for every operand layout, with several kc and nc blocks and
// edge tiles, beta ≠ 0 included.
func TestSchedulesAgree(t *testing.T) {
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	r := rand.New(rand.NewPCG(9, 10))
	for _, asm := range kernels(t) {
		useAsm = asm
		for _, s := range []struct {
			m, n, k int
			layout  string
		}{
			{200, 2100, 300, "plain"}, {97, 150, 520, "plain"}, {130, 70, 700, "transA"},
			{300, 33, 260, "transB"}, {190, 190, 190, "symA"}, {1030, 17, 40, "plain"},
		} {
			k := s.k
			if s.layout == "symA" {
				k = s.m
			}
			a, b := to32(randSlice(r, s.m*k)), to32(randSlice(r, k*s.n))
			c0 := to32(randSlice(r, s.m*s.n))
			run := func(procs int) []float32 {
				runtime.GOMAXPROCS(procs)
				c := append([]float32(nil), c0...)
				switch s.layout {
				case "symA":
					MatMulSymA32(0.5, 0.25, a, b, 1, s.m, s.n, c)
				default:
					MatMulT32(s.layout == "transA", s.layout == "transB", 0.5, 0.25, a, b, 1, s.m, s.n, k, c)
				}
				return c
			}
			serial, shared := run(1), run(4)
			for i := range serial {
				if math.Float32bits(serial[i]) != math.Float32bits(shared[i]) {
					t.Fatalf("%s %+v: entry %d: one goroutine %g, shared-B schedule %g", kernelName(asm), s, i, serial[i], shared[i])
				}
			}
		}
	}
}
