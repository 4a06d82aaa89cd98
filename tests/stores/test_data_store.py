"""DataStore: DVC 3 layout in the cache and the remote, md5-verified both ways."""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from pathlib import Path

import pytest
from helpers import make_tree

from gitreg.errors import ArtifactDataMissingError, ArtifactIntegrityError, StorageError
from gitreg.stores.data import DataStore, RemoteSpec, StoredObject

BIG = 2 << 20  # above the size where a verified-stat record replaces re-hashing


def obj_path(root: Path, oid: str) -> Path:
    return root / "files" / "md5" / oid[:2] / oid[2:]


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def objects_under(root: Path) -> list[str]:
    """Every object id stored below `root` in the DVC 3 layout (no temp files)."""
    base = root / "files" / "md5"
    if not base.exists():
        return []
    return sorted(p.parent.name + p.name for p in base.rglob("*") if p.is_file())


def stray_files(root: Path) -> list[str]:
    """Files that are neither objects nor gitreg's own bookkeeping (temp leftovers)."""
    return [str(p) for p in root.rglob("*") if p.is_file() and p.name.endswith(".tmp")]


def rewrite(path: Path, data: bytes, *, in_place: bool) -> None:
    """Corrupt an object: in place (same inode, as bit rot or a careless tool would) or by
    replacing the file (new inode, as an editor or a bad restore would)."""
    os.chmod(path, 0o644)
    if in_place:
        with open(path, "r+b") as f:
            f.write(data)
    else:
        path.unlink()
        path.write_bytes(data)
    os.chmod(path, 0o444)


def flip_first_byte(data: bytes) -> bytes:
    return bytes([data[0] ^ 0x01]) + data[1:]


TREE = {
    "a.txt": b"alpha\n",
    "a-b.txt": b"dash\n",
    "a/b.txt": b"inside a\n",
    "a/c/deep.bin": bytes(range(256)),
    "b.txt": b"alpha\n",  # same content as a.txt
    "\u00e9.txt": b"accent\n",
    "empty": b"",
}


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def store(cache: Path, dvc_remote: Path) -> DataStore:
    return DataStore(str(cache), RemoteSpec("local", str(dvc_remote)))


def fresh(tmp_path: Path, remote: RemoteSpec, name: str = "cache2") -> tuple[DataStore, Path]:
    """Another machine: an empty cache and the same remote."""
    cache = tmp_path / name
    return DataStore(str(cache), remote), cache


# --------------------------------------------------------------------------- adding


def test_add_bytes_puts_the_object_at_its_md5(store: DataStore, cache: Path) -> None:
    data = b"some artifact bytes\n"
    obj = store.add_bytes(data)
    assert obj == StoredObject(md5(data), len(data))
    assert not obj.is_dir
    path = obj_path(cache, obj.md5)
    assert path.read_bytes() == data
    assert md5(path.read_bytes()) == obj.md5
    assert not os.access(path, os.W_OK) or os.geteuid() == 0  # objects are read-only
    assert path.stat().st_mode & 0o222 == 0


def test_add_file_hashes_and_copies_a_multi_chunk_file(
    store: DataStore, cache: Path, tmp_path: Path
) -> None:
    data = random.Random(3).randbytes(3 * (1 << 20) + 17)  # crosses the 1 MiB read size
    src = tmp_path / "model.bin"
    src.write_bytes(data)
    seen: list[int] = []
    obj = store.add_file(str(src), progress=seen.append)
    assert obj == StoredObject(md5(data), len(data))
    assert obj_path(cache, obj.md5).read_bytes() == data
    assert sum(seen) == len(data)
    assert src.read_bytes() == data  # the source is left alone
    assert stray_files(cache) == []


def test_add_dir_writes_a_dvc_dir_object(store: DataStore, cache: Path, tmp_path: Path) -> None:
    src = make_tree(tmp_path / "folder", TREE)
    obj = store.add_dir(str(src))
    assert obj.is_dir and obj.md5.endswith(".dir")
    assert obj.size == sum(len(d) for d in TREE.values())
    assert obj.nfiles == len(TREE)

    raw = obj_path(cache, obj.md5).read_bytes()
    assert obj.md5 == md5(raw) + ".dir"  # its name is the md5 of its JSON
    listing = json.loads(raw)
    assert [e["relpath"] for e in listing] == sorted(TREE)
    assert all(set(e) == {"md5", "relpath"} for e in listing)
    for entry in listing:
        data = TREE[entry["relpath"]]
        assert entry["md5"] == md5(data)
        assert obj_path(cache, entry["md5"]).read_bytes() == data


