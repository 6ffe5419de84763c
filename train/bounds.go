package train

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/gometric/gometric/datasets"
	"github.com/gometric/gometric/encoders"
	"github.com/gometric/gometric/losses"
)

// Bounds on a run's sizes, checked before anything is allocated, so that an absurd setting is a
// one-line error instead of "fatal error: out of memory", a stack trace, or a run that silently does
// nothing because a step count wrapped around.

// MaxSteps is the most training steps a run may have: a hundred million steps take days even for
// the smallest encoder, so no real run is refused, step counts stay far from int overflow (epochs
// times steps per epoch), and GoMLX's training loop, which allocates 8 bytes per step up front
// (its step timings), needs at most 800 MB for them.
const MaxSteps = 100_000_000

// FallbackMemory is the memory (bytes) assumed available when the machine's cannot be read (no
// /proc/meminfo, as on macOS and Windows). The check is then a guard against absurd sizes rather
// than a prediction: large enough not to refuse a run a workstation can train.
const FallbackMemory = 64 << 30

// bytesPerFloat is the size of the float32 numbers training computes with.
const bytesPerFloat = 4

// TotalSteps returns the number of steps the run trains for: cfg.Steps, or, when cfg.Epochs is set,
// cfg.Epochs times stepsPerEpoch. More than MaxSteps is an error (the product is never computed
// when it would overflow).
func TotalSteps(cfg Config, stepsPerEpoch int) (int, error) {
	if cfg.Epochs <= 0 {
		if cfg.Steps > MaxSteps {
			return 0, fmt.Errorf("%d steps are more than the %d a run may have", cfg.Steps, MaxSteps)
		}
		return cfg.Steps, nil
	}
	if stepsPerEpoch <= 0 {
		return 0, fmt.Errorf("an epoch of %d steps cannot be trained", stepsPerEpoch)
	}
	if cfg.Epochs > MaxSteps/stepsPerEpoch {
		return 0, fmt.Errorf("%d epochs of %d steps are %s steps, more than the %d a run may have",
			cfg.Epochs, stepsPerEpoch, bigProduct(cfg.Epochs, stepsPerEpoch), MaxSteps)
	}
	return cfg.Epochs * stepsPerEpoch, nil
}

// bigProduct formats a*b (non-negative) exactly, even when it overflows an int.
func bigProduct(a, b int) string {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi == 0 {
		return strconv.FormatUint(lo, 10)
	}
	return strconv.FormatFloat(float64(a)*float64(b), 'g', 3, 64)
}

// checkSizes is Validate's part for sizes: the run's length, and a lower bound of its memory (the
// data is not read yet, so the input width counts as 1 and there are no class parameters). Fit
// checks again with the data (CheckMemory).
func (c Config) checkSizes() error {
	if c.Steps > MaxSteps {
		return fmt.Errorf("%d steps are more than the %d a run may have", c.Steps, MaxSteps)
	}
	if c.Epochs > MaxSteps {
		// An epoch has at least one step.
		return fmt.Errorf("%d epochs are more than the %d steps a run may have", c.Epochs, MaxSteps)
	}
	steps := c.Steps
	if c.Epochs > 0 {
		steps = c.Epochs // at least
	}
	return checkMemory(c.footprint(c.EncoderSpec(1), false, 0, 1, steps))
}

// CheckMemory reports an error when training the encoder spec for steps steps as cfg says (batch
// size, batch kind, evaluation pairs), with the learnable class parameters of loss (none for a loss
// without them), needs more memory than the machine has available (AvailableMemory). The error says
// what was asked, roughly how much memory it needs and how much there is. The memory is the host's,
// where the pure-Go backend computes; with an accelerator backend the check still bounds the sizes
// that cannot fit anywhere.
func CheckMemory(cfg Config, spec encoders.Spec, loss losses.Loss, steps int) error {
	classes, perClass := classTable(loss)
	return checkMemory(cfg.footprint(spec, true, classes, perClass, steps))
}

// EstimateMemory returns roughly the bytes that training the encoder spec for steps steps as cfg
// says needs, with classes x perClass learnable class vectors (0 for none): see CheckMemory. The
// arithmetic saturates: math.MaxUint64 means "more than can be counted".
func EstimateMemory(cfg Config, spec encoders.Spec, classes, perClass, steps int) uint64 {
	return cfg.footprint(spec, true, classes, perClass, steps).bytes()
}

