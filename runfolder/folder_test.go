package runfolder

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
)

// testSpec is the encoder of train's tiny test configuration: an MLP from 64 digit features.
func testSpec() encoders.Spec {
	return encoders.Spec{Kind: encoders.KindMLP, InputDim: 64, EmbeddingDim: 8, Hidden: []int{16}}.WithDefaults()
}

// mustGlobal returns the global input normalisation of the digits.
func mustGlobal(t *testing.T) encoders.Normalizer {
	t.Helper()
	items, err := datasets.Load("digits")
	if err != nil {
		t.Fatal(err)
	}
	return encoders.FitGlobal(items.Features)
}

func TestRangesJSON(t *testing.T) {
	tests := []struct {
		in   Ranges
		want string
	}{
		{nil, `""`},
		{Ranges{3}, `"3"`},
		{Ranges{0, 1, 2, 3, 7, 9, 10}, `"0-3,7,9-10"`},
		{Ranges{1, 3, 5}, `"1,3,5"`},
	}
	for _, tt := range tests {
		data, err := json.Marshal(tt.in)
		if err != nil || string(data) != tt.want {
			t.Fatalf("%v: %s, %v; want %s", tt.in, data, err, tt.want)
		}
		var back Ranges
		if err := json.Unmarshal(data, &back); err != nil || len(back) != len(tt.in) || (len(back) > 0 && !reflect.DeepEqual(back, tt.in)) {
			t.Fatalf("%s: read back %v, %v", data, back, err)
		}
	}
	// A random half of 60,000: the bitmap is far shorter than the ranges.
	var half Ranges
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 60000 {
		if rng.IntN(2) == 0 {
			half = append(half, i)
		}
	}
	data, err := json.Marshal(half)
	if err != nil || !strings.HasPrefix(string(data), `"bitmap:`) || len(data) > 10100 {
		t.Fatalf("random half: %d bytes, %.20s, %v", len(data), data, err)
	}
	var back Ranges
	if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, half) {
		t.Fatalf("random half read back: %d values, %v", len(back), err)
	}
	for _, bad := range []string{`"3-1"`, `"1,1"`, `"2,1"`, `"a"`, `"-1"`, `"1-"`, `5`, `"bitmap:!!"`} {
		var r Ranges
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s: want an error, got %v", bad, r)
		}
	}
}

