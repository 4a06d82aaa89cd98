"""Helpers shared by the reliability tests: git plumbing, object checks, CLI runs."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers import GIT_ENV, git, make_repo, registry_state  # noqa: F401  (re-exported)

PYTHON = sys.executable
GITREG = str(Path(sys.executable).with_name("gitreg"))
BRANCH_REF = "refs/heads/gitreg"
OID_RE = re.compile(r"[0-9a-f]{32}(\.dir)?")


def run_git(
    repo: Path,
    *args: str,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        ["git", *args],
        cwd=repo,
        input=input,
        capture_output=True,
        env={**os.environ, **GIT_ENV, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
    return proc


def branch_sha(repo: Path, ref: str = BRANCH_REF) -> str | None:
    proc = run_git(repo, "rev-parse", "--verify", "--quiet", ref, check=False)
    return proc.stdout.decode().strip() or None


def read_branch_file(repo: Path, path: str, ref: str = BRANCH_REF) -> bytes:
    return run_git(repo, "cat-file", "blob", f"{ref}:{path}").stdout


def commit_on_branch(
    repo: Path,
    files: dict[str, bytes | None],
    message: str = "hand edit",
    ref: str = BRANCH_REF,
) -> str:
    """Commit `files` (path -> bytes, or None to delete) on top of `ref` with plumbing only:
    hash-object -w, a temporary index (GIT_INDEX_FILE) filled by read-tree/update-index,
    write-tree, commit-tree and a compare-and-swap update-ref. The user's index, HEAD and
    work tree are not touched."""
    old = branch_sha(repo, ref)
    assert old is not None, f"{ref} does not exist"
    index = repo / ".git" / f"tmp-index-{os.getpid()}"
    env = {"GIT_INDEX_FILE": str(index)}
    try:
        run_git(repo, "read-tree", old, env=env)
        for path, data in files.items():
            if data is None:
                run_git(repo, "update-index", "--force-remove", "--", path, env=env)
                continue
            sha = run_git(repo, "hash-object", "-w", "--stdin", input=data).stdout.decode().strip()
            run_git(repo, "update-index", "--add", "--cacheinfo", f"100644,{sha},{path}", env=env)
        tree = run_git(repo, "write-tree", env=env).stdout.decode().strip()
    finally:
        if index.exists():
            index.unlink()
    commit = run_git(repo, "commit-tree", tree, "-p", old, "-m", message).stdout.decode().strip()
    run_git(repo, "update-ref", ref, commit, old)
    return commit


def branch_files(repo: Path, ref: str = BRANCH_REF) -> list[str]:
    out = run_git(repo, "ls-tree", "-r", "--name-only", ref).stdout.decode()
    return [line for line in out.splitlines() if line]


def oid_path(root: Path, oid: str) -> Path:
    return root / "files" / "md5" / oid[:2] / oid[2:]


def file_md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class ObjectChecker:
    """Checks that every file in an object store whose name is an oid has that md5.

    Remembers (inode, size, mtime) of files already checked, so repeated calls only hash
    what is new or changed (a replaced file gets a new inode)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._seen: dict[str, tuple[int, int, int]] = {}

    def bad_objects(self) -> list[str]:
        bad = []
        base = self.root / "files" / "md5"
        if not base.exists():
            return bad
        for sub in base.iterdir():
            if not sub.is_dir() or len(sub.name) != 2:
                continue
            for f in sub.iterdir():
                oid = sub.name + f.name
                if not OID_RE.fullmatch(oid):
                    continue  # temp files under other names are allowed
                st = f.stat()
                key = (st.st_ino, st.st_size, st.st_mtime_ns)
                if self._seen.get(str(f)) == key:
                    continue
                if file_md5(f) != oid.removesuffix(".dir"):
                    bad.append(str(f))
                else:
                    self._seen[str(f)] = key
        return bad


def fsck(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "fsck", "--no-dangling"], cwd=repo, capture_output=True, text=True
    )


def cli(repo: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real `gitreg` command in a fresh process."""
    return subprocess.run(
        [GITREG, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **GIT_ENV},
    )


def digest(obj: Any) -> str:
    """A canonical md5 of a saved or loaded value (same function in the child scripts)."""
    if isinstance(obj, Path):
        return file_md5(obj)
    if isinstance(obj, (bytes, bytearray)):
        return hashlib.md5(bytes(obj)).hexdigest()
    return hashlib.md5(json.dumps(obj, sort_keys=True).encode()).hexdigest()