// footprint is what a training run's memory depends on.
type footprint struct {
	spec       encoders.Spec
	inputKnown bool   // spec.InputDim is the data's (else a lower bound)
	batch      uint64 // Config.BatchSize
	pairs      bool   // pair batches: both sides of each pair go through the encoder
	classes    uint64 // learnable class vectors: classes x perClass, each of EmbeddingDim numbers
	perClass   uint64
	evalPairs  uint64 // validation pairs, and as many test pairs
	epochPairs uint64 // training pairs drawn per epoch from class-labelled items
	steps      uint64 // training steps
}

// footprint returns the footprint of training spec as c says.
func (c Config) footprint(spec encoders.Spec, inputKnown bool, classes, perClass, steps int) footprint {
	return footprint{spec: spec, inputKnown: inputKnown, batch: nonNeg(c.BatchSize), pairs: c.BatchKind() == BatchesPairs,
		classes: nonNeg(classes), perClass: max(nonNeg(perClass), 1),
		evalPairs: nonNeg(c.EvalPairs), epochPairs: nonNeg(c.PairsPerEpoch), steps: nonNeg(steps)}
}

// rows returns the number of items through the encoder per training step.
func (f footprint) rows() uint64 {
	if f.pairs {
		return mulSat(f.batch, 2)
	}
	return f.batch
}

// Parts of a footprint's memory, for bytes and for the error naming the largest.
const (
	partEncoder = iota
	partClasses
	partActivations
	partBatchMatrices
	partLogits
	partPairs
	partSteps
	numParts
)

// partNames name the parts in errors.
var partNames = [numParts]string{"the encoder's weights, gradients and Adam moments", "the class parameters, their gradients and Adam moments",
	"the activations", "the batch's pairwise matrices", "the class logits", "the pairs", "the training loop's step timings"}

// parts returns the bytes of each part of f's memory, roughly:
//   - every learnable number (encoder weights and class vectors) four times: the weight, its
//     gradient and Adam's two moments;
//   - the activations of a batch (the larger of a training batch and Model.Embed's batch), each
//     layer's output before and after its ReLU, twice: the values and their gradients;
//   - the training batch's pairwise matrices (similarities, masks, exponentials and their
//     gradients: 8 of rows x rows) and its class logits (cosines, logits and softmax, with their
//     gradients: 6 of rows x class vectors);
//   - the drawn pairs: 3 ints each, and a score and its sort for the evaluation pairs;
//   - GoMLX's training loop's step timings: 8 bytes per step, allocated when training starts.
func (f footprint) parts() [numParts]uint64 {
	var p [numParts]uint64
	params, perRow := encoderSizes(f.spec)
	p[partEncoder] = mulSat(params, 4*bytesPerFloat)
	vectors := mulSat(f.classes, f.perClass)
	p[partClasses] = mulSat(mulSat(vectors, nonNeg(f.spec.EmbeddingDim)), 4*bytesPerFloat)
	rows := f.rows()
	p[partActivations] = mulSat(mulSat(max(rows, EmbedBatchSize), perRow), 2*bytesPerFloat)
	p[partBatchMatrices] = mulSat(mulSat(rows, rows), 8*bytesPerFloat)
	p[partLogits] = mulSat(mulSat(rows, vectors), 6*bytesPerFloat)
	p[partPairs] = addSat(mulSat(f.evalPairs, 2*(3*8+2*8)), mulSat(f.epochPairs, 3*8))
	p[partSteps] = mulSat(f.steps, 8)
	return p
}

// bytes returns the footprint's memory, roughly (see parts).
func (f footprint) bytes() uint64 {
	var total uint64
	for _, b := range f.parts() {
		total = addSat(total, b)
	}
	return total
}

