"""PML's side of the losses both libraries have that ../shared/bench/ratio does not run.

  PYTHONPATH=DIR /usr/bin/python3 scripts/pml_extra_losses.py [sizes...]    (default: 256 1024)

ThresholdConsistentMarginLoss and ManifoldLoss (PML 2.8.1 defaults; ManifoldLoss takes no labels
and l = D), forward + backward to the embeddings, float32, D = 128, labels i // 2, embeddings drawn
from torch.Generator().manual_seed(N) as ratio.sh's, torch with 2 threads. Prints one line per case:
the median of the timed steps after a warm-up step (at most 8, fewer once they add up to 20 s).
scripts/bench-extra-losses.sh runs it beside gometric's lossbench.
"""
import statistics
import sys
import time

import torch
from pytorch_metric_learning import losses

D = 128


def make(name):
    if name == "manifold":
        return losses.ManifoldLoss(l=D)
    return losses.ThresholdConsistentMarginLoss()


def main():
    torch.set_num_threads(2)
    sizes = [int(s) for s in sys.argv[1:]] or [256, 1024]
    for name in ("thresholdconsistentmargin", "manifold"):
        for n in sizes:
            emb0 = torch.randn(n, D, generator=torch.Generator().manual_seed(n))
            labels = torch.arange(n) // 2
            loss = make(name)
            times = []
            for _ in range(9):
                emb = emb0.clone().requires_grad_(True)
                t0 = time.perf_counter()
                value = loss(emb) if name == "manifold" else loss(emb, labels)
                value.backward()
                times.append(time.perf_counter() - t0)
                if sum(times) > 20:
                    break
            timed = times[1:] or times
            print(f"pml {name} N={n}: {1000 * statistics.median(timed):.3g} ms (median of {len(timed)} steps), loss {value.item():.6g}")


if __name__ == "__main__":
    main()
