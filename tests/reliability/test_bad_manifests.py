"""Manifests edited by hand into invalid shapes (YAML bombs, anchors, syntax errors, wrong
types, other encodings...) and committed onto the registry branch with git plumbing.

For each: reading that object raises ManifestError naming the path; listings skip it with
a warning; `gitreg validate` fails naming the file (path:line when the YAML error has a
line); nothing else becomes unreadable; and reading changes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rel_helpers import (
    BRANCH_REF,
    GIT_ENV,
    PYTHON,
    branch_sha,
    cli,
    commit_on_branch,
    make_repo,
    read_branch_file,
    registry_state,
    run_git,
)

from gitreg import Client, Model
from gitreg.errors import GitregError, ManifestError
from gitreg.manifest import layout

VALUES = {"1": {"v": 1}, "2": {"v": 2}, "3": {"v": 3}}

TARGETS = {
    "artifact-version": layout.artifact_version("data", "2"),
    "artifact-entity": layout.artifact_entity("data"),
    "model-entity": layout.model_entity("m"),
    "model-version": layout.model_version("m", "v1"),
    "link": layout.model_link("m", "v1", "data", "2"),
}


def _billion_laughs() -> bytes:
    lines = ['lol0: &lol0 "lol"']
    for i in range(1, 10):
        prev = f"*lol{i - 1}"
        lines.append(f"lol{i}: &lol{i} [{', '.join([prev] * 10)}]")
    return ("\n".join(lines) + "\n").encode()


def _replace_line(data: bytes, key: bytes, value: bytes | None) -> bytes:
    """Set (or, with None, drop) every `key: ...` line, whatever its indentation."""
    pattern = re.compile(rb"^([ \t]*(?:- )?)" + re.escape(key) + rb":.*$\n?", re.M)
    assert pattern.search(data), (key, data)
    if value is None:
        return pattern.sub(b"", data)
    return pattern.sub(lambda m: m.group(1) + key + b": " + value + b"\n", data)


# shape name -> (original bytes -> hostile bytes, YAML error has a line number)
SHAPES: dict[str, tuple[Callable[[bytes], bytes], bool]] = {
    "billion-laughs": (lambda _: _billion_laughs(), True),
    "anchor-and-alias": (lambda o: b"base: &b {schema: 1}\n" + o + b"copy: *b\n", True),
    "oversized": (lambda o: o + b"# " + b"x" * (1 << 20) + b"\n", False),
    "deep-nesting": (lambda _: b"x: " + b"[" * 1000 + b"]" * 1000 + b"\n", False),
    "unclosed-flow": (lambda o: o + b"broken: [1, 2\nnext: 3\n", True),
    "bad-indent": (lambda o: o + b"  stray: 1\n bad: 2\n", True),
    "tab-indent": (lambda _: b"outs:\n\t- md5: x\n", True),
    "not-utf8": (lambda o: b"\xff\xfe" + o, False),
    "nul-byte": (lambda o: o.replace(b"\n", b"\x00\n", 1), False),
    "binary-garbage": (lambda _: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff", False),
    "list-at-top": (lambda _: b"- 1\n- 2\n", False),
    "scalar-at-top": (lambda _: b"just a string\n", False),
    "empty-file": (lambda _: b"", False),
    "null-document": (lambda _: b"null\n", False),
    "python-tag": (
        lambda _: b"!!python/object/apply:os.system ['touch /tmp/gitreg-pwned']\n",
        False,
    ),
    "unknown-tag": (lambda o: o + b"extra: !custom 1\n", False),
    "two-documents": (lambda o: o + b"---\nsecond: document\n", False),
    "duplicate-keys": (lambda o: o + o, False),
    "huge-int": (lambda o: o + b"n: " + b"9" * 5000 + b"\n", False),
    "extra-key": (lambda o: o + b"evil: 1\n", False),
    "schema-2": (lambda o: o.replace(b"schema: 1", b"schema: 2"), False),
    "missing-field": (lambda o: _replace_line(o, b"created", None), False),
    "wrong-type": (lambda o: _replace_line(o, b"created", b"[1, 2]"), False),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with data@1..3 linked to m@v1; copied for each case."""
    repo = make_repo(tmp_path_factory.mktemp("template") / "repo")
    client = Client(repo)
    client.init()
    model = Model("m", "v1")
    model.bind(client)
    for version, value in VALUES.items():
        art = client.save_artifact(value, "data")
        assert art.version == version
        client.link_artifact_to_model(art, model)
    for path in TARGETS.values():
        read_branch_file(repo, path)  # every target exists
    return repo


