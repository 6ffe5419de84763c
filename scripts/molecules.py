#!/usr/bin/python3
"""Convert RDKit's NCI sample of molecules to gometric graph and items files.

Requires Debian's RDKit (gometric itself does not; the converted files are committed):

    apt-get install -y python3-rdkit rdkit-data
    /usr/bin/python3 scripts/molecules.py            # writes datasets/data/molecules*.gz

Input: /usr/share/RDKit/Data/NCI/first_5K.smi from Debian's rdkit-data package: 4,999 NCI
compounds as "SMILES<tab>NCI number", shipped with the RDKit (BSD-3-Clause, see
/usr/share/doc/rdkit-data/copyright); the structures come from the open compound set of the
US National Cancer Institute's Developmental Therapeutics Program (NCI/DTP).

Each molecule's class is its generic Bemis-Murcko scaffold,
MurckoScaffold.MakeScaffoldGeneric(MurckoScaffold.GetScaffoldForMol(mol)), written as canonical
SMILES (every atom a carbon, every bond single: "C1CCC(CC2CCCCC2)CC1"). Molecules are dropped
when the SMILES does not parse, when RDKit cannot make the generic scaffold (a ring atom with
more than four bonds, hypervalent S or P, cannot become carbon), when the scaffold is empty (acyclic molecules: they have no ring
system, so the empty scaffold would be one large class of unrelated chains), and when their
scaffold has fewer than two molecules (a class needs a pair). The kept molecules stay in file
order.

The outputs go to datasets/data/, beside gometric's other built-in data (digits.csv.gz), where
package datasets can embed them for a built-in data set; see datasets/data/molecules.md for the
counts. Outputs (gzip with a zero timestamp, so that a rerun gives the same bytes):

  molecules.jsonl.gz       graphs, one per line, in gometric's graphs format (docs/DATA.md,
                           "Graphs"): "id" the NCI number, "label" the scaffold, "nodes" the heavy
                           atoms with their element symbol as label ("C", "N", "Cl"),
                           "node_features" per atom [aromatic 0/1, formal charge, total
                           hydrogens], "edges" the bonds, undirected, listed once,
                           "edge_labels" the bond type: "single", "double", "triple", "aromatic"
                           (any other RDKit type in lower case).
  molecules-morgan.csv.gz  items file (docs/DATA.md, "Items files"): id, label, then m0..m2047,
                           the Morgan fingerprint (radius 2, 2,048 bits, 0/1) of each molecule,
                           the raw-feature baseline a chemist would use.
  molecules.json           counts and versions, for the record.

Usage: molecules.py [--input FILE] [--out DIR]
"""

import argparse
import collections
import gzip
import io
import json
import os
import sys

import rdkit
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem
from rdkit.Chem.Scaffolds import MurckoScaffold

DEFAULT_INPUT = "/usr/share/RDKit/Data/NCI/first_5K.smi"
RADIUS, BITS = 2, 2048


def read_smi(path):
    """Yields (line number, SMILES, id) of a whitespace-separated SMILES file."""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            yield n, parts[0], parts[1] if len(parts) > 1 else str(n)


def graph_of(mol, mol_id, label):
    """Returns the graph of mol as a gometric graphs-file object."""
    nodes, feats = [], []
    for a in mol.GetAtoms():
        nodes.append({"label": a.GetSymbol()})
        feats.append([int(a.GetIsAromatic()), a.GetFormalCharge(), a.GetTotalNumHs()])
    edges, labels = [], []
    for b in mol.GetBonds():
        u, v = b.GetBeginAtomIdx(), b.GetEndAtomIdx()
        edges.append([min(u, v), max(u, v)])
        labels.append(str(b.GetBondType()).lower())
    g = {"id": mol_id, "label": label, "nodes": nodes, "node_features": feats}
    if edges:
        g["edges"] = edges
        g["edge_labels"] = labels
    return g


def write_gz(path, text):
    """Writes text to path gzip-compressed, with no name and a zero time in the header."""
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as z:
            z.write(text.encode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--input", default=DEFAULT_INPUT)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets", "data"))
    args = ap.parse_args()
    RDLogger.DisableLog("rdApp.*")

    mols, bad, acyclic, no_generic, ids = [], 0, 0, 0, set()
    for n, smi, mol_id in read_smi(args.input):
        mol = Chem.MolFromSmiles(smi)
        if mol is None or mol.GetNumAtoms() == 0:
            bad += 1
            continue
        if mol_id in ids:
            sys.exit(f"{args.input}:{n}: duplicate id {mol_id}")
        ids.add(mol_id)
        try:
            scaffold = Chem.MolToSmiles(MurckoScaffold.MakeScaffoldGeneric(MurckoScaffold.GetScaffoldForMol(mol)))
        except Chem.rdchem.MolSanitizeException:
            # A ring atom with more than four bonds (hypervalent S, P, I) cannot become carbon.
            no_generic += 1
            continue
        if scaffold == "":
            acyclic += 1
            continue
        mols.append((mol_id, mol, scaffold))
    size = collections.Counter(s for _, _, s in mols)
    kept = [(i, m, s) for i, m, s in mols if size[s] >= 2]

    graphs = io.StringIO()
    fps = io.StringIO()
    fps.write("id,label," + ",".join(f"m{b}" for b in range(BITS)) + "\n")
    for mol_id, mol, scaffold in kept:
        graphs.write(json.dumps(graph_of(mol, mol_id, scaffold), separators=(",", ":")) + "\n")
        fp = AllChem.GetMorganFingerprintAsBitVect(mol, RADIUS, nBits=BITS)
        fps.write(f"{mol_id},{scaffold}," + ",".join(fp.ToBitString()) + "\n")
        if "," in scaffold or '"' in scaffold:
            sys.exit(f"scaffold {scaffold!r} needs CSV quoting")

    os.makedirs(args.out, exist_ok=True)
    write_gz(os.path.join(args.out, "molecules.jsonl.gz"), graphs.getvalue())
    write_gz(os.path.join(args.out, "molecules-morgan.csv.gz"), fps.getvalue())
    kept_size = collections.Counter(s for _, _, s in kept)
    record = {
        "source": os.path.abspath(args.input),
        "rdkit": rdkit.__version__,
        "read": len(ids) + bad,
        "unparsed": bad,
        "acyclic": acyclic,
        "no_generic_scaffold": no_generic,
        "singleton_scaffolds": sum(1 for s in size.values() if s == 1),
        "molecules": len(kept),
        "scaffolds": len(kept_size),
        "largest_scaffolds": kept_size.most_common(5),
        "multi_fragment_molecules": sum(1 for _, m, _ in kept if len(Chem.GetMolFrags(m)) > 1),
        "nodes_max": max(m.GetNumAtoms() for _, m, _ in kept),
        "nodes_mean": round(sum(m.GetNumAtoms() for _, m, _ in kept) / len(kept), 2),
        "fingerprint": f"Morgan radius {RADIUS}, {BITS} bits",
    }
    with open(os.path.join(args.out, "molecules.json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    json.dump(record, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
