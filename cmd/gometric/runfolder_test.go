package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gometric/gometric/runfolder"
)

// writeItemsAndPairs writes a small items file (4 classes) and a pairs file over it into dir.
func writeItemsAndPairs(t *testing.T, dir string) (items, pairs string, pairLines []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,label,x1,x2,x3,x4\n")
	for i := range 80 {
		c := i % 4
		fmt.Fprintf(&b, "i%d,%d,%d,%d,%g,%g\n", i, c, c, (c*3)%4, float64(i%5)/5, float64(i%3))
	}
	items = filepath.Join(dir, "items.csv")
	pairLines = []string{"a,b,label"}
	for i := range 80 {
		for _, d := range []int{1, 4, 9} {
			j := (i + d) % 80
			y := 0
			if i%4 == j%4 {
				y = 1
			}
			pairLines = append(pairLines, fmt.Sprintf("i%d,i%d,%d", i, j, y))
		}
	}
	pairs = filepath.Join(dir, "pairs.csv")
	writeFile(t, items, b.String())
	writeFile(t, pairs, strings.Join(pairLines, "\n")+"\n")
	return items, pairs, pairLines
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunOwnsData checks that a run keeps to the data it recorded: a reordered pairs file is refused
// by resume and by eval (from any folder), repeating unchanged flags on resume is accepted, and data
// given to eval is labelled as other data.
func TestRunOwnsData(t *testing.T) {
	dir := t.TempDir()
	items, pairs, lines := writeItemsAndPairs(t, dir)
	runDir := filepath.Join(dir, "run")
	flags := []string{"--items", items, "--pairs", pairs, "--loss", "contrastive", "--pair-mode", "explicit", "--eval-pairs", "100"}
	args := append(append([]string{"train", "--out", runDir}, flags...), "--steps", "20", "--batch-size", "16", "--embedding-dim", "8", "--hidden", "16", "--quiet")
	if code, _, stderr := gometric(args...); code != exitOK {
		t.Fatalf("train: code %d\n%s", code, stderr)
	}
	code, before, stderr := gometric("eval", runDir, "--json")
	if code != exitOK {
		t.Fatalf("eval: code %d\n%s", code, stderr)
	}

	// Resuming with the flags repeated unchanged is accepted.
	resume := append(append([]string{"train", "--out", runDir, "--resume", "--steps", "30", "--quiet"}, flags...), "--batch-size", "16")
	if code, _, stderr := gometric(resume...); code != exitOK {
		t.Fatalf("resume with unchanged flags: code %d\n%s", code, stderr)
	}
	if code, _, stderr := gometric("train", "--out", runDir, "--resume", "--batch-size", "32"); code != exitUsage || !strings.Contains(stderr, "--batch-size cannot change") {
		t.Fatalf("resume with another batch size: code %d\n%s", code, stderr)
	}
	_, before, _ = gometric("eval", runDir, "--json")

	// The same pairs in another order: resume and eval refuse it instead of re-splitting.
	shuffled := append([]string{}, lines...)
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(shuffled)-1, func(i, j int) { shuffled[i+1], shuffled[j+1] = shuffled[j+1], shuffled[i+1] })
	original, _ := os.ReadFile(pairs)
	writeFile(t, pairs, strings.Join(shuffled, "\n")+"\n")
	code, _, stderr = gometric("train", "--out", runDir, "--resume", "--steps", "40", "--quiet")
	if code != exitError || !strings.Contains(stderr, "pairs file has changed since the run started") {
		t.Fatalf("resume on a reordered pairs file: code %d\n%s", code, stderr)
	}
	noStack(t, stderr)
	code, _, stderr = gometric("eval", runDir)
	if code != exitError || !strings.Contains(stderr, "has changed since the run started") {
		t.Fatalf("eval on a reordered pairs file: code %d\n%s", code, stderr)
	}
	// Given explicitly, it is measured as other data, and said to include the training pairs.
	code, stdout, stderr := gometric("eval", runDir, "--pairs", pairs, "--items", items)
	if code != exitOK || !strings.Contains(stdout, "other data") {
		t.Fatalf("eval --pairs: code %d\n%s\n%s", code, stdout, stderr)
	}
	writeFile(t, pairs, string(original))
	code, stdout, _ = gometric("eval", runDir, "--pairs", pairs, "--items", items)
	if code != exitOK || !strings.Contains(stdout, "includes the training data") {
		t.Fatalf("eval on the run's own pairs file: code %d\n%s", code, stdout)
	}

	// From another working folder the run still finds its files (by absolute path and content) and
	// reports the same figures.
	wd, _ := os.Getwd()
	other := t.TempDir()
	if err := os.Chdir(other); err != nil {
		t.Fatal(err)
	}
	code, after, stderr := gometric("eval", runDir, "--json")
	os.Chdir(wd)
	if code != exitOK || after != before {
		t.Fatalf("eval from another folder: code %d\n%s\n%s\nwant\n%s", code, stderr, after, before)
	}
}

