package datasets

import (
	"reflect"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	if got := Names(); !reflect.DeepEqual(got, []string{"digits", "mnist", "fashion-mnist", "molecules", "graph-edit", "place-names"}) {
		t.Errorf("Names() = %v", got)
	}
	for _, n := range Names() {
		if Describe(n) == "" {
			t.Errorf("Describe(%q) is empty", n)
		}
	}
	_, err := Load("cifar")
	if err == nil || err.Error() != `unknown data set "cifar" (built-in data sets: digits, mnist, fashion-mnist, molecules, graph-edit, place-names)` {
		t.Errorf("Load(cifar) error = %v", err)
	}
	// The graph and text data sets are loaded by package train, with packages graphs and
	// text/placenames.
	for _, c := range []struct{ name, want string }{{Molecules, "holds graphs"}, {GraphEdit, "holds graphs"}, {PlaceNames, "holds texts"}} {
		if _, err := Load(c.name); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%s) error = %v, want one that says it %s", c.name, err, c.want)
		}
	}
}

func TestLoadDigits(t *testing.T) {
	it, err := Load("digits")
	if err != nil {
		t.Fatal(err)
	}
	if err := it.Validate(); err != nil {
		t.Fatal(err)
	}
	if it.Name != "digits" || it.Len() != 1797 || it.Dim() != 64 || it.OfficialTest != nil {
		t.Fatalf("digits: name %q, %d x %d", it.Name, it.Len(), it.Dim())
	}
	// Class counts from data/NOTICE.md.
	want := map[int]int{0: 178, 1: 182, 2: 177, 3: 183, 4: 181, 5: 182, 6: 181, 7: 179, 8: 174, 9: 180}
	if got := it.ClassCounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("class counts %v, want %v", got, want)
	}
	// The file's first row: 0,0,5,13,9,1,0,0,... digit 0.
	if it.IDs[0] != "digits-0" || it.IDs[1796] != "digits-1796" || it.Labels[0] != 0 || it.Features.Row(0)[2] != 5.0/16 || it.Features.Row(0)[3] != 13.0/16 {
		t.Errorf("row 0: id %q label %d features %v", it.IDs[0], it.Labels[0], it.Features.Row(0)[:4])
	}
	lo, hi := float32(1), float32(0)
	for _, v := range it.Features.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("feature range [%v, %v], want [0, 1]", lo, hi)
	}
	if it.ClassName(7) != "7" {
		t.Errorf("class 7 is named %q", it.ClassName(7))
	}
}

// checkIDXSet checks a full MNIST-like data set as Load returns it.
func checkIDXSet(t *testing.T, it *Items, name string) {
	t.Helper()
	if err := it.Validate(); err != nil {
		t.Fatal(err)
	}
	if it.Name != name || it.Len() != 70000 || it.Dim() != 784 || it.NumClasses() != 10 {
		t.Fatalf("%s: name %q, %d x %d, %d classes", name, it.Name, it.Len(), it.Dim(), it.NumClasses())
	}
	tests := 0
	for i, isTest := range it.OfficialTest {
		if isTest != (i >= 60000) {
			t.Fatalf("OfficialTest[%d] = %v", i, isTest)
		}
		if isTest {
			tests++
		}
	}
	if tests != 10000 || it.IDs[0] != name+"-train-0" || it.IDs[59999] != name+"-train-59999" || it.IDs[60000] != name+"-test-0" {
		t.Errorf("%d test items; ids %q %q %q", tests, it.IDs[0], it.IDs[59999], it.IDs[60000])
	}
	lo, hi := float32(1), float32(0)
	for _, v := range it.Features.Data {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("feature range [%v, %v], want [0, 1]", lo, hi)
	}
}

func TestLoadMNIST(t *testing.T) {
	dir, err := MNISTDir()
	if err != nil {
		t.Fatalf("MNISTDir: %v (run `go mod download %s`)", err, MNISTModule)
	}
	t.Logf("MNIST from %s", dir)
	it, err := Load("mnist")
	if err != nil {
		t.Fatal(err)
	}
	checkIDXSet(t, it, "mnist")
	// The official label counts of MNIST's training set.
	train, test, err := it.OfficialSplit()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int{0: 5923, 1: 6742, 2: 5958, 3: 6131, 4: 5842, 5: 5421, 6: 5918, 7: 6265, 8: 5851, 9: 5949}
	if got := train.ClassCounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("training class counts %v, want %v", got, want)
	}
	// The first training image is a 5, the first test image a 7.
	if train.Labels[0] != 5 || test.Labels[0] != 7 || test.Len() != 10000 {
		t.Errorf("first labels %d, %d; %d test items", train.Labels[0], test.Labels[0], test.Len())
	}
}

func TestLoadFashionMNIST(t *testing.T) {
	if _, err := FashionMNISTDir(); err != nil {
		t.Skipf("Fashion-MNIST is not installed here: %v", err)
	}
	it, err := Load("fashion-mnist")
	if err != nil {
		t.Fatal(err)
	}
	checkIDXSet(t, it, "fashion-mnist")
	for c, n := range it.ClassCounts() {
		if n != 7000 {
			t.Errorf("class %d (%s) has %d items, want 7000", c, it.ClassName(c), n)
		}
	}
	// Fashion-MNIST's first training image is an ankle boot.
	if got := it.ClassName(it.Labels[0]); got != "Ankle boot" {
		t.Errorf("first item is a %q", got)
	}
	if !strings.HasPrefix(it.IDs[69999], "fashion-mnist-test-") {
		t.Errorf("last id %q", it.IDs[69999])
	}
}
