"""A tiny training run from Python learns, stops cleanly on Ctrl-C and resumes exactly."""

import numpy as np
import pytest

import nca


def weights(run):
    return nca.load(run).parameters()


def test_tiny_training_learns_and_resumes_exactly(tmp_path):
    seen = []
    full = nca.train("tiny", out=tmp_path / "full", steps=300, log_every=50,
                     progress=lambda s, n: seen.append((s, n)))
    assert full["steps"] == 300 and full["steps_this_run"] == 300
    losses = [m["loss"] for m in full["metrics"]]
    assert len(losses) == 6 and losses[-1] < 0.6 * losses[0], losses
    assert seen[-1] == (300, 300) and len(seen) >= 300

    # Stopped by an exception in the callback (as Ctrl-C raises KeyboardInterrupt) between
    # checkpoints: the steps done are saved, and resuming reaches the uninterrupted weights.
    def stop_at_125(step, steps):
        if step == 125:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        nca.train("tiny", out=tmp_path / "cut", steps=300, log_every=50, progress=stop_at_125)
    assert nca.load(tmp_path / "cut").trained_steps == 125
    rest = nca.train("tiny", out=tmp_path / "cut", steps=300, log_every=50, resume=True)
    assert rest["steps_this_run"] == 175
    a, b = weights(tmp_path / "full"), weights(tmp_path / "cut")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)

    # A trained tiny model runs from Python like any other.
    m = nca.load(tmp_path / "full")
    assert m.family == "tiny"
    assert m.step(m.seed(2), ticks=8, seed=0).shape == (2, 4, 8, 8)


def test_a_finished_run_is_not_overwritten(tmp_path):
    nca.train("tiny", out=tmp_path / "run", steps=2)
    with pytest.raises(ValueError, match="already holds a run"):
        nca.train("tiny", out=tmp_path / "run", steps=2)


def test_ctrl_c_stops_a_long_run_with_a_checkpoint(tmp_path):
    """A real SIGINT (Ctrl-C) reaches the trainer through the GIL-free loop and stops it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    run = tmp_path / "run"
    script = (
        "import nca, sys\n"
        "try:\n"
        f"    nca.train('tiny', out={str(run)!r}, steps=10_000_000, progress=lambda s, n: s == 50 and print('go', flush=True))\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True); sys.exit(3)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "go"
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 3 and "interrupted" in out
    steps = nca.load(run).trained_steps
    assert 50 <= steps < 10_000_000
    rest = nca.train("tiny", out=run, steps=steps + 5, resume=True)
    assert rest["steps_this_run"] == 5


def test_the_mnist_families_train_from_python(tmp_path, data_dir):
    ref = nca.train("refine", out=tmp_path / "refine", steps=3, data=data_dir, limit=64,
                    blocks=4, target_every=2, batch=8, lr=1e-3, log_every=1)
    assert ref["steps"] == 3 and len(ref["metrics"]) == 3
    m = nca.load(tmp_path / "refine")
    assert m.family == "refine" and m.config["task"]["lr"] == 1e-3
    digits, _ = nca.mnist("test", data=data_dir, limit=2)
    assert m.refine(digits).shape == (4, 2, 28, 28)

    nca.train("generate", out=tmp_path / "gen", steps=3, data=data_dir, limit=64,
              mode="grow", batch=4, ticks=8)
    g = nca.load(tmp_path / "gen")
    assert g.family == "generate" and g.grow([1, 2]).shape == (2, 28, 28)

    nca.train("classify", out=tmp_path / "cls", steps=2, data=data_dir, limit=64, batch=8,
              fresh_per_batch=2, mutate_per_batch=2, pool=32)
    c = nca.load(tmp_path / "cls")
    assert c.predict(digits, ticks=5).shape == (2, 28, 28)
    with pytest.raises(ValueError, match="unknown generate setting 'colour'"):
        nca.train("generate", out=tmp_path / "g2", steps=1, data=data_dir, colour=1)
