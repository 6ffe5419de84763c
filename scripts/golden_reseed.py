#!/usr/bin/env python3
"""Re-draw the inputs of a PML golden parity file with another seed and recompute its expected outputs
with PyTorch Metric Learning itself (float64), writing a file of the same format.

    PYTHONPATH=/path/to/pml/src python3 scripts/golden_reseed.py --seed 1 \
        [--in testdata/golden/pml-2.8.1-parity.json] --out /tmp/parity-seed1.json

Then run the Go parity tests on it:

    GOMETRIC_PARITY_FILE=/tmp/parity-seed1.json go test ./losses -run TestParity -v
    GOMETRIC_PARITY_FILE=/tmp/parity-seed1.json go test ./internal/golden -run TestParityAccuracy -v

How the inputs are drawn mirrors how the original file was generated; that was reconstructed from the
file itself: with --seed 0 the script recomputes the original cases and compares them with the input
file, and every input, loss, gradient, miner set and accuracy metric of pml-2.8.1-parity.json comes
out bit for bit (the random miners' frequencies are fresh draws: same tuples, other counts).

- torch's default dtype is float64 (so PML's own literal tensors, e.g. MarginLoss's beta or
  HistogramLoss's bins, are float64, as in the original).
- losses: torch.manual_seed(case seed); embeddings = torch.randn(N, D, float64); labels = (arange(N) %
  C)[randperm(N)] with C the case's number of classes. ManifoldLoss: meta classes drawn as PML draws
  them when it gets none (randint, arange(K), randperm) from case seed + 5. Learnable parameters:
  PML's own initialisation in float64 from case seed + 1000 (normal_ for ArcFace's W,
  kaiming_uniform_ for SoftTriple, kaiming_normal_ for ProxyAnchor, randn for ManifoldLoss's
  proxies, the constant beta for MarginLoss). The case seed is the record's `seed`.
- miners: seed 800 + index of the case; embeddings [24, 8] and balanced labels as above; `_ref` cases
  draw ref embeddings [20, 8] and balanced ref labels from seed 850 + index among the ref cases.
- random miners' frequencies: seed 880 + index among them; the embeddings are L2-normalised; the
  miner is then called `draws` times, the generator continuing, and each returned tuple is counted.
- accuracy: cases with the same inputs share one draw, seed 950 + index of the group: centres =
  torch.randn(C, D, float64), labels = torch.randint(0, C, (N,)), x = 1.2 * centres[labels] +
  torch.randn(N, D, float64), cast to float32; query = reference, ref_includes_query; knn_func =
  CustomKNN(CosineSimilarity() or LpDistance(normalize_embeddings=False)).

--seed S uses case seed + 10000 * S everywhere (S = 0 is the original file). A case whose kind or
spec the script does not know how to regenerate stops it with an error (exit status 1): it never
copies old values.
"""

import argparse
import collections
import json
import math
import sys

import numpy as np
import torch

import pytorch_metric_learning
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import miners as pml_miners
from pytorch_metric_learning import reducers as pml_reducers
from pytorch_metric_learning import regularizers as pml_regularizers
from pytorch_metric_learning.utils.accuracy_calculator import AccuracyCalculator
from pytorch_metric_learning.utils.inference import CustomKNN

SEED_STRIDE = 10000
MINER_SEED, MINER_REF_SEED, FREQ_SEED, ACC_SEED = 800, 850, 880, 950
ACC_CENTRE_SCALE = 1.2
ACCURACY_METRICS = (
    "precision_at_1",
    "r_precision",
    "mean_average_precision_at_r",
    "mean_average_precision",
    "mean_reciprocal_rank",
)
DTYPE = torch.float64
META_SEED_OFFSET, PARAM_SEED_OFFSET = 5, 1000


class CannotRegenerate(Exception):
    pass


def balanced_labels(n, classes):
    return (torch.arange(n) % classes)[torch.randperm(n)]


def n_classes(labels, what):
    """The number of classes of a label vector drawn as balanced_labels: 0..C-1, each n/C or so."""
    c = max(labels) + 1
    counts = collections.Counter(labels)
    if sorted(counts) != list(range(c)) or max(counts.values()) - min(counts.values()) > 1:
        raise CannotRegenerate(f"{what}: labels are not i % C after a permutation ({dict(counts)})")
    return c


# ---- objects from specs ------------------------------------------------------------------------


