"""Reference values of PML 2.8.1's ManifoldLoss with a float64 inverse, for losses/manifold_test.go.

PML inverts I - alpha*S_bar in float32 whatever the input dtype (manifold_loss.py: Y.float() -
alpha*S_bar.float()), so its float64 results carry float32 rounding. This script runs PML's own
compute_loss with Tensor.float made the identity during the call, which gives PML's formula in
float64 throughout: the semantics gometric implements. Run from the repository root:

    PYTHONPATH=/tmp/pml/src python3 losses/testdata/gen_manifold.py > losses/testdata/manifold-pml.json
"""
import json
import sys

import torch
from pytorch_metric_learning import __version__ as pml_version
from pytorch_metric_learning.distances import LpDistance
from pytorch_metric_learning.losses import ManifoldLoss
from pytorch_metric_learning.regularizers import LpRegularizer

CASES = [
    # name, N, D, K, constructor arguments (besides l and K), spec arguments as gometric's spec syntax writes them
    ("defaults", 16, 8, 4, {}, {}),
    ("ctx", 16, 8, 4, {"lambdaC": 0.5, "alpha": 0.6, "margin": 0.01}, {}),
    ("int_only", 12, 5, 3, {"lambdaC": 0.0, "alpha": 0.5, "margin": 0.1}, {}),
    ("fewer_than_proxies", 5, 6, 8, {"margin": 0.05}, {}),
    ("lp_distance", 14, 6, 5, {"distance": LpDistance()}, {"distance": "LpDistance()"}),
    ("alpha_095", 40, 16, 10, {"alpha": 0.95, "margin": 0.002}, {}),
    ("regularized", 10, 4, 3, {"embedding_regularizer": LpRegularizer(), "embedding_reg_weight": 0.5},
     {"embedding_regularizer": "LpRegularizer()", "embedding_reg_weight": 0.5}),
]


def run(name, n, d, k, kwargs, spec, seed):
    torch.manual_seed(seed)
    loss = ManifoldLoss(l=d, K=k, **kwargs).double()
    proxies = loss.proxies.detach().clone()
    emb = torch.randn(n, d, dtype=torch.float64, requires_grad=True)
    if n >= k:
        meta = torch.cat((torch.arange(k), torch.randint(0, k, (n - k,))))[torch.randperm(n)]
    else:
        meta = torch.randperm(k)[:n]
    to_float = torch.Tensor.float
    torch.Tensor.float = lambda self: self  # float64 inverse: see the module doc.
    try:
        value = loss(emb, indices_tuple=meta)
    finally:
        torch.Tensor.float = to_float
    value.backward()
    args = {key: v for key, v in kwargs.items() if key not in spec}
    args.update(spec)
    return {
        "name": name,
        "args": {"l": d, "K": k, **args},
        "meta_classes": meta.tolist(),
        "proxies": proxies.tolist(),
        "embeddings": emb.detach().tolist(),
        "loss": value.item(),
        "grad": emb.grad.tolist(),
        "proxies_grad": loss.proxies.grad.tolist(),
    }


def main():
    out = {"pml_version": pml_version, "torch": torch.__version__, "dtype": "float64", "inverse": "float64", "cases": []}
    for i, (name, n, d, k, kwargs, spec) in enumerate(CASES):
        out["cases"].append(run(name, n, d, k, kwargs, spec, seed=100 + i))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
