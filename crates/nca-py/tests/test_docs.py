"""The README's "From Python" example and the quickstart example run as written."""

import os
import re
import subprocess
import sys

from conftest import REPO


def readme_example():
    text = (REPO / "README.md").read_text()
    section = text.split("## From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs(tmp_path, data_dir, monkeypatch):
    code = readme_example()
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NCA_DATA", str(data_dir))
    exec(compile(code, "README.md", "exec"), {})


def test_the_quickstart_example_runs(tmp_path, data_dir):
    out = subprocess.run(
        [sys.executable, str(REPO / "examples/python/quickstart.py"), "--quick",
         "--out", str(tmp_path), "--data", str(data_dir)],
        check=True, capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"},
    ).stdout
    for fig in ["regrowth.png", "classify.png", "classic.png"]:
        assert (tmp_path / fig).stat().st_size > 5000, fig
    assert "lizard: error to the target after regrowth" in out
    assert "classify:" in out and "life: glider population [5, 5" in out