def build_typed(module, spec, what):
    spec = dict(spec)
    typ = spec.pop("type")
    cls = getattr(module, typ, None)
    if cls is None:
        raise CannotRegenerate(f"{what}: unknown {module.__name__}.{typ}")
    kwargs = {}
    for k, v in spec.items():
        if k == "reducer" and isinstance(v, dict):
            v = build_typed(pml_reducers, v, what)
        elif k == "reducers" and isinstance(v, dict):
            v = {name: build_typed(pml_reducers, r, what) for name, r in v.items()}
        elif k == "distance" and isinstance(v, dict):
            v = build_typed(pml_distances, v, what)
        elif typ == "ClassWeightedReducer" and k == "weights":
            v = torch.tensor(v, dtype=DTYPE)
        kwargs[k] = v
    return cls(**kwargs)


LOSS_SPEC_KEYS = {"name", "loss", "params", "distance", "reducer", "embedding_regularizer",
                  "weight_regularizer", "kind", "losses", "weights"}


def build_loss(spec, what):
    unknown = set(spec) - LOSS_SPEC_KEYS
    if unknown:
        raise CannotRegenerate(f"{what}: spec keys {sorted(unknown)} not supported (wrapper?)")
    name = spec["loss"]
    if name == "MultipleLosses":
        subs = [build_loss(s, what) for s in spec["losses"]]
        extra = set(spec) - {"name", "loss", "losses", "weights"}
        if extra:
            raise CannotRegenerate(f"{what}: MultipleLosses with {sorted(extra)}")
        return pml_losses.MultipleLosses(subs, weights=spec.get("weights"))
    cls = getattr(pml_losses, name, None)
    if cls is None:
        raise CannotRegenerate(f"{what}: unknown loss {name}")
    kwargs = dict(spec.get("params", {}))
    if "distance" in spec:
        kwargs["distance"] = build_typed(pml_distances, spec["distance"], what)
    if "reducer" in spec:
        kwargs["reducer"] = build_typed(pml_reducers, spec["reducer"], what)
    for k in ("embedding_regularizer", "weight_regularizer"):
        if k in spec:
            kwargs[k] = build_typed(pml_regularizers, spec[k], what)
    return cls(**kwargs)


def build_miner(spec, what):
    unknown = set(spec) - {"name", "miner", "params", "distance"}
    if unknown:
        raise CannotRegenerate(f"{what}: miner spec keys {sorted(unknown)} not supported")
    cls = getattr(pml_miners, spec["miner"], None)
    if cls is None:
        raise CannotRegenerate(f"{what}: unknown miner {spec['miner']}")
    kwargs = dict(spec.get("params", {}))
    if "distance" in spec:
        kwargs["distance"] = build_typed(pml_distances, spec["distance"], what)
    return cls(**kwargs)


def tolist(t):
    return t.detach().cpu().tolist()


def init_parameter(loss_fn, spec, name, p, what):
    """PML's own initialisation of a learnable parameter, applied in float64 (from seed + 1000)."""
    if name == "beta" and isinstance(loss_fn, pml_losses.MarginLoss):
        p.fill_(float(spec.get("params", {}).get("beta", 1.2)))  # MarginLoss: the constant beta
    elif name == "proxies" and isinstance(loss_fn, pml_losses.ManifoldLoss):
        p.copy_(torch.randn(p.shape, dtype=DTYPE))  # ManifoldLoss: torch.randn(K, l)
    elif getattr(loss_fn, "weight_init_func", None) is not None:
        loss_fn.weight_init_func(p)  # ArcFace & co: normal_; SoftTriple: kaiming_uniform_; ProxyAnchor: kaiming_normal_
    else:
        raise CannotRegenerate(f"{what}: no known initialisation for parameter {name}")


# ---- losses --------------------------------------------------------------------------------------


