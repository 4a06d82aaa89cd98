"""The registry ref: git's `.lock` protocol, the reflog, damaged refs, checked-out branches."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import GIT_ENV, git

from gitreg.errors import BranchCheckedOutError, DamagedRefError, RefLockedError
from gitreg.stores.git import GitStore, Put, refs
from gitreg.stores.git.repository import fsync_components

HOST = socket.gethostname()
ZERO = "0" * 40


@pytest.fixture
def quick_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refs, "LOCK_TIMEOUT", 0.3)


def ref_path(repo: Path, branch: str = "gitreg") -> Path:
    return repo / ".git" / "refs" / "heads" / branch


def reflog(repo: Path, branch: str = "gitreg") -> bytes:
    path = repo / ".git" / "logs" / "refs" / "heads" / branch
    return path.read_bytes() if path.exists() else b""


def fsck_clean(repo: Path) -> None:
    proc = subprocess.run(
        ["git", "fsck", "--no-dangling", "--strict"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def state(repo: Path) -> tuple[str, bytes, list[str]]:
    """What a refused or failed write must leave as it was: every ref, the reflog, the packs."""
    pack_dir = repo / ".git" / "objects" / "pack"
    packs = sorted(p.name for p in pack_dir.iterdir()) if pack_dir.exists() else []
    return git(repo, "for-each-ref", "--format=%(refname) %(objectname)"), reflog(repo), packs


# --------------------------------------------------------------------------- reflog


def test_every_update_has_a_reflog_entry_that_git_shows(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "create the registry", None)
    c2 = store.commit([Put("f", b"2")], "save ckpt 1\n\nmore lines", c1)
    c3 = store.commit([Put("f", b"3")], "link  ckpt 1\tto model", c2)

    shown = git(repo, "log", "-g", "--format=%H %gD|%gs|%gn <%ge>", "gitreg").splitlines()
    assert shown == [
        f"{c3} gitreg@{{0}}|link ckpt 1 to model|Test User <test@example.com>",
        f"{c2} gitreg@{{1}}|save ckpt 1|Test User <test@example.com>",
        f"{c1} gitreg@{{2}}|create the registry|Test User <test@example.com>",
    ]
    assert git(repo, "reflog", "show", "--format=%h %gs", "gitreg").splitlines()[-1] == (
        f"{c1[:7]} create the registry"
    )
    # byte for byte git's format: old new ident<TAB>subject, the first old being zeros
    lines = reflog(repo).decode().splitlines()
    ident = git(repo, "log", "-1", "--format=%cn <%ce> %ct", c1)
    assert lines[0].startswith(f"{ZERO} {c1} {ident} ")
    assert lines[0].endswith("\tcreate the registry")
    assert [line.split()[:2] for line in lines] == [[ZERO, c1], [c1, c2], [c2, c3]]
    assert git(repo, "rev-parse", "gitreg@{1}") == c2  # a lost tip can be found again
    fsck_clean(repo)


def test_the_reflog_carries_on_from_gits_own_updates(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "one", None)
    c2 = store.commit([Put("f", b"2")], "two", c1)
    git(repo, "update-ref", "-m", "reset by hand", "refs/heads/gitreg", c1, c2)
    c3 = store.commit([Put("f", b"3")], "three", c1)
    assert git(repo, "log", "-g", "--format=%gs", "gitreg").splitlines() == [
        "three",
        "reset by hand",
        "two",
        "one",
    ]
    assert git(repo, "rev-parse", "gitreg") == c3
    fsck_clean(repo)


# --------------------------------------------------------------------------- locks

KILLED_WRITER = """
import sys
from gitreg.stores.git import GitStore, Put
store = GitStore(sys.argv[1])
store.commit([Put("from-child", b"x")], "child", store.head())
"""


def test_a_lock_left_by_a_killed_gitreg_process_is_recovered(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    child = subprocess.run(  # SIGKILLed while it holds the lock (and waited for: no zombie)
        [sys.executable, "-c", KILLED_WRITER, str(repo)],
        env={**os.environ, "GITREG_CRASH_AT": "locked:1"},
        capture_output=True,
    )
    assert child.returncode == -9, child.stderr
    lock = ref_path(repo).with_name("gitreg.lock")
    assert lock.read_bytes().startswith(b"gitreg pid=")  # the lock names its owner
    assert git(repo, "rev-parse", "gitreg") == c1

    c2 = GitStore(repo).commit([Put("f", b"2")], "2", c1)
    assert git(repo, "rev-parse", "gitreg") == c2
    assert not lock.exists()
    assert not lock.with_name("gitreg.lock.break.lock").exists()
    assert GitStore(repo).snapshot().read("from-child") is None  # the killed commit never landed
    assert git(repo, "log", "-g", "--format=%gs", "gitreg").splitlines() == ["2", "1"]
    fsck_clean(repo)


def test_a_lock_naming_this_very_pid_is_a_dead_namesakes(repo: Path) -> None:
    """As after a container restart: the dead writer had the pid this process has now."""
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    lock = ref_path(repo).with_name("gitreg.lock")
    lock.write_text(f"gitreg pid={os.getpid()} host={HOST}\n")
    c2 = store.commit([Put("f", b"2")], "2", c1)
    assert git(repo, "rev-parse", "gitreg") == c2 and not lock.exists()


FORKING_HOLDER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.write(fd, f"gitreg pid={os.getpid()} host={sys.argv[2]}\\n".encode())
child = os.fork()
if child == 0:
    os.close(1), os.close(2)  # so that the test need not wait for it
    time.sleep(30)  # a worker that lives on, holding the parent's open lock file
    os._exit(0)
print(child, flush=True)
os._exit(0)  # the parent dies holding the lock
"""


