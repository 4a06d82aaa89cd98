"""Remote backends: each keeps the `Remote` contract, and the DataStore works over any of
them (the in-memory one included, as tests of the layers above use it)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import make_tree

from gitreg.errors import ArtifactDataMissingError, ArtifactIntegrityError
from gitreg.stores.data import (
    DataStore,
    DvcRemote,
    LocalRemote,
    MemoryRemote,
    Remote,
    RemoteSpec,
)

BACKENDS: dict[str, Callable[[Path], Remote]] = {
    "local folder": lambda root: LocalRemote(str(root)),
    "embedded folder (hard links)": lambda root: LocalRemote(str(root), hard_links=True),
    "dvc-data": lambda root: DvcRemote(RemoteSpec("dvc", str(root))),
    "memory": lambda root: MemoryRemote(),
}


def put_file(tmp_path: Path, data: bytes) -> tuple[str, str]:
    src = tmp_path / "object"
    src.write_bytes(data)
    return hashlib.md5(data).hexdigest(), str(src)


@pytest.mark.parametrize("make", BACKENDS.values(), ids=list(BACKENDS))
def test_a_backend_stores_and_returns_objects(
    make: Callable[[Path], Remote], tmp_path: Path
) -> None:
    remote = make(tmp_path / "remote")
    oid, src = put_file(tmp_path, b"remote bytes")
    assert not remote.exists(oid)
    with pytest.raises(FileNotFoundError):
        remote.open(oid)
    remote.put(oid, src)
    remote.put(oid, src)  # again: no error, nothing changes
    assert remote.exists(oid)
    with remote.open(oid) as f:
        assert f.read() == b"remote bytes"


@pytest.mark.parametrize("name", ["local folder", "dvc-data"])
def test_folder_backends_use_the_dvc3_layout(name: str, tmp_path: Path) -> None:
    root = tmp_path / "remote"
    remote = BACKENDS[name](root)
    oid, src = put_file(tmp_path, b"laid out as dvc lays it")
    remote.put(oid, src)
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files == [root / "files" / "md5" / oid[:2] / oid[2:]]


def test_the_data_store_over_the_memory_remote(tmp_path: Path) -> None:
    remote = MemoryRemote()
    spec = RemoteSpec("mem", "memory://test")
    store = DataStore(str(tmp_path / "cache"), spec, backend=remote)
    f = store.add_bytes(b"in memory")
    d = store.add_dir(str(make_tree(tmp_path / "folder", {"a": b"1", "sub/b": b"2"})))
    store.push(f)
    store.push(d)
    assert remote.objects[f.md5] == b"in memory"
    assert len(remote.objects) == 4  # the file, the folder's two files and its .dir
    assert store.remote_check(d.md5) is None

    other = DataStore(str(tmp_path / "cache2"), spec, backend=remote)
    assert Path(other.ensure(f.md5)).read_bytes() == b"in memory"
    out = tmp_path / "out"
    other.checkout(d, str(out))
    assert (out / "a").read_bytes() == b"1" and (out / "sub" / "b").read_bytes() == b"2"

    remote.objects[f.md5] = b"in memorY"
    assert "corrupt in the remote" in (store.remote_check(f.md5) or "")
    third = DataStore(str(tmp_path / "cache3"), spec, backend=remote)
    with pytest.raises(ArtifactIntegrityError, match="in the remote is corrupt"):
        third.ensure(f.md5)
    del remote.objects[f.md5]
    with pytest.raises(ArtifactDataMissingError, match="memory://test"):
        third.ensure(f.md5)
    assert store.remote_check(f.md5) == "missing from the remote"


@pytest.mark.parametrize("make", BACKENDS.values(), ids=list(BACKENDS))
def test_a_backend_lists_and_removes_objects(
    make: Callable[[Path], Remote], tmp_path: Path
) -> None:
    remote = make(tmp_path / "remote")
    assert list(remote.list_objects()) == []  # a remote with nothing yet (or no folder)
    oid_a, src_a = put_file(tmp_path, b"first object")
    remote.put(oid_a, src_a)
    oid_b, src_b = put_file(tmp_path, b"second, longer object")
    remote.put(oid_b, src_b)
    listed = {o.oid: o for o in remote.list_objects()}
    assert set(listed) == {oid_a, oid_b}
    assert listed[oid_b].size == len(b"second, longer object")
    assert listed[oid_a].mtime is not None and listed[oid_a].mtime > 0
    remote.remove([oid_a, "0" * 32])  # one that is not there is no error
    assert [o.oid for o in remote.list_objects()] == [oid_b]
    assert not remote.exists(oid_a) and remote.exists(oid_b)


@pytest.mark.parametrize("name", ["local folder", "dvc-data"])
def test_folder_backends_list_only_objects(name: str, tmp_path: Path) -> None:
    root = tmp_path / "remote"
    remote = BACKENDS[name](root)
    oid, src = put_file(tmp_path, b"an object among other files")
    remote.put(oid, src)
    (root / "files" / "md5" / oid[:2] / (oid[2:] + ".abc123.tmp")).write_bytes(b"partial")
    (root / "files" / "md5" / "notes.txt").write_text("not an object")
    assert [o.oid for o in remote.list_objects()] == [oid]


@pytest.mark.parametrize("make", BACKENDS.values(), ids=list(BACKENDS))
def test_a_backend_reports_the_bytes_it_copies(
    make: Callable[[Path], Remote], tmp_path: Path
) -> None:
    """What a save's progress bar hears while the bytes go to the remote."""
    remote = make(tmp_path / "remote")
    data = b"x" * (3 * 1024 * 1024 + 17)
    oid, src = put_file(tmp_path, data)
    seen: list[int] = []
    remote.put(oid, src, seen.append)
    if isinstance(remote, LocalRemote) and remote.hard_links:
        assert seen == []  # a hard link copies nothing
    else:
        assert sum(seen) == len(data)
    with remote.open(oid) as f:
        assert f.read() == data


def test_an_s3_remote_reports_the_bytes_as_they_go(
    tmp_path: Path, s3_server: str, s3_bucket: str
) -> None:
    """What a save's progress bar hears while the bytes go to S3."""
    data = b"y" * (1024 * 1024)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    spec = RemoteSpec("s3", f"s3://{s3_bucket}/objects", {"endpointurl": s3_server})
    seen: list[int] = []
    DvcRemote(spec).put(hashlib.md5(data).hexdigest(), str(src), seen.append)
    assert sum(seen) == len(data)  # s3fs tells per part (of 50 MiB) on large files