def test_a_dir_object_is_the_one_dvc_data_builds(store: DataStore, tmp_path: Path) -> None:
    from dvc_data.hashfile.build import build
    from dvc_data.hashfile.db import HashFileDB
    from dvc_objects.fs.local import LocalFileSystem

    src = make_tree(tmp_path / "folder", TREE)
    fs = LocalFileSystem()
    _, _, built = build(HashFileDB(fs, str(tmp_path / "dvc-odb")), str(src), fs, "md5")
    assert store.add_dir(str(src)).md5 == built.hash_info.value


def test_same_content_is_stored_once(
    store: DataStore, cache: Path, dvc_remote: Path, tmp_path: Path
) -> None:
    data = b"same bytes everywhere\n"
    (tmp_path / "f").write_bytes(data)
    src = make_tree(tmp_path / "folder", {"x": data, "sub/y": data})
    a = store.add_bytes(data)
    b = store.add_file(str(tmp_path / "f"))
    d1 = store.add_dir(str(src))
    d2 = store.add_dir(str(src))
    assert a == b
    assert d1 == d2
    assert objects_under(cache) == sorted([a.md5, d1.md5])
    for o in (a, b, d1, d2):
        store.push(o)
    assert objects_under(dvc_remote) == sorted([a.md5, d1.md5])
    assert stray_files(cache) == stray_files(dvc_remote) == []


# --------------------------------------------------------------------------- remote


def test_push_to_a_local_remote_uses_the_dvc3_layout(
    store: DataStore, dvc_remote: Path, tmp_path: Path
) -> None:
    f = store.add_bytes(b"file object")
    d = store.add_dir(str(make_tree(tmp_path / "folder", TREE)))
    store.push(f)
    store.push(d)
    assert obj_path(dvc_remote, f.md5).read_bytes() == b"file object"
    listing = json.loads(obj_path(dvc_remote, d.md5).read_bytes())
    assert [e["relpath"] for e in listing] == sorted(TREE)
    for entry in listing:
        assert obj_path(dvc_remote, entry["md5"]).read_bytes() == TREE[entry["relpath"]]
    assert store.remote_check(f.md5) is None
    assert store.remote_check(d.md5) is None
    assert stray_files(dvc_remote) == []


def test_ensure_fetches_from_the_remote_when_the_cache_lacks_it(
    store: DataStore, tmp_path: Path
) -> None:
    f = store.add_bytes(b"fetched later")
    d = store.add_dir(str(make_tree(tmp_path / "folder", TREE)))
    store.push(f)
    store.push(d)

    other, cache2 = fresh(tmp_path, store.remote)
    assert objects_under(cache2) == []
    path = other.ensure(f.md5)
    assert Path(path) == obj_path(cache2, f.md5)
    assert Path(path).read_bytes() == b"fetched later"

    out = tmp_path / "out"
    other.checkout(d, str(out))
    got = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == TREE
    assert stray_files(cache2) == []


def test_a_missing_remote_object_raises_data_missing(store: DataStore, tmp_path: Path) -> None:
    f = store.add_bytes(b"never pushed")
    other, cache2 = fresh(tmp_path, store.remote)
    with pytest.raises(ArtifactDataMissingError, match=f"{f.md5}.*neither in the local cache"):
        other.ensure(f.md5)
    assert objects_under(cache2) == []
    assert store.remote_check(f.md5) == "missing from the remote"


