"""The shipped models from Python give the CLI's figures and states."""

import numpy as np
import pytest

import nca

from conftest import REPO


@pytest.fixture(scope="module")
def lizard():
    return nca.load("lizard")


def test_every_shipped_model_loads_with_its_settings_and_weights():
    names = [n for n, _ in nca.shipped_models()]
    assert names == [
        "lizard",
        "classify-mnist",
        "generate-grow",
        "generate-reconstruct",
        "refine-mnist",
    ]
    families = {}
    for name in names:
        m = nca.load(name)
        families[name] = m.family
        assert isinstance(m.config, dict) and m.config
        params = m.parameters()
        assert params and all(p.dtype == np.float32 for p in params.values())
        assert all(np.isfinite(p).all() for p in params.values())
    assert families == {
        "lizard": "grow",
        "classify-mnist": "classify",
        "generate-grow": "generate",
        "generate-reconstruct": "generate",
        "refine-mnist": "refine",
    }


def test_a_path_loads_the_same_model_as_the_name(lizard):
    by_path = nca.load(REPO / "models" / "lizard.safetensors")
    a, b = lizard.parameters(), by_path.parameters()
    assert a.keys() == b.keys()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_grow_eval_equals_the_cli(lizard, cli):
    theirs = cli("grow", "eval", "--checkpoint", str(REPO / "models/lizard.safetensors"),
                 "--runs", "8", "--seed", "0", "--json")
    ours = lizard.evaluate(runs=8, seed=0)
    for k in ["loss_grow", "loss_persist_1000", "loss_after_cut", "loss_regrow"]:
        assert ours[k] == theirs[k], k
    # The same figure from states stepped in Python: `step` with seed 0 draws the CLI's masks.
    x = lizard.step(lizard.seed(8), ticks=96, seed=0)
    loss = ((x[:, :4] - lizard.target[None]) ** 2).mean(axis=(1, 2, 3)).mean()
    assert loss == pytest.approx(theirs["loss_grow"], rel=1e-5)
    assert loss < 0.01  # it grew the lizard


def test_steps_rollouts_and_chunks_give_bit_equal_states(lizard):
    x0 = lizard.seed(2)
    one_call = lizard.step(x0, ticks=30, seed=7)
    frames = lizard.rollout(x0, ticks=30, seed=7, every=10)
    assert frames.shape == (4, 2, 16, 72, 72)
    assert np.array_equal(frames[0], x0) and np.array_equal(frames[-1], one_call)
    lizard.reseed(7)
    x = x0
    for _ in range(30):
        x = lizard.step(x)  # the model's own generator carries on between calls
    assert np.array_equal(x, one_call)
    assert np.array_equal(x0, lizard.seed(2)), "the input array is not changed"


def test_a_cut_lizard_regrows(lizard):
    x = lizard.step(lizard.seed(1), ticks=200, seed=1)
    cut = lizard.cut(x)
    err = lambda s: float(((s[:, :4] - lizard.target[None]) ** 2).mean())
    healed = lizard.step(cut, ticks=200, seed=2)
    assert err(cut) > 5 * err(x)
    assert err(healed) < 2 * err(x) + 1e-3


def test_classify_eval_and_votes_equal_the_cli(cli, data_dir):
    m = nca.load("classify-mnist")
    theirs = cli("classify", "eval", "--checkpoint", str(REPO / "models/classify-mnist.safetensors"),
                 "--data", str(data_dir), "--limit", "100", "--json")
    ours = m.evaluate(limit=100, data=data_dir)
    assert ours["accuracy"] == theirs["accuracy"]
    assert ours["agreement_at_200"] == theirs["agreement_at_200"]
    digits, labels = nca.mnist("test", data=data_dir, limit=100)
    votes = m.predict(digits, ticks=200, seed=0)
    assert votes.shape == (100, 28, 28)
    alive = votes >= 0
    right = (votes == labels[:, None, None].astype(np.int64)) & alive
    # The CLI's evaluation draws the same masks for its first batch of 100 digits.
    assert right.sum() / alive.sum() == pytest.approx(theirs["accuracy"][199], abs=1e-12)


def test_generated_digits_are_judged_their_class():
    gen, judge = nca.load("generate-grow"), nca.load("refine-mnist")
    labels = list(range(10))
    digits = gen.generate(labels, seed=0)
    assert np.array_equal(digits, gen.grow(labels, seed=0))
    assert digits.shape == (10, 28, 28) and digits.min() >= 0 and digits.max() <= 1
    verdicts = [judge.verdict(d)["digit"] for d in judge.refine(digits)[-1]]
    assert sum(v == l for v, l in zip(verdicts, labels)) >= 8, verdicts


def test_refine_rewrites_test_digits_into_their_class(data_dir):
    m = nca.load("refine-mnist")
    digits, labels = nca.mnist("test", data=data_dir, limit=50)
    steps = m.refine(digits)
    assert steps.shape[1:] == (50, 28, 28) and steps.shape[0] >= 2
    right = sum(m.verdict(d)["digit"] == l for d, l in zip(steps[-1], labels))
    assert right >= 45


def test_export_onnx_writes_once(lizard, tmp_path):
    path = tmp_path / "lizard.onnx"
    nca.export_onnx(lizard, path)
    assert path.stat().st_size > 1000
    with pytest.raises(FileExistsError, match="force=True"):
        lizard.export_onnx(path)
    lizard.export_onnx(path, force=True)


def test_threads_share_a_model_without_deadlock(lizard):
    """Two Python threads use one model at once (the GIL is released while the engine runs)."""
    import threading

    x0 = lizard.seed(2)
    want_step = lizard.step(x0, ticks=300, seed=3)
    want_eval = lizard.evaluate(runs=1, seed=0)
    got = {}

    def stepper():
        got["step"] = lizard.step(x0, ticks=300, seed=3)

    def evaluator():
        got["eval"] = lizard.evaluate(runs=1, seed=0)

    threads = [threading.Thread(target=stepper), threading.Thread(target=evaluator)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert np.array_equal(got["step"], want_step) and got["eval"] == want_eval


def test_an_attention_checkpoint_runs_from_python(cli, tmp_path):
    run = tmp_path / "att"
    cli("attention", "train", "--target", "uniform:blue", "--size", "6", "--steps", "5",
        "--out", str(run), "--json")
    m = nca.load(run)
    assert m.family == "attention" and m.trained_steps == 5
    c = m.channels
    x = np.random.default_rng(0).random((1, c, 6, 6), dtype=np.float32)
    two = m.step(x, ticks=2)
    assert np.array_equal(two, m.step(m.step(x)))  # deterministic: no masks
    frames = m.rollout(x, ticks=4, every=2)
    assert frames.shape == (3, 1, c, 6, 6) and np.array_equal(frames[1], two)
    assert np.isfinite(frames).all()
    with pytest.raises(ValueError, match="attention model"):
        m.step(x[:, :1].copy())
    m.export_onnx(tmp_path / "att.onnx")
