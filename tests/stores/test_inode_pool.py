"""The inode pool: packs a repack superseded are written again as the next commits' packs,
and never while anyone can still read them."""

from __future__ import annotations

import errno
import mmap
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git

from gitreg.stores.git import GitStore, Put, inode_pool, repository

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="write leases are Linux-only"
)


@pytest.fixture(autouse=True)
def repack_every_20(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repository, "REPACK_EVERY", 20)


def pack_dir(repo: Path) -> Path:
    return repo / ".git" / "objects" / "pack"


def pool_dir(repo: Path) -> Path:
    return repo / ".git" / "gitreg" / "pool"


def inodes(folder: Path) -> dict[int, str]:
    return {p.stat().st_ino: p.name for p in folder.iterdir() if p.name.startswith("pack-")}


def commits(store: GitStore, head: str | None, start: int, stop: int) -> str | None:
    for i in range(start, stop):
        head = store.commit([Put(f"d/{i}", f"value {i}".encode())], f"c{i}", head)
    return head


def assert_all_readable(repo: Path, n: int) -> None:
    fsck = subprocess.run(
        ["git", "fsck", "--strict", "--no-dangling"], cwd=repo, capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    snap = GitStore(repo).snapshot()
    assert [snap.read(f"d/{i}") for i in range(n)] == [f"value {i}".encode() for i in range(n)]


def test_the_packs_a_repack_supersedes_become_the_next_commits_packs(repo: Path) -> None:
    store = GitStore(repo)
    head = commits(store, None, 0, 20)  # the 20th commit rolls the 20 small packs up
    pooled = inodes(pool_dir(repo))
    assert len(pooled) >= 38  # 19 or 20 superseded packs, .pack and .idx each
    assert not set(pooled.values()) & {p.name for p in pack_dir(repo).iterdir()}
    before = inodes(pack_dir(repo))

    commits(store, head, 20, 30)

    new = {ino: name for ino, name in inodes(pack_dir(repo)).items() if ino not in before}
    assert len(new) == 20  # 10 commits: a .pack and an .idx each
    assert set(new) <= set(pooled)  # all written into superseded packs' inodes
    assert len(list(pool_dir(repo).iterdir())) == len(pooled) - 20
    assert_all_readable(repo, 30)


def test_a_pack_a_reader_still_has_mapped_is_left_alone(repo: Path) -> None:
    store = GitStore(repo)
    head = commits(store, None, 0, 19)
    maps = []
    originals = {}
    for p in pack_dir(repo).glob("*.pack"):  # a reader that opened every pack
        with open(p, "rb") as f:
            maps.append((p.stat().st_ino, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)))
        originals[p.stat().st_ino] = p.read_bytes()
    head = commits(store, head, 19, 20)  # repack: those packs are superseded
    head = commits(store, head, 20, 60)

    assert all(m[:] == originals[ino] for ino, m in maps)  # not one byte changed under it
    live = inodes(pack_dir(repo))
    assert not set(originals) & set(live)
    assert set(originals) <= set(inodes(pool_dir(repo)))  # still waiting in the pool
    for _, m in maps:
        m.close()
    # once the reader is gone, a new writer reuses them
    commits(GitStore(repo), head, 60, 70)
    assert set(originals) & set(inodes(pack_dir(repo)))
    assert_all_readable(repo, 70)