def test_a_dead_writers_lock_is_recovered_though_its_forked_worker_lives(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    lock = ref_path(repo).with_name("gitreg.lock")
    out = subprocess.run(
        [sys.executable, "-c", FORKING_HOLDER, str(lock), HOST], capture_output=True, text=True
    )
    worker = int(out.stdout)
    try:
        assert lock.exists()
        c2 = GitStore(repo).commit([Put("f", b"2")], "2", c1)
        assert git(repo, "rev-parse", "gitreg") == c2 and not lock.exists()
    finally:
        os.kill(worker, 9)


HOLDER = """
import os, sys, time
lock = sys.argv[1]
fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.write(fd, f"gitreg pid={os.getpid()} host={sys.argv[2]}\\n".encode())
print("held", flush=True)
time.sleep(60)
"""


def test_a_lock_held_by_a_live_gitreg_process_is_never_broken(
    repo: Path, quick_locks: None
) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    lock = ref_path(repo).with_name("gitreg.lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), HOST], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        content = lock.read_bytes()
        before = state(repo)
        with pytest.raises(RefLockedError) as e:
            store.commit([Put("f", b"2")], "2", c1)
        assert f"by gitreg process {holder.pid} on {HOST}" in str(e.value)
        assert "remove the file" in str(e.value) and str(lock) in str(e.value)
        assert e.value.holder == f"gitreg process {holder.pid} on {HOST}"
        assert lock.read_bytes() == content  # untouched
        assert state(repo)[:2] == before[:2]  # the ref and its reflog are unchanged
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    # once its owner is gone, the next writer recovers it
    c2 = store.commit([Put("f", b"2")], "2", c1)
    assert git(repo, "rev-parse", "gitreg") == c2


@pytest.mark.parametrize("content", ["", "<sha>\n", "gitreg pid=1 host=another-machine\n"])
def test_gits_locks_and_other_hosts_locks_are_never_broken(
    repo: Path, quick_locks: None, content: str
) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    lock = ref_path(repo).with_name("gitreg.lock")
    lock.write_text(content.replace("<sha>", c1))  # git writes the new sha, or nothing yet
    before = state(repo)
    with pytest.raises(
        RefLockedError, match=r"gitreg\.lock has been held by .* remove the file"
    ) as e:
        store.commit([Put("f", b"2")], "2", c1)
    who = "gitreg process 1 on another-machine" if "host" in content else "git or another tool"
    assert f"held by {who}" in str(e.value)
    assert lock.read_text() == content.replace("<sha>", c1)
    assert state(repo)[:2] == before[:2]


def test_a_lock_held_by_a_real_git_transaction_is_waited_for(repo: Path, quick_locks: None) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    c2 = store.commit([Put("f", b"2")], "2", c1)
    txn = subprocess.Popen(  # `prepare` takes gitreg.lock and holds it until `commit`
        ["git", "update-ref", "--stdin"],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **GIT_ENV},
    )
    assert txn.stdin is not None and txn.stdout is not None
    txn.stdin.write(f"start\nupdate refs/heads/gitreg {c1} {c2}\nprepare\n")
    txn.stdin.flush()
    assert txn.stdout.readline().strip() == "start: ok"
    assert txn.stdout.readline().strip() == "prepare: ok"
    with pytest.raises(RefLockedError, match="by git or another tool"):
        store.commit([Put("f", b"3")], "3", c2)
    txn.stdin.write("commit\n")
    txn.stdin.close()
    assert txn.stdout.readline().strip() == "commit: ok"
    txn.stdout.close()
    assert txn.wait() == 0
    assert git(repo, "rev-parse", "gitreg") == c1  # git's update went through, intact
    c3 = store.commit([Put("f", b"3")], "3", c1)
    assert git(repo, "rev-parse", "gitreg") == c3
    fsck_clean(repo)


# --------------------------------------------------------------------------- damaged refs


@pytest.mark.parametrize("content", [b"", b"\n", b"not a sha at all\n", b"1234abcd\n"])
def test_a_damaged_ref_file_is_an_error_never_an_empty_registry(repo: Path, content: bytes) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    ref_path(repo).write_bytes(content)
    before = state(repo)
    with pytest.raises(DamagedRefError, match=r"refs/heads/gitreg is damaged .*git reflog gitreg"):
        GitStore(repo).snapshot()
    with pytest.raises(DamagedRefError):
        store.commit([Put("f", b"2")], "2", None)  # not "create the branch"
    with pytest.raises(DamagedRefError):
        store.commit([Put("f", b"2")], "2", c1)
    assert ref_path(repo).read_bytes() == content
    assert state(repo)[:2] == before[:2]  # no ref or reflog change (a dangling pack at most)
    # restored from the reflog (git, too, refuses to update a broken ref in place)
    assert reflog(repo).split()[1].decode() == c1
    ref_path(repo).unlink()
    git(repo, "update-ref", "refs/heads/gitreg", c1)
    assert GitStore(repo).snapshot().read("f") == b"1"


def test_a_damaged_packed_ref_is_an_error_too(repo: Path) -> None:
    store = GitStore(repo)
    store.commit([Put("f", b"1")], "1", None)
    git(repo, "pack-refs", "--all")
    packed = repo / ".git" / "packed-refs"
    text = packed.read_text()
    packed.write_text(
        "\n".join(
            "garbage refs/heads/gitreg" if line.endswith(" refs/heads/gitreg") else line
            for line in text.splitlines()
        )
        + "\n"
    )
    with pytest.raises(DamagedRefError, match="packed-refs"):
        GitStore(repo).head()


def test_a_damaged_ref_is_reported_through_the_client(repo: Path) -> None:
    from gitreg import Client

    client = Client(repo)
    client.init()
    client.save_artifact("x", "a")
    ref_path(repo).write_bytes(b"")
    with pytest.raises(DamagedRefError):
        Client(repo).list_artifacts()
    with pytest.raises(DamagedRefError):
        Client(repo).save_artifact("y", "a")
    assert ref_path(repo).read_bytes() == b""


def test_a_ref_only_in_packed_refs_reads_and_updates(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    git(repo, "pack-refs", "--all")
    assert not ref_path(repo).exists()
    fresh = GitStore(repo)
    assert fresh.head() == c1
    c2 = fresh.commit([Put("f", b"2")], "2", c1)
    assert ref_path(repo).read_text() == c2 + "\n"  # a loose ref now overrides the packed one
    assert git(repo, "rev-parse", "gitreg") == c2
    git(repo, "pack-refs", "--all")
    c3 = GitStore(repo).commit([Put("f", b"3")], "3", c2)
    assert git(repo, "log", "-g", "--format=%gs", "gitreg").splitlines() == ["3", "2", "1"]
    assert GitStore(repo).snapshot(c3).read("f") == b"3"
    fsck_clean(repo)


# --------------------------------------------------------------------------- checked out


def test_the_branch_checked_out_in_the_main_worktree_is_never_written(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    git(repo, "switch", "-q", "gitreg")
    before = state(repo)
    with pytest.raises(BranchCheckedOutError, match=f"checked out in {repo}") as e:
        store.commit([Put("f", b"2")], "2", c1)
    assert (e.value.branch, Path(e.value.worktree)) == ("gitreg", repo)
    assert state(repo) == before  # no ref, reflog or pack written
    git(repo, "switch", "-q", "main")
    assert store.commit([Put("f", b"2")], "2", c1)


def test_the_branch_checked_out_in_a_linked_worktree_is_never_written(
    repo: Path, tmp_path: Path
) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt), "gitreg")
    before = state(repo)
    for writer in (store, GitStore(wt)):  # from the main checkout and from the worktree
        with pytest.raises(BranchCheckedOutError) as e:
            writer.commit([Put("f", b"2")], "2", c1)
        assert Path(e.value.worktree) == wt
    assert state(repo) == before
    # git refuses it the same way
    proc = subprocess.run(["git", "branch", "-f", "gitreg", "main"], cwd=repo, capture_output=True)
    assert proc.returncode != 0


def test_a_checked_out_branch_is_found_through_a_symbolic_ref(repo: Path) -> None:
    GitStore(repo, branch="real").commit([Put("f", b"1")], "1", None)
    git(repo, "symbolic-ref", "refs/heads/gitreg", "refs/heads/real")
    git(repo, "switch", "-q", "real")
    with pytest.raises(BranchCheckedOutError):
        GitStore(repo).commit([Put("f", b"2")], "2", GitStore(repo).head())


def test_saving_while_the_registry_branch_is_checked_out_is_refused(repo: Path) -> None:
    from gitreg import Client

    client = Client(repo)
    client.init()
    git(repo, "switch", "-q", "gitreg")
    head = git(repo, "rev-parse", "gitreg")
    with pytest.raises(BranchCheckedOutError, match="gitreg never moves a checked-out branch"):
        Client(repo).save_artifact({"a": 1}, "blocked")
    assert git(repo, "rev-parse", "gitreg") == head


# --------------------------------------------------------------------------- core.fsync


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {"pack", "pack-metadata", "commit-graph"}),  # git's default
        ("", {"pack", "pack-metadata", "commit-graph"}),
        ("none", set()),
        ("reference", {"pack", "pack-metadata", "commit-graph", "reference"}),
        ("committed", {"loose-object", "pack", "pack-metadata", "commit-graph", "reference"}),
        ("none,reference", {"reference"}),
        ("-pack", {"pack-metadata", "commit-graph"}),
        ("reference,-pack", {"pack-metadata", "commit-graph", "reference"}),
        ("-pack,pack", {"pack", "pack-metadata", "commit-graph"}),  # git: an added one stays
    ],
)
def test_core_fsync_is_read_as_git_reads_it(value: str | None, expected: set[str]) -> None:
    assert fsync_components(value) == expected


def test_a_store_follows_core_fsync(repo: Path) -> None:
    git(repo, "config", "core.fsync", "committed")
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)  # flushes the pack, its index and the ref
    assert git(repo, "rev-parse", "gitreg") == c1
    fsck_clean(repo)
