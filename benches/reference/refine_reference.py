"""PyTorch reference of the digit refiner's training step that `nca-bench refine_b256` times.

It reads the weights, digits and templates `nca-bench` wrote and runs the original architecture:
block t (t = 1..50) is Conv2d(t, 16, 9, padding=4) -> ReLU -> Conv2d(16, 1, 1) -> Sigmoid over the
input and every image before it; the loss is the MSE to the label's template at every 5th block
plus 0.1 x the mean |y(t+1) - y(t)|; then backward and an Adam step (lr 5e-4). CPU, 2 threads.
Prints one JSON line.

Usage: python refine_reference.py CASE_DIR
"""

import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(path, shape):
    return torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(shape).copy())


def main():
    d = sys.argv[1]
    case = json.load(open(f"{d}/case.json"))
    torch.set_num_threads(2)
    b, s, n, w, k = case["batch"], case["side"], case["blocks"], case["width"], case["kernel"]
    conv_w, conv_b = np.fromfile(f"{d}/conv_w.bin", np.float32), load(f"{d}/conv_b.bin", (n, w))
    out_w, out_b = load(f"{d}/out_w.bin", (n, 1, w, 1, 1)), load(f"{d}/out_b.bin", (n, 1))
    params, at = [], 0
    for t in range(1, n + 1):
        size = w * t * k * k
        cw = torch.from_numpy(conv_w[at:at + size].reshape(w, t, k, k).copy())
        at += size
        params += [cw, conv_b[t - 1].clone(), out_w[t - 1].clone(), out_b[t - 1].clone()]
    params = [p.requires_grad_() for p in params]
    x = load(f"{d}/x.bin", (b, 1, s, s))
    target = load(f"{d}/target.bin", (b, 1, s, s))
    opt = torch.optim.Adam(params, lr=case["lr"], eps=1e-8)
    steps = list(range(case["target_every"], n + 1, case["target_every"]))
    times, first_loss = [], None
    for it in range(case["iters"] + 1):
        t0 = time.perf_counter()
        stack, outs = [x], []
        for t in range(n):
            cw, cb, ow, ob = params[4 * t:4 * t + 4]
            h = F.relu(F.conv2d(torch.cat(stack, 1), cw, cb, padding=k // 2))
            y = torch.sigmoid(F.conv2d(h, ow, ob))
            stack.append(y)
            outs.append(y)
        mse = sum(((outs[t - 1] - target) ** 2).mean() for t in steps) / len(steps)
        smooth = sum((outs[t + 1] - outs[t]).abs().mean() for t in range(n - 1)) / (n - 1)
        loss = mse + case["smooth_weight"] * smooth
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it == 0:
            first_loss = loss.item()
        else:
            times.append(time.perf_counter() - t0)
    med = sorted(times)[len(times) // 2]
    print(json.dumps({
        "case": d.rstrip("/").split("/")[-1], "impl": "pytorch", "torch": torch.__version__,
        "ms_per_step": med * 1e3, "steps_per_s": 1 / med, "first_loss": first_loss,
        "mean_ms_per_step": sum(times) / len(times) * 1e3,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
