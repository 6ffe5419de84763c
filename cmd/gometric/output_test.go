package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gometric/gometric/runfolder"
)

// writeTestFile writes content to dir/name and returns the path.
func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileDigests returns a digest of every file under dir, by path, to tell what a command changed,
// created or left behind.
func fileDigests(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	files := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[path] = sha256.Sum256(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// changedFiles returns the paths that differ between two snapshots (changed, created or removed).
func changedFiles(before, after map[string][32]byte) []string {
	var diff []string
	for p, h := range after {
		if b, ok := before[p]; !ok || b != h {
			diff = append(diff, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			diff = append(diff, p)
		}
	}
	slices.Sort(diff)
	return diff
}

// digitsItems returns an items CSV of n items with the 64 features of the digits data, ids q0, q1, ....
func digitsItems(n int) string {
	var b strings.Builder
	b.WriteString("id,label")
	for j := range 64 {
		fmt.Fprintf(&b, ",x%d", j)
	}
	b.WriteString("\n")
	for i := range n {
		fmt.Fprintf(&b, "q%d,%d", i, i%2)
		for j := range 64 {
			fmt.Fprintf(&b, ",%d", (i*7+j)%17)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestOutputGuards checks that embed and match never destroy input: --out may not be an input file
// (by any path), a folder, or a file of the run folder, and replaces an existing file only with
// --force. A refused or failed command changes no file and leaves no temporary file behind; a
// successful one changes exactly its output.
func TestOutputGuards(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	if code, _, stderr := gometric(append([]string{"train", "--out", runDir}, tiny...)...); code != exitOK {
		t.Fatalf("train: code %d\n%s", code, stderr)
	}
	items := writeTestFile(t, dir, "items.csv", digitsItems(4))
	pairs := writeTestFile(t, dir, "pairs.csv", "a,b,label\nq0,q2,1\nq0,q1,0\nq1,q3,1\nq2,q3,0\n")
	narrow := writeTestFile(t, dir, "narrow.csv", "id,x\na,1\n")
	old := writeTestFile(t, dir, "old.csv", "keep me\n")
	old2 := writeTestFile(t, dir, "old2.csv", "keep me too\n")
	folder := filepath.Join(dir, "folder")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	emptyRun := filepath.Join(dir, "empty-run")
	if err := os.Mkdir(emptyRun, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(items, link); err != nil {
		t.Fatal(err)
	}
	runFile := filepath.Join(runDir, runfolder.ConfigFile)
	// A file in one of the run's subfolders (checkpoints, ...), whatever the layout.
	var nested string
	_ = filepath.WalkDir(runDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && nested == "" && filepath.Dir(path) != runDir {
			nested = path
		}
		return err
	})
	if nested == "" {
		t.Fatalf("no file in a subfolder of %s", runDir)
	}
	embed := func(input string, more ...string) []string { return append([]string{"embed", runDir, input}, more...) }
	match := func(more ...string) []string {
		return append([]string{"match", runDir, "--pairs", pairs, "--items", items}, more...)
	}

	tests := []struct {
		name   string
		args   []string
		code   int
		want   string // in stderr
		out    string // the output file: unchanged on failure, the only change on success
		header string // the output's first line on success
	}{
		{"embed over its input", embed(items, "--out", items), exitUsage, "is the input file", "", ""},
		{"embed over its input by another path", embed(items, "--out", filepath.Join(folder, "..", "items.csv"), "--force"), exitUsage, "is the input file", "", ""},
		{"embed over its input through a link", embed(items, "--out", link, "--force"), exitUsage, "is the input file", "", ""},
		{"match over its pairs", match("--out", pairs, "--force"), exitUsage, "is the input file", "", ""},
		{"match over its items", match("--out", items, "--force"), exitUsage, "is the input file", "", ""},
		{"embed over a file of the run", embed(items, "--out", runFile, "--force"), exitUsage, "is a file of the run folder", "", ""},
		{"match into a subfolder of the run", match("--out", nested, "--force"), exitUsage, "is a file of the run folder", "", ""},
		// model.json written into a folder would make it pass for a run.
		{"embed to a run's file name not there yet", []string{"embed", emptyRun, items, "--out", filepath.Join(emptyRun, runfolder.ModelFile)}, exitUsage, "is a file of the run folder", "", ""},
		{"match to the run's lock", match("--out", filepath.Join(runDir, runfolder.LockFile)), exitUsage, "is a file of the run folder", "", ""},
		{"match to a hidden name in the run folder", match("--out", filepath.Join(runDir, ".old-model-1"), "--force"), exitUsage, "is a file of the run folder", "", ""},
		{"match over a folder", match("--out", folder, "--force"), exitUsage, "is a folder", "", ""},
		{"embed over an existing file", embed(items, "--out", old), exitError, "old.csv exists: give --force", "", ""},
		{"match over an existing file", match("--out", old), exitError, "old.csv exists: give --force", "", ""},
		{"embed that fails keeps the old file", embed(narrow, "--out", old, "--force"), exitError, "the model takes 64", "", ""},
		{"embed --force replaces", embed(items, "--out", old, "--force"), exitOK, "", old, "id,label,e0,"},
		{"match --force replaces", match("--out", old2, "--force"), exitOK, "", old2, "a,b,score,match,label"},
		{"embed --force to a new file of the run folder", embed("digits", "--out", filepath.Join(runDir, "emb.jsonl"), "--force"), exitOK, "",
			filepath.Join(runDir, "emb.jsonl"), `{"id":"digits-0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fileDigests(t, dir)
			code, stdout, stderr := gometric(tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Fatalf("code %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tt.code, tt.want)
			}
			noStack(t, stderr)
			diff := changedFiles(before, fileDigests(t, dir))
			if tt.code != exitOK {
				if len(diff) > 0 {
					t.Fatalf("a refused or failed command changed or left files: %v", diff)
				}
				if strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
					t.Errorf("more than an error line and the usage hint:\n%s", stderr)
				}
				return
			}
			if !slices.Equal(diff, []string{tt.out}) {
				t.Fatalf("changed %v, want only %s\nstdout:\n%s", diff, tt.out, stdout)
			}
			data, err := os.ReadFile(tt.out)
			if err != nil || !strings.HasPrefix(string(data), tt.header) {
				t.Fatalf("output %v:\n%.200s", err, data)
			}
		})
	}
}

// TestForceFlagHelp checks that the commands that write --out document --force.
func TestForceFlagHelp(t *testing.T) {
	for _, cmd := range []string{"embed", "match"} {
		t.Run(cmd, func(t *testing.T) {
			code, stdout, _ := gometric(cmd, "--help")
			if code != exitOK || !strings.Contains(stdout, "[--out FILE [--force]]") || !strings.Contains(stdout, "-force") {
				t.Fatalf("code %d\n%s", code, stdout)
			}
		})
	}
}

// TestWriteOutputError checks writeOutput's promise that a failing write leaves the existing file
// as it was and no temporary file behind (the rename happens only once the content is complete).
func TestWriteOutputError(t *testing.T) {
	tests := []struct {
		name  string
		write func(w io.Writer) error
	}{
		{"fails at once", func(io.Writer) error { return errors.New("boom") }},
		{"fails midway", func(w io.Writer) error {
			if _, err := io.WriteString(w, strings.Repeat("partial\n", 100_000)); err != nil {
				return err
			}
			return errors.New("boom")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := writeTestFile(t, dir, "out.csv", "keep me\n")
			before := fileDigests(t, dir)
			if err := writeOutput(out, io.Discard, tt.write); err == nil || err.Error() != "boom" {
				t.Fatalf("writeOutput error %v, want boom", err)
			}
			if diff := changedFiles(before, fileDigests(t, dir)); len(diff) > 0 {
				t.Fatalf("a failed write changed or left files: %v", diff)
			}
		})
	}
}
