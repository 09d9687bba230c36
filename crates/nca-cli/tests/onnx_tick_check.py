"""Runs an exported one-tick NCA graph for N ticks in onnxruntime and compares every state with
nca's own forward pass.

Usage: onnx_tick_check.py MODEL.onnx CASE_DIR TOLERANCE

CASE_DIR holds case.json: {"family": F, "ticks": N, "state": [B, C, H, W],
"random": {"fire": [B, 1, H, W], ...}}, and raw little-endian float32 files: state.f32 (the
start state), one NAME.f32 per random input (N draws, one per tick) and expected.f32 (the N
states after each tick). Exit status: 0 when every tick is within TOLERANCE and the model's
metadata and inputs are as expected, 1 when not, 3 when onnxruntime or numpy cannot be imported.
"""

import json
import os
import sys

from onnx_common import run, within


def check(np, sess, case_dir, tol) -> list:
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    problems = []
    meta = sess.get_modelmeta().custom_metadata_map
    if meta.get("nca.family") != case["family"]:
        problems.append(f"metadata nca.family is {meta.get('nca.family')!r}")
    try:
        json.loads(meta.get("nca.config", ""))
    except ValueError:
        problems.append("metadata nca.config is not JSON")
    want_inputs = ["state"] + list(case["random"].keys())
    got_inputs = [i.name for i in sess.get_inputs()]
    if got_inputs != want_inputs:
        problems.append(f"inputs are {got_inputs}, expected {want_inputs}")
    if [o.name for o in sess.get_outputs()] != ["next_state"]:
        problems.append(f"outputs are {[o.name for o in sess.get_outputs()]}")

    def read(name, shape):
        return np.fromfile(os.path.join(case_dir, name), dtype="<f4").reshape(shape)

    ticks, shape = case["ticks"], case["state"]
    state = read("state.f32", shape)
    draws = {k: read(f"{k}.f32", [ticks] + v) for k, v in case["random"].items()}
    expected = read("expected.f32", [ticks] + shape)
    worst = 0.0
    for t in range(ticks):
        feed = {"state": state}
        feed.update({k: v[t] for k, v in draws.items()})
        state = sess.run(None, feed)[0]
        worst = max(worst, float(np.max(np.abs(state - expected[t]))))
    print(f"{case['family']}: {ticks} ticks of {shape}, max abs difference {worst:.3g}")
    return problems + within(worst, tol)


if __name__ == "__main__":
    sys.exit(run(check))