@pytest.fixture
def repo(template: Path) -> Iterator[Path]:
    """The template repository; the registry branch is put back after each test."""
    start = branch_sha(template)
    assert start is not None
    yield template
    run_git(template, "update-ref", BRANCH_REF, start)
    run_git(template, "reflog", "expire", "--expire=now", "--all")
    assert registry_state(template)[0].count(start) == 1


def _read(client: Client, target: str) -> Any:
    """Read the one object stored in the target file."""
    if target == "artifact-version":
        return client.load_artifact("data", "2")
    if target == "artifact-entity":
        return client.get_artifact_version("data")  # latest is recorded there
    if target == "model-entity":
        return client.get_model("m")
    if target == "model-version":
        return client.get_model_version("m", "v1")
    raise AssertionError(target)


def _listing(client: Client, target: str) -> tuple[Any, Any]:
    """(what a listing returns, what it should return with the bad file skipped)."""
    if target in ("artifact-version", "artifact-entity"):
        got = sorted(a.version for a in client.list_artifact_versions("data"))
        return got, ["1", "3"] if target == "artifact-version" else ["1", "2", "3"]
    if target == "model-entity":
        return [m.name for m in client.list_models()], []
    if target == "model-version":
        # the public listing reads only names and numbers (fields load lazily), so the bad
        # file does not show there; the service-level listing reads every version.yaml
        assert [v.name for v in client.list_model_versions("m")] == ["v1"]
        from gitreg.services import models

        return [mv.file.name for mv in models.list_versions(client.registry, "m")], []
    links = client.list_links("m", "v1")
    return sorted(link.version for link in links), ["1", "3"]


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_hand_edited_manifest(
    repo: Path, shape: str, target: str, caplog: pytest.LogCaptureFixture, reliability_counts
) -> None:
    path = TARGETS[target]
    make, has_line = SHAPES[shape]
    hostile = make(read_branch_file(repo, path))
    commit_on_branch(repo, {path: hostile}, f"hand edit: {shape}")
    before = registry_state(repo)
    client = Client(repo)

    # reading the object raises ManifestError naming the path
    if target != "link":
        with pytest.raises(ManifestError) as info:
            _read(client, target)
        assert info.value.path == path
        assert path in str(info.value)
        assert "gitreg validate" in str(info.value)  # says what to do

    # listings skip it with a warning naming it
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gitreg"):
        got, expected = _listing(client, target)
    assert got == expected
    if target != "artifact-entity":  # listing versions does not read the entity
        assert any(path in r.getMessage() for r in caplog.records), caplog.text

    # one bad file does not make the rest unreadable
    assert client.load_artifact("data", "1") == VALUES["1"]
    if target not in ("model-entity", "model-version"):
        linked = Model("m", "v1")
        linked.bind(client)
        assert linked.load_artifact("data", "3") == VALUES["3"]

    # validate fails naming the file, with its line for a YAML error that has one
    report = Client(repo).validate()
    assert not report.ok
    mine = [p for p in report.problems if p.path == path]
    assert mine, [str(p) for p in report.problems]
    if has_line:
        assert mine[0].line is not None, str(mine[0])
        assert str(mine[0]).startswith(f"{path}:{mine[0].line}: ")

    assert registry_state(repo) == before, "reading changed the registry"
    reliability_counts.add("hostile manifests")


@pytest.mark.parametrize("shape", ["billion-laughs", "unclosed-flow", "not-utf8", "wrong-type"])
def test_cli_validate_names_the_broken_file(repo: Path, shape: str, reliability_counts) -> None:
    path = TARGETS["artifact-version"]
    make, has_line = SHAPES[shape]
    commit_on_branch(repo, {path: make(read_branch_file(repo, path))})
    before = registry_state(repo)
    result = cli(repo, "validate")
    assert result.returncode == 1, result.stdout + result.stderr
    assert path in result.stdout
    if has_line:
        assert re.search(re.escape(path) + r":\d+: ", result.stdout), result.stdout
    assert "Traceback" not in result.stderr
    # and reading it through the CLI is one line on stderr, exit 1
    shown = cli(repo, "artifact", "show", "data@2")
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert path in shown.stderr and "Traceback" not in shown.stderr
    assert registry_state(repo) == before
    reliability_counts.add("hostile manifests")


