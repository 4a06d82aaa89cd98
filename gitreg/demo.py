"""`gitreg demo`: the seed document's three examples, run in a scratch repository."""

import contextlib
import io
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DemoResult:
    repo: str
    branch: str
    artifacts: list[Any] = field(default_factory=list)
    model_versions: list[Any] = field(default_factory=list)
    links: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _seed_examples() -> list[str]:
    """Run the seed's three examples here; returns the ones skipped (and why)."""
    import importlib.util
    import runpy

    from gitreg.seed_examples import SCRIPTS

    skipped = []
    for script in SCRIPTS:
        if "checkpoints" in script.name and not all(
            importlib.util.find_spec(m) for m in ("numpy", "pandas", "sklearn")
        ):
            skipped.append(f"{script.name} (needs numpy, pandas and scikit-learn: .[ml])")
            continue
        runpy.run_path(str(script), run_name="__main__")
    return skipped


def run_demo(directory: str | None = None) -> DemoResult:
    from gitreg.api.client import Client

    repo = os.path.abspath(directory) if directory else tempfile.mkdtemp(prefix="gitreg-demo-")
    os.makedirs(repo, exist_ok=True)
    if not os.path.exists(os.path.join(repo, ".git")):
        subprocess.run(["git", "init", "-q", repo], check=True)
    old = os.getcwd()
    os.chdir(repo)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the scripts' own prints
            skipped = _seed_examples()
        client = Client(repo)
        result = DemoResult(repo=repo, branch=client.branch, skipped=skipped)
        result.artifacts = client.list_artifact_versions()
        for m in client.list_models():
            for mv in client.list_model_versions(m.name):
                result.model_versions.append(mv)
                result.links[(m.name, mv.name)] = mv.links
        return result
    finally:
        os.chdir(old)
