"""Bad input raises one clear Python exception, never a panic."""

import json
import struct

import numpy as np
import pytest

import nca

from conftest import REPO


@pytest.fixture(scope="module")
def lizard():
    return nca.load("lizard")


def test_state_arrays_are_checked(lizard):
    x = lizard.seed(1)
    with pytest.raises(ValueError, match="float32"):
        lizard.step(x.astype(np.float64))
    with pytest.raises(ValueError, match="4 dimensions"):
        lizard.step(x[0])
    with pytest.raises(ValueError, match="4 channels; this grow model has 16"):
        lizard.step(x[:, :4].copy())
    with pytest.raises(ValueError, match="C-contiguous"):
        lizard.step(x[:, :, ::2])
    bad = x.copy()
    bad[0, 5, 3, 3] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        lizard.step(bad)
    with pytest.raises(ValueError, match="float32"):
        lizard.step([[1.0]])
    with pytest.raises(ValueError, match="every"):
        lizard.rollout(x, ticks=3, every=0)


def test_family_methods_refuse_other_families(lizard):
    with pytest.raises(ValueError, match="classify"):
        lizard.predict(np.zeros((1, 28, 28), np.float32))
    refine = nca.load("refine-mnist")
    with pytest.raises(ValueError, match="cellular"):
        refine.step(np.zeros((1, 1, 28, 28), np.float32))
    gen = nca.load("generate-grow")
    with pytest.raises(ValueError, match="label 10"):
        gen.generate([3, 10])
    with pytest.raises(ValueError, match="reconstruct"):
        nca.load("generate-reconstruct").generate([1])
    with pytest.raises(ValueError, match="reconstructs digits"):
        nca.load("generate-reconstruct").grow([1])
    with pytest.raises(ValueError, match=r"shape \[28, 28\]"):
        refine.verdict(np.zeros((27, 28), np.float32))


def test_missing_and_malformed_checkpoints(tmp_path):
    with pytest.raises(OSError, match="cannot read checkpoint .*shipped models: lizard"):
        nca.load(tmp_path / "nope.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError):
        nca.load(junk)


def _poisoned_copy(src, dst):
    """`src` with the first value of its first f32 tensor set to NaN."""
    raw = bytearray(src.read_bytes())
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    name, info = next((k, v) for k, v in sorted(header.items()) if k != "__metadata__" and v["dtype"] == "F32")
    at = 8 + n + info["data_offsets"][0]
    raw[at : at + 4] = struct.pack("<f", float("nan"))
    dst.write_bytes(bytes(raw))
    return name


def test_a_nan_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "nan.safetensors"
    _poisoned_copy(REPO / "models" / "lizard.safetensors", bad)
    with pytest.raises(ValueError, match="(?i)non-finite|nan"):
        nca.load(bad)


def test_data_and_settings_errors(tmp_path):
    with pytest.raises(ValueError, match="split"):
        nca.mnist("validation")
    with pytest.raises(OSError, match="does not exist"):
        nca.mnist("test", data=tmp_path / "no-such-dir")
    with pytest.raises(OSError, match="MNIST files not found"):
        nca.mnist("test", data=tmp_path)
    with pytest.raises(ValueError, match="unknown tiny setting 'batchsize'"):
        nca.train("tiny", out=tmp_path / "run", steps=1, batchsize=2)
    with pytest.raises(ValueError, match="not 'attention'"):
        nca.train("attention", out=tmp_path / "run", steps=1)
    with pytest.raises(ValueError, match="lr"):
        nca.train("tiny", out=tmp_path / "run", steps=1, lr=-1.0)
