"""`validate REV` checks the registry as it was at a commit, tag or `gitreg~N`; every `ids/`
entry must point at a manifest carrying that id."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git

from gitreg import Client
from gitreg.errors import RevisionNotFoundError
from gitreg.manifest import layout
from gitreg.stores.git import Put


def commit_file(client: Client, path: str, data: bytes) -> None:
    """A commit on the registry branch the way a careless hand merge would make it."""
    store = client.registry.git
    store.commit([Put(path, data)], "hand edit", store.head())


def gitreg(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gitreg.cli.main", "-C", str(repo), *args],
        capture_output=True,
        text=True,
    )


def test_validate_rev_reads_the_registry_at_that_revision(client: Client, repo: Path) -> None:
    client.save_artifact("one", "a")
    git(repo, "tag", "-a", "good", "-m", "a good state", "gitreg")
    commit_file(client, "stray.txt", b"not a registry file\n")
    assert not client.validate().ok
    for rev in ("gitreg~1", "good", git(repo, "rev-parse", "gitreg~1")):
        report = client.validate(rev)
        assert report.ok, (rev, report.problems)
        assert report.revision == git(repo, "rev-parse", "gitreg~1")
    assert gitreg(repo, "validate", "gitreg~1").returncode == 0
    bad = gitreg(repo, "validate")
    assert bad.returncode == 1 and "stray.txt: unexpected file" in bad.stdout


def test_validate_of_an_unknown_revision_is_a_one_line_error(client: Client, repo: Path) -> None:
    with pytest.raises(RevisionNotFoundError):
        client.validate("no-such-rev")
    proc = gitreg(repo, "validate", "gitreg~99")
    assert proc.returncode == 1
    assert proc.stderr.startswith("gitreg: error: unknown revision 'gitreg~99'")
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""


def test_validate_of_a_commit_that_is_not_a_registry_says_so(client: Client) -> None:
    report = client.validate("main")
    assert not report.ok
    assert "gitreg.yaml: missing: main is not a registry commit" in [
        str(p) for p in report.problems
    ]


def test_an_id_entry_must_point_at_a_manifest_with_that_id(client: Client) -> None:
    a = client.save_artifact("one", "a")
    b = client.save_artifact("two", "b")
    entry = layout.id_entry(str(a.id))
    wrong = client.registry.git.snapshot().read(layout.id_entry(str(b.id)))
    assert wrong is not None
    commit_file(client, entry, wrong)  # a's id now names b's manifest
    problems = [str(p) for p in client.validate().problems]
    assert problems == [
        f"{entry}: points at {layout.artifact_version('b', '1')}, whose id is {b.id}; "
        f"id {a.id} is {layout.artifact_version('a', '1')}"
    ]


def test_an_id_entry_that_points_at_nothing_is_reported(client: Client) -> None:
    a = client.save_artifact("one", "a")
    entry = layout.id_entry("0" * 8 + str(a.id)[8:])
    data = client.registry.git.snapshot().read(layout.id_entry(str(a.id)))
    assert data is not None
    commit_file(client, entry, data.replace(b"artifacts/a", b"artifacts/gone"))
    problems = [str(p) for p in client.validate().problems]
    assert len(problems) == 1 and problems[0].startswith(f"{entry}: points at missing ")