def test_a_folder_where_a_manifest_should_be(repo: Path, reliability_counts) -> None:
    path = TARGETS["artifact-version"]
    commit_on_branch(repo, {path: None, f"{path}/inner": b"outs: []\n"})
    client = Client(repo)
    with pytest.raises(GitregError):
        client.load_artifact("data", "2")
    assert sorted(a.version for a in client.list_artifact_versions("data")) == ["1", "3"]
    report = client.validate()
    assert not report.ok
    assert any(p.path.startswith(path) for p in report.problems), report.problems
    reliability_counts.add("hostile manifests")


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param("120000", id="symlink"),
        pytest.param("160000", id="gitlink"),
    ],
)
def test_a_symlink_or_gitlink_where_a_manifest_should_be(
    repo: Path, mode: str, caplog: pytest.LogCaptureFixture, reliability_counts
) -> None:
    """A tree entry that is not a regular file: a symlink's blob is read as text (and fails
    the schema); a submodule entry points at a commit the repository does not have."""
    path = TARGETS["artifact-version"]
    if mode == "120000":
        sha = run_git(repo, "hash-object", "-w", "--stdin", input=b"../../../etc/passwd").stdout
    else:
        sha = b"1234567890abcdef1234567890abcdef12345678"
    old = run_git(repo, "rev-parse", "refs/heads/gitreg").stdout.decode().strip()
    index = {"GIT_INDEX_FILE": str(repo / ".git" / "tmp-index-link")}
    run_git(repo, "read-tree", old, env=index)
    run_git(repo, "update-index", "--cacheinfo", f"{mode},{sha.decode().strip()},{path}", env=index)
    tree = run_git(repo, "write-tree", env=index).stdout.decode().strip()
    (repo / ".git" / "tmp-index-link").unlink()
    commit = run_git(repo, "commit-tree", tree, "-p", old, "-m", "link").stdout.decode().strip()
    run_git(repo, "update-ref", "refs/heads/gitreg", commit, old)
    client = Client(repo)
    with pytest.raises(GitregError):
        client.load_artifact("data", "2")
    with caplog.at_level(logging.WARNING, logger="gitreg"):
        assert sorted(a.version for a in client.list_artifact_versions("data")) == ["1", "3"]
    report = Client(repo).validate()
    assert any(p.path == path for p in report.problems), report.problems
    reliability_counts.add("hostile manifests")


@pytest.mark.parametrize("depth", [50_000], ids=["50k-deep"])
def test_deeply_nested_manifest_does_not_crash_the_reader(
    repo: Path, depth: int, reliability_counts
) -> None:
    path = TARGETS["artifact-version"]
    commit_on_branch(repo, {path: b"x: " + b"[" * depth + b"]" * depth + b"\n"})
    reliability_counts.add("hostile manifests")
    script = (
        "import sys\n"
        "from gitreg import Client\n"
        "from gitreg.errors import ManifestError\n"
        "try:\n"
        "    Client().load_artifact('data', '2')\n"
        "except ManifestError as e:\n"
        "    print(e.path); sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    proc = subprocess.run(
        [PYTHON, "-c", script],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **GIT_ENV},
    )
    assert proc.returncode == 0, f"rc {proc.returncode}: {proc.stderr[-500:]}"
    assert proc.stdout.strip() == path


def test_validate_calls_a_reference_to_a_broken_manifest_broken_not_missing(repo: Path) -> None:
    client = Client(repo)
    art = client.save_artifact({"v": 1}, "weights")
    client.link_artifact_to_model(art.id, Model("m", "v1"))
    path = layout.artifact_version("weights", "1")
    commit_on_branch(repo, {path: b"outs: [unclosed\n"})
    messages = [str(p) for p in Client(repo).validate().problems]
    assert any(m.startswith(f"{path}:") and "invalid YAML" in m for m in messages), messages
    link = layout.model_link("m", "v1", "weights", "1")
    assert f"{link}: links broken artifact version {art.id}" in messages, messages
    assert not any("missing" in m for m in messages), messages


def test_a_listing_that_skips_a_broken_manifest_warns_and_fails_with_strict(repo: Path) -> None:
    client = Client(repo)
    for v in ("1", "2"):
        client.save_artifact({"v": v}, "solo")
    path = layout.artifact_version("solo", "1")
    commit_on_branch(repo, {path: b"outs: [unclosed\n"})
    plain = cli(repo, "artifacts", "--name", "solo", "--json")
    assert plain.returncode == 0, plain.stderr
    assert [a["version"] for a in json.loads(plain.stdout)] == ["2"]
    assert plain.stderr.startswith(f"gitreg: warning: skipping {path}:")
    strict = cli(repo, "--strict", "artifacts", "--name", "solo", "--json")
    assert strict.returncode == 1
    assert "gitreg: warning: skipping" in strict.stderr
    assert strict.stderr.rstrip().endswith("gitreg: error: 1 warning(s) with --strict")
