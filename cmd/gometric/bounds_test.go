package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gometric/gometric/runfolder"
)

// gometricLimited runs the program (main) in a child process, as TestProgramExit does, and returns
// its exit code, stdout and stderr. On Linux the child runs under a 4 GiB address-space limit, so
// that a size bound that regressed fails the test with an allocation error instead of taking the
// machine's memory (or killing the test binary), and every child has a time limit, so that a step
// count that regressed fails instead of training for ever.
func gometricLimited(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if sh, err := exec.LookPath("sh"); err == nil && runtime.GOOS == "linux" {
		cmd = exec.CommandContext(ctx, sh, append([]string{"-c", `ulimit -v 4194304 2>/dev/null; exec "$0" "$@"`, os.Args[0], "--"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, os.Args[0], append([]string{"--"}, args...)...)
	}
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("gometric %s: still running after 2 minutes\n%s", strings.Join(args, " "), errOut.String())
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// findFile returns the path of the first file called name under dir, "" when there is none.
func findFile(dir, name string) string {
	var found string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name && found == "" {
			found = path
		}
		return nil
	})
	return found
}

// TestTrainBounds checks that absurd sizes are one clear error line and a non-zero exit status,
// never "fatal error: out of memory", a stack trace, or an untrained model saved as a success.
func TestTrainBounds(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"embedding dim", []string{"--embedding-dim", "1000000000"}, exitUsage, []string{"embedding dimension 1000000000", "needs roughly", "is available"}},
		{"hidden", []string{"--hidden", "2000000000"}, exitUsage, []string{"hidden widths 2000000000", "needs roughly", "is available"}},
		{"channels", []string{"--encoder", "cnn", "--channels", "32,1000000000"}, exitUsage, []string{"channels 32,1000000000", "needs roughly"}},
		{"batch size", []string{"--batch-size", "1000000000"}, exitUsage, []string{"batches of 1000000000 pairs", "needs more than 16 EiB"}},
		{"eval pairs", []string{"--eval-pairs", "9223372036854775807"}, exitUsage, []string{"9223372036854775807 validation and 9223372036854775807 test pairs"}},
		{"steps", []string{"--steps", "1000000001"}, exitUsage, []string{"1000000001 steps are more than the 100000000"}},
		// Before the bound, epochs x steps per epoch wrapped around: 0 steps, an untrained model, exit 0.
		{"epochs overflow", []string{"--epochs", "9223372036854775807"}, exitUsage, []string{"9223372036854775807 epochs are more than"}},
		// Under the bound alone, but not times the steps of an epoch: refused once the data is read.
		{"epochs times steps", []string{"--epochs", "100000000"}, exitError, []string{"100000000 epochs of", "steps, more than the 100000000"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprint("run", i))
			code, stdout, stderr := gometricLimited(t, append([]string{"train", "--quiet", "--out", out}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			noStack(t, stderr)
			var line string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "gometric train: ") {
					line = l
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("error line %q lacks %q\nstderr:\n%s", line, w, stderr)
				}
			}
			if tt.code == exitUsage {
				if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a refused command wrote its run folder: %v", err)
				}
			}
			if m := findFile(out, runfolder.ModelFile); m != "" {
				t.Errorf("a refused run has a model: %s", m)
			}
		})
	}
}

// TestTrainSparseClassLabels trains a class loss (ArcFace) on integer labels up to 100,000,000:
// its class table has a row per class present (4), where it had one per integer up to the largest
// label (51 GB).
func TestTrainSparseClassLabels(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,label,x1,x2,x3,x4\n")
	labels := []int{0, 7, 1000, 100_000_000}
	for i := range 40 {
		c := i % len(labels)
		fmt.Fprintf(&b, "i%d,%d,%d,%d,%g,%g\n", i, labels[c], c, 3-c, float64(i%5)/5, float64(c*c)/9)
	}
	items := writeTestFile(t, dir, "items.csv", b.String())
	code, stdout, stderr := gometricLimited(t, "train", "--items", items, "--loss", "arcface", "--steps", "4", "--batch-size", "8",
		"--eval-pairs", "50", "--quiet", "--out", filepath.Join(dir, "run"))
	if code != exitOK || !strings.Contains(stdout, "trained encoder") {
		t.Fatalf("code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	noStack(t, stderr)
}
