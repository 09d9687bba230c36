#!/usr/bin/env bash
# The Python package's cost and its speed against PyTorch (see BENCHMARKS.md, "From Python"):
# builds nca-bench and the nca-rs wheel, installs the wheel into benches/.venv (torch from PyPI,
# set up on first use as benches/run.sh does) and runs benches/python_overhead.py.
#
#   NCA_DATA=/path/to/data bash benches/python.sh [--rounds N] [--calls N]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=benches/.venv
if ! "$VENV/bin/python" -c "import torch, numpy" 2>/dev/null; then
  echo "setting up $VENV (torch, numpy from PyPI) ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q torch numpy
fi
cargo build --release -q --workspace --bin nca-bench
"$VENV/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps ./crates/nca-py
"$VENV/bin/python" benches/python_overhead.py "$@"