def test_a_corrupt_remote_object_with_an_empty_cache_raises(
    store: DataStore, dvc_remote: Path, tmp_path: Path
) -> None:
    data = b"good remote bytes"
    f = store.add_bytes(data)
    store.push(f)
    rewrite(obj_path(dvc_remote, f.md5), flip_first_byte(data), in_place=False)
    assert "corrupt in the remote" in (store.remote_check(f.md5) or "")

    other, cache2 = fresh(tmp_path, store.remote)
    with pytest.raises(ArtifactIntegrityError, match=f"{f.md5} in the remote is corrupt") as e:
        other.ensure(f.md5)
    assert e.value.where == "remote"
    assert objects_under(cache2) == []  # nothing corrupt was let into the cache
    assert stray_files(cache2) == []


def test_a_corrupt_cache_object_is_detected_evicted_and_refetched(
    store: DataStore, cache: Path
) -> None:
    data = b"cached bytes that will rot"
    f = store.add_bytes(data)
    store.push(f)
    assert Path(store.ensure(f.md5)).read_bytes() == data
    rewrite(obj_path(cache, f.md5), flip_first_byte(data), in_place=False)

    with pytest.raises(ArtifactIntegrityError, match=r"in the cache is corrupt.*load again") as e:
        store.ensure(f.md5)
    assert e.value.where == "cache"
    assert not obj_path(cache, f.md5).exists()  # the corrupt copy is gone
    assert Path(store.ensure(f.md5)).read_bytes() == data  # and the remote's copy comes back


def embedded(tmp_path: Path) -> tuple[DataStore, Path, Path]:
    """A store laid out as the registry lays it: the embedded remote beside the cache."""
    gitreg_dir = tmp_path / "gitreg"
    cache, remote = gitreg_dir / "cache", gitreg_dir / "remote"
    return DataStore(str(cache), RemoteSpec("gitreg", str(remote))), cache, remote


def test_the_embedded_remote_shares_the_cache_file(tmp_path: Path) -> None:
    store, cache, remote = embedded(tmp_path)
    f = store.add_bytes(b"one copy on one disk")
    store.push(f)
    assert obj_path(remote, f.md5).read_bytes() == b"one copy on one disk"
    assert obj_path(cache, f.md5).stat().st_ino == obj_path(remote, f.md5).stat().st_ino


def test_a_byte_flipped_in_place_in_the_embedded_remote_is_reported_not_returned(
    tmp_path: Path,
) -> None:
    """The embedded remote shares the cache's file (a hard link): a byte flipped in place
    corrupts the only copy. That must be reported as such (not as a cache problem a reload
    would fix), and never return wrong bytes."""
    store, cache, _ = embedded(tmp_path)
    data = b"cached bytes that will rot in place"
    f = store.add_bytes(data)
    store.push(f)
    rewrite(obj_path(cache, f.md5), flip_first_byte(data), in_place=True)
    with pytest.raises(ArtifactIntegrityError, match="share") as e:
        store.ensure(f.md5)
    assert e.value.where == "remote"
    with pytest.raises(ArtifactIntegrityError, match="in the remote is corrupt"):
        store.ensure(f.md5)


@pytest.mark.parametrize("size", [100, BIG])
def test_a_user_named_local_remote_is_a_second_copy(
    store: DataStore, cache: Path, dvc_remote: Path, tmp_path: Path, size: int
) -> None:
    """A remote folder the user named holds its own copy of each object (never a hard link
    of the cache), so rot in the cache's file, in place, loses nothing."""
    data = random.Random(size).randbytes(size)
    src = tmp_path / "model.bin"
    src.write_bytes(data)
    f = store.add_path(str(src))
    d = store.add_dir(str(make_tree(tmp_path / "folder", TREE)))
    store.push(f)
    store.push(d)
    for oid in objects_under(cache):
        cached, pushed = obj_path(cache, oid), obj_path(dvc_remote, oid)
        assert pushed.read_bytes() == cached.read_bytes()
        assert pushed.stat().st_ino != cached.stat().st_ino
        assert pushed.stat().st_mode & 0o222 == 0  # read-only, as the cache's objects

    assert Path(store.ensure(f.md5)).read_bytes() == data  # verified (and recorded if big)
    rewrite(obj_path(cache, f.md5), flip_first_byte(data), in_place=True)
    os.utime(obj_path(cache, f.md5), ns=(0, 0))  # a changed mtime forces a re-hash
    with pytest.raises(ArtifactIntegrityError, match="in the cache is corrupt") as e:
        store.ensure(f.md5)
    assert e.value.where == "cache"
    assert not obj_path(cache, f.md5).exists()
    assert obj_path(dvc_remote, f.md5).read_bytes() == data
    assert Path(store.ensure(f.md5)).read_bytes() == data
    assert store.remote_check(f.md5, size) is None


