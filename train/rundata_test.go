package train

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/mat"
	"github.com/gometric/gometric/runfolder"
)

// writePairsCSV writes an items file of n items in 4 classes and a pairs file over them (label 1
// within a class), and returns their paths and the pairs file's lines (header first).
func writePairsCSV(t *testing.T, dir string, n int) (items, pairs string, lines []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,label,x1,x2,x3\n")
	for i := range n {
		c := i % 4
		fmt.Fprintf(&b, "i%d,%d,%d,%g,%g\n", i, c, c, float64(i%7)/7, float64(i%3))
	}
	items = filepath.Join(dir, "items.csv")
	if err := os.WriteFile(items, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lines = []string{"a,b,label"}
	for i := range n {
		for _, d := range []int{1, 4} {
			j := (i + d) % n
			y := 0
			if i%4 == j%4 {
				y = 1
			}
			lines = append(lines, fmt.Sprintf("i%d,i%d,%d", i, j, y))
		}
	}
	pairs = filepath.Join(dir, "pairs.csv")
	if err := os.WriteFile(pairs, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return items, pairs, lines
}

// pairKeys lists the pairs as "idA,idB,label" strings.
func pairKeys(p *datasets.Pairs) []string {
	var out []string
	for i := range p.Y {
		out = append(out, fmt.Sprintf("%s,%s,%d", p.Items.IDs[p.A[i]], p.Items.IDs[p.B[i]], p.Y[i]))
	}
	return out
}

// TestRunDataItems checks that a run's recorded split of class-labelled items gives back exactly
// the data the run started with.
func TestRunDataItems(t *testing.T) {
	cfg := tinyConfig(10)
	run := runfolder.Folder{Dir: filepath.Join(t.TempDir(), "run")}
	first, err := StartRun(run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := RunData(run, cfg, DataPaths{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		a, b *datasets.Items
	}{{"train", first.Train, again.Train}, {"val", first.Val, again.Val}, {"test", first.Test, again.Test}, {"val track", first.ValTrack, again.ValTrack}} {
		if !reflect.DeepEqual(c.a.IDs, c.b.IDs) || !reflect.DeepEqual(c.a.Labels, c.b.Labels) {
			t.Fatalf("%s items differ after reloading", c.name)
		}
	}
	if !reflect.DeepEqual(pairKeys(first.ValPairs), pairKeys(again.ValPairs)) || !reflect.DeepEqual(pairKeys(first.TestPairs), pairKeys(again.TestPairs)) {
		t.Fatal("validation or test pairs differ after reloading")
	}
	for _, name := range []string{runfolder.ConfigFile, runfolder.DataFile, runfolder.SplitFile} {
		if _, err := os.Stat(run.Path(name)); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := run.Record()
	if err != nil || rec.Dataset != "digits" || len(rec.Content) != 64 || len(rec.Files) != 0 {
		t.Fatalf("record %+v, %v", rec, err)
	}
}

// TestRunDataPairs checks the recorded split of a pairs file: reloading gives the same pairs, a
// reordered or edited file is refused (it would move test pairs into training), a moved file is
// found by its recorded absolute path or given anew, and a missing one is named.
func TestRunDataPairs(t *testing.T) {
	dir := t.TempDir()
	items, pairs, lines := writePairsCSV(t, dir, 120)
	cfg := tinyConfig(10)
	cfg.Dataset, cfg.Items, cfg.Pairs = "", items, pairs
	run := runfolder.Folder{Dir: filepath.Join(dir, "run")}
	first, err := StartRun(run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := RunData(run, cfg, DataPaths{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]*datasets.Pairs{{first.TrainPairs, again.TrainPairs}, {first.ValPairs, again.ValPairs}, {first.TestPairs, again.TestPairs}} {
		if !reflect.DeepEqual(pairKeys(c[0]), pairKeys(c[1])) {
			t.Fatal("pairs differ after reloading")
		}
	}

	// The same pairs in another order: refused, with what differs.
	shuffled := append([]string{lines[0]}, lines[1:]...)
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(shuffled)-1, func(i, j int) { shuffled[i+1], shuffled[j+1] = shuffled[j+1], shuffled[i+1] })
	saved, _ := os.ReadFile(pairs)
	if err := os.WriteFile(pairs, []byte(strings.Join(shuffled, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RunData(run, cfg, DataPaths{}); err == nil || !strings.Contains(err.Error(), "has changed since the run started") {
		t.Fatalf("reordered pairs file: %v", err)
	}
	if _, err := RunData(run, cfg, DataPaths{Pairs: pairs}); err == nil || !strings.Contains(err.Error(), "is not the run's pairs file") {
		t.Fatalf("reordered pairs file given again: %v", err)
	}

	// Moved away: found by the content when given, refused when missing.
	moved := filepath.Join(dir, "elsewhere.csv")
	if err := os.WriteFile(moved, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(pairs); err != nil {
		t.Fatal(err)
	}
	if _, err := RunData(run, cfg, DataPaths{}); err == nil || !strings.Contains(err.Error(), "is not there") {
		t.Fatalf("missing pairs file: %v", err)
	}
	if d, err := RunData(run, cfg, DataPaths{Pairs: moved}); err != nil || !reflect.DeepEqual(pairKeys(d.TestPairs), pairKeys(first.TestPairs)) {
		t.Fatalf("moved pairs file: %v", err)
	}

	// From another working folder, the relative path recorded does not resolve; the absolute one does.
	if err := os.WriteFile(pairs, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	rel := runfolder.Folder{Dir: filepath.Join(dir, "rel")}
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	relCfg := cfg
	relCfg.Items, relCfg.Pairs = "items.csv", "pairs.csv"
	_, err = StartRun(rel, relCfg)
	os.Chdir(wd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunData(rel, relCfg, DataPaths{}); err != nil {
		t.Fatalf("from another folder: %v", err)
	}
}

// TestPreparePairsByUnorderedPair checks that copies of one pair, in either order, never straddle
// the split.
func TestPreparePairsByUnorderedPair(t *testing.T) {
	items, err := datasets.Load("digits")
	if err != nil {
		t.Fatal(err)
	}
	p, err := datasets.SamplePairs(items, 300, 0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Every pair twice more: once as it is, once reversed.
	n := p.Len()
	dup := &datasets.Pairs{Items: p.Items}
	for i := range n {
		dup.A = append(dup.A, p.A[i], p.A[i], p.B[i])
		dup.B = append(dup.B, p.B[i], p.B[i], p.A[i])
		dup.Y = append(dup.Y, p.Y[i], p.Y[i], p.Y[i])
	}
	d, err := PreparePairs(tinyConfig(1), dup)
	if err != nil {
		t.Fatal(err)
	}
	where := map[[2]int]string{}
	for _, part := range []struct {
		name string
		p    *datasets.Pairs
	}{{"train", d.TrainPairs}, {"val", d.ValPairs}, {"test", d.TestPairs}} {
		for i := range part.p.Y {
			k := [2]int{min(part.p.A[i], part.p.B[i]), max(part.p.A[i], part.p.B[i])}
			if w, ok := where[k]; ok && w != part.name {
				t.Fatalf("pair %v is in %s and %s", k, w, part.name)
			}
			where[k] = part.name
		}
	}
}

func TestScaleWarning(t *testing.T) {
	x := mat.New(50, 4)
	for i := range x.Rows {
		for j := range x.Cols {
			x.Data[i*x.Cols+j] = float32((i*7+j*3)%11) / 11
		}
	}
	if w := scaleWarning(x); w != "" {
		t.Fatalf("comparable features: %q", w)
	}
	x.Data[3*x.Cols+2] = 1e38
	if w := scaleWarning(x); !strings.Contains(w, "feature 3 varies") || !strings.Contains(w, "--normalize standard") {
		t.Fatalf("one huge value: %q", w)
	}
}

// TestFitWarnings checks the warnings Fit writes to its log: a feature that dwarfs the others under
// global normalisation, and a trained model no better on validation than the untrained encoder.
func TestFitWarnings(t *testing.T) {
	cfg := tinyConfig(4)
	cfg.EvalEvery = 2
	data := loadTiny(t, cfg)
	train := *data.Train
	train.Features = data.Train.Features.Select(seq(data.Train.Len()))
	train.Features.Data[5*train.Dim()+10] = 1e38
	data.Train = &train
	cfg.LR = 1e-30 // nothing learnt: no better than untrained
	var log strings.Builder
	if _, err := Fit(cfg, data, Options{Log: &log}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"warning: feature 11 varies", "is no better than the untrained encoder's"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

// oldModelPrefix and tmpPrefix start the names of a previous model moved aside by an interrupted
// publication and of a temporary folder (package runfolder).
const oldModelPrefix, tmpPrefix = ".old-model-", ".tmp-"

// TestPublishFallback checks that a publication interrupted between its two renames (platforms
// without an atomic folder exchange) leaves the previous model moved aside, which LoadRunModel
// uses and the next publication puts back or removes.
func TestPublishFallback(t *testing.T) {
	cfg := tinyConfig(10)
	dir := filepath.Join(t.TempDir(), "run")
	run := runfolder.Folder{Dir: dir}
	data, err := StartRun(run, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Fit(cfg, data, Options{RunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	info, err := run.Info()
	if err != nil {
		t.Fatal(err)
	}
	// Simulate the crash window: the model moved aside, the new one not yet in place.
	aside := run.Path(oldModelPrefix + "000000010-x")
	if err := os.Rename(run.Path(runfolder.ModelDir), aside); err != nil {
		t.Fatal(err)
	}
	m, err := LoadRunModel(run, res.Model.Backend())
	if err != nil || m.Threshold != res.Model.Threshold {
		t.Fatalf("reading the model moved aside: %v", err)
	}
	// The publication without an atomic exchange itself is tested in package runfolder
	// (TestPublishFallback): here the next publication puts the model back and replaces it.
	best, _, _ := run.Best().Latest()
	info.Step = 10
	if err := run.Publish(best, info, nil); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), oldModelPrefix) || strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if _, err := run.Info(); err != nil {
		t.Fatal(err)
	}
}

// seq returns 0, 1, ..., n-1.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// TestEvalPairsDistinct checks that the validation and test pairs drawn from items are distinct
// unordered pairs, half positive, even when the items allow few.
func TestEvalPairsDistinct(t *testing.T) {
	items, err := datasets.Load("digits")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{200, 2000} {
		small := items.Subset(seq(300))
		p, err := distinctPairs(small, n, 9)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[[2]int]bool{}
		for i := range p.Y {
			k := [2]int{min(p.A[i], p.B[i]), max(p.A[i], p.B[i])}
			if seen[k] || p.A[i] == p.B[i] {
				t.Fatalf("n %d: pair %v drawn twice or a self pair", n, k)
			}
			seen[k] = true
		}
		if p.Len() != n || p.NumPositives() != n/2 {
			t.Fatalf("n %d: %d pairs, %d positive", n, p.Len(), p.NumPositives())
		}
	}
	// Four items of two classes have two positive and four negative pairs in all.
	tiny := items.Subset([]int{0, 10, 1, 11})
	p, err := distinctPairs(tiny, 20, 1)
	if err != nil || p.Len() != 6 || p.NumPositives() != 2 {
		t.Fatalf("four items: %d pairs (%d positive), %v", p.Len(), p.NumPositives(), err)
	}
}
