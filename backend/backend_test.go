package backend

import (
	"strings"
	"testing"
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
