package datasets

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gometric/gometric/mat"
)

// Items is a data set of N items: an id, a feature vector and, optionally, a class label each.
//
// Row i of Features is item i's feature vector; IDs[i] is its id; Labels[i], when Labels is not
// nil, is its class index (>= 0), named ClassNames[Labels[i]] when ClassNames covers it.
type Items struct {
	// Name names the data set: "digits", "mnist", or a file's base name.
	Name string
	// IDs holds the N item ids, unique within the data set.
	IDs []string
	// Features is the N x D matrix of feature vectors, one row per item.
	Features *mat.Dense
	// Labels holds the N class indices (each >= 0); nil when the items have no classes.
	Labels []int
	// ClassNames, when not nil, names class index c as ClassNames[c]. It may be nil even when
	// Labels is set (plain integer classes).
	ClassNames []string
	// OfficialTest, when not nil, marks item i as part of the data set's official test split
	// (OfficialTest[i] == true) or its official training split. It is set by Load for "mnist" and
	// "fashion-mnist", whose items are the 60,000 official training images followed by the 10,000
	// official test images; nil for data sets without an official split.
	OfficialTest []bool
	// Objects, when not nil, are the items themselves when they are not feature vectors (graphs):
	// object i is item i, and Features has N rows and no columns.
	Objects Objects
}

// Len returns the number of items.
func (it *Items) Len() int { return len(it.IDs) }

// Dim returns the feature dimension D (0 when Features is nil).
func (it *Items) Dim() int {
	if it.Features == nil {
		return 0
	}
	return it.Features.Cols
}

// HasLabels reports whether the items carry class labels.
func (it *Items) HasLabels() bool { return it.Labels != nil }

// Validate checks that the fields agree: one feature row, label and OfficialTest flag per id,
// unique ids and non-negative labels.
func (it *Items) Validate() error {
	n := len(it.IDs)
	if it.Features == nil {
		return fmt.Errorf("items %q: nil Features", it.Name)
	}
	if err := it.Features.Validate(); err != nil {
		return fmt.Errorf("items %q: %w", it.Name, err)
	}
	if it.Features.Rows != n {
		return fmt.Errorf("items %q: %d ids but %d feature rows", it.Name, n, it.Features.Rows)
	}
	if it.Labels != nil && len(it.Labels) != n {
		return fmt.Errorf("items %q: %d ids but %d labels", it.Name, n, len(it.Labels))
	}
	if it.OfficialTest != nil && len(it.OfficialTest) != n {
		return fmt.Errorf("items %q: %d ids but %d OfficialTest flags", it.Name, n, len(it.OfficialTest))
	}
	if it.Objects != nil && (it.Objects.Len() != n || it.Features.Cols != 0) {
		return fmt.Errorf("items %q: %d ids but %d %s objects and %d feature columns (want none)", it.Name, n, it.Objects.Len(), it.Objects.Kind(), it.Features.Cols)
	}
	for i, l := range it.Labels {
		if l < 0 {
			return fmt.Errorf("items %q: item %d (%q) has negative label %d", it.Name, i, it.IDs[i], l)
		}
	}
	seen := make(map[string]int, n)
	for i, id := range it.IDs {
		if j, ok := seen[id]; ok {
			return fmt.Errorf("items %q: duplicate id %q (items %d and %d)", it.Name, id, j, i)
		}
		seen[id] = i
	}
	return nil
}

// Subset returns a new Items holding the items at the given indices, in that order, with copied
// ids, features, labels and OfficialTest flags, and the subset of Objects (ClassNames and Name are
// shared). An index out of
// range panics, as slice indexing does.
func (it *Items) Subset(idx []int) *Items {
	out := &Items{Name: it.Name, ClassNames: it.ClassNames, IDs: make([]string, len(idx))}
	for i, j := range idx {
		out.IDs[i] = it.IDs[j]
	}
	if it.Features != nil {
		out.Features = it.Features.Select(idx)
	} else {
		out.Features = mat.New(len(idx), 0)
	}
	if it.Labels != nil {
		out.Labels = make([]int, len(idx))
		for i, j := range idx {
			out.Labels[i] = it.Labels[j]
		}
	}
	if it.OfficialTest != nil {
		out.OfficialTest = make([]bool, len(idx))
		for i, j := range idx {
			out.OfficialTest[i] = it.OfficialTest[j]
		}
	}
	if it.Objects != nil {
		out.Objects = it.Objects.Subset(idx)
	}
	return out
}

// OfficialSplit returns the data set's official training and test items (see OfficialTest). It is
// an error when the items carry no official split.
func (it *Items) OfficialSplit() (train, test *Items, err error) {
	if it.OfficialTest == nil {
		return nil, nil, fmt.Errorf("items %q: no official train/test split", it.Name)
	}
	var tr, te []int
	for i, isTest := range it.OfficialTest {
		if isTest {
			te = append(te, i)
		} else {
			tr = append(tr, i)
		}
	}
	return it.Subset(tr), it.Subset(te), nil
}

// Classes returns the distinct labels in increasing order (nil when the items have no labels).
func (it *Items) Classes() []int {
	if it.Labels == nil {
		return nil
	}
	cs := slices.Clone(it.Labels)
	slices.Sort(cs)
	return slices.Compact(cs)
}

// NumClasses returns the number of distinct labels.
func (it *Items) NumClasses() int { return len(it.Classes()) }

// IndicesByClass maps each label to the indices of its items, in increasing order (nil when the
// items have no labels).
func (it *Items) IndicesByClass() map[int][]int {
	if it.Labels == nil {
		return nil
	}
	m := make(map[int][]int)
	for i, l := range it.Labels {
		m[l] = append(m[l], i)
	}
	return m
}

// ClassCounts maps each label to its number of items (nil when the items have no labels).
func (it *Items) ClassCounts() map[int]int {
	if it.Labels == nil {
		return nil
	}
	m := make(map[int]int)
	for _, l := range it.Labels {
		m[l]++
	}
	return m
}

// ClassName returns the name of class label: ClassNames[label] when there is one, else the label
// in decimal.
func (it *Items) ClassName(label int) string {
	if label >= 0 && label < len(it.ClassNames) {
		return it.ClassNames[label]
	}
	return strconv.Itoa(label)
}

// IndexByID maps each id to its item index.
func (it *Items) IndexByID() map[string]int {
	m := make(map[string]int, len(it.IDs))
	for i, id := range it.IDs {
		m[id] = i
	}
	return m
}
