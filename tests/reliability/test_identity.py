"""An id never returns another object: merges resolved file by file can leave `ids/` entries
pointing at a manifest that carries another id; reads check, and `validate` reports it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import git, make_repo

from gitreg import ArtifactNotFoundError, Client


def _merged_with_theirs(tmp_path: Path) -> tuple[Path, str, str]:
    """Two clones each save artifact `data` version 1; clone A merges B's registry with
    `-X theirs`. Returns (repo A, A's artifact id, B's artifact id)."""
    origin = make_repo(tmp_path / "origin")
    Client(origin).init()
    a = tmp_path / "a"
    b = tmp_path / "b"
    for clone in (a, b):
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
        git(clone, "branch", "gitreg", "origin/gitreg")
    ours = Client(a).save_artifact({"who": "a"}, "data")
    theirs = Client(b).save_artifact({"who": "b"}, "data")
    git(a, "fetch", "-q", str(b), "gitreg:refs/remotes/b/gitreg")
    wt = tmp_path / "merge-wt"
    git(a, "worktree", "add", "-q", str(wt), "gitreg")
    git(wt, "merge", "-q", "-X", "theirs", "-m", "merge b", "b/gitreg")
    git(a, "worktree", "remove", str(wt))
    return a, str(ours.id), str(theirs.id)


def test_an_id_whose_entry_points_at_another_manifest_is_not_that_manifest(
    tmp_path: Path,
) -> None:
    repo, ours, theirs = _merged_with_theirs(tmp_path)
    client = Client(repo)
    assert str(client.get_artifact_version(theirs).id) == theirs
    with pytest.raises(ArtifactNotFoundError):
        client.get_artifact_version(ours)  # never B's artifact under A's id
    with pytest.raises(ArtifactNotFoundError):
        client.get_artifact_version(ours[:8])


def test_validate_reports_every_id_entry_that_points_at_another_id(tmp_path: Path) -> None:
    repo, ours, theirs = _merged_with_theirs(tmp_path)
    report = Client(repo).validate()
    assert not report.ok
    messages = [str(p) for p in report.problems]
    assert any(
        f"ids/{ours[:2]}/{ours[2:4]}/{ours}" in m and f"whose id is {theirs}" in m for m in messages
    ), messages
