// Package backend selects the GoMLX backend that gometric's library, tests and command use.
//
// The rule is simple and the same everywhere: when the environment variable GOMLX_BACKEND is set,
// it names the backend (for example "go", "xla:cpu" or "xla:cuda"); otherwise gometric uses GoMLX's
// pure-Go backend ("go"), which works on every machine with no plugin. GoMLX's own default is "xla",
// which fails where no PJRT plugin is installed, and its XLA backend downloads plugins on first use:
// gometric turns that auto-install off, so selecting a backend never touches the network. To use
// XLA, install a PJRT plugin and point PJRT_PLUGIN_LIBRARY_PATH at it (or give an absolute plugin path).
package backend

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // The pure-Go backend, always available.
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
	b, err = backends.NewWithConfig(config)
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

var (
	sharedOnce sync.Once
	shared     backends.Backend
	sharedErr  error
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
