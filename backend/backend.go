// Package backend selects the GoMLX backend that gometric's library, tests and command use.
//
// The rule is simple and the same everywhere: when the environment variable GOMLX_BACKEND is set,
// it names the backend (for example "go", "xla:cpu" or "xla:cuda"); otherwise gometric uses GoMLX's
// pure-Go backend ("go"), which works on every machine with no plugin. GoMLX's own default is "xla",
// which fails where no PJRT plugin is installed, and its XLA backend downloads plugins on first use:
// gometric turns that auto-install off, so selecting a backend never touches the network. To use
// XLA, install a PJRT plugin and point PJRT_PLUGIN_LIBRARY_PATH at it (or give an absolute plugin path).
//
// On the pure-Go backend, gometric runs a graph's ops one after another ("go" means
// "go:ops_sequential,packgemm"; withSequentialOps says why) and multiplies float32 matrices with its
// own kernels (gemm.go). Importing this package registers those kernels in GoMLX's process-wide GEMM
// table (packgemm.DTypeToGEMM) at init: any pure-Go backend of the process whose configuration
// enables "packgemm" uses them, GoMLX's own AVX-512 kernel keeping priority where it is registered.
//
// The pure-Go backend that New returns also supports host calls (HostCall): a graph node computed by
// Go code on the host, before the compiled graph runs, from the graph's parameters. gometric's losses
// use them to run their fused host kernels (losses.HostLoss) inside any graph whose embeddings are a
// parameter, such as a loss computed on given embeddings; "go:nohostcalls" (NoHostCalls) and
// GraphOnly turn them off.
package backend

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego" // The pure-Go backend, always available.
	"github.com/gomlx/gomlx/backends/xla"
)

// EnvVar is the environment variable that selects the backend: GoMLX's own GOMLX_BACKEND.
const EnvVar = backends.ConfigEnvVar

// Default is the configuration used when EnvVar is not set: GoMLX's pure-Go backend.
const Default = "go"

func init() {
	// Never download PJRT plugins: gometric must work offline and must not surprise its users.
	xla.EnableAutoInstall(false)
}

// Config returns the backend configuration gometric will use: $GOMLX_BACKEND when set and not
// empty, else Default.
func Config() string {
	if c := strings.TrimSpace(os.Getenv(EnvVar)); c != "" {
		return c
	}
	return Default
}

// New returns a new backend for the given configuration; an empty config means Config().
// The error names the configuration and, for XLA, how to provide a plugin.
func New(config string) (b backends.Backend, err error) {
	if config == "" {
		config = Config()
	}
	defer func() {
		// Some backends panic on bad configurations; turn that into an error for the caller.
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q: %v", config, r)
		}
	}()
	config, hostCalls := withoutOption(config, NoHostCalls)
	b, err = backends.NewWithConfig(withFastOps(withSequentialOps(config)))
	if err == nil && hostCalls {
		if _, pureGo := b.(*simplego.Backend); pureGo {
			b = &hostBackend{Backend: b}
		}
	}
	if err != nil {
		hint := ""
		if strings.HasPrefix(config, "xla") {
			hint = " (gometric never downloads PJRT plugins: install one and set PJRT_PLUGIN_LIBRARY_PATH, " +
				"or unset " + EnvVar + " to use the pure-Go backend)"
		}
		return nil, fmt.Errorf("backend %q: %w%s", config, err, hint)
	}
	return b, nil
}

// NoHostCalls is the configuration option ("go:nohostcalls") that turns host calls off: graphs on
// the backend then contain only GoMLX ops, and every loss runs its graph formulation.
const NoHostCalls = "nohostcalls"

// withoutOption removes option from a configuration's options and reports whether it was absent.
func withoutOption(config, option string) (string, bool) {
	name, opts, found := strings.Cut(config, ":")
	if !found {
		return config, true
	}
	var kept []string
	absent := true
	for _, o := range strings.Split(opts, ",") {
		if strings.TrimSpace(o) == option {
			absent = false
			continue
		}
		kept = append(kept, o)
	}
	if len(kept) == 0 {
		return name, absent
	}
	return name + ":" + strings.Join(kept, ","), absent
}