// TestOutFolder checks that --out must be a new or empty folder (or a run, with --resume).
func TestOutFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "thesis.tex"), "important")
	code, _, stderr := gometric(append([]string{"train", "--out", dir}, tiny...)...)
	if code != exitError || !strings.Contains(stderr, "not empty and not a run folder") {
		t.Fatalf("train into a folder that is not a run: code %d\n%s", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the folder was written to: %d entries", len(entries))
	}
}

// TestConcurrentTraining starts a long training in a child process and checks that a second one
// into the same folder is refused with a message naming the first, instead of colliding.
func TestConcurrentTraining(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "--", "train", "--out", runDir, "--steps", "100000", "--eval-every", "100000",
		"--batch-size", "16", "--embedding-dim", "8", "--hidden", "16", "--eval-pairs", "100")
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	// Wait until it trains (its first progress line).
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(60 * time.Second)
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("the first training ended")
			}
			if strings.Contains(line, "training on") {
				break wait
			}
		case <-deadline:
			t.Fatal("the first training did not start")
		}
	}
	go func() {
		for range lines {
		}
	}()
	code, _, errOut := gometric("train", "--out", runDir, "--resume", "--quiet")
	if code != exitError || !strings.Contains(errOut, fmt.Sprintf("is being written by another training (process %d", cmd.Process.Pid)) {
		t.Fatalf("second training: code %d\n%s", code, errOut)
	}
	code, _, errOut = gometric(append([]string{"train", "--out", runDir}, tiny...)...)
	if code != exitError || !strings.Contains(errOut, "already holds a run") {
		t.Fatalf("second new training: code %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(runDir, runfolder.LockFile)); err != nil {
		t.Fatal("the first training's lock is gone")
	}
}

// TestDuplicatePairs checks that a repeated pair is listed when kept once, and is an error naming
// both lines with --duplicates error; a contradiction is always an error.
func TestDuplicatePairs(t *testing.T) {
	dir := t.TempDir()
	items, _, lines := writeItemsAndPairs(t, dir)
	pairs := filepath.Join(dir, "dup.csv")
	// Line 5 repeats line 2 in the other order.
	a, b, _ := strings.Cut(lines[1], ",")
	b, y, _ := strings.Cut(b, ",")
	withDup := append(append([]string{}, lines[:4]...), b+","+a+","+y)
	writeFile(t, pairs, strings.Join(append(withDup, lines[4:]...), "\n")+"\n")
	args := append([]string{"train", "--items", items, "--pairs", pairs}, tiny...)
	code, _, stderr := gometric(append(args, "--out", filepath.Join(dir, "run1"))...)
	if code != exitOK || !strings.Contains(stderr, "dup.csv:5: duplicate of line 2, kept once") || !strings.HasPrefix(stderr, "left out ") {
		t.Fatalf("kept once: code %d\n%s", code, stderr)
	}
	code, _, stderr = gometric(append(args, "--out", filepath.Join(dir, "run2"), "--duplicates", "error")...)
	if code != exitError || !strings.Contains(stderr, "dup.csv:5:") {
		t.Fatalf("--duplicates error: code %d\n%s", code, stderr)
	}
	noStack(t, stderr)
	contra := filepath.Join(dir, "contra.csv")
	writeFile(t, contra, strings.Join(append(append([]string{}, lines...), b+","+a+","+map[string]string{"0": "1", "1": "0"}[y]), "\n")+"\n")
	code, _, stderr = gometric("train", "--items", items, "--pairs", contra, "--out", filepath.Join(dir, "run3"), "--quiet")
	if code != exitError || !strings.Contains(stderr, "contra.csv:2:") || !strings.Contains(stderr, "labelled") {
		t.Fatalf("contradiction: code %d\n%s", code, stderr)
	}
}
