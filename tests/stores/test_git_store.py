"""GitStore on real repositories: batches as one commit, CAS, reads at any revision, and the
user's checkout left alone."""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers import GIT_ENV, checkout_state, git

from gitreg.errors import GitregError, NotAGitRepositoryError, RegistryConflictError
from gitreg.stores.git import Delete, GitStore, Put
from gitreg.stores.git.refs import RefMovedError

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def git_bytes(cwd: Path, *args: str) -> bytes:
    """stdout of a git command as raw bytes (for blobs that are not text)."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV}
    ).stdout


def fsck(repo: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "fsck", "--no-dangling", *extra], cwd=repo, capture_output=True, text=True
    )


def assert_fsck_clean(repo: Path) -> None:
    proc = fsck(repo, "--strict")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def commit_count(repo: Path, ref: str = "gitreg") -> int:
    return int(git(repo, "rev-list", "--count", ref))


def tree_listing(repo: Path, rev: str = "gitreg") -> dict[str, bytes]:
    names = git_bytes(repo, "ls-tree", "-r", "-z", "--name-only", rev).split(b"\0")
    return {
        n.decode(): git_bytes(repo, "cat-file", "blob", f"{rev}:{n.decode()}") for n in names if n
    }


# --------------------------------------------------------------------------- commits


def test_a_batch_of_puts_and_deletes_is_one_commit(repo: Path) -> None:
    store = GitStore(repo)
    assert store.head() is None
    first = store.commit(
        [Put("top.txt", b"top\n"), Put("d/one.yaml", b"1\n"), Put("d/sub/two.yaml", b"2\n")],
        "first batch",
        None,
    )
    assert git(repo, "rev-parse", "gitreg") == first == store.head()
    assert commit_count(repo) == 1
    assert tree_listing(repo) == {
        "top.txt": b"top\n",
        "d/one.yaml": b"1\n",
        "d/sub/two.yaml": b"2\n",
    }

    second = store.commit(
        [Put("d/one.yaml", b"one\n"), Delete("top.txt"), Put("e/three", b"3")], "second", first
    )
    assert commit_count(repo) == 2
    assert git(repo, "rev-parse", "gitreg^") == first
    assert git(repo, "log", "-1", "--format=%B", "gitreg") == "second"
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", "gitreg") == (
        "Test User <test@example.com>|Test User <test@example.com>"
    )
    assert tree_listing(repo) == {"d/one.yaml": b"one\n", "d/sub/two.yaml": b"2\n", "e/three": b"3"}
    assert store.head() == second
    assert_fsck_clean(repo)


def test_deleting_the_last_file_of_a_folder_removes_the_folder(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("a/b/c", b"x"), Put("a/keep", b"k"), Put("z", b"z")], "m", None)
    c2 = store.commit([Delete("a/b/c"), Delete("not/there")], "m", c1)
    assert git(repo, "ls-tree", "-r", "-t", "--name-only", "gitreg").split("\n") == [
        "a",
        "a/keep",
        "z",
    ]
    # deleting everything leaves git's empty tree, which fsck accepts
    store.commit([Delete("a/keep"), Delete("z")], "m", c2)
    assert git(repo, "rev-parse", "gitreg^{tree}") == EMPTY_TREE
    assert_fsck_clean(repo)


def test_objects_read_back_by_git_are_the_bytes_written(repo: Path) -> None:
    rng = random.Random(1234)
    payloads = {
        "empty": b"",
        "text.yaml": b"key: value\nother: [1, 2]\n",
        "binary/nul-and-high": bytes(range(256)) * 3,
        "binary/no-newline": b"\x00\xff\x00",
        "big/one-mib": rng.randbytes(1 << 20),
        "unicode/\u00e9t\u00e9.txt": "\u00e9t\u00e9 \u2603\n".encode(),
    }
    store = GitStore(repo)
    store.commit([Put(p, d) for p, d in payloads.items()], "payloads", None)
    for path, data in payloads.items():
        assert git_bytes(repo, "cat-file", "-p", f"gitreg:{path}") == data
        assert git(repo, "cat-file", "-t", f"gitreg:{path}") == "blob"
        # the blob id is git's own
        proc = subprocess.run(
            ["git", "hash-object", "--stdin"], cwd=repo, input=data, capture_output=True, check=True
        )
        assert store.snapshot().blob_sha(path) == proc.stdout.decode().strip()
    assert_fsck_clean(repo)


def test_trees_sort_the_way_git_expects(repo: Path) -> None:
    # "a" is a folder: git sorts it as "a/", i.e. after "a-b" and "a.b" but before "a0"
    names = ["a/b", "a/a", "a.b", "a-b", "a0", "a_b", "a+b", "A", "b", "ab", "a.b.c/x", "a.b-c"]
    names += ["nested/a/x", "nested/a.x", "nested/a-x", "nested/a_x", "\u00e9", "z" * 100]
    rng = random.Random(7)
    names += [
        "many/" + "".join(rng.choice("ab.-_/0") for _ in range(rng.randint(1, 6))).strip("/")
        for _ in range(150)
    ]
    # a name can not be both a file and a folder in one tree: keep the folder
    clean: list[str] = []
    for n in sorted(set(names)):
        parts = [p for p in n.split("/") if p not in ("", ".", "..")]
        if not parts:
            continue
        clean.append("/".join(parts))
    files = [n for n in clean if not any(o.startswith(n + "/") for o in clean)]
    store = GitStore(repo)
    store.commit([Put(n, n.encode()) for n in files], "many names", None)
    assert_fsck_clean(repo)

    # every tree is byte-for-byte the tree git itself makes from the same entries
    trees = git(repo, "ls-tree", "-r", "-t", "--format=%(objectname) %(path)", "gitreg").split("\n")
    trees = [line.split(" ", 1) for line in trees]
    for sha, path in [(git(repo, "rev-parse", "gitreg^{tree}"), ""), *trees]:
        if git(repo, "cat-file", "-t", sha) != "tree":
            continue
        listing = git_bytes(repo, "ls-tree", "-z", sha)
        remade = subprocess.run(
            ["git", "mktree", "-z"], cwd=repo, input=listing, capture_output=True, check=True
        )
        assert remade.stdout.decode().strip() == sha, f"tree of {path!r} is not in git's order"

    top = git(repo, "ls-tree", "--name-only", "gitreg").split("\n")
    a_group = [n for n in top if n.startswith("a") and len(n) <= 3]
    assert a_group == ["a+b", "a-b", "a.b", "a", "a0", "a_b", "ab"]
    assert tree_listing(repo) == {n: n.encode() for n in files}


# --------------------------------------------------------------------------- reading


def test_read_back_at_any_revision(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"v1"), Put("d/g", b"g1")], "1", None)
    c2 = store.commit([Put("f", b"v2"), Delete("d/g")], "2", c1)
    c3 = store.commit([Put("f", b"v3"), Put("d/h", b"h3")], "3", c2)
    git(repo, "tag", "-a", "-m", "annotated", "reg-v1", c1)

    assert store.snapshot(c1).read("f") == b"v1"
    assert store.snapshot(c1).read("d/g") == b"g1"
    assert store.snapshot(c2).read("f") == b"v2"
    assert store.snapshot(c2).read("d/g") is None
    assert not store.snapshot(c2).exists("d")
    assert store.snapshot().read("f") == b"v3"
    assert store.snapshot().commit == c3
    assert store.snapshot("gitreg~1").read("f") == b"v2"
    assert store.snapshot(c1[:10]).read("f") == b"v1"
    assert store.snapshot("reg-v1").read("f") == b"v1"  # an annotated tag peels to its commit
    assert store.snapshot("reg-v1").commit == c1

    with pytest.raises(GitregError, match="unknown revision 'no-such-rev'"):
        store.snapshot("no-such-rev")


def test_snapshot_queries_agree_with_git(repo: Path) -> None:
    store = GitStore(repo)
    store.commit([Put("d/x", b"x"), Put("d/s/y", b"y"), Put("top", b"t")], "m", None)
    snap = store.snapshot()
    assert snap.exists("d") and snap.exists("d/s/y") and not snap.exists("d/nope")
    assert snap.read("d") is None  # a folder is not a file
    assert snap.read("top/inside") is None  # a file is not a folder
    assert set(snap.listdir("d")) == {"x", "s"}
    assert snap.listdir("top") == {}
    assert snap.tree_sha("d") == git(repo, "rev-parse", "gitreg:d")
    assert snap.blob_sha("d/s/y") == git(repo, "rev-parse", "gitreg:d/s/y")
    assert sorted(p for p, _ in snap.walk_files()) == ["d/s/y", "d/x", "top"]
    assert sorted(p for p, _ in snap.walk_files("d")) == ["d/s/y", "d/x"]


def test_reads_packed_objects_and_packed_refs(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"v1")], "1", None)
    store.commit([Put("f", b"v2")], "2", c1)
    git(repo, "gc", "-q", "--prune=now")
    assert not (repo / ".git" / "refs" / "heads" / "gitreg").exists()  # the ref is packed now

    fresh = GitStore(repo)
    assert fresh.snapshot().read("f") == b"v2"
    assert fresh.snapshot(c1).read("f") == b"v1"
    head = fresh.head()
    assert head == git(repo, "rev-parse", "gitreg")
    c3 = fresh.commit([Put("g", b"new")], "3", head)
    assert tree_listing(repo) == {"f": b"v2", "g": b"new"}
    assert git(repo, "rev-parse", "gitreg") == c3
    with pytest.raises(RefMovedError):  # CAS compares against the packed value too
        fresh.commit([Put("h", b"stale")], "stale", head)
    assert_fsck_clean(repo)


def test_writes_keep_working_after_git_gc_in_the_same_process(repo: Path) -> None:
    store = GitStore(repo)
    for i in range(20):
        store.commit([Put(f"f{i}", str(i).encode())], "m", store.head())
    git(repo, "gc", "-q", "--prune=now")  # packs loose objects and removes objects/xx folders
    for i in range(20):
        store.commit([Put(f"f{i}", f"{i}-again".encode())], "m", store.head())
    assert tree_listing(repo)["f3"] == b"3-again"
    assert_fsck_clean(repo)


# --------------------------------------------------------------------------- CAS


def test_commit_with_a_stale_parent_never_overwrites(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"v1")], "1", None)
    c2 = GitStore(repo).commit([Put("f", b"theirs")], "theirs", c1)

    with pytest.raises(RefMovedError):
        store.commit([Put("f", b"mine")], "mine", c1)
    with pytest.raises(RefMovedError):  # "create the branch" when it already exists
        store.commit([Put("f", b"mine")], "mine", None)
    assert git(repo, "rev-parse", "gitreg") == c2
    assert store.snapshot().read("f") == b"theirs"
    assert not (repo / ".git" / "refs" / "heads" / "gitreg.lock").exists()
    assert fsck(repo).returncode == 0  # the loser's objects may dangle; that is fine


def test_ref_updates_write_what_git_writes_and_interoperate_with_git(repo: Path) -> None:
    store = GitStore(repo)
    ref = repo / ".git" / "refs" / "heads" / "gitreg"
    head = store.commit([Put("f", b"v0")], "0", None)
    for i in range(1, 5):
        head = store.commit([Put("f", f"v{i}".encode())], str(i), head)
        assert ref.read_bytes() == head.encode() + b"\n"  # exactly what git writes
    assert not ref.with_name("gitreg.lock").exists()
    # git's own update of the branch and gitreg's next one still interoperate
    prev = git(repo, "rev-parse", "gitreg~1")
    git(repo, "update-ref", "refs/heads/gitreg", prev, head)
    with pytest.raises(RefMovedError):
        store.commit([Put("f", b"stale")], "stale", head)
    assert git(repo, "rev-parse", "gitreg") == prev
    c3 = store.commit([Put("f", b"v9")], "9", prev)
    assert git(repo, "rev-parse", "gitreg") == c3
    assert_fsck_clean(repo)


def test_a_symbolic_registry_ref_is_updated_the_way_git_does(repo: Path) -> None:
    store = GitStore(repo, branch="real")
    c1 = store.commit([Put("f", b"v1")], "1", None)
    git(repo, "symbolic-ref", "refs/heads/gitreg", "refs/heads/real")
    via_symref = GitStore(repo)
    assert via_symref.head() == c1
    c2 = via_symref.commit([Put("f", b"v2")], "2", c1)
    # as git does: the target moves, the symbolic ref stays symbolic
    assert git(repo, "symbolic-ref", "refs/heads/gitreg") == "refs/heads/real"
    assert git(repo, "rev-parse", "real") == c2
    assert via_symref.snapshot().read("f") == b"v2"
    assert_fsck_clean(repo)


def test_transact_redoes_the_batch_when_the_branch_moved(repo: Path) -> None:
    store = GitStore(repo)
    base = store.commit([Put("counter", b"0")], "init", None)
    other = GitStore(repo)
    seen: list[bytes | None] = []
    interloper: list[str] = []

    def build(snap):  # type: ignore[no-untyped-def]
        value = snap.read("counter")
        seen.append(value)
        if not interloper:  # another writer commits between our read and our commit
            interloper.append(other.commit([Put("counter", b"1"), Put("theirs", b"t")], "o", base))
        n = int(value or b"0") + 1
        return [Put("counter", str(n).encode()), Put("mine", b"m")], f"count to {n}", n

    result, commit = store.transact(build)
    assert seen == [b"0", b"1"]  # built twice, the second time on the moved tip
    assert result == 2
    assert git(repo, "rev-parse", "gitreg") == commit
    assert git(repo, "rev-parse", "gitreg^") == interloper[0]
    assert tree_listing(repo) == {"counter": b"2", "theirs": b"t", "mine": b"m"}
    assert commit_count(repo) == 3
    assert_fsck_clean(repo)


def test_transact_without_ops_commits_nothing(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"x")], "1", None)
    result, commit = store.transact(lambda snap: ([], "", snap.read("f")))
    assert (result, commit) == (b"x", c1)
    assert git(repo, "rev-parse", "gitreg") == c1


def test_transact_gives_up_with_a_clear_error_when_writers_keep_moving_the_branch(
    repo: Path,
) -> None:
    store = GitStore(repo)
    store.commit([Put("n", b"0")], "init", None)
    other = GitStore(repo)

    def build(snap):  # type: ignore[no-untyped-def]
        other.commit([Put("n", os.urandom(4))], "other", other.head())
        return [Put("mine", b"m")], "mine", None

    with pytest.raises(RegistryConflictError, match=r"after 3 attempts.*try again"):
        store.transact(build, attempts=3)
    assert not GitStore(repo).snapshot().exists("mine")
    assert commit_count(repo) == 4
    assert fsck(repo).returncode == 0


def test_commit_waits_for_a_briefly_held_ref_lock(repo: Path) -> None:
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"1")], "1", None)
    lock = repo / ".git" / "refs" / "heads" / "gitreg.lock"
    lock.write_text("held by another git process\n")
    timer = threading.Timer(0.3, lock.unlink)
    timer.start()
    try:
        t0 = time.monotonic()
        c2 = store.commit([Put("f", b"2")], "2", c1)
        assert time.monotonic() - t0 >= 0.25
    finally:
        timer.join()
    assert git(repo, "rev-parse", "gitreg") == c2
    assert not lock.exists()


# --------------------------------------------------------------------------- the checkout


def test_the_users_checkout_is_untouched(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "tracked.txt").write_text("committed\n")
    (repo / "both.txt").write_text("committed\n")
    git(repo, "add", ".gitignore", "tracked.txt", "both.txt")
    git(repo, "commit", "-q", "-m", "more")
    (repo / "tracked.txt").write_text("unstaged edit\n")
    (repo / "staged.txt").write_text("staged new file\n")
    git(repo, "add", "staged.txt")
    (repo / "both.txt").write_text("staged edit\n")
    git(repo, "add", "both.txt")
    (repo / "both.txt").write_text("staged edit, then an unstaged one\n")
    (repo / "untracked.txt").write_text("untracked\n")
    (repo / "ignored.log").write_text("ignored\n")
    git(repo, "rm", "-q", "--cached", "README.md")  # a staged deletion
    before = checkout_state(repo)
    assert before["status"][1]  # the checkout is really dirty

    store = GitStore(repo)
    c1 = store.commit([Put("README.md", b"registry readme"), Put("tracked.txt", b"reg")], "1", None)
    store.transact(lambda snap: ([Put("staged.txt", b"reg"), Delete("README.md")], "2", None))
    store.commit([Put("x/y", b"z")], "3", store.head())

    assert checkout_state(repo) == before
    assert git(repo, "rev-parse", "gitreg~2") == c1
    assert not (repo / ".git" / "index.lock").exists()
    assert_fsck_clean(repo)


def test_works_in_a_repo_with_no_commits_yet(empty_repo: Path) -> None:
    (empty_repo / "staged.txt").write_text("staged\n")
    git(empty_repo, "add", "staged.txt")
    (empty_repo / "untracked.txt").write_text("u\n")
    before = checkout_state(empty_repo)
    assert before["head"][0] != 0  # HEAD is unborn

    store = GitStore(empty_repo)
    c1 = store.commit([Put("gitreg.yaml", b"schema: 1\n")], "init", None)
    assert store.snapshot().read("gitreg.yaml") == b"schema: 1\n"
    assert git(empty_repo, "rev-parse", "gitreg") == c1
    assert git(empty_repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert checkout_state(empty_repo) == before
    assert_fsck_clean(empty_repo)


# --------------------------------------------------------------------------- discovery


def test_a_subfolder_of_the_repo_is_found_by_discovery(repo: Path) -> None:
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    store = GitStore(sub)
    assert Path(store.work_tree or "") == repo
    assert Path(store.git_dir) == repo / ".git"
    store.commit([Put("f", b"x")], "1", None)
    assert git(repo, "cat-file", "-p", "gitreg:f") == "x"


def test_outside_a_git_repository_raises(tmp_path: Path) -> None:
    plain = tmp_path / "not-a-repo" / "deeper"
    plain.mkdir(parents=True)
    with pytest.raises(NotAGitRepositoryError, match=r"not inside a git repository.*git init"):
        GitStore(plain)
    assert not (tmp_path / "not-a-repo" / ".git").exists()


def test_a_linked_worktree_shares_the_registry_branch(repo: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(wt))
    store = GitStore(wt)
    assert Path(store.common_dir) == repo / ".git"
    store.commit([Put("f", b"from the worktree")], "wt", None)
    assert GitStore(repo).snapshot().read("f") == b"from the worktree"
    assert git(wt, "symbolic-ref", "HEAD") == "refs/heads/feature"
    assert_fsck_clean(repo)


def test_a_bare_repository_works(bare_remote: Path) -> None:
    store = GitStore(bare_remote)
    assert store.work_tree is None
    store.commit([Put("f", b"bare")], "1", None)
    assert git(bare_remote, "cat-file", "-p", "gitreg:f") == "bare"
    assert_fsck_clean(bare_remote)


def test_the_branch_name_comes_from_the_argument_or_git_config(repo: Path) -> None:
    GitStore(repo, branch="other-registry").commit([Put("f", b"1")], "1", None)
    assert git(repo, "cat-file", "-p", "other-registry:f") == "1"
    git(repo, "config", "gitreg.branch", "from-config")
    store = GitStore(repo)
    assert store.branch == "from-config"
    store.commit([Put("f", b"2")], "2", None)
    assert git(repo, "cat-file", "-p", "from-config:f") == "2"
    assert (
        subprocess.run(["git", "rev-parse", "--verify", "-q", "gitreg"], cwd=repo).returncode != 0
    )


def test_a_sha256_repository_works_or_is_refused_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "s256"
    path.mkdir()
    git(path, "init", "-q", "--object-format=sha256", "-b", "main")
    try:
        GitStore(path).commit([Put("f", b"x")], "1", None)
    except GitregError as e:
        assert "sha256" in str(e).lower() or "sha-256" in str(e).lower()
        assert not (path / ".git" / "refs" / "heads" / "gitreg").exists()
    else:
        assert git(path, "cat-file", "-p", "gitreg:f") == "x"
    assert fsck(path).returncode == 0


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 200_000])
def test_stored_zlib_streams_are_what_zlib_reads_back(size: int) -> None:
    import zlib

    from gitreg.stores.git.packs import stored_zlib

    data = os.urandom(size)
    assert zlib.decompress(stored_zlib(data)) == data


def test_big_trees_and_blobs_in_one_pack_read_back_through_git(repo: Path) -> None:
    store = GitStore(repo)
    big = os.urandom(150_000)  # a blob over one stored block; random bytes do not deflate
    ops: list[Put | Delete] = [Put(f"d/{i:05d}", str(i).encode()) for i in range(3000)]
    ops.append(Put("big", big))
    store.commit(ops, "big", None)  # the tree of d/ is ~120 KB: several stored blocks
    assert git_bytes(repo, "cat-file", "blob", "gitreg:big") == big
    assert git(repo, "ls-tree", "--name-only", "gitreg:d").splitlines()[-1] == "02999"
    assert_fsck_clean(repo)


def test_a_fresh_store_reads_trees_whose_ids_hold_nul_and_space_bytes(repo: Path) -> None:
    """A tree entry's id is 20 raw bytes: a NUL or a space in it is not a separator."""
    GitStore(repo).commit([Put(f"d/{i}", str(i).encode()) for i in range(2000)], "many", None)
    listed = {
        line.split("\t")[1]: line.split()[2]
        for line in git(repo, "ls-tree", "gitreg:d").splitlines()
    }
    raw = {bytes.fromhex(sha) for sha in listed.values()}
    assert any(0 in b for b in raw) and any(0x20 in b for b in raw)
    snap = GitStore(repo).snapshot()  # empty caches: every tree comes from git
    assert {name: sha for name, (_, sha) in snap.listdir("d").items()} == listed
    assert snap.read("d/1999") == b"1999"


