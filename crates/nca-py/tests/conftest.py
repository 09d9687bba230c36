"""Shared fixtures of the Python suite: the repository, the CLI binary and the data folder.

Run with the wheel installed (see README.md, "From Python"): `pytest crates/nca-py/tests`.
Under CI (`CI` set) a missing CLI binary or data folder fails instead of skipping.
"""

import os
import pathlib
import subprocess
import json

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


def _need(what):
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing (CI is set, so this fails instead of skipping)")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def cli():
    """Runs the `nca` binary (NCA_BIN, else target/release/nca) and parses its JSON output."""
    exe = pathlib.Path(os.environ.get("NCA_BIN", REPO / "target" / "release" / "nca"))
    if not exe.exists():
        _need(f"the nca binary ({exe})")

    def run(*args):
        out = subprocess.run([str(exe), *args], check=True, capture_output=True, text=True)
        return json.loads(out.stdout)

    return run


@pytest.fixture(scope="session")
def data_dir():
    """The data folder (NCA_DATA)."""
    d = os.environ.get("NCA_DATA")
    if not d or not pathlib.Path(d, "mnist").exists():
        _need("the data folder (NCA_DATA with mnist/)")
    return pathlib.Path(d)
