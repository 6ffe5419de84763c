"""Reference selections of PML 2.8.1's EmbeddingsAlreadyPackagedAsTriplets, for
miners/packagedtriplets_test.go, and the TripletMarginLoss it feeds (float64).

Run from the repository root:

    PYTHONPATH=/tmp/pml/src python3 miners/testdata/gen_packaged_triplets.py > miners/testdata/packaged-triplets-pml.json
"""
import json
import sys

import torch
from pytorch_metric_learning import __version__ as pml_version
from pytorch_metric_learning.losses import TripletMarginLoss
from pytorch_metric_learning.miners import EmbeddingsAlreadyPackagedAsTriplets


def case(name, n, m, d, seed):
    torch.manual_seed(seed)
    emb = torch.randn(n, d, dtype=torch.float64, requires_grad=True)
    labels = torch.randint(0, 3, (n,))
    out = {"name": name, "embeddings": emb.detach().tolist(), "labels": labels.tolist()}
    ref = ref_labels = None
    if m is not None:
        ref = torch.randn(m, d, dtype=torch.float64)
        ref_labels = torch.randint(0, 3, (m,))
        out["ref_embeddings"], out["ref_labels"] = ref.tolist(), ref_labels.tolist()
    miner = EmbeddingsAlreadyPackagedAsTriplets()
    try:
        a, p, neg = miner(emb, labels, ref, ref_labels)
    except AssertionError:
        out["error"] = "AssertionError"
        return out
    out["triplets"] = sorted([int(x), int(y), int(z)] for x, y, z in zip(a, p, neg))
    if ref is None:
        loss = TripletMarginLoss()(emb, labels, (a, p, neg))
        loss.backward()
        out["triplet_margin_loss"], out["grad"] = loss.item(), emb.grad.tolist()
    return out


def main():
    cases = [case("n12", 12, None, 4, 1), case("n9_ref12", 9, 12, 4, 2), case("n10", 10, None, 4, 3)]
    out = {"pml_version": pml_version, "torch": torch.__version__, "cases": cases}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