def regen_loss(case, seed):
    what = case["name"]
    spec = case["spec"]
    kind = case.get("kind", spec.get("kind", "labels"))
    if kind not in ("labels", "manifold"):
        raise CannotRegenerate(f"{what}: kind {kind!r} is not regenerated by this script")
    emb0 = case["embeddings"]
    n, d = len(emb0), len(emb0[0])
    torch.manual_seed(seed)
    emb = torch.randn(n, d, dtype=DTYPE)
    out = {"name": case["name"], "spec": spec, "seed": seed}
    if kind == "manifold":
        # PML's own draw when ManifoldLoss gets no indices_tuple (manifold_loss.py), from seed + 5.
        k = spec.get("params", {}).get("K", 50)
        torch.manual_seed(seed + META_SEED_OFFSET)
        meta = torch.randint(0, k, (n - k,))
        meta = torch.cat((torch.arange(k), meta))[torch.randperm(n)]
        out["kind"] = kind
        out["meta_classes"] = tolist(meta)
    else:
        labels = balanced_labels(n, n_classes(case["labels"], what))
    loss_fn = build_loss(spec, what).to(DTYPE)
    params = dict(loss_fn.named_parameters())
    if set(params) != set(case.get("initial_parameters", {})):
        raise CannotRegenerate(f"{what}: PML's parameters {sorted(params)} are not the case's "
                               f"{sorted(case.get('initial_parameters', {}))}")
    torch.manual_seed(seed + PARAM_SEED_OFFSET)
    with torch.no_grad():
        for k, p in params.items():
            init_parameter(loss_fn, spec, k, p, what)
    out["initial_parameters"] = {k: tolist(p) for k, p in params.items()}
    if kind != "manifold":
        out["labels"] = tolist(labels)
    out["embeddings"] = tolist(emb)
    x = emb.clone().requires_grad_(True)
    if kind == "manifold":
        loss = loss_fn(x, indices_tuple=meta)
    else:
        loss = loss_fn(x, labels)
    grads = torch.autograd.grad(loss, [x] + list(params.values()), allow_unused=True)
    out["loss"] = loss.item()
    out["grad"] = tolist(grads[0])
    out["parameter_grads"] = {}
    for (k, p), g in zip(params.items(), grads[1:]):
        out["parameter_grads"][k] = tolist(g if g is not None else torch.zeros_like(p))
    if set(out["parameter_grads"]) != set(case.get("parameter_grads", {})):
        raise CannotRegenerate(f"{what}: parameter_grads keys differ from the case's")
    if list(out) != list(case):
        # Same keys, same order as the original record.
        if set(out) != set(case):
            raise CannotRegenerate(f"{what}: record keys {sorted(out)} != the case's {sorted(case)}")
        out = {k: out[k] for k in case}
    return out


# ---- miners --------------------------------------------------------------------------------------


def pairs_sorted(a, b):
    return sorted({(int(i), int(j)) for i, j in zip(a.tolist(), b.tolist())})


def regen_miner(case, seed, ref_seed):
    what = case["name"]
    n, d = len(case["embeddings"]), len(case["embeddings"][0])
    torch.manual_seed(seed)
    emb = torch.randn(n, d, dtype=DTYPE)
    labels = balanced_labels(n, n_classes(case["labels"], what))
    out = {"name": case["name"], "spec": case["spec"], "embeddings": tolist(emb), "labels": tolist(labels)}
    miner = build_miner(case["spec"], what)
    args = [emb, labels]
    if "ref_embeddings" in case:
        rn, rd = len(case["ref_embeddings"]), len(case["ref_embeddings"][0])
        torch.manual_seed(ref_seed)
        ref = torch.randn(rn, rd, dtype=DTYPE)
        ref_labels = balanced_labels(rn, n_classes(case["ref_labels"], what + " ref"))
        out["ref_embeddings"], out["ref_labels"] = tolist(ref), tolist(ref_labels)
        args += [ref, ref_labels]
    res = miner(*args)
    if "triplets" in case:
        if len(res) != 3:
            raise CannotRegenerate(f"{what}: case has triplets, miner returned {len(res)} tensors")
        a, p, nn_ = (r.tolist() for r in res)
        out["triplets"] = [list(t) for t in sorted(set(zip(a, p, nn_)))]
    elif "pos_pairs" in case and "neg_pairs" in case:
        if len(res) != 4:
            raise CannotRegenerate(f"{what}: case has pairs, miner returned {len(res)} tensors")
        out["pos_pairs"] = [list(t) for t in pairs_sorted(res[0], res[1])]
        out["neg_pairs"] = [list(t) for t in pairs_sorted(res[2], res[3])]
    else:
        raise CannotRegenerate(f"{what}: miner case with neither triplets nor pairs")
    if set(out) != set(case):
        raise CannotRegenerate(f"{what}: record keys {sorted(out)} != the case's {sorted(case)}")
    return {k: out[k] for k in case}