// withSequentialOps adds "ops_sequential" to a pure-Go backend configuration that does not choose
// how ops are scheduled. Why: GoMLX v0.27.2's pure-Go backend runs a graph's independent ops on a
// bounded worker pool (2 × GOMAXPROCS workers) and, when only one graph runs, also runs a While
// loop's body on that pool from inside the worker that holds the loop. A graph with loops beside
// other parallel ops (the all-triplet losses' pivot loops, next to matrix products) can then hold
// every worker while each waits for one more: a deadlock, seen on 2-core machines
// (TestRankingLossesBlockwiseMatchesOneBlock hung for 10 minutes). Executing the ops one after
// another removes the nesting; each matrix product still splits its work over all cores, and the
// cost, measured in docs/PERFORMANCE.md ("Op scheduling"), is small. GOMLX_BACKEND=go:ops_parallel
// restores GoMLX's default scheduling.
func withSequentialOps(config string) string {
	name, opts, _ := strings.Cut(config, ":")
	if name != "go" {
		return config
	}
	for _, o := range strings.Split(opts, ",") {
		key, _, _ := strings.Cut(strings.TrimSpace(o), "=")
		if key == "ops_sequential" || key == "ops_parallel" {
			return config
		}
	}
	if opts == "" {
		return "go:ops_sequential"
	}
	return config + ",ops_sequential"
}

// withFastOps adds "packgemm" to a pure-Go backend configuration when gometric registered its GEMM
// kernels (gemm.go) and the configuration does not already choose a matrix-product path: products in
// matmul order then run on those kernels.
func withFastOps(config string) string {
	name, opts, _ := strings.Cut(config, ":")
	if name != "go" || GEMMName == "" {
		return config
	}
	for _, o := range strings.Split(opts, ",") {
		key := strings.TrimSpace(o)
		if key == "packgemm" || key == "highway" || strings.HasPrefix(key, "dotgeneral_") {
			return config
		}
	}
	if opts == "" {
		return "go:packgemm"
	}
	return config + ",packgemm"
}

var (
	sharedOnce sync.Once
	shared     backends.Backend
	sharedErr  error

	graphOnlyOnce sync.Once
	graphOnly     backends.Backend
	graphOnlyErr  error
)

// Shared returns one process-wide backend for Config(), created on first use. Library functions that
// need a backend and were not given one use it.
func Shared() (backends.Backend, error) {
	sharedOnce.Do(func() { shared, sharedErr = New("") })
	return shared, sharedErr
}

// MustShared is Shared for programs and tests that cannot go on without a backend: it panics with the
// error.
func MustShared() backends.Backend {
	b, err := Shared()
	if err != nil {
		panic(err)
	}
	return b
}

// GraphOnly returns one process-wide backend for Config() with host calls off (NoHostCalls), created
// on first use: there every loss runs its graph formulation. Tests compare the two with it.
func GraphOnly() (backends.Backend, error) {
	graphOnlyOnce.Do(func() {
		config := Config()
		if strings.Contains(config, ":") {
			config += "," + NoHostCalls
		} else {
			config += ":" + NoHostCalls
		}
		graphOnly, graphOnlyErr = New(config)
	})
	return graphOnly, graphOnlyErr
}

// IsPureGo reports whether b is GoMLX's pure-Go backend (simplego), with or without host calls,
// where every graph op is its own pass over its operands (gometric's host loss engine pays off
// there; XLA fuses graphs itself).
func IsPureGo(b backends.Backend) bool {
	if h, ok := b.(*hostBackend); ok {
		b = h.Backend
	}
	_, ok := b.(*simplego.Backend)
	return ok
}
