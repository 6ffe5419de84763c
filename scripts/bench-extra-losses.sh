#!/usr/bin/env bash
# The losses both libraries have that ../shared/bench/ratio does not run (ThresholdConsistentMargin
# and Manifold), PML beside gometric on this machine: scripts/pml_extra_losses.py, then gometric's
# lossbench on the same cases (float32, D = 128, labels i/2, forward + backward; lossbench runs
# ComputeWithContext on backend.Shared(), as ratio.sh's gobench does, each case in its own process).
#
# Usage: PML_PYTHONPATH=DIR scripts/bench-extra-losses.sh   (DIR holds pytorch_metric_learning;
#   needs Debian's python3-torch and python3-tqdm)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PML_PYTHONPATH:?set PML_PYTHONPATH to the folder holding pytorch_metric_learning}"
PYTHONPATH=$PML_PYTHONPATH /usr/bin/python3 scripts/pml_extra_losses.py 256 1024
GOEXPERIMENT=${GOEXPERIMENT-simd} go run ./losses/internal/lossbench -losses thresholdconsistentmargin,manifold \
  -sizes 256,1024 -iters 8 -budget-s 3
