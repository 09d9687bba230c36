"""What onnx_check.py and onnx_tick_check.py share: the onnxruntime import, the session, the
tolerance check and the exit status (0 when every check passes, 1 when not, 3 when onnxruntime or
numpy cannot be imported: the caller decides whether that is a skip)."""

import sys


def run(check) -> int:
    """Runs `check(np, sess, case_dir, tol)`, which returns the problems it found, on the command
    line's MODEL.onnx CASE_DIR TOLERANCE; prints each problem and returns the exit status."""
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:  # the caller turns this into a skip note or a failure
        print(f"onnxruntime unavailable: {e}")
        return 3

    model, case_dir, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    problems = check(np, sess, case_dir, tol)
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0



def within(worst, tol, prefix="") -> list:
    """The problem (none, or one) of a largest difference `worst` against `tol`."""
    return [] if worst <= tol else [f"{prefix}max abs difference {worst} exceeds {tol}"]
