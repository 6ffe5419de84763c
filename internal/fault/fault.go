// Package fault injects crashes at named points of a program, for tests that kill a process in the
// middle of writing its files and then check what it left behind.
//
// A point is armed by the environment variable GOMETRIC_FAULT, read once: "NAME" makes the process
// exit at the first time it reaches point NAME, "NAME#K" at the K-th time. The exit is immediate
// (os.Exit, no deferred function runs, no file is closed or flushed), as a kill would be. Unset, a
// point costs one string comparison.
package fault

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Env is the environment variable that arms a point.
const Env = "GOMETRIC_FAULT"

// ExitCode is the exit status of a process stopped at a point.
const ExitCode = 97

var (
	once  sync.Once
	armed string
	nth   = 1
	mu    sync.Mutex
	seen  int
)

func load() {
	spec := os.Getenv(Env)
	if name, k, ok := strings.Cut(spec, "#"); ok {
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "%s=%q: the count after # must be a positive integer\n", Env, spec)
			os.Exit(2)
		}
		spec, nth = name, n
	}
	armed = spec
}

// Point marks the named point: when GOMETRIC_FAULT arms it, the process exits here with ExitCode.
func Point(name string) {
	once.Do(load)
	if armed == "" || armed != name {
		return
	}
	mu.Lock()
	seen++
	hit := seen == nth
	mu.Unlock()
	if hit {
		fmt.Fprintf(os.Stderr, "fault: stopped at %s\n", name)
		os.Exit(ExitCode)
	}
}
