#!/usr/bin/env bash
# Soak test of resumable training: trains grow for STEPS steps while SIGKILLing the process at
# random moments KILLS times (each time resuming with --resume), then checks that the final
# weights equal those of an uninterrupted run bit for bit. See BENCHMARKS.md, "Robustness".
#
#   bash benches/soak.sh [KILLS (20)] [STEPS (1000)] [SEED (1)]
#
# Settings are small so that it runs in minutes on 2 cores: the built-in circle target on a
# 24x24 grid, batch 4, a pool of 64, 32..48 ticks a step, a checkpoint every 10 steps.
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS="${1:-20}"
STEPS="${2:-1000}"
RANDOM="${3:-1}" # seeds bash's $RANDOM: the kill moments are reproducible
cargo build --release -q -p nca-cli
NCA="$PWD/target/release/nca"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# The binary itself (not a shell function) goes in the background, so that $! is its pid.
TRAIN=("$NCA" grow train --target circle --size 16 --pad 4 --batch 4 --pool 64 --ticks 32..48
  --steps "$STEPS" --checkpoint-every 10 --log-every 10 --json --out)

t0=$(date +%s.%N)
"${TRAIN[@]}" "$W/straight" > /dev/null
t1=$(date +%s.%N)
per_run=$(python3 -c "print(round($t1 - $t0, 2))")
echo "uninterrupted: $STEPS steps in ${per_run} s" >&2

killed=0
resume=()
while (( killed < KILLS )); do
  "${TRAIN[@]}" "$W/soak" "${resume[@]}" > /dev/null 2>&1 &
  pid=$!
  # A random moment, on average 0.6/KILLS of a run's length, so that all KILLS kills land
  # before the run completes (one may land in a checkpoint write).
  delay=$(python3 -c "print(round(0.05 + $per_run * ($RANDOM % 1000) / 1000 * 1.2 / $KILLS, 3))")
  sleep "$delay"
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    killed=$((killed + 1))
    step=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read() or "{}").get("step","-"))' \
      "$W/soak/checkpoint/trainer.json" 2>/dev/null || echo "-")
    echo "kill $killed after ${delay} s (last checkpoint: step $step)" >&2
  else
    wait "$pid" # finished before the kill: the run is complete
    break
  fi
  # Resume once a checkpoint exists (a kill before the first one leaves none: start afresh).
  resume=()
  if [[ -d "$W/soak/checkpoint" || -d "$W/soak/.checkpoint.old" ]]; then resume=(--resume); fi
done
resume=()
if [[ -d "$W/soak/checkpoint" || -d "$W/soak/.checkpoint.old" ]]; then resume=(--resume); fi
"${TRAIN[@]}" "$W/soak" "${resume[@]}" > "$W/last.json"
echo "final run: $(cat "$W/last.json")" >&2

python3 - "$W/straight/checkpoint/model.safetensors" "$W/soak/checkpoint/model.safetensors" "$killed" <<'PY'
import json, struct, sys

def tensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    return {k: body[v["data_offsets"][0]:v["data_offsets"][1]]
            for k, v in header.items() if k != "__metadata__"}

a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
same = a.keys() == b.keys() and all(a[k] == b[k] for k in a)
print(json.dumps({"kills": int(sys.argv[3]), "tensors": len(a), "bit_equal": same}))
sys.exit(0 if same else 1)
PY
