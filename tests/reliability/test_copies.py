"""Copies: a remote the user names is a second copy of every object, never a hard link of
the local cache; only the embedded default remote shares the cache's files."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from gitreg import Client
from gitreg.errors import ArtifactIntegrityError

BIG = 2 << 20  # big enough that loads skip re-hashing an unchanged cached file


def objects(root: Path) -> dict[str, Path]:
    return {p.parent.name + p.name: p for p in (root / "files" / "md5").rglob("*") if p.is_file()}


def rot_in_place(path: Path) -> None:
    """Flip a byte without a new inode, as bit rot or a careless tool would."""
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 1]))
    os.chmod(path, 0o444)


@pytest.mark.parametrize("size", [300, BIG])
def test_a_user_named_local_remote_survives_a_corrupt_cache(
    repo: Path, dvc_remote: Path, tmp_path: Path, size: int
) -> None:
    client = Client(repo)
    client.init(str(dvc_remote))
    data = random.Random(size).randbytes(size)
    src = tmp_path / "weights.bin"
    src.write_bytes(data)
    saved = client.save_artifact(src, "weights")
    assert Path(client.load_artifact(saved.id)).read_bytes() == data

    cache = objects(repo / ".git" / "gitreg" / "cache")
    remote = objects(dvc_remote)
    assert set(remote) <= set(cache) and remote
    for oid, pushed in remote.items():
        assert pushed.stat().st_ino != cache[oid].stat().st_ino
        assert pushed.read_bytes() == cache[oid].read_bytes()

    (oid,) = remote
    rot_in_place(cache[oid])
    os.utime(cache[oid], ns=(0, 0))  # rot that also touched the mtime, so it is re-hashed
    with pytest.raises(ArtifactIntegrityError, match="in the cache is corrupt") as e:
        client.load_artifact(saved.id)
    assert e.value.where == "cache"
    assert Path(client.load_artifact(saved.id)).read_bytes() == data  # from the remote
    assert client.validate(remote=True).ok


def test_the_embedded_remote_is_one_copy_with_the_cache(repo: Path, tmp_path: Path) -> None:
    client = Client(repo)
    client.init()
    src = tmp_path / "weights.bin"
    src.write_bytes(b"one copy on one disk")
    client.save_artifact(src, "weights")
    gitreg_dir = repo / ".git" / "gitreg"
    cache, remote = objects(gitreg_dir / "cache"), objects(gitreg_dir / "remote")
    assert remote
    for oid, pushed in remote.items():
        assert pushed.stat().st_ino == cache[oid].stat().st_ino


def test_validate_remote_names_the_objects_with_a_single_copy(tmp_path: Path) -> None:
    import subprocess
    import sys

    from helpers import make_repo

    from gitreg import Client

    embedded = make_repo(tmp_path / "embedded")
    art = Client(embedded).save_artifact(b"only here", "blob")
    report = Client(embedded).validate(remote=True)
    assert report.ok and report.single_copy == [art.md5]
    exe = Path(sys.executable).with_name("gitreg")
    out = subprocess.run(
        [str(exe), "-C", str(embedded), "validate", "--remote"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "1 object(s) have a single copy" in out.stdout
    assert art.md5 in out.stdout and "gitreg init --remote URL" in out.stdout

    named = make_repo(tmp_path / "named")
    Client(named).init(str(tmp_path / "second-copy"))
    Client(named).save_artifact(b"two copies", "blob")
    assert Client(named).validate(remote=True).single_copy == []
