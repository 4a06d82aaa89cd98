"""Shared fixtures: real git repos in tmp dirs, a bare remote, local DVC remotes, an S3 server."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    """Each test starts with no cached active client."""
    from gitreg.api import context

    context._clients.clear()
    yield
    context._clients.clear()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repo with one commit on main; the current directory is its root."""
    path = make_repo(tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def empty_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repo with no commits yet; the current directory is its root."""
    path = make_repo(tmp_path / "empty", commit=False)
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def bare_remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    return path


@pytest.fixture
def client(repo: Path):  # type: ignore[no-untyped-def]
    from gitreg import Client

    c = Client(repo)
    c.init()
    return c


@pytest.fixture
def dvc_remote(tmp_path: Path) -> Path:
    """An empty local DVC remote folder outside the repository."""
    path = tmp_path / "dvc-remote"
    path.mkdir()
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A real S3 API (moto server mode) on 127.0.0.1; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    old = {
        k: os.environ.get(k)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def s3_bucket(s3_server: str) -> str:
    """A new bucket on the S3 server; yields its name."""
    import uuid

    import boto3

    name = f"bucket-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=name)
    return name


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


@pytest.fixture
def cli_runner():  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    return CliRunner()
