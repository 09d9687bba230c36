#!/usr/bin/env bash
# Runs every benchmark case with our implementation and the PyTorch reference on the same
# inputs, one process per case and implementation, and prints a table and one JSON line of
# speedups (PyTorch ms per step / ours; above 1 means we are faster). See BENCHMARKS.md.
#
# Each case runs BENCH_ROUNDS times (default 3), ours and PyTorch back to back in alternating
# order; the speedup reported is the median of the rounds' ratios (the shared 2-core hosts this
# runs on change speed by tens of percent within minutes, which a single pair can catch).
#
#   bash benches/run.sh [--data DIR] [--iters N]
#   BENCH_CASES="refine_b256" BENCH_ROUNDS=1 bash benches/run.sh   # only some cases, once
#
# Needs NCA_DATA (or --data) pointing at the data folder (MNIST + emoji). Sets up its own Python
# environment in benches/.venv (git-ignored; torch from PyPI, CPU use, ~5 GB) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_ARGS=()
ITER_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) DATA_ARGS=(--data "$2"); shift 2 ;;
    --iters) ITER_ARGS=(--iters "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

VENV=benches/.venv
if ! "$VENV/bin/python" -c "import torch, numpy" 2>/dev/null; then
  echo "setting up $VENV (torch, numpy from PyPI) ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q torch numpy
fi

# The whole workspace's features (as `cargo build --release --workspace`), so that this build
# and the README's do not keep rebuilding Burn for each other.
cargo build --release -q --workspace --bin nca-bench
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROUNDS="${BENCH_ROUNDS:-3}"
CASES=(classify_b16 classify_b64 grow_b8 infer_classify infer_grow refine_b256)
[[ -n "${BENCH_CASES:-}" ]] && read -r -a CASES <<< "$BENCH_CASES"
for case in "${CASES[@]}"; do
  ref=benches/reference/nca_reference.py
  [[ $case == refine* ]] && ref=benches/reference/refine_reference.py
  for ((round = 1; round <= ROUNDS; round++)); do
    echo "== $case, round $round of $ROUNDS" >&2
    out="$WORK/results.$round.jsonl"
    ours() { ./target/release/nca-bench "$case" --dir "$WORK/$case" "${DATA_ARGS[@]}" "${ITER_ARGS[@]}" | tee -a "$out" >&2; }
    theirs() { "$VENV/bin/python" "$ref" "$WORK/$case" | tee -a "$out" >&2; }
    # Round 1 runs ours first: nca-bench writes the inputs the reference reads (the same every
    # round, all seeds fixed), so later rounds can alternate the order.
    if ((round % 2)); then ours; theirs; else theirs; ours; fi
  done
done
"$VENV/bin/python" benches/report.py "$WORK"/results.*.jsonl