def test_a_changed_big_cache_object_is_rehashed_because_its_mtime_changed(
    store: DataStore, cache: Path
) -> None:
    data = random.Random(5).randbytes(BIG)
    f = store.add_bytes(data)  # not pushed: the remote has no copy
    path = obj_path(cache, f.md5)
    assert Path(store.ensure(f.md5)).read_bytes() == data  # verified, stat recorded
    before = path.stat()
    deadline = time.monotonic() + 3
    while True:  # rewrite until the filesystem's clock has ticked (coarse on some systems)
        time.sleep(0.02)
        rewrite(path, flip_first_byte(data), in_place=True)  # same inode, same size
        after = path.stat()
        if after.st_mtime_ns != before.st_mtime_ns or time.monotonic() > deadline:
            break
    assert (after.st_ino, after.st_size) == (before.st_ino, before.st_size)
    assert after.st_mtime_ns != before.st_mtime_ns

    with pytest.raises(ArtifactIntegrityError, match="in the cache is corrupt"):
        store.ensure(f.md5)
    assert not path.exists()
    with pytest.raises(ArtifactDataMissingError):
        store.ensure(f.md5)


def test_adding_content_again_never_vouches_for_a_corrupt_cache_object(
    store: DataStore, cache: Path
) -> None:
    data = random.Random(6).randbytes(BIG)
    f = store.add_bytes(data)
    rewrite(obj_path(cache, f.md5), flip_first_byte(data), in_place=False)
    store.add_bytes(data)  # e.g. the same model saved again under another name
    try:
        got = Path(store.ensure(f.md5)).read_bytes()
    except ArtifactIntegrityError:
        return  # refusing is fine too
    assert got == data


def test_push_to_an_unwritable_remote_raises_storage_error(cache: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "remote-is-a-file"
    blocker.write_text("not a folder")
    store = DataStore(str(cache), RemoteSpec("local", str(blocker)))
    f = store.add_bytes(b"x")
    with pytest.raises(StorageError, match=r"could not push.*nothing was registered"):
        store.push(f)
    assert blocker.read_text() == "not a folder"


# --------------------------------------------------------------------------- S3


def test_push_to_s3_and_fetch_back_with_a_fresh_cache(
    s3_server: str, s3_bucket: str, cache: Path, tmp_path: Path
) -> None:
    import boto3

    remote = RemoteSpec("s3", f"s3://{s3_bucket}/store", {"endpointurl": s3_server})
    store = DataStore(str(cache), remote)
    f = store.add_bytes(b"bytes in a bucket")
    d = store.add_dir(str(make_tree(tmp_path / "folder", TREE)))
    store.push(f)
    store.push(d)
    store.push(d)  # pushing again changes nothing

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    listed = s3.list_objects_v2(Bucket=s3_bucket)
    keys = sorted(o["Key"] for o in listed.get("Contents", []))
    listing = json.loads(obj_path(cache, d.md5).read_bytes())
    oids = {f.md5, d.md5} | {e["md5"] for e in listing}
    assert keys == sorted(f"store/files/md5/{o[:2]}/{o[2:]}" for o in oids)
    body = s3.get_object(Bucket=s3_bucket, Key=f"store/files/md5/{f.md5[:2]}/{f.md5[2:]}")
    assert body["Body"].read() == b"bytes in a bucket"
    assert store.remote_check(d.md5) is None

    other, cache2 = fresh(tmp_path, remote)
    assert Path(other.ensure(f.md5)).read_bytes() == b"bytes in a bucket"
    out = tmp_path / "out"
    other.checkout(d, str(out))
    got = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert got == TREE

    missing = md5(b"never uploaded")
    with pytest.raises(ArtifactDataMissingError, match=missing):
        other.ensure(missing)
    assert objects_under(cache2) == sorted(oids)
