"""Reference values of PML 2.8.1's CrossBatchMemory with a miner, an enqueue_mask or a user
indices_tuple, for losses/crossbatchmemory_test.go (float64).

Each case is one CrossBatchMemory object called on consecutive batches (the memory wraps around);
each step records the batch, the call's extra arguments, the loss and its gradient with respect to
the batch. A user indices_tuple indexes the batch (anchors) and E_mem, the filled memory slots
(positives, negatives), as PML reads it. Run from the repository root:

    PYTHONPATH=/tmp/pml/src python3 losses/testdata/gen_xbm.py > losses/testdata/xbm-pml.json
"""
import json
import sys

import torch
from pytorch_metric_learning import __version__ as pml_version
from pytorch_metric_learning import losses, miners

# name, inner loss (spec, object), miner (spec, object) or None, memory size, batch size, steps,
# extra: "mask" (an enqueue_mask per step), "pairs" or "triplets" (a user indices_tuple per step).
CASES = [
    ("ms_miner", "ContrastiveLoss()", lambda: losses.ContrastiveLoss(),
     "MultiSimilarityMiner(epsilon=0.1)", lambda: miners.MultiSimilarityMiner(epsilon=0.1), 10, 4, 4, None),
    ("pairmargin_miner", "MultiSimilarityLoss()", lambda: losses.MultiSimilarityLoss(),
     "PairMarginMiner(pos_margin=0.6, neg_margin=0.9)", lambda: miners.PairMarginMiner(pos_margin=0.6, neg_margin=0.9), 9, 4, 4, None),
    ("triplet_miner", "ContrastiveLoss()", lambda: losses.ContrastiveLoss(),
     "TripletMarginMiner(margin=0.3, type_of_triplets=\"all\")", lambda: miners.TripletMarginMiner(margin=0.3, type_of_triplets="all"), 10, 4, 4, None),
    ("batchhard_miner", "NTXentLoss()", lambda: losses.NTXentLoss(),
     "BatchHardMiner()", lambda: miners.BatchHardMiner(), 10, 4, 4, None),
    # The easiest positive is the query's own copy: PML removes it after mining, keeping the negative.
    ("batcheasyhard_miner", "ContrastiveLoss()", lambda: losses.ContrastiveLoss(),
     "BatchEasyHardMiner(pos_strategy=\"easy\", neg_strategy=\"hard\")",
     lambda: miners.BatchEasyHardMiner(pos_strategy="easy", neg_strategy="hard"), 10, 4, 4, None),
    ("pairmargin_keep_all", "ContrastiveLoss(pos_margin=0.1)", lambda: losses.ContrastiveLoss(pos_margin=0.1),
     "PairMarginMiner(pos_margin=-0.1, neg_margin=0.9)", lambda: miners.PairMarginMiner(pos_margin=-0.1, neg_margin=0.9), 10, 4, 4, None),
    ("enqueue_mask", "ContrastiveLoss()", lambda: losses.ContrastiveLoss(), None, None, 8, 6, 4, "mask"),
    ("enqueue_mask_miner", "NTXentLoss()", lambda: losses.NTXentLoss(),
     "MultiSimilarityMiner(epsilon=0.2)", lambda: miners.MultiSimilarityMiner(epsilon=0.2), 8, 6, 4, "mask"),
    ("user_pairs", "ContrastiveLoss()", lambda: losses.ContrastiveLoss(), None, None, 10, 4, 4, "pairs"),
    ("user_triplets", "MultiSimilarityLoss()", lambda: losses.MultiSimilarityLoss(), None, None, 10, 4, 4, "triplets"),
    ("user_pairs_triplet_miner", "ContrastiveLoss()", lambda: losses.ContrastiveLoss(),
     "TripletMarginMiner(margin=0.3, type_of_triplets=\"all\")", lambda: miners.TripletMarginMiner(margin=0.3, type_of_triplets="all"), 10, 4, 4, "pairs"),
]

D = 3
CLASSES = 3


def run(case, seed):
    name, loss_spec, make_loss, miner_spec, make_miner, memory, batch, steps, extra = case
    torch.manual_seed(seed)
    xbm = losses.CrossBatchMemory(make_loss(), D, memory_size=memory, miner=make_miner() if make_miner else None)
    out = {"name": name, "loss": loss_spec, "miner": miner_spec, "memory_size": memory, "embedding_size": D, "steps": []}
    filled = 0
    for _ in range(steps):
        emb = torch.randn(batch, D, dtype=torch.float64, requires_grad=True)
        labels = torch.randint(0, CLASSES, (batch,))
        step = {"embeddings": emb.detach().tolist(), "labels": labels.tolist()}
        kwargs = {}
        if extra == "mask":
            mask = torch.rand(batch) < 0.5
            mask[0], mask[1] = True, False  # Something enqueued, something queried.
            kwargs["enqueue_mask"] = mask
            step["enqueue_mask"] = mask.tolist()
            filled = min(filled + int(mask.sum()), memory)
        else:
            filled = min(filled + batch, memory)
        if extra in ("pairs", "triplets"):
            k = 5
            lists = [torch.randint(0, batch, (k,)), torch.randint(0, filled, (k,))]
            if extra == "pairs":
                lists += [torch.randint(0, batch, (k,)), torch.randint(0, filled, (k,))]
            else:
                lists += [torch.randint(0, filled, (k,))]
            kwargs["indices_tuple"] = tuple(lists)
            step[extra] = [x.tolist() for x in lists]
        loss = xbm(emb, labels, **kwargs)
        loss.backward()
        step["loss"], step["grad"] = loss.item(), emb.grad.tolist()
        out["steps"].append(step)
    return out


def main():
    out = {"pml_version": pml_version, "torch": torch.__version__, "dtype": "float64",
           "cases": [run(c, 200 + i) for i, c in enumerate(CASES)]}
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
