#!/usr/bin/env bash
# Measures NT-Xent, Contrastive and SupCon forward + backward (float32, D=128, two views per class) at
# N = 256, 1024, 4096 and 16384: time per step and the peak RSS of a process running only that case.
# Usage: scripts/bench-losses.sh [sizes...]   (GOEXPERIMENT=simd is used when the toolchain has it)
# Needs /usr/bin/time (Debian package "time").
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-256 1024 4096 16384}")
bin=$(mktemp -d)/losses.test
GOEXPERIMENT=${GOEXPERIMENT-simd} go test -c -o "$bin" ./losses
echo "| loss | N | time/step | peak RSS |"
echo "|---|---|---|---|"
for loss in ntxent contrastive supcon; do
  for n in ${sizes[@]}; do
    iters=5
    [ "$n" -ge 4096 ] && iters=2
    [ "$n" -ge 16384 ] && iters=1
    out=$(/usr/bin/time -v "$bin" -test.run XXX -test.bench "Losses/$loss/N=$n\$" -test.benchtime ${iters}x 2>&1)
    ns=$(echo "$out" | awk '/^BenchmarkLosses/ {print $3}')
    rss=$(echo "$out" | awk '/Maximum resident/ {print $6}')
    printf "| %s | %d | %s | %s MB |\n" "$loss" "$n" \
      "$(awk -v ns="$ns" 'BEGIN { if (ns >= 1e9) printf "%.2f s", ns/1e9; else printf "%.1f ms", ns/1e6 }')" \
      "$(awk -v k="$rss" 'BEGIN { printf "%.0f", k/1024 }')"
  done
done