@pytest.mark.parametrize(
    "data",
    [
        b"garbage without separators",
        b"100644 a\0" + b"x" * 19,  # cut short
        b"100644 a\0" + b"x" * 20 + b"xx 1 evil\0" + b"y" * 20,  # a bad entry mid-tree
        b"100644 a\0" + b"x" * 20 + b"100644 b",  # a last entry without its id
    ],
)
def test_a_malformed_tree_raises_instead_of_losing_entries(repo: Path, data: bytes) -> None:
    sha = (
        subprocess.run(
            ["git", "hash-object", "-t", "tree", "-w", "--literally", "--stdin"],
            cwd=repo,
            input=data,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    with pytest.raises(ValueError, match="malformed git tree"):
        GitStore(repo).objects.read_tree(sha)


# --------------------------------------------------------------------------- packs


def test_a_pack_left_without_its_index_gets_one_before_the_ref_points_at_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer killed between the .pack and the .idx; the same commit made again (same
    objects, same second) must not leave the branch pointing at unindexed objects."""
    from gitreg.stores import files

    # one author line for every commit: the retried commit is byte-identical to the killed one
    monkeypatch.setattr(
        GitStore, "author", lambda self: b"A U Thor <a@example.com> 1700000000 +0000"
    )
    store = GitStore(repo)
    c1 = store.commit([Put("f", b"v1")], "1", None)
    pack_dir = repo / ".git" / "objects" / "pack"
    real = files.write_file
    calls: list[str] = []

    def killed_before_idx(
        path: str, data: bytes, exclusive: bool = False, fsync: bool = False
    ) -> None:
        calls.append(path)
        if "tmp_idx_" in path:
            raise KeyboardInterrupt  # stands in for the kill
        real(path, data, exclusive, fsync)

    files.write_file = killed_before_idx  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            store.commit([Put("g", b"x")], "2", c1)
    finally:
        files.write_file = real  # type: ignore[assignment]
    orphans = [p for p in pack_dir.glob("*.pack") if not p.with_suffix(".idx").exists()]
    assert len(orphans) == 1
    # the partial case too: cut the orphan short
    data = orphans[0].read_bytes()
    orphans[0].chmod(0o644)
    orphans[0].write_bytes(data[: len(data) // 2])
    c2 = GitStore(repo).commit([Put("g", b"x")], "2", c1)
    assert orphans[0].exists()  # the same pack name: the retry met the orphan
    assert all(p.with_suffix(".idx").exists() for p in pack_dir.glob("*.pack"))
    assert GitStore(repo).snapshot(c2).read("g") == b"x"
    assert_fsck_clean(repo)


def test_two_branches_written_by_one_process_keep_their_own_commits(repo: Path) -> None:
    prod = GitStore(repo, branch="prod")
    staging = GitStore(repo, branch="staging")
    p = s = None
    for i in range(6):
        p = prod.commit([Put("f", f"prod {i}".encode())], f"p{i}", p)
        s = staging.commit([Put("f", f"staging {i}".encode())], f"s{i}", s)
        assert git(repo, "rev-parse", "prod") == p
        assert git(repo, "rev-parse", "staging") == s
    assert git(repo, "show", "prod:f") == "prod 5"
    assert git(repo, "show", "staging:f") == "staging 5"
    assert_fsck_clean(repo)
