"""Helpers shared by the tests (a plain module: `conftest` names clash across folders)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: str | os.PathLike[str], *args: str) -> str:
    out = subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    return out.stdout.strip()


def make_repo(path: Path, commit: bool = True) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test User")
    git(path, "config", "user.email", "test@example.com")
    if commit:
        (path / "README.md").write_text("hello\n")
        git(path, "add", "README.md")
        git(path, "commit", "-q", "-m", "initial")
    return path


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    """A folder holding `files` (relative path -> bytes)."""
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def checkout_state(repo: Path) -> dict[str, object]:
    """Everything a user could notice about their checkout: status, HEAD, the current
    branch, main, the index bytes, every working-tree file and the stash."""

    def run(*args: str) -> tuple[int, str]:
        p = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
        return p.returncode, p.stdout

    files = {
        str(p.relative_to(repo)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    index = repo / ".git" / "index"
    return {
        "status": run("status", "--porcelain=v1", "--untracked-files=all", "--ignored"),
        "head": run("rev-parse", "--verify", "--quiet", "HEAD"),
        "symbolic": run("symbolic-ref", "HEAD"),
        "branches": run("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/main"),
        "index": index.read_bytes() if index.exists() else None,
        "files": files,
        "stash": run("stash", "list"),
    }


def registry_state(repo: Path) -> tuple[str, str, list[str]]:
    """What a no-op must leave unchanged: every ref, the index, and the remote's files."""
    refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    index = (
        (repo / ".git" / "index").read_bytes().hex() if (repo / ".git" / "index").exists() else ""
    )
    remote = repo / ".git" / "gitreg" / "remote"
    files = (
        sorted(str(p.relative_to(remote)) for p in remote.rglob("*") if p.is_file())
        if remote.exists()
        else []
    )
    return refs, index, files


def assert_one_line_error(res: Any, *needles: str) -> str:
    """A CLI user error: exit 1, nothing on stdout, one `gitreg: error:` line naming `needles`."""
    assert res.exit_code == 1, (res.exit_code, res.stdout, res.stderr, res.exception)
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("gitreg: error: ")
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return str(lines[0])
