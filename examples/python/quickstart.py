"""Quickstart: the shipped models from Python, as a notebook would use them.

Grows the lizard from one cell, cuts it in half and plots it regrowing; lets every cell of a
test digit vote on which digit it is; runs a Game of Life glider and a Lenia orbium. Writes
PNG figures to --out.

    pip install ./crates/nca-py matplotlib
    NCA_DATA=/path/to/data python examples/python/quickstart.py --out quickstart

`--quick` runs fewer ticks (what the test suite does).
"""

import argparse
import os
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import nca
from nca import life


def regrowth(out, ticks):
    lizard = nca.load("lizard")
    x = lizard.step(lizard.seed(), ticks=ticks, seed=0)  # grow from one cell
    frames = [("grown", x), ("cut", lizard.cut(x))]
    x = frames[-1][1]
    done = 0
    for t in (ticks // 4, ticks // 4, ticks // 2):
        x = lizard.step(x, ticks=t)  # the model's own generator carries on
        done += t
        frames.append((f"+{done} ticks", x))
    fig, axes = plt.subplots(1, len(frames), figsize=(2.2 * len(frames), 2.4))
    for ax, (name, state) in zip(axes, frames):
        ax.imshow(nca.to_rgb(state)[0])
        ax.set_title(name)
        ax.axis("off")
    fig.suptitle("The lizard regrows what was cut")
    fig.savefig(out / "regrowth.png", dpi=80, bbox_inches="tight")
    err = float(((x[:, :4] - lizard.target[None]) ** 2).mean())
    print(f"lizard: error to the target after regrowth {err:.5f}")
    return err


def classify(out, data, ticks):
    model = nca.load("classify-mnist")
    digits, labels = nca.mnist("test", data=data, limit=8)
    votes = model.predict(digits, ticks=ticks, seed=0)
    colours = plt.get_cmap("tab10")
    fig, axes = plt.subplots(2, 8, figsize=(14, 4))
    right = 0
    for k in range(8):
        alive = votes[k] >= 0
        counts = np.bincount(votes[k][alive], minlength=10)
        guess = int(counts.argmax())
        right += guess == labels[k]
        axes[0, k].imshow(digits[k], cmap="gray_r")
        axes[0, k].set_title(f"label {labels[k]}")
        rgb = np.ones((28, 28, 3))
        rgb[alive] = np.array([colours(v)[:3] for v in votes[k][alive]])
        axes[1, k].imshow(rgb)
        axes[1, k].set_title(f"votes {guess} ({counts.max() / max(1, alive.sum()):.0%})")
    for ax in axes.flat:
        ax.axis("off")
    fig.savefig(out / "classify.png", dpi=80, bbox_inches="tight")
    print(f"classify: {right} of 8 digits classified right by their cells' majority")
    return right


def classic(out):
    glider = life.Grid.pattern("glider", margin=6)
    populations = [glider.step().population for _ in range(8)]
    lenia = life.Lenia("orbium", 64, 64).step(50)
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    axes[0].imshow(glider.cells, cmap="gray_r")
    axes[0].set_title(f"glider, generation {glider.generation}")
    axes[1].imshow(life.eca(30, steps=64, width=129), cmap="gray_r")
    axes[1].set_title("rule 30")
    axes[2].imshow(lenia.cells[0], cmap="viridis")
    axes[2].set_title(f"Lenia orbium, step {lenia.steps}")
    for ax in axes:
        ax.axis("off")
    fig.savefig(out / "classic.png", dpi=80, bbox_inches="tight")
    print(f"life: glider population {populations}; orbium mass {lenia.mass:.1f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="quickstart", type=pathlib.Path)
    p.add_argument("--data", default=os.environ.get("NCA_DATA"))
    p.add_argument("--quick", action="store_true", help="fewer ticks")
    a = p.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    regrowth(a.out, 96 if a.quick else 200)
    classify(a.out, a.data, 60 if a.quick else 200)
    classic(a.out)
    print(f"figures in {a.out}/")


if __name__ == "__main__":
    main()
