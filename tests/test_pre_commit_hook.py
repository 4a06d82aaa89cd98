"""The `gitreg-validate` pre-commit hook: its manifest passes pre-commit's own schema, and a
hook that runs `gitreg validate` stops a commit while the registry has a problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import GIT_ENV, git

from gitreg import Client
from gitreg.stores.git import Put

CHECKOUT = Path(__file__).resolve().parent.parent
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def run(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)


def test_the_hook_manifest_is_valid_for_pre_commit() -> None:
    from ruamel.yaml import YAML

    manifest = CHECKOUT / ".pre-commit-hooks.yaml"
    proc = subprocess.run(
        [*PRE_COMMIT, "validate-manifest", str(manifest)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (hook,) = YAML(typ="safe").load(manifest.read_text())
    assert hook["id"] == "gitreg-validate"
    assert hook["entry"] == "gitreg validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["always_run"] is True


def test_a_commit_is_stopped_while_the_registry_has_a_problem(repo: Path, tmp_path: Path) -> None:
    client = Client(repo)
    client.init()
    client.save_artifact({"lr": 0.1}, "config")
    # the same command as the shipped hook, through this checkout's interpreter: a local
    # hook needs no network (a `language: python` hook would pip-install gitreg)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        "  - repo: local\n"
        "    hooks:\n"
        "      - id: gitreg-validate\n"
        "        name: gitreg validate\n"
        f"        entry: {sys.executable} -m gitreg.cli.main validate\n"
        "        language: system\n"
        "        pass_filenames: false\n"
        "        always_run: true\n"
    )
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env["PYTHONPATH"] = os.pathsep.join([str(CHECKOUT), env.get("PYTHONPATH", "")])
    installed = run(repo, *PRE_COMMIT, "install", env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    git(repo, "add", ".pre-commit-config.yaml")
    ok = run(repo, "git", "commit", "-q", "-m", "add the hook", env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "gitreg validate" in ok.stderr and "Passed" in ok.stderr  # git shows hooks there

    store = client.registry.git
    store.commit([Put("stray.txt", b"not a registry file\n")], "hand edit", store.head())
    (repo / "notes.txt").write_text("a change\n")
    git(repo, "add", "notes.txt")
    head = git(repo, "rev-parse", "HEAD")
    stopped = run(repo, "git", "commit", "-q", "-m", "blocked", env=env)
    assert stopped.returncode != 0
    shown = stopped.stdout + stopped.stderr
    assert "Failed" in shown and "stray.txt: unexpected file" in shown
    assert git(repo, "rev-parse", "HEAD") == head  # nothing was committed
