#!/usr/bin/env bash
# Speed of the classic systems (elementary CA, Lenia) against a NumPy/SciPy reference of the same
# steps, on the same machine in one run: cell updates per second and the ratio ours / NumPy.
# See BENCHMARKS.md, "Classic systems". Sets up benches/.venv-classic (numpy, scipy) on first use.
#
#   bash benches/classic.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=benches/.venv-classic
if ! "$VENV/bin/python" -c "import numpy, scipy" 2>/dev/null; then
  echo "setting up $VENV (numpy, scipy from PyPI) ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q numpy scipy
fi
cargo build --release -q --workspace --bin classic-bench
OURS=$(./target/release/classic-bench)
THEIRS=$(OMP_NUM_THREADS=2 "$VENV/bin/python" benches/reference/classic_reference.py crates/nca-life/patterns/lenia.json)
echo "$OURS"
echo "$THEIRS"
OURS="$OURS" THEIRS="$THEIRS" "$VENV/bin/python" - <<'PY'
import json, os
ours = {r["case"]: r for r in map(json.loads, os.environ["OURS"].splitlines())}
theirs = {r["case"]: r for r in map(json.loads, os.environ["THEIRS"].splitlines())}
pairs = [("eca", "eca"), ("lenia_fft_128", "lenia_fft_128"), ("lenia_fft_512", "lenia_fft_512"),
         ("lenia_fft_128", "lenia_scipy_fftconvolve_128")]
print(f"\n{'ours':<18} {'cells/s':>12}   {'NumPy/SciPy':<28} {'cells/s':>12}  ratio")
for a, b in pairs:
    if a in ours and b in theirs:
        x, y = ours[a]["cell_steps_per_s"], theirs[b]["cell_steps_per_s"]
        print(f"{a:<18} {x:>12.3e}   {b:<28} {y:>12.3e}  {x / y:6.2f}x")
if "lenia_fft_128" in ours and "lenia_direct_128" in ours:
    f, d = ours["lenia_fft_128"]["cell_steps_per_s"], ours["lenia_direct_128"]["cell_steps_per_s"]
    print(f"\nours at 128², R=13: FFT {f:.3e} vs direct convolution {d:.3e} cells/s ({f / d:.0f}x)")
PY