// String says what was asked, in the words of the command line: the encoder, the batches, the
// classes (when there are learnable class parameters).
func (f footprint) String() string {
	s := f.spec
	var sizes []string
	if s.Kind == encoders.KindCNN {
		sizes = append(sizes, "channels "+joinInts(s.Channels))
	}
	if len(s.Hidden) > 0 {
		sizes = append(sizes, "hidden widths "+joinInts(s.Hidden))
	}
	sizes = append(sizes, fmt.Sprintf("embedding dimension %d", s.EmbeddingDim))
	on := ""
	if f.inputKnown {
		on = fmt.Sprintf(" on %d features", s.InputDim)
	}
	params, _ := encoderSizes(s)
	count := countWords(params) + " learnable numbers"
	if !f.inputKnown {
		count = "at least " + count // the input layer counted for 1 feature
	}
	what := fmt.Sprintf("the %s encoder%s (%s: %s)", s.Kind, on, strings.Join(sizes, ", "), count)
	if f.pairs {
		what += fmt.Sprintf(", batches of %d pairs", f.batch)
	} else {
		what += fmt.Sprintf(", batches of %d items", f.batch)
	}
	if f.classes > 0 {
		what += fmt.Sprintf(", %d classes", f.classes)
		if f.perClass > 1 {
			what += fmt.Sprintf(" of %d vectors", f.perClass)
		}
	}
	return what
}

// checkMemory returns an error when f needs more memory than is available: what was asked, roughly
// how much it needs (and for what, mostly) and how much there is.
func checkMemory(f footprint) error {
	parts := f.parts()
	var need uint64
	largest := 0
	for i, b := range parts {
		need = addSat(need, b)
		if b > parts[largest] {
			largest = i
		}
	}
	avail, source := availableMemory()
	if need <= avail {
		return nil
	}
	what := f.String()
	if largest == partSteps {
		what += fmt.Sprintf(", %d steps", f.steps)
	}
	if largest == partPairs {
		what += fmt.Sprintf(", %d validation and %d test pairs", f.evalPairs, f.evalPairs)
		if f.epochPairs > 0 {
			what += fmt.Sprintf(", %d training pairs per epoch", f.epochPairs)
		}
	}
	roughly := "roughly " + formatBytes(need)
	if need == math.MaxUint64 {
		roughly = formatBytes(need)
	}
	return fmt.Errorf("%s: training needs %s of memory, mostly %s (%s); %s is available (%s)",
		what, roughly, partNames[largest], formatBytes(parts[largest]), formatBytes(avail), source)
}

// encoderSizes returns the number of learnable numbers of the encoder spec and the numbers its
// layers output per input row (the input, each layer's output, and the pre-ReLU values), with
// saturating arithmetic. Sizes follow encoders.MLP and encoders.CNN.
func encoderSizes(s encoders.Spec) (params, perRow uint64) {
	width := nonNeg(s.InputDim)
	perRow = width
	if s.Kind == encoders.KindCNN {
		h, w, c := nonNeg(s.Height), nonNeg(s.Width), nonNeg(s.ImageChannels)
		if h == 0 || w == 0 || c == 0 {
			h, w, c = 1, 1, max(width, 1)
		}
		for _, ch := range s.Channels {
			out := nonNeg(ch)
			// A 3x3 convolution with bias is a Dense layer on the 9C-wide patches.
			params = addSat(params, mulSat(addSat(mulSat(9, c), 1), out))
			pixels := mulSat(h, w)
			padded := mulSat(mulSat(h+2, w+2), c)
			patches := mulSat(pixels, mulSat(9, c))
			conv := mulSat(pixels, mulSat(out, 2))
			perRow = addSat(perRow, addSat(padded, addSat(patches, conv)))
			if h%2 == 0 && w%2 == 0 {
				h, w = h/2, w/2
				perRow = addSat(perRow, mulSat(mulSat(h, w), out))
			}
			c = out
		}
		width = mulSat(mulSat(h, w), c)
	}
	for _, hw := range s.Hidden {
		out := nonNeg(hw)
		params = addSat(params, mulSat(addSat(width, 1), out))
		perRow = addSat(perRow, mulSat(out, 2))
		width = out
	}
	emb := nonNeg(s.EmbeddingDim)
	params = addSat(params, mulSat(addSat(width, 1), emb))
	perRow = addSat(perRow, emb)
	return params, perRow
}

