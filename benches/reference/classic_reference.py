"""NumPy/SciPy reference of the classic systems' steps, timed the way classic-bench times ours:
rule 30 on 100,000 wrapped cells (vectorised NumPy), and Orbium's Lenia step on 128² and 512²
(NumPy's real FFT, kernel spectrum precomputed, as Chakazul's LeniaND.py does) and on 128² with
scipy.signal.fftconvolve on the wrap-padded grid. One JSON line per case.

Usage: python classic_reference.py CELLS_JSON  (the pattern file of nca-life, for Orbium)
"""

import json
import sys
import time

import numpy as np
import scipy
import scipy.signal


def time_per_call(min_s, step):
    step()
    start = time.perf_counter()
    calls = 0
    while calls == 0 or time.perf_counter() - start < min_s:
        step()
        calls += 1
    return (time.perf_counter() - start) / calls


def report(case, cells, t, check):
    print(json.dumps({"case": case, "impl": "numpy", "cells": cells, "ms_per_step": t * 1e3,
                      "cell_steps_per_s": cells / t, "check": check,
                      "numpy": np.__version__, "scipy": scipy.__version__}))


def decode(st):
    rows, row, count, prefix = [], [], "", None
    for ch in st.rstrip("!"):
        if ch.isdigit():
            count += ch
            continue
        if ch in "pqrstuvwxy":
            prefix = ch
            continue
        n = int(count) if count else 1
        count = ""
        if ch == "$":
            rows.append(row)
            rows.extend([[]] * (n - 1))
            row = []
            continue
        if prefix:
            v = (ord(prefix) - ord("p")) * 24 + (ord(ch) - ord("A") + 25)
            prefix = None
        else:
            v = 0 if ch in ".b" else 255 if ch == "o" else ord(ch) - ord("A") + 1
        row.extend([v] * n)
    rows.append(row)
    w = max(len(r) for r in rows)
    return np.array([r + [0] * (w - len(r)) for r in rows], dtype=np.float64) / 255


def orbium(side, pattern):
    p = pattern["params"]
    r, t, mu, sigma = p["R"], p["T"], p["m"], p["s"]
    cells = decode(pattern["cells"])
    a = np.zeros((side, side))
    h, w = cells.shape
    a[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = cells
    off = np.fft.fftfreq(side) * side
    d = np.sqrt(off[None, :] ** 2 + off[:, None] ** 2) / r
    k = np.where(d < 1, (4 * d * (1 - d)) ** 4, 0)
    k /= k.sum()
    return a, k, 1 / t, mu, sigma, r


def growth(u, mu, sigma):
    return np.maximum(0, 1 - (u - mu) ** 2 / (9 * sigma ** 2)) ** 4 * 2 - 1


def main():
    patterns = json.load(open(sys.argv[1]))
    orb = next(p for p in patterns if p["id"] == "orbium")
    cases = sys.argv[2:] or ["eca", "lenia_fft_128", "lenia_fft_512", "lenia_direct_128"]
    for case in cases:
        if case == "eca":
            rng = np.random.default_rng(1)
            row = [(rng.random(100_000) < 0.5).astype(np.uint8)]
            table = np.array([(30 >> i) & 1 for i in range(8)], dtype=np.uint8)

            def steps():
                x = row[0]
                for _ in range(100):
                    x = table[(np.roll(x, 1) << 2) | (x << 1) | np.roll(x, -1)]
                row[0] = x
            t = time_per_call(1.0, steps) / 100
            report(case, 100_000, t, float(row[0].mean()))
        elif case.startswith("lenia_fft"):
            side = int(case.rsplit("_", 1)[1])
            a, k, dt, mu, sigma, _ = orbium(side, orb)
            kf = np.fft.rfft2(k)
            state = [a]

            def step():
                u = np.fft.irfft2(np.fft.rfft2(state[0]) * kf, s=state[0].shape)
                state[0] = np.clip(state[0] + dt * growth(u, mu, sigma), 0, 1)
            t = time_per_call(1.0, step)
            report(case, side * side, t, float(state[0].sum()))
        elif case == "lenia_direct_128":
            # scipy's fftconvolve of the wrap-padded grid with the kernel cropped to its support.
            side = 128
            a, k, dt, mu, sigma, r = orbium(side, orb)
            n = int(np.ceil(r))
            kc = np.roll(np.roll(k, n, 0), n, 1)[:2 * n + 1, :2 * n + 1]
            state = [a]

            def step():
                padded = np.pad(state[0], n, mode="wrap")
                u = scipy.signal.fftconvolve(padded, kc, mode="valid")
                state[0] = np.clip(state[0] + dt * growth(u, mu, sigma), 0, 1)
            t = time_per_call(1.0, step)
            report("lenia_scipy_fftconvolve_128", side * side, t, float(state[0].sum()))


main()
