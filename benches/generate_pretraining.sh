#!/usr/bin/env bash
# Per-digit pretraining + merge + unified fine-tuning vs training from scratch at equal steps.
set -euo pipefail
N=${NCA:-./target/release/nca}; P=${PER_DIGIT:-40}; F=${FINETUNE:-300}; O=${OUT:-runs/pretrain}
mkdir -p "$O"
ck=()
for d in 0 1 2 3 4 5 6 7 8 9; do
  [ -f "$O/digit$d/checkpoint/model.safetensors" ] || "$N" generate train --digit $d --steps "$P" --out "$O/digit$d" --json
  ck+=("$O/digit$d/checkpoint/model.safetensors")
done
"$N" generate merge "${ck[@]}" -o "$O/merged.safetensors" --force
"$N" generate train --init "$O/merged.safetensors" --steps "$F" --out "$O/finetuned" --json
"$N" generate train --steps $((10 * P + F)) --out "$O/scratch" --json
for r in finetuned scratch; do
  "$N" generate eval --checkpoint "$O/$r/checkpoint/model.safetensors" --json > "$O/$r.eval.json"
done
"$N" generate eval --checkpoint "$O/merged.safetensors" --json > "$O/merged.eval.json"
