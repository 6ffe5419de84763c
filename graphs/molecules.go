package graphs

import (
	"fmt"

	"github.com/gometric/gometric/datasets"
)

// LoadMolecules returns the built-in molecules benchmark (datasets/data/molecules.md): 3,484
// molecules of RDKit's NCI sample as graph items (atoms labelled by element, with features
// [aromatic, charge, hydrogens]; bonds labelled by type), classed by generic Bemis–Murcko scaffold
// (195 classes), and their Morgan fingerprints (radius 2, 2,048 bits) as feature-vector items with
// the same ids, class indices and order: the baseline a chemist would use, compared by cosine.
func LoadMolecules() (items, fingerprints *datasets.Items, err error) {
	r, err := datasets.MoleculesGraphs()
	if err != nil {
		return nil, nil, err
	}
	set, warnings, err := ReadGraphs(r, "molecules.jsonl", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("molecules: %w", err)
	}
	if len(warnings) > 0 {
		return nil, nil, fmt.Errorf("molecules: %v", warnings[0])
	}
	set.Name = datasets.Molecules
	if items, err = ToItems(set); err != nil {
		return nil, nil, err
	}
	if fingerprints, err = datasets.LoadMoleculesFingerprints(); err != nil {
		return nil, nil, err
	}
	if fingerprints.Len() != items.Len() {
		return nil, nil, fmt.Errorf("molecules: %d fingerprints for %d graphs", fingerprints.Len(), items.Len())
	}
	// The same classes, numbered as the graphs' (sorted scaffold names).
	labels := make([]int, items.Len())
	for i, id := range items.IDs {
		if fingerprints.IDs[i] != id || fingerprints.ClassName(fingerprints.Labels[i]) != items.ClassName(items.Labels[i]) {
			return nil, nil, fmt.Errorf("molecules: fingerprint %d is %s (%s), graph %d is %s (%s)", i, fingerprints.IDs[i],
				fingerprints.ClassName(fingerprints.Labels[i]), i, id, items.ClassName(items.Labels[i]))
		}
		labels[i] = items.Labels[i]
	}
	fingerprints.Labels, fingerprints.ClassNames = labels, items.ClassNames
	return items, fingerprints, nil
}