def regen_frequencies(case, seed):
    what = case["name"]
    n, d = len(case["embeddings"]), len(case["embeddings"][0])
    torch.manual_seed(seed)
    emb = torch.nn.functional.normalize(torch.randn(n, d, dtype=DTYPE), dim=1)
    labels = balanced_labels(n, n_classes(case["labels"], what))
    miner = build_miner(case["spec"], what)
    counts = collections.Counter()
    arity = case["tuple_arity"]
    for _ in range(case["draws"]):
        res = miner(emb, labels)
        if len(res) != arity:
            raise CannotRegenerate(f"{what}: miner returned {len(res)} tensors, case says {arity}")
        if arity == 3:
            for t in zip(*(r.tolist() for r in res)):
                counts["(%d, %d, %d)" % t] += 1
        elif arity == 4:
            a1, p, a2, nn_ = (r.tolist() for r in res)
            for t in zip(a1, p):
                counts["pos (%d, %d)" % t] += 1
            for t in zip(a2, nn_):
                counts["neg (%d, %d)" % t] += 1
        else:
            raise CannotRegenerate(f"{what}: tuple_arity {arity}")
    out = {"name": case["name"], "spec": case["spec"], "embeddings": tolist(emb), "labels": tolist(labels),
           "draws": case["draws"], "tuple_arity": arity, "frequencies": dict(sorted(counts.items()))}
    if set(out) != set(case):
        raise CannotRegenerate(f"{what}: record keys {sorted(out)} != the case's {sorted(case)}")
    return {k: out[k] for k in case}


# ---- accuracy ------------------------------------------------------------------------------------


def knn_distance(name, what):
    if name == "CosineSimilarity":
        return pml_distances.CosineSimilarity()
    if name == "LpDistance_raw":
        return pml_distances.LpDistance(normalize_embeddings=False)
    raise CannotRegenerate(f"{what}: accuracy distance {name!r} unknown")


def draw_accuracy_inputs(case, seed, what):
    if case["query"] != case["reference"] or case["query_labels"] != case["reference_labels"]:
        raise CannotRegenerate(f"{what}: query differs from reference; only query = reference is regenerated")
    if not case["ref_includes_query"]:
        raise CannotRegenerate(f"{what}: ref_includes_query False with query = reference")
    n, d = len(case["query"]), len(case["query"][0])
    c = max(case["query_labels"]) + 1
    torch.manual_seed(seed)
    centres = torch.randn(c, d, dtype=DTYPE)
    labels = torch.randint(0, c, (n,))
    x = (ACC_CENTRE_SCALE * centres[labels] + torch.randn(n, d, dtype=DTYPE)).float()
    return x, labels


def jsonable(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return [jsonable(x) for x in v]
    if isinstance(v, torch.Tensor):
        return jsonable(v.tolist())
    return float(v)


def regen_accuracy(case, x, labels):
    what = "accuracy " + json.dumps(case.get("options"))
    opts = dict(case.get("options", {"k": case.get("k")}))
    known = {"k", "avg_of_avgs", "return_per_class"}
    if set(opts) - known:
        raise CannotRegenerate(f"{what}: options {sorted(set(opts) - known)} unknown")
    if "k" in case and opts.get("k") != case["k"]:
        raise CannotRegenerate(f"{what}: k {case['k']!r} differs from options")
    calc = AccuracyCalculator(include=ACCURACY_METRICS, knn_func=CustomKNN(knn_distance(case["distance"], what)),
                              **opts)
    metrics = calc.get_accuracy(x, labels, x, labels, case["ref_includes_query"])
    if set(metrics) != set(case["metrics"]):
        raise CannotRegenerate(f"{what}: metrics {sorted(metrics)} != {sorted(case['metrics'])}")
    out = dict(case)
    out["query"] = out["reference"] = x.double().tolist()
    out["query_labels"] = out["reference_labels"] = labels.tolist()
    out["metrics"] = {k: jsonable(metrics[k]) for k in sorted(metrics)}
    return out


# ---- driver --------------------------------------------------------------------------------------


def regenerate(data, s):
    off = SEED_STRIDE * s
    out = {k: v for k, v in data.items() if k not in ("losses", "miners", "accuracy", "failed")}
    out["losses"] = [regen_loss(c, c["seed"] + off) for c in data.get("losses", [])]
    out["miners"] = []
    ref = freq = 0
    for i, c in enumerate(data.get("miners", [])):
        if "frequencies" in c:
            out["miners"].append(regen_frequencies(c, FREQ_SEED + freq + off))
            freq += 1
            continue
        out["miners"].append(regen_miner(c, MINER_SEED + i + off, MINER_REF_SEED + ref + off))
        if "ref_embeddings" in c:
            ref += 1
    out["accuracy"] = []
    groups = []  # distinct (query, labels) of the original, in order of first appearance
    for c in data.get("accuracy", []):
        key = (json.dumps(c["query"]), json.dumps(c["query_labels"]))
        if key not in groups:
            groups.append(key)
        g = groups.index(key)
        what = "accuracy case %d" % len(out["accuracy"])
        x, labels = draw_accuracy_inputs(c, ACC_SEED + g + off, what)
        out["accuracy"].append(regen_accuracy(c, x, labels))
    out["failed"] = []
    if data.get("failed"):
        raise CannotRegenerate(f"input lists failed cases: {data['failed']}")
    unknown = set(data) - {"pml_version", "torch", "dtype", "losses", "miners", "accuracy", "failed", "reseed"}
    if unknown:
        raise CannotRegenerate(f"top-level keys {sorted(unknown)} not regenerated")
    out["pml_version"] = pytorch_metric_learning.__version__
    out["torch"] = torch.__version__
    out["dtype"] = "float64"
    out["reseed"] = {"seed": s, "seed_offset": off, "from": data.get("reseed", {}).get("from", "pml-2.8.1-parity.json"),
                     "script": "scripts/golden_reseed.py"}
    return out


def rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    nb = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / nb) if nb else float(np.linalg.norm(a - b))


