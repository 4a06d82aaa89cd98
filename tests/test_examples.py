"""Every script in examples/ runs in a fresh git repository and registers what it says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import make_repo

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_in_a_fresh_repo(script: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    from gitreg import Client

    client = Client(repo)
    assert client.validate().ok
    models = {m.name for m in client.list_models()}
    assert models & {"my_model", "MyModel"}