// classTable returns the number of classes of loss's learnable class parameters and the vectors
// per class (SoftTriple's centers, SubCenterArcFace's sub-centers); 0 classes for a loss without
// them. NumClasses comes from the loss's ClassOptions (losses.ParametricLoss.Classes); the vectors per
// class, which only some losses have, are read by reflection.
func classTable(loss losses.Loss) (classes, perClass int) {
	cl := losses.ClassLosses(loss)
	if len(cl) != 1 || cl[0] != loss {
		// None, or a sum: the rows of all its class tables, one vector each.
		rows := 0
		for _, l := range cl {
			c, p := classTable(l)
			rows += c * p
		}
		return rows, 1
	}
	v := reflect.Indirect(reflect.ValueOf(loss))
	if v.Kind() != reflect.Struct {
		return 0, 1
	}
	field := func(name string) int {
		if f := v.FieldByName(name); f.IsValid() && f.CanInt() {
			return int(f.Int())
		}
		return 0
	}
	classes = cl[0].Classes().NumClasses
	perClass = max(field("CentersPerClass"), field("SubCenters"), 1)
	return classes, perClass
}

// denseClasses returns items whose labels are dense class indices 0..C-1 (the C distinct labels in
// increasing order), and C. Learnable class parameters are indexed this way, so their size is the
// number of classes present, not the largest label (integer labels such as 100000000 would
// otherwise size a table of that many rows). The items themselves are not changed; C is 0 when they
// have no labels.
func denseClasses(items *datasets.Items) (*datasets.Items, int) {
	classes := items.Classes()
	if len(classes) == 0 {
		return items, 0
	}
	if classes[len(classes)-1] == len(classes)-1 {
		return items, len(classes) // already 0..C-1
	}
	out := *items
	out.Labels = make([]int, len(items.Labels))
	for i, l := range items.Labels {
		out.Labels[i], _ = slices.BinarySearch(classes, l)
	}
	out.ClassNames = nil // they name the original labels
	return &out, len(classes)
}

// availableMemory is AvailableMemory; tests replace it.
var availableMemory = AvailableMemory

// AvailableMemory returns the bytes of memory a run may use and where the figure comes from:
// MemAvailable of /proc/meminfo, lowered to the cgroup's memory.max (a container's limit) and to the
// Go memory limit (GOMEMLIMIT) when those are set; FallbackMemory when none can be read.
func AvailableMemory() (bytes uint64, source string) {
	bytes, source = FallbackMemory, "assumed: the machine's memory cannot be read"
	if v, ok := memAvailable("/proc/meminfo"); ok {
		bytes, source = v, "MemAvailable in /proc/meminfo"
	}
	if v, ok := cgroupLimit("/sys/fs/cgroup"); ok && v < bytes {
		bytes, source = v, "the cgroup's memory.max"
	}
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 && uint64(lim) < bytes {
		bytes, source = uint64(lim), "GOMEMLIMIT"
	}
	return bytes, source
}

// memAvailable reads MemAvailable (in kB) from a /proc/meminfo file.
func memAvailable(path string) (uint64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != "MemAvailable:" {
			continue
		}
		kb, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil || (len(fields) > 2 && fields[2] != "kB") {
			return 0, false
		}
		return mulSat(kb, 1024), true
	}
	return 0, false
}

// cgroupLimit returns what is left under a cgroup v2 memory limit (memory.max minus
// memory.current) in folder dir; false when there is no limit ("max") or it cannot be read.
func cgroupLimit(dir string) (uint64, bool) {
	read := func(name string) (uint64, bool) {
		data, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			return 0, false
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
		return v, err == nil
	}
	limit, ok := read("memory.max")
	if !ok {
		return 0, false
	}
	used, _ := read("memory.current")
	if used >= limit {
		return 0, true
	}
	return limit - used, true
}

// formatBytes formats n bytes for people: "512 B", "3.2 GiB"; "more than 16 EiB" when the count
// saturated.
func formatBytes(n uint64) string {
	if n == math.MaxUint64 {
		return "more than 16 EiB"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[i])
}

// countWords formats a count for people: "1,234", "256.1 million", "more than 18 billion billion"
// when it saturated.
func countWords(n uint64) string {
	switch {
	case n == math.MaxUint64:
		return "more than 18 billion billion"
	case n >= 1e12:
		return fmt.Sprintf("%.1f trillion", float64(n)/1e12)
	case n >= 1e9:
		return fmt.Sprintf("%.1f billion", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f million", float64(n)/1e6)
	}
	return strconv.FormatUint(n, 10)
}

// joinInts formats ints comma-separated.
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// nonNeg converts a size to uint64, negative counting as 0.
func nonNeg(n int) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n)
}

// mulSat returns a*b, or math.MaxUint64 when it overflows.
func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// addSat returns a+b, or math.MaxUint64 when it overflows.
func addSat(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}