def compare(new, old):
    """--seed 0: compare the recomputed cases with the input file; returns the problems."""
    problems, worst = [], collections.defaultdict(float)
    for a, b in zip(new["losses"], old["losses"]):
        for k in ("embeddings", "labels", "meta_classes", "initial_parameters"):
            if a.get(k) != b.get(k):
                problems.append(f"{b['name']}: {k} not reproduced")
        worst["loss"] = max(worst["loss"], rel(a["loss"], b["loss"]))
        worst["grad"] = max(worst["grad"], rel(a["grad"], b["grad"]))
        for k in b["parameter_grads"]:
            worst["parameter_grads"] = max(worst["parameter_grads"], rel(a["parameter_grads"][k], b["parameter_grads"][k]))
    for a, b in zip(new["miners"], old["miners"]):
        for k in b:
            if k == "frequencies":
                same = a[k] == b[k]
                tv = 0.5 * sum(abs(a[k].get(t, 0) - b[k].get(t, 0)) for t in set(a[k]) | set(b[k])) / sum(b[k].values())
                print(f"  {b['name']}: frequencies {'identical' if same else 'differ'} "
                      f"(total variation {tv:.4f}, {len(a[k])} vs {len(b[k])} tuples)")
            elif a[k] != b[k]:
                problems.append(f"{b['name']}: {k} not reproduced")
    for i, (a, b) in enumerate(zip(new["accuracy"], old["accuracy"])):
        for k in ("query", "query_labels", "reference", "reference_labels"):
            if a[k] != b[k]:
                problems.append(f"accuracy {i}: {k} not reproduced")
        for m in b["metrics"]:
            worst["accuracy"] = max(worst["accuracy"], float(np.max(np.abs(np.asarray(a["metrics"][m]) - np.asarray(b["metrics"][m])))))
    print("  worst differences from the input file: " + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--in", dest="inp", default="testdata/golden/pml-2.8.1-parity.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, required=True, help="0 recomputes the original cases and compares")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_default_dtype(DTYPE)  # as the original: PML's literal tensors (MarginLoss beta, HistogramLoss bins, ...) in float64
    with open(a.inp) as f:
        data = json.load(f)
    if pytorch_metric_learning.__version__ != data.get("pml_version"):
        print(f"golden_reseed: PML {pytorch_metric_learning.__version__}, the file is {data.get('pml_version')}",
              file=sys.stderr)
        return 1
    try:
        new = regenerate(data, a.seed)
    except CannotRegenerate as e:
        print(f"golden_reseed: cannot regenerate: {e}", file=sys.stderr)
        return 1
    if a.seed == 0:
        problems = compare(new, data)
        for p in problems:
            print("  " + p, file=sys.stderr)
        if problems:
            return 1
    with open(a.out, "w") as f:
        json.dump(new, f)
    print(f"golden_reseed: seed {a.seed}: {len(new['losses'])} losses, {len(new['miners'])} miners, "
          f"{len(new['accuracy'])} accuracy cases -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
