// Command lossbench times every registered loss, forward and backward, at several batch sizes, with
// the peak memory of each case, and prints the growth it observes, so that a loss that turns
// super-quadratic (or a regression) shows:
//
//	go run ./losses/internal/lossbench                      # every loss at N = 256, 1024, 4096
//	GOEXPERIMENT=simd go run ./losses/internal/lossbench -losses tripletmargin,npairs -sizes 256,1024
//
// Every case runs the loss's ComputeWithContext and its gradients in a graph whose inputs are the
// embeddings and labels: by default (-engine auto) on backend.Shared, where a loss that the host loss
// engine covers (losses.Host) runs it in a host call, as any user's graph of a loss on given
// embeddings does; -engine graph runs every loss's graph formulation (backend.GraphOnly).
//
// The setting is ../shared/bench's and BenchmarkLosses': float32, D = 128, labels i/2 (two views
// per class), standard normal embeddings (seeded by N), PML's default options (NT-Xent at
// temperature 0.07), pure-Go backend unless GOMLX_BACKEND says otherwise, dotgrad installed. Class and
// proxy losses (N/2 classes) also compute their parameters' gradients. Each case runs in a process of
// its own (so that its peak resident memory is its own): compile, one untimed warm-up step, then
// timed steps (at most -iters, at most -budget-s seconds; the median is reported). A case whose
// warm-up takes longer than -max-step-s is stopped and the larger sizes of that loss are skipped.
//
// The last columns are the exponents k of time ~ N^k and of memory above the process's baseline ~
// N^k between the two largest sizes that ran: about 2 for an O(N^2) loss, 3 for O(N^3).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/dotgrad"
	"github.com/gometric/gometric/losses"
)

// caseResult is one case's outcome, printed by the child process as one JSON line.
type caseResult struct {
	Loss     string  `json:"loss"`
	N        int     `json:"n"`
	Status   string  `json:"status"` // ok, too_slow, error
	Error    string  `json:"error,omitempty"`
	MedianMs float64 `json:"median_ms,omitempty"`
	BaseMB   float64 `json:"base_mb,omitempty"` // resident memory before the case's graph was built
	PeakMB   float64 `json:"peak_mb,omitempty"` // peak resident memory of the process
}

func main() {
	lossList := flag.String("losses", "all", "comma-separated loss names, or all (losses.Names)")
	sizesFlag := flag.String("sizes", "256,1024,4096", "comma-separated batch sizes N")
	d := flag.Int("d", 128, "embedding width D")
	iters := flag.Int("iters", 5, "timed steps per case, at most")
	budget := flag.Float64("budget-s", 10, "stop timing a case once its timed steps add up to this many seconds")
	maxStep := flag.Float64("max-step-s", 20, "a case whose warm-up step takes longer is stopped (too_slow) and larger sizes are skipped")
	one := flag.String("case", "", "internal: run one case NAME:N and print its JSON line")
	flag.StringVar(&engine, "engine", "auto", "auto: the host loss engine where it covers the loss (what training uses), else the graph; graph: always the graph")
	flag.Parse()
	if engine != "auto" && engine != "graph" {
		fmt.Fprintf(os.Stderr, "lossbench: -engine must be auto or graph, got %q\n", engine)
		os.Exit(2)
	}
	if *one != "" {
		name, nStr, _ := strings.Cut(*one, ":")
		n, _ := strconv.Atoi(nStr)
		res := runCase(name, n, *d, *iters, *budget)
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
		return
	}
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 4 {
			fmt.Fprintf(os.Stderr, "lossbench: bad size %q\n", s)
			os.Exit(2)
		}
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	names := losses.Names()
	if *lossList != "all" {
		names = strings.Split(*lossList, ",")
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "lossbench:", err)
		os.Exit(1)
	}
	fmt.Printf("lossbench: D = %d, float32, backend %s, engine %s, %s, GOEXPERIMENT=%q\n\n", *d, backend.Config(), engine, time.Now().Format(time.RFC3339), os.Getenv("GOEXPERIMENT"))
	header := "| loss | engine |"
	sep := "|---|---|"
	for _, n := range sizes {
		header += fmt.Sprintf(" N=%d ms | peak MB |", n)
		sep += "---:|---:|"
	}
	fmt.Println(header + " time ~ N^k | memory ~ N^k |")
	fmt.Println(sep + "---:|---:|")
	for _, name := range names {
		row := "| " + name + " | " + engineOf(name) + " |"
		var done []caseResult
		stopped := false
		for _, n := range sizes {
			if stopped {
				row += " skipped | |"
				continue
			}
			res := child(self, name, n, *d, *iters, *budget, *maxStep)
			switch res.Status {
			case "ok":
				row += fmt.Sprintf(" %s | %.0f |", fmtMs(res.MedianMs), res.PeakMB)
				done = append(done, res)
			case "too_slow":
				row += fmt.Sprintf(" > %.0f s | |", *maxStep)
				stopped = true
			default:
				row += " error | |"
				fmt.Fprintf(os.Stderr, "lossbench: %s N=%d: %s\n", name, n, res.Error)
				stopped = true
			}
		}
		tk, mk := "", ""
		if k := len(done); k >= 2 {
			a, b := done[k-2], done[k-1]
			r := math.Log(float64(b.N) / float64(a.N))
			tk = fmt.Sprintf("%.1f", math.Log(b.MedianMs/a.MedianMs)/r)
			if ma, mb := a.PeakMB-a.BaseMB, b.PeakMB-b.BaseMB; ma > 1 && mb > 1 {
				mk = fmt.Sprintf("%.1f", math.Log(mb/ma)/r)
			}
		}
		fmt.Printf("%s %s | %s |\n", row, tk, mk)
	}
}

