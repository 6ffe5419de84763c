package train

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gometric/gometric/backend"
	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/losses"
)

// fakeMemory makes availableMemory report bytes for the rest of the test, so that the bounds do not
// depend on the machine running the tests.
func fakeMemory(t *testing.T, bytes uint64) {
	t.Helper()
	saved := availableMemory
	availableMemory = func() (uint64, string) { return bytes, "test" }
	t.Cleanup(func() { availableMemory = saved })
}

// oneLine fails when err is nil, lacks one of want, or is not a single line.
func oneLine(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one with %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line:\n%s", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
}

// TestValidateSizes checks that Config.Validate refuses absurd sizes with a one-line error that
// says what was asked, what it needs and what there is, before any data is read or anything
// allocated.
func TestValidateSizes(t *testing.T) {
	fakeMemory(t, 8<<30)
	tests := []struct {
		name string
		edit func(*Config)
		want []string // nil: valid
	}{
		{"default", func(*Config) {}, nil},
		{"default cnn", func(c *Config) { c.Encoder = encoders.KindCNN }, nil},
		{"large but possible", func(c *Config) { c.Hidden, c.BatchSize = []int{4096, 4096}, 1024 }, nil},
		{"embedding dim", func(c *Config) { c.EmbeddingDim = 1_000_000_000 },
			[]string{"embedding dimension 1000000000: at least 257.0 billion learnable numbers", "needs roughly", "TiB", "8.0 GiB is available (test)"}},
		{"hidden", func(c *Config) { c.Hidden = []int{2_000_000_000} },
			[]string{"hidden widths 2000000000", "needs roughly", "8.0 GiB is available"}},
		{"second hidden", func(c *Config) { c.Hidden = []int{256, 300_000_000} },
			[]string{"hidden widths 256,300000000", "needs roughly"}},
		{"widths overflow", func(c *Config) { c.Hidden = []int{math.MaxInt, math.MaxInt} },
			[]string{"more than 18 billion billion learnable numbers", "more than 16 EiB"}},
		{"channels", func(c *Config) { c.Encoder, c.Channels = encoders.KindCNN, []int{32, 1_000_000_000} },
			[]string{"the cnn encoder (channels 32,1000000000", "needs roughly"}},
		{"batch size", func(c *Config) { c.BatchSize = 10_000_000 },
			[]string{"batches of 10000000 pairs", "needs roughly", "mostly the batch's pairwise matrices"}},
		{"batch size overflow", func(c *Config) { c.BatchSize = math.MaxInt },
			[]string{"batches of 9223372036854775807 pairs", "needs more than 16 EiB"}},
		{"eval pairs", func(c *Config) { c.EvalPairs = math.MaxInt },
			[]string{"9223372036854775807 validation and 9223372036854775807 test pairs", "mostly the pairs"}},
		{"steps", func(c *Config) { c.Steps = MaxSteps + 1 }, []string{"100000001 steps are more than the 100000000"}},
		{"epochs", func(c *Config) { c.Epochs = math.MaxInt64 }, []string{"9223372036854775807 epochs are more than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("valid config refused: %v", err)
				}
				return
			}
			oneLine(t, err, tt.want...)
		})
	}
}

// TestStepMemory checks that the steps count in the memory: GoMLX's training loop allocates 8 bytes
// per step when training starts (800 MB at MaxSteps).
func TestStepMemory(t *testing.T) {
	fakeMemory(t, 512<<20)
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default steps: %v", err)
	}
	cfg.Steps = MaxSteps
	oneLine(t, cfg.Validate(), "100000000 steps", "mostly the training loop's step timings (762.9 MiB)", "512.0 MiB is available")
	cfg.Steps, cfg.Epochs = 0, MaxSteps
	oneLine(t, cfg.Validate(), "100000000 steps", "mostly the training loop's step timings")
}