func TestCheckNew(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, files ...string) Folder {
		r := Folder{Dir: filepath.Join(dir, name)}
		if err := os.MkdirAll(r.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(r.Path(f), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	tests := []struct {
		name string
		run  Folder
		want string
	}{
		{"missing", Folder{Dir: filepath.Join(dir, "nope")}, ""},
		{"empty", mk("empty"), ""},
		{"interrupted start", mk("start", DataFile, SplitFile, LockFile), ""},
		{"a run", mk("run", ConfigFile, DataFile), "already holds a run"},
		{"someone's folder", mk("home", "thesis.tex", "notes.txt"), "not empty and not a run folder (it holds notes.txt, thesis.tex)"},
	}
	for _, tt := range tests {
		err := tt.run.CheckNew()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// lockEnv makes the test binary, run as a child by TestLock, hold a run folder's lock until killed.
const lockEnv = "GOMETRIC_TEST_LOCK_DIR"

func TestLock(t *testing.T) {
	if dir := os.Getenv(lockEnv); dir != "" {
		if _, _, err := (Folder{Dir: dir}).Lock(); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := filepath.Join(t.TempDir(), "run")
	run := Folder{Dir: dir}

	// A lock file left by a dead process is taken over, with a note naming it.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(run.Path(LockFile), []byte("pid 999999\nhost gone\nstarted 2026-01-01T00:00:00Z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, note, err := run.Lock()
	if err != nil || !strings.Contains(note, "took over the lock of process 999999 on gone") {
		t.Fatalf("stale lock: note %q, %v", note, err)
	}
	content, _ := os.ReadFile(run.Path(LockFile))
	if !strings.Contains(string(content), fmt.Sprintf("pid %d\n", os.Getpid())) {
		t.Fatalf("lock file %q does not name this process", content)
	}
	// Locking again in the same process is a no-op.
	unlock2, _, err := run.Lock()
	if err != nil {
		t.Fatal(err)
	}
	unlock2()
	unlock()
	if _, err := os.Stat(run.Path(LockFile)); !os.IsNotExist(err) {
		t.Fatalf("lock file left after unlock: %v", err)
	}

	// A live process holding the lock: refused, naming it.
	cmd := exec.Command(os.Args[0], "-test.run=^TestLock$")
	cmd.Env = append(os.Environ(), lockEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 64)
	if n, _ := out.Read(buf); !strings.Contains(string(buf[:n]), "locked") {
		t.Fatalf("child: %q", buf[:n])
	}
	_, _, err = run.Lock()
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("being written by another training (process %d", cmd.Process.Pid)) {
		t.Fatalf("lock held by a live process: %v", err)
	}
	// Killed, it loses the lock: taken over with a note.
	cmd.Process.Kill()
	cmd.Wait()
	unlock, note, err = run.Lock()
	if err != nil || !strings.Contains(note, fmt.Sprintf("process %d", cmd.Process.Pid)) {
		t.Fatalf("after the holder died: note %q, %v", note, err)
	}
	unlock()
}

func TestModelInfoValidate(t *testing.T) {
	good := func() map[string]any {
		th := 0.5
		info := ModelInfo{Format: ModelFormat, Encoder: testSpec(), Normalizer: mustGlobal(t), Embeddings: EmbeddingsCosine, Threshold: &th, Step: 3}
		data, _ := json.Marshal(info)
		var m map[string]any
		json.Unmarshal(data, &m)
		return m
	}
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"good", func(map[string]any) {}, ""},
		{"unknown embeddings", func(m map[string]any) { m["embeddings"] = "euclidean" }, `unknown embeddings "euclidean"`},
		{"unknown field", func(m map[string]any) { m["weights"] = "elsewhere" }, `unknown field "weights"`},
		{"old format", func(m map[string]any) { m["format"] = 1 }, "model format 1"},
		{"threshold", func(m map[string]any) { m["threshold"] = 7 }, "threshold 7"},
		{"negative step", func(m map[string]any) { m["step"] = -1 }, "negative step"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		m := good()
		tt.edit(m)
		data, _ := json.Marshal(m)
		path := filepath.Join(dir, "model.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadModelInfo(path)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestCheckpoints checks saving, pruning, loading and that an interrupted save leaves the previous
// checkpoint as the latest.
func TestCheckpoints(t *testing.T) {
	dir := t.TempDir()
	store := &Checkpoints{Dir: dir, Keep: 2}
	ctx := context.New()
	v := ctx.In("w").VariableWithValue("x", []float32{1, 2, 3})
	for step := 1; step <= 3; step++ {
		v.MustSetValue(tensors.FromValue([]float32{float32(step), 0, 0}))
		if _, err := store.Save(ctx, step*10); err != nil {
			t.Fatal(err)
		}
	}
	steps, _ := store.Steps()
	if len(steps) != 2 || steps[0] != 20 || steps[1] != 30 {
		t.Fatalf("kept checkpoints %v, want [20 30]", steps)
	}

	// A save that fails after writing its files, before the rename: as if killed there.
	failSave = func(tmp string) error {
		entries, _ := os.ReadDir(tmp)
		if len(entries) == 0 {
			t.Error("failSave: the temporary folder is empty")
		}
		return errors.New("simulated crash")
	}
	v.MustSetValue(tensors.FromValue([]float32{99, 0, 0}))
	_, err := store.Save(ctx, 40)
	failSave = nil
	if err == nil || !strings.Contains(err.Error(), "simulated crash") {
		t.Fatalf("Save = %v, want the simulated crash", err)
	}
	// A crash leaves a partial temporary folder behind.
	stray := filepath.Join(dir, tmpPrefix+"stray")
	if err := os.MkdirAll(stray, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stray, "checkpoint-n0000000-x.json"), []byte(`{"Var`), 0o644); err != nil {
		t.Fatal(err)
	}
	latest, step, err := store.Latest()
	if err != nil || step != 30 {
		t.Fatalf("Latest = %q, %d, %v; want step 30", latest, step, err)
	}
	ctx2 := context.New()
	if err := LoadCheckpoint(ctx2, latest); err != nil {
		t.Fatal(err)
	}
	got := ctx2.In("w").GetVariableByScopeAndName("/w", "x")
	if got == nil || tensors.MustCopyFlatData[float32](got.MustValue())[0] != 3 {
		t.Fatalf("loaded variable %v, want x[0] = 3", got)
	}
	// The next save removes the stray folder.
	if _, err := store.Save(ctx, 50); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Fatalf("stray temporary folder still there: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.json")
	for _, content := range []string{"one", "two"} {
		if err := WriteFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Fatalf("content %q, want %q", got, content)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("%d files left, want 1", len(entries))
	}
}

// TestPublishFallback checks the publication on platforms without an atomic folder exchange: a
// publication interrupted between its two renames leaves the previous model moved aside, which
// readers use and the next publication puts back or removes. It also checks that the model folder
// has the run folder's usual permissions.
func TestPublishFallback(t *testing.T) {
	run := Folder{Dir: filepath.Join(t.TempDir(), "run")}
	weights := t.TempDir()
	if err := os.MkdirAll(run.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(weights, "weights.bin"), []byte("w"), 0o644); err != nil {
		t.Fatal(err)
	}
	th := 0.5
	info := ModelInfo{Encoder: testSpec(), Normalizer: mustGlobal(t), Threshold: &th, Step: 5}
	if err := run.Publish(weights, info, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(run.Path(ModelDir)); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("model folder: %v, %v", fi.Mode(), err)
	}
	// Simulate the crash window: the model moved aside, the new one not yet in place.
	aside := run.Path(oldModelPrefix + "000000005-x")
	if err := os.Rename(run.Path(ModelDir), aside); err != nil {
		t.Fatal(err)
	}
	if got, err := run.Info(); err != nil || got.Step != 5 || *got.Threshold != th {
		t.Fatalf("reading the model moved aside: %+v, %v", got, err)
	}
	if dir, err := run.PublishedDir(); err != nil || dir != aside {
		t.Fatalf("published folder %q, %v; want the one moved aside", dir, err)
	}
	saved := exchangeFolders
	exchangeFolders = func(a, b string) error { return errNoExchange }
	defer func() { exchangeFolders = saved }()
	info.Step = 10
	if err := run.Publish(weights, info, nil); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(run.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), oldModelPrefix) || strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if got, err := run.Info(); err != nil || got.Step != 10 {
		t.Fatalf("after publishing again: %+v, %v", got, err)
	}
	if path, err := run.ModelPath("weights.bin"); err != nil {
		t.Fatal(err)
	} else if _, err := os.Stat(path); err != nil {
		t.Fatalf("the weights were not published: %v", err)
	}
}