def test_a_git_reader_started_before_the_repack_keeps_reading_right_objects(repo: Path) -> None:
    store = GitStore(repo)
    head = commits(store, None, 0, 19)
    blobs = [git(repo, "rev-parse", f"gitreg:d/{i}") for i in range(19)]
    reader = subprocess.Popen(
        ["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert reader.stdin is not None and reader.stdout is not None

    def read(sha: str) -> bytes:
        assert reader.stdin is not None and reader.stdout is not None
        reader.stdin.write(sha.encode() + b"\n")
        reader.stdin.flush()
        size = int(reader.stdout.readline().split()[2])
        data = reader.stdout.read(size + 1)[:-1]
        return data

    try:
        assert [read(s) for s in blobs] == [f"value {i}".encode() for i in range(19)]
        commits(store, head, 19, 70)  # a repack, then 50 commits written into pooled inodes
        assert [read(s) for s in blobs] == [f"value {i}".encode() for i in range(19)]
    finally:
        reader.stdin.close()
        reader.wait()
        reader.stdout.close()
    assert_all_readable(repo, 70)


def test_a_pool_entry_that_is_still_a_live_pack_is_never_written(repo: Path) -> None:
    """A process stopped between linking packs into the pool and settling leaves links to
    live packs there."""
    store = GitStore(repo)
    head = commits(store, None, 0, 5)
    pool_dir(repo).mkdir(parents=True)
    live = {p.name: p.read_bytes() for p in pack_dir(repo).iterdir()}
    for name in live:
        os.link(pack_dir(repo) / name, pool_dir(repo) / name)

    commits(GitStore(repo), head, 5, 12)

    assert {p.name: p.read_bytes() for p in pack_dir(repo).iterdir() if p.name in live} == live
    assert not list(pool_dir(repo).iterdir())  # the second names were dropped
    assert_all_readable(repo, 12)


def test_without_leases_superseded_packs_are_removed_as_before(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = inode_pool.fcntl.fcntl

    def no_leases(fd: int, cmd: int, arg: int = 0) -> int:
        if cmd == inode_pool.fcntl.F_SETLEASE:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, cmd, arg)

    monkeypatch.setattr(inode_pool.fcntl, "fcntl", no_leases)
    store = GitStore(repo)
    head = commits(store, None, 0, 20)
    commits(store, head, 20, 25)
    assert store.objects.pool is not None and not store.objects.pool.enabled
    assert not list(pool_dir(repo).iterdir())
    assert len(list(pack_dir(repo).glob("*.pack"))) < 10
    assert_all_readable(repo, 25)


WRITER = """
import sys
from gitreg.stores.git import GitStore, Put, repository
repository.REPACK_EVERY = 8
store = GitStore(sys.argv[1])
me = sys.argv[2]
for i in range(60):
    def build(snap, i=i):
        return [Put(f"{me}/{i}", f"{me} {i}".encode())], f"{me} {i}", None
    store.transact(build)
    snap = store.snapshot()
    assert [snap.read(f"{me}/{k}") for k in range(i + 1)] == [
        f"{me} {k}".encode() for k in range(i + 1)
    ]
"""


def test_two_writers_repacking_and_reusing_at_once_lose_nothing(repo: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(repo), who], stderr=subprocess.PIPE)
        for who in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    fsck = subprocess.run(
        ["git", "fsck", "--strict", "--no-dangling"], cwd=repo, capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    snap = GitStore(repo).snapshot()
    for who in ("a", "b"):
        assert [snap.read(f"{who}/{i}") for i in range(60)] == [
            f"{who} {i}".encode() for i in range(60)
        ]
    assert int(git(repo, "rev-list", "--count", "gitreg")) == 120
    assert list(pool_dir(repo).iterdir())  # the pool was in use


def test_removing_the_pool_by_hand_between_commits_breaks_nothing(repo: Path) -> None:
    store = GitStore(repo)
    head = commits(store, None, 0, 20)
    assert list(pool_dir(repo).iterdir())
    shutil.rmtree(pool_dir(repo))  # the store still lists the removed files as free
    head = commits(store, head, 20, 45)  # and repacks into a new pool at 40
    assert list(pool_dir(repo).iterdir())
    assert_all_readable(repo, 45)


def test_a_rival_that_opened_a_pooled_file_before_it_was_taken_cannot_write_into_it(
    repo: Path,
) -> None:
    """Writer A claims a pooled file; rival B opens it before A renames it into
    `objects/pack`, and asks for the lease after A has closed it: B must refuse, or it would
    write into a live pack."""
    store = GitStore(repo)
    commits(store, None, 0, 20)
    src = sorted(pool_dir(repo).iterdir())[-1]
    a = inode_pool.InodePool(store.common_dir)
    b = inode_pool.InodePool(store.common_dir)
    claimed = a._claim(str(src))
    assert claimed is not None
    fd_a, _ = claimed
    fd_b = os.open(src, os.O_RDWR)  # B, between A's claim and A's rename
    assert b.vet(fd_b, str(src)) is None  # A still has it open: no lease
    live = pack_dir(repo) / "pack-0000000000000000000000000000000000000000.pack"
    os.pwrite(fd_a, b"A's pack", 0)
    os.ftruncate(fd_a, 8)
    os.replace(src, live)
    os.close(fd_a)
    try:
        assert b.vet(fd_b, str(src)) is None  # lease granted now, but src is not that file
    finally:
        os.close(fd_b)
    assert live.read_bytes() == b"A's pack"
    live.unlink()


def test_a_file_that_waited_too_long_in_the_pool_is_removed_at_the_next_repack(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = GitStore(repo)
    head = commits(store, None, 0, 20)
    stuck = sorted(pool_dir(repo).glob("*.pack"))[0]
    data = stuck.read_bytes()
    with open(stuck, "rb") as f:  # a long-lived reader keeps it mapped: it cannot be reused
        m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    monkeypatch.setattr(inode_pool, "MAX_AGE", 0.0)
    commits(store, head, 20, 40)  # the repack at 40 prunes the pool first
    assert not stuck.exists()
    assert m[:] == data
    m.close()
    assert_all_readable(repo, 40)


def test_a_write_takes_a_pooled_file_of_its_own_size_in_blocks_and_never_shrinks_one_needlessly(
    tmp_path: Path,
) -> None:
    """Shrinking a file frees blocks, which costs ~40x the write on a disk mounted with
    `discard`: a write takes a file of as many blocks if there is one, else a smaller one."""
    packs, out = tmp_path / "objects" / "pack", tmp_path / "out"
    packs.mkdir(parents=True)
    out.mkdir()
    block = inode_pool.BLOCK
    sizes = {
        "pack-a.pack": 3 * block,
        "pack-b.pack": block - 100,
        "pack-c.idx": 2 * block - 1,
        "pack-e.pack": 5 * block,
    }
    for name, size in sizes.items():
        (packs / name).write_bytes(b"o" * size)
    ino = {name: (packs / name).stat().st_ino for name in sizes}
    pool = inode_pool.InodePool(str(tmp_path))
    held = pool.hold(str(packs))
    assert sorted(held) == sorted(sizes.items())
    for name in sizes:  # the repack removes them
        (packs / name).unlink()
    pool.settle(str(packs), held)

    def write(size: int) -> int:
        target = out / f"new-{size}"
        assert pool.write(str(target), b"n" * size)
        assert target.read_bytes() == b"n" * size
        return target.stat().st_ino

    assert write(block + 1) == ino["pack-c.idx"]  # 2 blocks: the 2-block file
    assert write(4 * block) == ino["pack-a.pack"]  # the largest smaller one (3, not 1) grows
    assert write(2 * block) == ino["pack-b.pack"]  # a smaller one rather than the 5-block
    assert write(10) == ino["pack-e.pack"]  # a larger one only when it is all that is left
    assert not pool.write(str(out / "none"), b"n")  # the pool is empty: a new file instead
    assert not (out / "none").exists()
    assert list((tmp_path / "gitreg" / "pool").iterdir()) == []


def test_a_larger_pooled_file_is_still_used_when_no_smaller_one_is_left(tmp_path: Path) -> None:
    packs = tmp_path / "objects" / "pack"
    packs.mkdir(parents=True)
    (packs / "pack-a.pack").write_bytes(b"o" * 5 * inode_pool.BLOCK)
    ino = (packs / "pack-a.pack").stat().st_ino
    pool = inode_pool.InodePool(str(tmp_path))
    held = pool.hold(str(packs))
    (packs / "pack-a.pack").unlink()
    pool.settle(str(packs), held)
    fresh = inode_pool.InodePool(str(tmp_path))  # another process: lists the pool itself
    assert fresh.write(str(tmp_path / "small"), b"tiny")
    assert (tmp_path / "small").read_bytes() == b"tiny"
    assert (tmp_path / "small").stat().st_ino == ino