// child runs one case in a process of its own, stopping it after maxStep seconds of warm-up plus
// the timing budget.
func child(self, name string, n, d, iters int, budget, maxStep float64) caseResult {
	limit := time.Duration((maxStep + budget + 60) * float64(time.Second))
	cmd := exec.Command(self, "-case", fmt.Sprintf("%s:%d", name, n), "-d", strconv.Itoa(d), "-engine", engine,
		"-iters", strconv.Itoa(iters), "-budget-s", fmt.Sprint(budget), "-max-step-s", fmt.Sprint(maxStep))
	var out bytes.Buffer
	var errOut syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		return caseResult{Loss: name, N: n, Status: "error", Error: err.Error()}
	}
	// The child reports its warm-up time on stderr ("warm <ms>"); a warm-up past maxStep is too slow.
	timer := time.AfterFunc(time.Duration(maxStep*float64(time.Second)), func() {
		if !strings.Contains(errOut.String(), "warm ") {
			_ = cmd.Process.Kill()
		}
	})
	hard := time.AfterFunc(limit, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	hard.Stop()
	var res caseResult
	if jerr := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &res); jerr == nil && res.Status != "" {
		return res
	}
	if !strings.Contains(errOut.String(), "warm ") {
		return caseResult{Loss: name, N: n, Status: "too_slow"}
	}
	msg := strings.TrimSpace(errOut.String())
	if err != nil {
		msg = err.Error() + ": " + msg
	}
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return caseResult{Loss: name, N: n, Status: "error", Error: msg}
}

// syncBuffer is a bytes.Buffer safe for one writer (the child's stderr) and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCase builds, warms up and times one loss at batch size n.
func runCase(name string, n, d, iters int, budget float64) (res caseResult) {
	res = caseResult{Loss: name, N: n}
	defer func() {
		if r := recover(); r != nil {
			res.Status, res.Error = "error", fmt.Sprint(r)
		}
	}()
	dotgrad.Install()
	newBackend := backend.Shared
	if engine == "graph" {
		newBackend = backend.GraphOnly
	}
	be, err := newBackend()
	if err != nil {
		return fail(res, err)
	}
	r := rand.New(rand.NewPCG(uint64(n), 1))
	emb := make([]float32, n*d)
	for i := range emb {
		emb[i] = float32(r.NormFloat64())
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i / 2)
	}
	embT := tensors.FromFlatDataAndDimensions(emb, n, d)
	labelsT := tensors.FromValue(labels)
	res.BaseMB = residentMB("VmRSS")
	// Every loss through New and ComputeWithContext: class losses with N/2 classes; some own
	// variables or state (Manifold).
	loss, err := losses.New(name)
	if err != nil {
		return fail(res, err)
	}
	if err := losses.SetClasses(loss, n/2, d); err != nil {
		return fail(res, err)
	}
	if nt, ok := loss.(*losses.NTXent); ok {
		nt.Temperature = 0.07
	}
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(1); err != nil {
		return fail(res, err)
	}
	e, err := context.NewExec(be, ctx, func(ctx *context.Context, e, l *graph.Node) []*graph.Node {
		v := loss.ComputeWithContext(ctx, losses.Inputs{Embeddings: e, Labels: l})
		return append([]*graph.Node{v, graph.Gradient(v, e)[0]}, ctx.BuildTrainableVariablesGradientsGraph(v)...)
	})
	if err != nil {
		return fail(res, err)
	}
	step := func() error { return finalize(e.Exec(embT, labelsT)) }
	t0 := time.Now()
	if err := step(); err != nil { // compiles, then the warm-up step
		return fail(res, err)
	}
	fmt.Fprintf(os.Stderr, "warm %.0f\n", float64(time.Since(t0).Microseconds())/1000)
	var times []float64
	spent := 0.0
	for len(times) < max(iters, 1) && (len(times) == 0 || spent < budget) {
		t := time.Now()
		if err := step(); err != nil {
			return fail(res, err)
		}
		ms := float64(time.Since(t).Microseconds()) / 1000
		times = append(times, ms)
		spent += ms / 1000
	}
	slices.Sort(times)
	res.Status, res.MedianMs, res.PeakMB = "ok", times[len(times)/2], residentMB("VmHWM")
	return res
}

// engine is the -engine flag.
var engine string

// engineOf returns the engine the case of loss name runs on: "host" when -engine is auto and the
// host loss engine covers the loss with its defaults (as training would choose), else "graph".
func engineOf(name string) string {
	if engine != "auto" {
		return "graph"
	}
	l, err := losses.New(name)
	if err != nil || losses.SetClasses(l, 2, 2) != nil {
		return "graph"
	}
	if nt, ok := l.(*losses.NTXent); ok {
		nt.Temperature = 0.07
	}
	if _, err := losses.Host(l); err != nil {
		return "graph"
	}
	return "host"
}

func finalize(outs []*tensors.Tensor, err error) error {
	for _, o := range outs {
		o.FinalizeAll()
	}
	return err
}

func fail(res caseResult, err error) caseResult {
	res.Status, res.Error = "error", err.Error()
	return res
}

// residentMB returns a field of /proc/self/status (VmRSS, VmHWM) in MB, or 0 when unreadable.
func residentMB(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// fmtMs formats milliseconds with 3 significant digits.
func fmtMs(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.2f", ms)
}
