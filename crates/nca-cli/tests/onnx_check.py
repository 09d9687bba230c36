"""Runs an exported refiner in onnxruntime and compares it with nca's own forward pass.

Usage: onnx_check.py MODEL.onnx CASES_DIR TOLERANCE

CASES_DIR holds cases.json, a list of {"name": ..., "batch": B}, and for each case
NAME.input.f32 (B x 1 x H x W) and NAME.expected.f32 (steps x B x 1 x H x W), raw little-endian
float32. Exit status: 0 when every output of every case is within TOLERANCE, 1 when not,
3 when onnxruntime or numpy cannot be imported (the caller decides whether that is a skip).
"""

import json
import os
import sys

from onnx_common import run, within


def check(np, sess, cases_dir, tol) -> list:
    inputs, outputs = sess.get_inputs(), sess.get_outputs()
    problems = []
    if [i.name for i in inputs] != ["x"]:
        problems.append(f"inputs are {[i.name for i in inputs]}, expected ['x']")
    elif isinstance(inputs[0].shape[0], int):
        problems.append(f"the batch dimension is fixed: {inputs[0].shape}")
    names = [o.name for o in outputs]
    steps = len(names)
    if names != [f"out{t:02d}" for t in range(steps)]:
        problems.append(f"outputs are {names}")

    with open(os.path.join(cases_dir, "cases.json")) as f:
        cases = json.load(f)
    for case in cases:
        b, name = case["batch"], case["name"]
        x = np.fromfile(os.path.join(cases_dir, f"{name}.input.f32"), dtype="<f4")
        side = int(round((x.size / b) ** 0.5))
        x = x.reshape(b, 1, side, side)
        want = np.fromfile(os.path.join(cases_dir, f"{name}.expected.f32"), dtype="<f4")
        want = want.reshape(steps, b, 1, side, side)
        got = sess.run(None, {"x": x})
        worst = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want))
        print(f"{name}: batch {b}, {steps} outputs, max abs difference {worst:.3g}")
        problems += within(worst, tol, f"{name}: ")
    return problems


if __name__ == "__main__":
    sys.exit(run(check))
