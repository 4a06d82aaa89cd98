"""Corruption: damaged objects in the remote and manifests edited to point elsewhere.

Loading with an empty cache raises ArtifactIntegrityError or ArtifactDataMissingError and
never returns wrong data; `gitreg validate --remote` exits 1 naming the manifest.

The registry uses a separate local DVC remote. That remote may hard-link objects from the
cache (same filesystem), so objects are corrupted by writing a new file (read the bytes,
unlink, write the modified bytes), which breaks the link and leaves the cache intact.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rel_helpers import cli, commit_on_branch, digest, make_repo, oid_path, read_branch_file

from gitreg import Client
from gitreg.errors import (
    ArtifactDataMissingError,
    ArtifactIntegrityError,
    GitregError,
)
from gitreg.manifest import layout


@dataclass
class Registry:
    repo: Path
    remote: Path
    client: Client
    md5: dict[str, str]  # artifact name -> md5 recorded in its manifest
    expected: dict[str, str]  # artifact name -> digest of the value saved
    tmp: Path

    @property
    def cache(self) -> Path:
        return self.repo / ".git" / "gitreg" / "cache"

    def manifest(self, name: str) -> str:
        return layout.artifact_version(name, "1")

    def load_digest(self, name: str) -> str:
        return digest(Client(self.repo).load_artifact(name, "1"))


def _folder_digest(path: Path) -> str:
    h = hashlib.md5()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(path)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    repo = make_repo(tmp_path / "repo")
    remote = tmp_path / "remote"
    client = Client(repo)
    client.init(remote=str(remote))
    values: dict[str, Any] = {
        "small": "hello world",
        "blob-a": bytes(range(256)) * 80,  # 20,480 bytes
        "blob-b": b"B" * 30_000,  # other content, other size
    }
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(300_000))
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha\n")
    (folder / "sub" / "b.bin").write_bytes(os.urandom(5000))
    (folder / "sub" / "c.bin").write_bytes(b"gamma" * 100)
    md5, expected = {}, {}
    for name, value in [*values.items(), ("file", big), ("folder", folder)]:
        art = client.save_artifact(value, name)
        assert art.version == "1"
        md5[name] = art.md5
        expected[name] = _folder_digest(folder) if name == "folder" else digest(value)
    assert md5["folder"].endswith(".dir")
    r = Registry(repo, remote, client, md5, expected, tmp_path)
    for name in md5:
        assert _value_digest(r, name) == expected[name]
    return r


def _value_digest(r: Registry, name: str) -> str:
    value = Client(r.repo).load_artifact(name, "1")
    if name == "folder":
        return _folder_digest(Path(value))
    return digest(value)


# -- ways to damage things ---------------------------------------------------------------------


def _rewrite(path: Path, change: Callable[[bytes], bytes]) -> None:
    """Replace `path` by a new file holding change(old bytes): breaks any hard link."""
    data = path.read_bytes()
    path.unlink()
    path.write_bytes(change(data))


def _flip_bit(data: bytes) -> bytes:
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


def _dir_child(r: Registry, relpath: str) -> str:
    import json

    listing = json.loads(oid_path(r.remote, r.md5["folder"]).read_bytes())
    return next(e["md5"] for e in listing if e["relpath"] == relpath)


def _remote_obj(r: Registry, name: str) -> Path:
    return oid_path(r.remote, r.md5[name])


def _edit_md5(r: Registry, name: str, new_md5: str) -> None:
    path = r.manifest(name)
    text = read_branch_file(r.repo, path)
    edited, n = re.subn(
        rb"(md5: )\"?[^\s\"]+\"?", rb'\g<1>"' + new_md5.encode() + b'"', text, count=1
    )
    assert n == 1
    commit_on_branch(r.repo, {path: edited}, f"point {name} at {new_md5}")


CASES: dict[str, tuple[str, Callable[[Registry], None], type[GitregError]]] = {
    # name: (artifact damaged, damage, error a load with an empty cache must raise)
    "bit-flip-small": (
        "small",
        lambda r: _rewrite(_remote_obj(r, "small"), _flip_bit),
        ArtifactIntegrityError,
    ),
    "bit-flip-file": (
        "file",
        lambda r: _rewrite(_remote_obj(r, "file"), _flip_bit),
        ArtifactIntegrityError,
    ),
    "truncated-file": (
        "file",
        lambda r: _rewrite(_remote_obj(r, "file"), lambda d: d[: len(d) // 2]),
        ArtifactIntegrityError,
    ),
    "emptied-blob": (
        "blob-a",
        lambda r: _rewrite(_remote_obj(r, "blob-a"), lambda d: b""),
        ArtifactIntegrityError,
    ),
    "appended-small": (
        "small",
        lambda r: _rewrite(_remote_obj(r, "small"), lambda d: d + b" "),
        ArtifactIntegrityError,
    ),
    "missing-file": ("file", lambda r: _remote_obj(r, "file").unlink(), ArtifactDataMissingError),
    "missing-blob": (
        "blob-b",
        lambda r: _remote_obj(r, "blob-b").unlink(),
        ArtifactDataMissingError,
    ),
    "folder-child-bit-flip": (
        "folder",
        lambda r: _rewrite(oid_path(r.remote, _dir_child(r, "sub/b.bin")), _flip_bit),
        ArtifactIntegrityError,
    ),
    "folder-child-missing": (
        "folder",
        lambda r: oid_path(r.remote, _dir_child(r, "a.txt")).unlink(),
        ArtifactDataMissingError,
    ),
    "folder-listing-bit-flip": (
        "folder",
        lambda r: _rewrite(_remote_obj(r, "folder"), _flip_bit),
        ArtifactIntegrityError,
    ),
    "folder-listing-missing": (
        "folder",
        lambda r: _remote_obj(r, "folder").unlink(),
        ArtifactDataMissingError,
    ),
    "md5-of-nonexistent-content": (
        "blob-a",
        lambda r: _edit_md5(r, "blob-a", hashlib.md5(b"never stored").hexdigest()),
        ArtifactDataMissingError,
    ),
    "md5-of-nonexistent-folder": (
        "folder",
        lambda r: _edit_md5(r, "folder", hashlib.md5(b"[]").hexdigest() + ".dir"),
        ArtifactDataMissingError,
    ),
    "file-md5-as-folder": (
        "file",
        lambda r: _edit_md5(r, "file", r.md5["file"] + ".dir"),
        ArtifactDataMissingError,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_corruption_is_detected(reg: Registry, case: str, reliability_counts) -> None:
    name, damage, error = CASES[case]
    damage(reg)
    path = reg.manifest(name)
    is_remote_damage = not case.startswith(("md5-", "file-md5"))
    if is_remote_damage:
        # the cache still has the good copy (the link was broken): reads need no remote
        assert _value_digest(reg, name) == reg.expected[name]

    shutil.rmtree(reg.cache)
    with pytest.raises(error) as info:
        Client(reg.repo).load_artifact(name, "1")
    message = str(info.value)
    assert "no data was returned" in message or "neither in the local cache" in message, message
    assert re.search(r"object [0-9a-f]{32}", message), message  # names the object
    # and again: a failed load leaves nothing behind that a second load would trust
    with pytest.raises(error):
        Client(reg.repo).load_artifact(name, "1")

    # the other artifacts are unaffected
    for other in reg.md5:
        if other != name:
            assert _value_digest(reg, other) == reg.expected[other], other

    report = Client(reg.repo).validate(remote=True)
    assert not report.ok
    assert any(p.path == path for p in report.problems), [str(p) for p in report.problems]
    result = cli(reg.repo, "validate", "--remote")
    assert result.returncode == 1, result.stdout + result.stderr
    assert path in result.stdout, result.stdout
    reliability_counts.add("corruptions")


def test_corrupt_cache_copy_is_evicted_and_refetched(reg: Registry, reliability_counts) -> None:
    """A flipped bit in the cache (remote intact) is caught; the next load fetches again."""
    for name in ("small", "file"):
        cached = oid_path(reg.cache, reg.md5[name])
        _rewrite(cached, _flip_bit)
        with pytest.raises(ArtifactIntegrityError) as info:
            Client(reg.repo).load_artifact(name, "1")
        assert info.value.where == "cache"
        assert not cached.exists()
        assert _value_digest(reg, name) == reg.expected[name]
        reliability_counts.add("corruptions")
    assert Client(reg.repo).validate(remote=True).ok


def test_manifest_pointing_at_another_artifacts_bytes(reg: Registry, reliability_counts) -> None:
    reliability_counts.add("corruptions")
    _edit_md5(reg, "blob-a", reg.md5["blob-b"])  # 30,000 bytes where 20,480 are recorded
    shutil.rmtree(reg.cache)
    try:
        value = Client(reg.repo).load_artifact("blob-a", "1")
    except (ArtifactIntegrityError, ArtifactDataMissingError):
        pass
    else:
        pytest.fail(f"returned {len(value)} bytes of blob-b as blob-a")
    report = Client(reg.repo).validate(remote=True)
    assert any(p.path == reg.manifest("blob-a") for p in report.problems)


def test_md5_with_a_path_in_it_touches_nothing_outside(reg: Registry, reliability_counts) -> None:
    reliability_counts.add("corruptions")
    decoy = reg.tmp / "precious.txt"
    decoy.write_text("do not delete\n")
    _edit_md5(reg, "small", ".." + "/" + str(decoy))  # oid[:2] == "..", oid[2:] absolute
    with pytest.raises(GitregError):
        Client(reg.repo).load_artifact("small", "1")
    assert decoy.exists(), "load_artifact deleted a file outside the cache"
    assert decoy.read_text() == "do not delete\n"
    report = Client(reg.repo).validate()  # the md5 field is not an md5
    assert any(p.path == reg.manifest("small") for p in report.problems), report.problems


@pytest.mark.parametrize("md5", ["not-an-md5", "ABCDEF", "x" * 300], ids=["word", "short", "long"])
def test_malformed_md5_is_an_error_not_a_crash(reg: Registry, md5: str, reliability_counts) -> None:
    _edit_md5(reg, "small", md5)
    shutil.rmtree(reg.cache)
    with pytest.raises(GitregError):
        Client(reg.repo).load_artifact("small", "1")
    result = cli(reg.repo, "validate", "--remote")
    assert result.returncode == 1, result.stdout + result.stderr
    assert reg.manifest("small") in result.stdout
    assert "Traceback" not in result.stderr
    reliability_counts.add("corruptions")


def _hostile_dir_object(r: Registry, relpath: str) -> str:
    """A .dir object (valid md5) listing an existing file under `relpath`; its oid."""
    import json

    child = _dir_child(r, "a.txt")
    body = json.dumps([{"md5": child, "relpath": relpath}], sort_keys=True).encode()
    oid = hashlib.md5(body).hexdigest() + ".dir"
    dest = oid_path(r.remote, oid)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(body)
    return oid


@pytest.mark.parametrize(
    "relpath",
    ["../../escaped.txt", "/tmp/gitreg-absolute.txt", "sub/../../x"],
    ids=["dotdot", "absolute", "inner-dotdot"],
)
def test_folder_listing_with_path_traversal_is_refused(
    reg: Registry, relpath: str, reliability_counts
) -> None:
    oid = _hostile_dir_object(reg, relpath)
    _edit_md5(reg, "folder", oid)
    shutil.rmtree(reg.cache)
    escaped = [reg.tmp / "escaped.txt", Path("/tmp/gitreg-absolute.txt"), reg.tmp / "x"]
    with pytest.raises(ArtifactIntegrityError) as info:
        Client(reg.repo).load_artifact("folder", "1")
    assert "unsafe path" in str(info.value)
    assert not any(p.exists() for p in escaped)
    reliability_counts.add("corruptions")


def test_validate_reports_a_folder_listing_with_path_traversal(
    reg: Registry, reliability_counts
) -> None:
    reliability_counts.add("corruptions")
    _edit_md5(reg, "folder", _hostile_dir_object(reg, "../../escaped.txt"))
    result = cli(reg.repo, "validate", "--remote")
    assert result.returncode == 1, result.stdout
    assert reg.manifest("folder") in result.stdout


@pytest.mark.parametrize("relpath", ["", ".", "sub/"], ids=["empty", "dot", "trailing-slash"])
def test_folder_listing_with_degenerate_relpath_is_an_integrity_error(
    reg: Registry, relpath: str, reliability_counts
) -> None:
    _edit_md5(reg, "folder", _hostile_dir_object(reg, relpath))
    shutil.rmtree(reg.cache)
    reliability_counts.add("corruptions")
    with pytest.raises(GitregError):
        Client(reg.repo).load_artifact("folder", "1")
