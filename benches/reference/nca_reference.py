"""PyTorch reference of the NCA training step and inference that `nca-bench` times.

It reads the exact inputs `nca-bench` wrote for a case (weights, initial state, fire masks,
noise, targets; see benches/src/main.rs) and runs the same computation the original PyTorch
implementations do: for the self-classifier a 3x3 conv (20->80, ReLU) -> 1x1 (80->80, ReLU) ->
1x1 (80->19) update of channels 1..19 with residual noise, masked by fire and alive (pixel > 0.1);
for the growing NCA identity+Sobel depthwise perception -> 1x1 (48->128, ReLU) -> 1x1 (128->16),
alive = 3x3 max-pool of alpha > 0.1 before and after. Then the L2 loss, backward, per-variable
gradient normalisation and an Adam step. CPU, 2 threads. Prints one JSON line.

Usage: python nca_reference.py CASE_DIR
"""

import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(path, dtype, shape):
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape).copy())


def main():
    d = sys.argv[1]
    case = json.load(open(f"{d}/case.json"))
    torch.set_num_threads(2)
    torch.manual_seed(0)
    fam, b, h, w = case["family"], case["batch"], case["height"], case["width"]
    c, t_n, hid, thr = case["channels"], case["ticks"], case["hidden"], case["threshold"]
    iters = case["iters"]

    if fam == "classify":
        pw = load(f"{d}/perception_w.bin", np.float32, (hid, c, 3, 3))
        pb = load(f"{d}/perception_b.bin", np.float32, (hid,))
        l0w = load(f"{d}/l0_w.bin", np.float32, (hid, hid, 1, 1))
        l0b = load(f"{d}/l0_b.bin", np.float32, (hid,))
        l1w = load(f"{d}/l1_w.bin", np.float32, (c - 1, hid, 1, 1))
        l1b = load(f"{d}/l1_b.bin", np.float32, (c - 1,))
        params = [pw, pb, l0w, l0b, l1w, l1b]
    else:
        l0w = load(f"{d}/l0_w.bin", np.float32, (hid, 3 * c, 1, 1))
        l0b = load(f"{d}/l0_b.bin", np.float32, (hid,))
        l1w = load(f"{d}/l1_w.bin", np.float32, (c, hid, 1, 1))
        l1b = load(f"{d}/l1_b.bin", np.float32, (c,))
        params = [l0w, l0b, l1w, l1b]
        ident = torch.tensor([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=torch.float32)
        sx = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float32) / 8
        filt = torch.stack([ident, sx, sx.T]).repeat(c, 1, 1)[:, None]
    params = [p.requires_grad_() for p in params]

    x0 = load(f"{d}/x0.bin", np.float32, (b, c, h, w))
    fire = load(f"{d}/fire.bin", np.uint8, (t_n, b, 1, h, w)).float()
    has_noise = fam == "classify" and "lr" in case
    noise = load(f"{d}/noise.bin", np.float32, (t_n, b, c - 1, h, w)) if has_noise else None

    def tick(x, t):
        if fam == "classify":
            y = F.relu(F.conv2d(x, params[0], params[1], padding=1))
            y = F.relu(F.conv2d(y, params[2], params[3]))
            dx = F.conv2d(y, params[4], params[5])
            if noise is not None:
                dx = dx + noise[t]
            upd = dx * fire[t] * alive
            return torch.cat([x[:, :1], x[:, 1:] + upd], 1)
        pre = F.max_pool2d(x[:, 3:4], 3, 1, 1) > thr
        y = F.conv2d(x, filt, padding=1, groups=c)
        y = F.relu(F.conv2d(y, params[0], params[1]))
        x = x + F.conv2d(y, params[2], params[3]) * fire[t]
        post = F.max_pool2d(x[:, 3:4], 3, 1, 1) > thr
        return x * (pre & post).float()

    alive = (x0[:, :1] > thr).float()

    if "lr" not in case:  # inference: ticks per second, batch 1
        times = []
        with torch.no_grad():
            for it in range(iters + 1):
                t0 = time.perf_counter()
                x = x0
                for t in range(t_n):
                    x = tick(x, t)
                if it >= 1:
                    times.append(time.perf_counter() - t0)
        med = sorted(times)[len(times) // 2]
        out = {"ticks_per_s": t_n / med, "ms_per_tick": med * 1e3 / t_n}
    else:
        target = load(f"{d}/target.bin", np.float32,
                      (b, 10, h, w) if fam == "classify" else (1, 4, h, w))
        opt = torch.optim.Adam(params, lr=case["lr"], eps=1e-8)
        times, first_loss = [], None
        warm = 2 if fam == "classify" else 1
        for it in range(iters + warm):
            t0 = time.perf_counter()
            x = x0
            for t in range(t_n):
                x = tick(x, t)
            if fam == "classify":
                loss = (((x[:, c - 10:] - target) * alive) ** 2).sum() / (2 * b)
            else:
                loss = ((x[:, :4] - target) ** 2).mean(dim=(1, 2, 3)).mean()
            opt.zero_grad()
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p.grad /= p.grad.norm() + 1e-8
            opt.step()
            if it == 0:
                first_loss = loss.item()
            if it >= warm:
                times.append(time.perf_counter() - t0)
        med = sorted(times)[len(times) // 2]
        out = {"ms_per_step": med * 1e3, "steps_per_s": 1 / med, "first_loss": first_loss,
               "mean_ms_per_step": sum(times) / len(times) * 1e3}
    out["case"] = d.rstrip("/").split("/")[-1]
    out["impl"] = "pytorch"
    out["torch"] = torch.__version__
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
