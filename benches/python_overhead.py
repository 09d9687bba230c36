"""What a Python user pays for `nca` and gains over PyTorch: ticks per second of the shipped
lizard (grow) and self-classifier rollouts at batch 1, 1,000 ticks per call, three ways in one
run:

- `nca` from Python: `model.step(state, ticks=1000, seed=call)` (the wheel of crates/nca-py);
- native: `nca-bench rollout_grow|rollout_classify`, the same `Runner::run` with the same seeds
  from Rust, so the ratio is the Python layer's cost (array checks, copies, the GIL release);
- PyTorch: the same rollout written in PyTorch with the model's weights (`model.parameters()`),
  as the original notebooks run it (dense convolutions, fire masks from torch.rand), 2 threads.

Each is the median of its calls; rounds alternate the order, and the overhead is the median of
the rounds' native/Python ratios. "layer" is the Python layer's own cost per call (`step` with
0 ticks: checks and copies) as a share of a 1,000-tick call. Prints a table and one JSON line.

    bash benches/python.sh            # sets up benches/.venv (torch) and the wheel, then runs this
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

import nca

TICKS = 1000


def median(xs):
    return sorted(xs)[len(xs) // 2]


def ours(model, x0, calls):
    times = []
    for call in range(calls + 1):
        t0 = time.perf_counter()
        model.step(x0, ticks=TICKS, seed=call)
        if call:
            times.append(time.perf_counter() - t0)
    return TICKS / median(times)


def layer_cost(model, x0, calls=300):
    """Seconds per call of the Python layer alone: `step` with 0 ticks does everything but the
    engine's work (argument checks, the copy in, the copy out to NumPy)."""
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        model.step(x0, ticks=0)
        times.append(time.perf_counter() - t0)
    return median(times)


def native(bench, case, data, calls):
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run(
            [bench, case, "--dir", d, "--data", data, "--iters", str(calls)],
            check=True, capture_output=True, text=True,
        ).stdout
    return json.loads(out)["ticks_per_s"]


def torch_tick(family, p, thr):
    """One tick of the model in PyTorch, as the original implementations write it."""
    if family == "grow":
        c = p["update.layers.1.weight"].shape[0]
        ident = torch.tensor([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=torch.float32)
        sx = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float32) / 8
        filt = torch.stack([ident, sx, sx.T]).repeat(c, 1, 1)[:, None]

        def tick(x):
            pre = F.max_pool2d(x[:, 3:4], 3, 1, 1) > thr
            y = F.conv2d(x, filt, padding=1, groups=c)
            y = F.relu(F.conv2d(y, p["update.layers.0.weight"], p["update.layers.0.bias"]))
            dx = F.conv2d(y, p["update.layers.1.weight"], p["update.layers.1.bias"])
            fire = (torch.rand(x.shape[0], 1, x.shape[2], x.shape[3]) < 0.5).float()
            x = x + dx * fire
            post = F.max_pool2d(x[:, 3:4], 3, 1, 1) > thr
            return x * (pre & post).float()

        return tick

    def tick(x):
        alive = (x[:, :1] > thr).float()
        y = F.relu(F.conv2d(x, p["perception.weight"], p["perception.bias"], padding=1))
        y = F.relu(F.conv2d(y, p["update.layers.0.weight"], p["update.layers.0.bias"]))
        dx = F.conv2d(y, p["update.layers.1.weight"], p["update.layers.1.bias"])
        fire = (torch.rand(x.shape[0], 1, x.shape[2], x.shape[3]) < 0.5).float()
        return torch.cat([x[:, :1], x[:, 1:] + dx * fire * alive], 1)

    return tick


def pytorch(tick, x0, calls):
    x0 = torch.from_numpy(x0)
    times = []
    with torch.no_grad():
        for call in range(calls + 1):
            t0 = time.perf_counter()
            x = x0
            for _ in range(TICKS):
                x = tick(x)
            if call:
                times.append(time.perf_counter() - t0)
    return TICKS / median(times), x.numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", default="target/release/nca-bench")
    ap.add_argument("--data", default=os.environ.get("NCA_DATA"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=7)
    ap.add_argument("--torch-calls", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    digits, _ = nca.mnist("test", data=a.data, limit=1)
    cases = []
    for family, name, bench_case in [
        ("grow", "lizard", "rollout_grow"),
        ("classify", "classify-mnist", "rollout_classify"),
    ]:
        m = nca.load(name)
        x0 = m.seed() if family == "grow" else m.seed(digits)
        p = {k: torch.from_numpy(v) for k, v in m.parameters().items()}
        tick = torch_tick(family, p, 0.1)
        rows = {"python": [], "native": [], "pytorch": []}
        for r in range(a.rounds):
            order = ["python", "native", "pytorch"]
            if r % 2:
                order.reverse()
            for impl in order:
                if impl == "python":
                    rows[impl].append(ours(m, x0, a.calls))
                elif impl == "native":
                    rows[impl].append(native(a.bench, bench_case, a.data, a.calls))
                else:
                    tps, final = pytorch(tick, x0, a.torch_calls)
                    rows[impl].append(tps)
        # The PyTorch rollout is the same model: the lizard it grows is as close to the target.
        check = None
        if family == "grow":
            err = lambda s: float(((s[:, :4] - m.target[None]) ** 2).mean())
            check = {"pytorch_loss_after_1000": err(final),
                     "nca_loss_after_1000": err(m.step(x0, ticks=TICKS, seed=0))}
        py, nat, pt = (median(rows[k]) for k in ["python", "native", "pytorch"])
        # The host's speed drifts by tens of percent within minutes: the overhead is the median
        # of each round's ratio (the two measured back to back), and the layer's own cost per
        # call is measured directly as well.
        ratio = median([n / p for n, p in zip(rows["native"], rows["python"])])
        layer = layer_cost(m, x0)
        cases.append({
            "case": f"{family} rollout, batch 1, {TICKS} ticks per call",
            "python_ticks_per_s": py, "native_ticks_per_s": nat, "pytorch_ticks_per_s": pt,
            "python_overhead_pct": 100 * (ratio - 1),
            "layer_ms_per_call": layer * 1e3,
            "layer_pct_of_call": 100 * layer / (TICKS / py),
            "speedup_vs_pytorch": py / pt,
            "rounds": rows, **({"check": check} if check else {}),
        })
    print(f"{'case':44} {'nca (Python)':>13} {'native':>8} {'overhead':>9} {'layer':>7} "
          f"{'PyTorch':>8} {'speedup':>8}")
    for c in cases:
        print(f"{c['case']:44} {c['python_ticks_per_s']:13.0f} {c['native_ticks_per_s']:8.0f} "
              f"{c['python_overhead_pct']:8.1f}% {c['layer_pct_of_call']:6.2f}% "
              f"{c['pytorch_ticks_per_s']:8.0f} {c['speedup_vs_pytorch']:7.1f}x")
    print(json.dumps({"ticks_per_call": TICKS, "cases": cases}))


if __name__ == "__main__":
    main()
