"""Disk full and read-only remotes: a save fails with a clear GitregError (StorageError for
the remote) that mentions the remote or the space, and leaves no manifest behind (the
registry branch does not move). Uses real tmpfs and bind mounts; skipped where mounting is
not allowed."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rel_helpers import ObjectChecker, branch_sha, fsck, make_repo

from gitreg import Client
from gitreg.errors import GitregError, StorageError

Mounter = Callable[..., Path]


def _mount(*args: str) -> None:
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise OSError(errno.EPERM, proc.stderr.strip() or "mount failed")


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Mounter]:
    """mount("tmpfs", size="1m") or mount("bind-ro", source=DIR) -> mount point; all are
    unmounted at the end."""
    done: list[Path] = []

    def mount(kind: str, size: str = "1m", source: Path | None = None) -> Path:
        point = tmp_path / f"mnt{len(done)}"
        point.mkdir()
        try:
            if kind == "tmpfs":
                _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point))
            else:
                assert source is not None
                _mount("--bind", str(source), str(point))
                done.append(point)
                _mount("-o", "remount,bind,ro", str(point))
                return point
        except (OSError, FileNotFoundError) as e:
            pytest.skip(f"cannot mount here: {e}")
        done.append(point)
        return point

    try:
        yield mount
    finally:
        for point in reversed(done):
            if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _remount_ro(point: Path) -> None:
    try:
        _mount("-o", "remount,ro", str(point))
    except OSError as e:
        pytest.skip(f"cannot remount read-only: {e}")


def _registry(tmp_path: Path, remote: Path, repo_dir: Path | None = None) -> tuple[Path, Client]:
    repo = make_repo((repo_dir or tmp_path) / "repo")
    client = Client(repo)
    client.init(remote=str(remote))
    return repo, client


def _expect_failed_save(
    repo: Path, save: Callable[[], object], error: type[GitregError], fragments: tuple[str, ...]
) -> GitregError:
    before = branch_sha(repo)
    with pytest.raises(GitregError) as info:
        save()
    assert isinstance(info.value, error), repr(info.value)
    message = str(info.value)
    assert all(f in message for f in fragments), message
    assert branch_sha(repo) == before, "a manifest was committed"
    return info.value


def test_full_remote(tmp_path: Path, mounts: Mounter, reliability_counts) -> None:
    point = mounts("tmpfs", size="1m")
    remote = point / "remote"
    repo, client = _registry(tmp_path, remote)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2_000_000))
    _expect_failed_save(
        repo,
        lambda: client.save_artifact(big, "big"),
        StorageError,
        (str(remote), "No space left on device", "free space"),
    )
    assert ObjectChecker(remote).bad_objects() == []  # nothing partial under an object name
    leftovers = [p for p in remote.rglob("*") if p.is_file()]
    assert leftovers == [], leftovers

    # small saves fill it up; each either registers whole or fails cleanly
    saved = {}
    for _ in range(40):
        value = os.urandom(60_000)
        before = branch_sha(repo)
        try:
            art = client.save_artifact(value, "chunks")
        except StorageError as e:
            assert "No space left on device" in str(e)
            assert branch_sha(repo) == before
            reliability_counts.add("disk-full/read-only saves")
            break
        saved[art.version] = value
    else:
        pytest.fail("a 1 MB remote took 40 x 60 kB")
    assert saved
    fresh = Client(repo)
    for version, value in saved.items():
        assert fresh.load_artifact("chunks", version) == value
    report = fresh.validate(remote=True)
    assert report.ok, [str(p) for p in report.problems]
    assert ObjectChecker(remote).bad_objects() == []
    assert fsck(repo).returncode == 0
    reliability_counts.add("disk-full/read-only saves")


def test_read_only_remote_tmpfs(tmp_path: Path, mounts: Mounter, reliability_counts) -> None:
    point = mounts("tmpfs", size="1m")
    remote = point / "remote"
    repo, client = _registry(tmp_path, remote)
    first = client.save_artifact("written before", "data")
    _remount_ro(point)
    _expect_failed_save(
        repo,
        lambda: client.save_artifact("after ro", "data"),
        StorageError,
        (str(remote), "writable"),
    )
    # what was saved before is still readable from the read-only remote
    (repo / ".git" / "gitreg" / "cache").rename(tmp_path / "old-cache")
    assert Client(repo).load_artifact(str(first.id)) == "written before"
    assert Client(repo).validate(remote=True).ok
    reliability_counts.add("disk-full/read-only saves")


def test_read_only_bind_mounted_remote(tmp_path: Path, mounts: Mounter, reliability_counts) -> None:
    source = tmp_path / "remote-dir"
    (source / "files" / "md5").mkdir(parents=True)
    point = mounts("bind-ro", source=source)
    repo, client = _registry(tmp_path, point)
    for value in ("x", os.urandom(1000)):
        _expect_failed_save(
            repo,
            lambda value=value: client.save_artifact(value, "data"),
            StorageError,
            (str(point), "writable"),
        )
        reliability_counts.add("disk-full/read-only saves")
    assert list(source.rglob("*.tmp")) == []


def test_read_only_remote_error_names_the_cause(tmp_path: Path, mounts: Mounter) -> None:
    point = mounts("tmpfs", size="1m")
    repo, client = _registry(tmp_path, point / "remote")
    client.save_artifact("first", "data")
    _remount_ro(point)
    _expect_failed_save(
        repo,
        lambda: client.save_artifact(b"new bytes", "data"),
        StorageError,
        ("Read-only file system",),
    )


def test_full_cache_disk(tmp_path: Path, mounts: Mounter, reliability_counts) -> None:
    point = mounts("tmpfs", size="3m")
    repo, client = _registry(tmp_path, tmp_path / "remote", repo_dir=point)
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(4_000_000))
    reliability_counts.add("disk-full/read-only saves")
    _expect_failed_save(
        repo, lambda: client.save_artifact(big, "big"), GitregError, ("No space left on device",)
    )


def test_full_git_disk(tmp_path: Path, mounts: Mounter, reliability_counts) -> None:
    point = mounts("tmpfs", size="3m")
    repo, client = _registry(tmp_path, tmp_path / "remote", repo_dir=point)
    client.save_artifact("tiny", "first")  # its bytes are cached and pushed already
    filler = point / "filler"
    try:
        with open(filler, "wb") as f:
            f.write(b"\0" * 4_000_000)
    except OSError as e:
        assert e.errno == errno.ENOSPC
    reliability_counts.add("disk-full/read-only saves")
    try:
        _expect_failed_save(
            repo, lambda: client.save_artifact("tiny", "second"), GitregError, ("No space left",)
        )
    finally:
        filler.unlink()
        assert fsck(repo).returncode == 0
        assert client.save_artifact("after", "second").version == "1"
        assert Client(repo).validate(remote=True).ok
