package backend

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestConfigDefaultsToPureGo(t *testing.T) {
	t.Setenv(EnvVar, "")
	if got := Config(); got != Default {
		t.Errorf("Config() = %q with %s empty, want %q", got, EnvVar, Default)
	}
	t.Setenv(EnvVar, "go")
	if got := Config(); got != "go" {
		t.Errorf("Config() = %q, want go", got)
	}
}

func TestNewGo(t *testing.T) {
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() == "" {
		t.Error("backend has no name")
	}
}

// Without a PJRT plugin the XLA backend fails with an error (never a download, never a panic) that
// says how to fix it.
func TestXLAWithoutPluginIsAClearError(t *testing.T) {
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	_, err := New("xla:cpu")
	if err == nil {
		t.Skip("an XLA CPU plugin is installed on this machine")
	}
	if !strings.Contains(err.Error(), "never downloads") {
		t.Errorf("error %q does not say how to get a plugin", err)
	}
}

func TestUnknownBackend(t *testing.T) {
	if _, err := New("nope"); err == nil {
		t.Error("New(nope) returned no error")
	}
}

// The pure-Go backend runs its ops one after another unless the configuration chooses; other
// backends' configurations are left alone.
func TestWithSequentialOps(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"go", "go:ops_sequential"},
		{"go:parallelism=4", "go:parallelism=4,ops_sequential"},
		{"go:ops_parallel", "go:ops_parallel"},
		{"go:ops_sequential", "go:ops_sequential"},
		{"go:dotgeneral_blocked, ops_parallel", "go:dotgeneral_blocked, ops_parallel"},
		{"xla:cpu", "xla:cpu"},
		{"gox", "gox"},
	} {
		if got := withSequentialOps(c.in); got != c.want {
			t.Errorf("withSequentialOps(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if _, err := New("go:ops_parallel"); err != nil {
		t.Errorf("New(go:ops_parallel): %v", err)
	}
}

func TestWithFastOps(t *testing.T) {
	if GEMMName == "" {
		t.Skip("GoMLX's own SIMD GEMM is in use")
	}
	for _, c := range []struct{ in, want string }{
		{"go", "go:packgemm"},
		{"go:ops_sequential", "go:ops_sequential,packgemm"},
		{"go:packgemm", "go:packgemm"},
		{"go:dotgeneral_blocked", "go:dotgeneral_blocked"},
		{"xla:cpu", "xla:cpu"},
	} {
		if got := withFastOps(c.in); got != c.want {
			t.Errorf("withFastOps(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A float32 product on the default backend runs on gometric's registered kernel and gives the
// product's values: checked against float64 arithmetic, for a plain and a batched product.
func TestRegisteredGEMM(t *testing.T) {
	if GEMMName == "" {
		t.Skip("GoMLX's own SIMD GEMM is in use")
	}
	b, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	gemmCalls.Store(0)
	for _, c := range []struct{ batch, m, k, n int }{{1, 37, 300, 70}, {3, 5, 9, 17}, {1, 1, 128, 1}} {
		rng := rand.New(rand.NewPCG(uint64(c.m), uint64(c.n)))
		a := make([]float32, c.batch*c.m*c.k)
		bb := make([]float32, c.batch*c.k*c.n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range bb {
			bb[i] = float32(rng.NormFloat64())
		}
		got := graph.MustExecOnce(b, func(x, y *graph.Node) *graph.Node {
			if c.batch == 1 {
				return graph.MatMul(graph.Reshape(x, c.m, c.k), graph.Reshape(y, c.k, c.n))
			}
			return graph.DotGeneral(x, []int{2}, []int{0}, y, []int{1}, []int{0})
		}, tensors.FromFlatDataAndDimensions(a, c.batch, c.m, c.k), tensors.FromFlatDataAndDimensions(bb, c.batch, c.k, c.n))
		if calls := gemmCalls.Swap(0); calls == 0 {
			t.Fatalf("%+v: the product did not run on %s", c, GEMMName)
		}
		flat := tensors.MustCopyFlatData[float32](got)
		for p := range c.batch {
			for i := range c.m {
				for j := range c.n {
					var want, scale float64
					for l := range c.k {
						x := float64(a[(p*c.m+i)*c.k+l]) * float64(bb[(p*c.k+l)*c.n+j])
						want += x
						scale += math.Abs(x)
					}
					if g := float64(flat[(p*c.m+i)*c.n+j]); math.Abs(g-want) > 1e-5*scale+1e-6 {
						t.Fatalf("%+v: entry (%d, %d, %d) = %g, want %g", c, p, i, j, g, want)
					}
				}
			}
		}
	}
}