func TestTotalSteps(t *testing.T) {
	tests := []struct {
		name          string
		steps, epochs int
		perEpoch      int
		want          int
		wantErr       string
	}{
		{"steps", 1500, 0, 28, 1500, ""},
		{"epochs", 0, 3, 28, 84, ""},
		{"epochs win over steps", 1500, 2, 28, 56, ""},
		{"at the bound", 0, MaxSteps / 28, 28, MaxSteps / 28 * 28, ""},
		{"past the bound", 0, MaxSteps/28 + 1, 28, 0, "3571429 epochs of 28 steps are 100000012 steps, more than the 100000000"},
		// Before the bound, this product wrapped around to a negative step count: an untrained model
		// saved with success.
		{"overflow", 0, math.MaxInt64, 28, 0, "9223372036854775807 epochs of 28 steps are 2.58e+20 steps"},
		{"too many steps", MaxSteps + 1, 0, 28, 0, "more than the 100000000"},
		{"empty epoch", 0, 3, 0, 0, "an epoch of 0 steps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Steps, cfg.Epochs = tt.steps, tt.epochs
			got, err := TotalSteps(cfg, tt.perEpoch)
			if tt.wantErr != "" {
				oneLine(t, err, tt.wantErr)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("TotalSteps = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

// TestFitEpochOverflow checks that Fit refuses a number of epochs whose steps overflow or pass
// MaxSteps, instead of training 0 steps and returning an untrained model as a success.
func TestFitEpochOverflow(t *testing.T) {
	cfg := tinyConfig(20)
	data := loadTiny(t, cfg)
	for _, epochs := range []int{math.MaxInt64, MaxSteps} {
		c := cfg
		c.Epochs = epochs
		res, err := Fit(c, data, Options{})
		if err == nil {
			t.Fatalf("%d epochs: trained %d steps without error", epochs, res.Steps)
		}
		oneLine(t, err, "more than")
	}
}

// TestEncoderSizes checks the parameter count of the estimate against the variables GoMLX creates
// for the encoders, so the estimate follows encoders.MLP and encoders.CNN.
func TestEncoderSizes(t *testing.T) {
	tests := []encoders.Spec{
		{Kind: encoders.KindMLP, InputDim: 5, EmbeddingDim: 3, Hidden: []int{7, 4}},
		{Kind: encoders.KindMLP, InputDim: 64, EmbeddingDim: 8, Hidden: []int{}},
		{Kind: encoders.KindCNN, InputDim: 64, EmbeddingDim: 8, Channels: []int{3, 5}, Hidden: []int{6}},
		{Kind: encoders.KindCNN, InputDim: 36, EmbeddingDim: 4, Channels: []int{2, 3, 2}, Hidden: []int{}}, // 6x6 → 3x3 → 3x3 (odd: no pooling)
	}
	for _, spec := range tests {
		spec = spec.WithDefaults()
		t.Run(spec.String(), func(t *testing.T) {
			enc, err := encoders.New(spec)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.New()
			x := make([][]float32, 2)
			for i := range x {
				x[i] = make([]float32, spec.InputDim)
			}
			if _, err := context.ExecOnce(backend.MustShared(), ctx, func(ctx *context.Context, x *Node) *Node {
				return enc.Encode(ctx, x)
			}, x); err != nil {
				t.Fatal(err)
			}
			var want uint64
			for v := range ctx.IterVariables() {
				if v.Trainable { // not the random number generator's state
					want += uint64(v.Shape().Size())
				}
			}
			if got, _ := encoderSizes(spec); got != want {
				t.Fatalf("estimate counts %d parameters, the encoder has %d", got, want)
			}
		})
	}
}

// TestClassTable checks that the class table the estimate counts is the variables the class losses
// create.
func TestClassTable(t *testing.T) {
	const classes, dim = 5, 4
	for _, name := range []string{"arcface", "proxyanchor", "softtriple", "subcenterarcface", "ntxent"} {
		t.Run(name, func(t *testing.T) {
			var loss losses.Loss
			var err error
			if IsClassLoss(name) {
				loss, err = losses.ByNameWithClasses(name, classes, dim)
			} else {
				loss, err = losses.ByName(name)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, perClass := classTable(loss)
			pl, ok := loss.(losses.ParametricLoss)
			if !ok {
				if got != 0 {
					t.Fatalf("loss without class parameters: %d classes", got)
				}
				return
			}
			ctx := context.New()
			emb := [][]float32{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}
			if _, err := context.ExecOnce(backend.MustShared(), ctx, func(ctx *context.Context, e, l *Node) *Node {
				return pl.ComputeWithContext(ctx, losses.Inputs{Embeddings: e, Labels: l})
			}, emb, []int32{0, 1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			var want int
			for v := range ctx.IterVariables() {
				if v.Trainable {
					want += v.Shape().Size()
				}
			}
			if got*perClass*dim != want {
				t.Fatalf("estimate: %d classes x %d x %d = %d numbers; the loss has %d", got, perClass, dim, got*perClass*dim, want)
			}
		})
	}
}

// TestCheckMemoryClasses checks that the class table counts: a loss with 100,000,000 classes does not
// fit in 8 GiB, and the error names the classes.
func TestCheckMemoryClasses(t *testing.T) {
	fakeMemory(t, 8<<30)
	cfg := DefaultConfig()
	cfg.Items, cfg.Dataset, cfg.Loss, cfg.Batches = "items.csv", "", "subcenterarcface", BatchesClasses
	spec := cfg.EncoderSpec(64)
	small, err := losses.ByNameWithClasses(cfg.Loss, 10, cfg.EmbeddingDim)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckMemory(cfg, spec, small, cfg.Steps); err != nil {
		t.Fatalf("10 classes: %v", err)
	}
	huge, err := losses.ByNameWithClasses(cfg.Loss, 100_000_000, cfg.EmbeddingDim)
	if err != nil {
		t.Fatal(err)
	}
	oneLine(t, CheckMemory(cfg, spec, huge, cfg.Steps), "on 64 features", "embedding dimension 128: 115328 learnable numbers", "100000000 classes of 3 vectors", "mostly the class parameters", "8.0 GiB is available")
	if a, b := EstimateMemory(cfg, spec, 10, 3, cfg.Steps), EstimateMemory(cfg, spec, 100_000_000, 3, cfg.Steps); !(a < b && b > 8<<30) {
		t.Fatalf("estimates %d (10 classes), %d (100000000 classes)", a, b)
	}
}

func TestDenseClasses(t *testing.T) {
	tests := []struct {
		name    string
		labels  []int
		want    []int
		classes int
		same    bool // the items come back unchanged
	}{
		{"sparse", []int{100_000_000, 5, 5, 100_000_000, 7}, []int{2, 0, 0, 2, 1}, 3, false},
		{"gap", []int{0, 2, 2}, []int{0, 1, 1}, 2, false},
		{"dense", []int{1, 0, 2, 1}, []int{1, 0, 2, 1}, 3, true},
		{"no labels", nil, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := &datasets.Items{Labels: slices.Clone(tt.labels), ClassNames: []string{"x"}}
			got, n := denseClasses(items)
			if n != tt.classes || !slices.Equal(got.Labels, tt.want) {
				t.Fatalf("labels %v, %d classes; want %v, %d", got.Labels, n, tt.want, tt.classes)
			}
			if (got == items) != tt.same {
				t.Fatalf("same items: %v, want %v", got == items, tt.same)
			}
			if !slices.Equal(items.Labels, tt.labels) {
				t.Fatalf("the input's labels changed: %v", items.Labels)
			}
		})
	}
}

// TestSparseClassLabels trains a class loss on items whose integer labels are 0, 10000000, ...,
// 90000000: the class table must have 10 rows (not 90,000,001: 2.9 GB of weights), and training must
// feed the dense class ids (raw labels outside the table make the loss NaN).
func TestSparseClassLabels(t *testing.T) {
	cfg := tinyConfig(4)
	cfg.Loss, cfg.EvalEvery = "arcface", 2
	data := loadTiny(t, cfg)
	sparse := *data
	train := *data.Train
	train.Labels = make([]int, len(data.Train.Labels))
	for i, l := range data.Train.Labels {
		train.Labels[i] = l * 10_000_000
	}
	sparse.Train = &train

	// The table's size, checked before Fit would allocate it.
	f, err := newFitter(cfg, &sparse, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.tmpDir != "" {
		_ = os.RemoveAll(f.tmpDir)
	}
	if classes, _ := classTable(f.loss); classes != 10 {
		t.Fatalf("class table of %d classes, want 10", classes)
	}
	if train.Labels[1] != data.Train.Labels[1]*10_000_000 {
		t.Fatal("newFitter changed the caller's labels")
	}

	res, err := Fit(cfg, &sparse, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != cfg.Steps || len(res.History.Loss) == 0 {
		t.Fatalf("trained %d steps, loss history %v", res.Steps, res.History.Loss)
	}
	for _, p := range res.History.Loss {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			t.Fatalf("loss history %v", res.History.Loss)
		}
	}
}

func TestMemAvailable(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          uint64
		ok            bool
	}{
		{"meminfo", "MemTotal:       24683656 kB\nMemFree:          100 kB\nMemAvailable:   24310804 kB\n", 24310804 * 1024, true},
		{"no field", "MemTotal:       24683656 kB\n", 0, false},
		{"garbage", "MemAvailable:   lots kB\n", 0, false},
		{"other unit", "MemAvailable:   5 MB\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, ok := memAvailable(path)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("memAvailable = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := memAvailable(filepath.Join(dir, "none")); ok {
		t.Fatal("a missing file read as memory")
	}
	if b, source := AvailableMemory(); b == 0 || source == "" {
		t.Fatalf("AvailableMemory = %d, %q", b, source)
	}
}

func TestCgroupLimit(t *testing.T) {
	tests := []struct {
		name, max, current string
		want               uint64
		ok                 bool
	}{
		{"limit", "1073741824\n", "73741824\n", 1000000000, true},
		{"no limit", "max\n", "5\n", 0, false},
		{"over", "100\n", "200\n", 0, true},
		{"no file", "", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.max != "" {
				if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte(tt.max), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "memory.current"), []byte(tt.current), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, ok := cgroupLimit(dir)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("cgroupLimit = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{512, "512 B"},
		{1536, "1.5 KiB"},
		{8 << 30, "8.0 GiB"},
		{3 << 40, "3.0 TiB"},
		{math.MaxUint64 - 1, "16.0 EiB"},
		{math.MaxUint64, "more than 16 EiB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
