package datasets

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
)

// The molecules benchmark data (data/molecules.md): 3,484 molecules of RDKit's NCI sample
// (BSD-3-Clause, see data/NOTICE.md and data/molecules.md) in 195 generic Bemis–Murcko
// scaffolds, converted by scripts/molecules.py.
var (
	//go:embed data/molecules.jsonl.gz
	moleculesGraphsGz []byte
	//go:embed data/molecules-morgan.csv.gz
	moleculesMorganGz []byte
)

// Sizes of the embedded molecules data.
const (
	// MoleculesCount is the number of molecules.
	MoleculesCount = 3484
	// MoleculesScaffolds is the number of classes (generic Bemis–Murcko scaffolds).
	MoleculesScaffolds = 195
	// MoleculesFingerprintBits is the length of the Morgan fingerprints (radius 2).
	MoleculesFingerprintBits = 2048
)

// MoleculesGraphs returns a reader of the embedded molecule graphs: a graphs file (JSON Lines, one
// molecule per line; docs/DATA.md, section Graphs) that package graphs reads (graphs.LoadMolecules
// returns it as items). Package datasets holds the bytes; it does not parse graphs.
func MoleculesGraphs() (io.Reader, error) {
	z, err := gzip.NewReader(bytes.NewReader(moleculesGraphsGz))
	if err != nil {
		return nil, fmt.Errorf("molecules: %w", err)
	}
	return z, nil
}

// LoadMoleculesFingerprints returns the embedded Morgan fingerprints of the molecules (radius 2,
// 2,048 bits, 0/1) as feature-vector items: the same ids, scaffold labels and order as the
// molecule graphs (MoleculesGraphs). They are the molecules benchmark's baseline, compared by
// cosine similarity. Class indices follow the file's order of first occurrence of each scaffold;
// graphs.LoadMolecules aligns them with the graphs' classes.
func LoadMoleculesFingerprints() (*Items, error) {
	z, err := gzip.NewReader(bytes.NewReader(moleculesMorganGz))
	if err != nil {
		return nil, fmt.Errorf("molecules: %w", err)
	}
	items, warnings, err := ReadItems(z, "molecules-morgan.csv", nil)
	if err != nil {
		return nil, fmt.Errorf("molecules: %w", err)
	}
	if len(warnings) > 0 {
		return nil, fmt.Errorf("molecules: %v", warnings[0])
	}
	if items.Len() != MoleculesCount || items.Dim() != MoleculesFingerprintBits {
		return nil, fmt.Errorf("molecules: %d fingerprints of %d bits, want %d of %d", items.Len(), items.Dim(), MoleculesCount, MoleculesFingerprintBits)
	}
	items.Name = "molecules"
	return items, nil
}
