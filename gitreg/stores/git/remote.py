"""git's own network commands (ls-remote, fetch, push) for the registry branch: they use the
user's credentials, SSH set-up and remotes as git does."""

from __future__ import annotations

import subprocess

from gitreg.errors import GitCommandError
from gitreg.stores.git.repository import GitStore

# what `git push` prints when the remote ref moved (not a failure of the connection)
_REJECTED = (
    "[rejected]", "fetch first", "non-fast-forward", "stale info", "atomic push failed",
    "cannot lock ref", "but expected",
)  # fmt: skip


def _run(git: GitStore, *args: str) -> subprocess.CompletedProcess[bytes]:
    # git asks for credentials on the terminal itself, as a plain `git push` would
    return subprocess.run(["git", "--git-dir", git.git_dir, *args], capture_output=True)


def ls_remote(git: GitStore, remote: str, *patterns: str) -> dict[str, str]:
    """{ref name: sha} of the remote's refs matching `patterns` (peeled tags left out)."""
    proc = _run(git, "ls-remote", remote, *patterns)
    if proc.returncode != 0:
        raise GitCommandError(["ls-remote", remote, *patterns], proc.stderr.decode())
    out = {}
    for line in proc.stdout.decode().splitlines():
        sha, _, name = line.partition("\t")
        if name and not name.endswith("^{}"):
            out[name] = sha
    return out


def fetch(git: GitStore, remote: str, refspecs: list[str]) -> None:
    args = ["fetch", "--quiet", "--no-tags", remote, *refspecs]
    proc = _run(git, *args)
    if proc.returncode != 0:
        raise GitCommandError(args, proc.stderr.decode())


def push(git: GitStore, remote: str, refspecs: list[str]) -> bool:
    """`git push --atomic`: True if every ref was updated, False if the remote rejected it
    because a ref moved (nothing was updated); GitCommandError on any other failure."""
    args = ["push", "--atomic", "--quiet", "--porcelain", remote, *refspecs]
    proc = _run(git, *args)
    if proc.returncode == 0:
        return True
    text = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
    if any(word in text for word in _REJECTED):
        return False
    raise GitCommandError(args, proc.stderr.decode(errors="replace") or text)
