"""The registry branch: read it at any revision, commit a batch of file operations with CAS."""

from __future__ import annotations

import logging
import os
import random
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from gitreg import faults
from gitreg.errors import (
    BranchCheckedOutError,
    DamagedRepositoryError,
    GitCommandError,
    GitregError,
    NotAGitRepositoryError,
    RegistryConflictError,
    RevisionNotFoundError,
    StorageError,
    UnsupportedRepositoryError,
)
from gitreg.stores.files import remove_quietly, share_below
from gitreg.stores.git import refs
from gitreg.stores.git.objects import BLOB_MODE, TREE_MODE, ObjectStore, Tree
from gitreg.stores.git.refs import RefMovedError
from gitreg.stores.git.tags import NewTag, tag_object, write_refs

log = logging.getLogger(__name__)
T = TypeVar("T")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git knows it without storing it
# git's core.fsync words (Documentation/config/core.txt) and the components they name
_FSYNC_WORDS = {
    "loose-object": {"loose-object"},
    "pack": {"pack"},
    "pack-metadata": {"pack-metadata"},
    "commit-graph": {"commit-graph"},
    "index": {"index"},
    "reference": {"reference"},
    "objects": {"loose-object", "pack"},
    "derived-metadata": {"pack-metadata", "commit-graph"},
    "committed": {"loose-object", "pack", "reference"},
    "added": {"loose-object", "pack", "reference", "index"},
}
_FSYNC_WORDS["all"] = set().union(*_FSYNC_WORDS.values())
_FSYNC_DEFAULT = {"pack", "pack-metadata", "commit-graph"}  # git's, when core.fsync is unset


@dataclass(frozen=True)
class Put:
    path: str
    data: bytes


@dataclass(frozen=True)
class Delete:
    path: str


Op = Put | Delete
# Tags a commit adds, built (in its pack) from its snapshot, sha and tree: see `transact`.
Extra = Callable[["Snapshot", str, str], list[NewTag]]


def discover(start: str | os.PathLike[str] | None = None) -> tuple[str | None, str, str]:
    """(work tree or None, git dir, common dir) of the repository containing `start`."""
    path = os.path.abspath(os.fspath(start) if start is not None else os.getcwd())
    cur = path
    while True:
        dotgit = os.path.join(cur, ".git")
        if os.path.isdir(dotgit):
            return cur, dotgit, _common(dotgit)
        if os.path.isfile(dotgit):
            with open(dotgit) as f:
                content = f.read().strip()
            if content.startswith("gitdir:"):
                gd = os.path.normpath(os.path.join(cur, content[7:].strip()))
                return cur, gd, _common(gd)
        if os.path.isfile(os.path.join(cur, "HEAD")) and os.path.isdir(
            os.path.join(cur, "objects")
        ):  # a bare repository
            return None, cur, _common(cur)
        parent = os.path.dirname(cur)
        if parent == cur:
            raise NotAGitRepositoryError(path)
        cur = parent


def fsync_components(value: str | None) -> set[str]:
    """What git flushes for a `core.fsync` value: its default (packs and their indexes,
    not refs) less the `-word`s, plus the words; `none` drops the default."""
    words = [w.strip() for w in (value or "").split(",") if w.strip()]
    base = set() if "none" in words else set(_FSYNC_DEFAULT)
    removed = [_FSYNC_WORDS.get(w[1:], set()) for w in words if w.startswith("-")]
    added = [_FSYNC_WORDS.get(w, set()) for w in words if not w.startswith("-")]
    return base.difference(*removed).union(*added)


def checked_out(common_dir: str, ref: str, bare: bool) -> str | None:
    """The worktree whose HEAD is `ref` (directly or through symbolic refs), if any."""
    ours = set(refs.chain(common_dir, ref)[0])
    heads = [] if bare else [(os.path.dirname(common_dir), common_dir)]
    linked = os.path.join(common_dir, "worktrees")
    for wt in os.listdir(linked) if os.path.isdir(linked) else []:
        try:  # "<worktree>/.git"
            with open(os.path.join(linked, wt, "gitdir")) as f:
                where = os.path.dirname(f.read().strip())
        except OSError:
            where = wt
        heads.append((where, os.path.join(linked, wt)))
    for where, git_dir in heads:
        try:
            with open(os.path.join(git_dir, "HEAD"), "rb") as f:
                head = f.read()
        except OSError:
            continue
        if head.startswith(b"ref: ") and ours & set(
            refs.chain(common_dir, head[5:].strip().decode())[0]
        ):
            return where
    return None


def _common(git_dir: str) -> str:
    try:
        with open(os.path.join(git_dir, "commondir")) as f:
            return os.path.normpath(os.path.join(git_dir, f.read().strip()))
    except FileNotFoundError:
        return git_dir


FOLDERS_KEPT = 100_000  # per snapshot


class Snapshot:
    """The registry tree at one commit (or empty before the first commit)."""

    def __init__(self, objects: ObjectStore, commit: str | None, tree: str | None) -> None:
        self.objects = objects
        self.commit = commit
        self.tree = tree
        self.damaged: list[tuple[str, DamagedRepositoryError]] = []  # trees walks skipped
        # folder -> its entry: reading many files of one folder walks the path once
        self._folders: dict[str, tuple[bytes, str] | None] = {}

    def _walk(self, parts: list[str]) -> tuple[bytes, str] | None:
        if self.tree is None:
            return None
        if not parts:
            return (TREE_MODE, self.tree)
        key = "/".join(parts[:-1])
        try:
            parent = self._folders[key]
        except KeyError:
            parent = self._walk(parts[:-1])
            if len(self._folders) >= FOLDERS_KEPT:
                self._folders.clear()
            self._folders[key] = parent
        if parent is None or parent[0] != TREE_MODE:
            return None
        return self.objects.read_tree(parent[1]).get(parts[-1])

    def read(self, path: str) -> bytes | None:
        entry = self._walk(_split(path))
        if entry is None or entry[0] == TREE_MODE:
            return None
        return self.objects.read_blob(entry[1])

    def blob_sha(self, path: str) -> str | None:
        entry = self._walk(_split(path))
        if entry is None or entry[0] == TREE_MODE:
            return None
        return entry[1]

    def exists(self, path: str) -> bool:
        return self._walk(_split(path)) is not None

    def listdir(self, path: str) -> Tree:
        entry = self._walk(_split(path))
        if entry is None or entry[0] != TREE_MODE:
            return {}
        return self.objects.read_tree(entry[1])

    def tree_sha(self, path: str) -> str | None:
        entry = self._walk(_split(path))
        if entry is None or entry[0] != TREE_MODE:
            return None
        return entry[1]

    def fanout_names(self, path: str) -> list[str]:
        """Names of the entries two levels below `path` (a `x/y/` fan-out): trees only."""
        level1 = [sha for mode, sha in self.listdir(path).values() if mode == TREE_MODE]
        level2 = [
            sha
            for tree in self.objects.read_trees(level1)
            for mode, sha in tree.values()
            if mode == TREE_MODE
        ]
        return [name for tree in self.objects.read_trees(level2) for name in tree]

    def walk_files(self, path: str = "") -> Iterator[tuple[str, str]]:
        """(path, blob sha) of every file below `path`; a tree that cannot be read is
        skipped (with a warning, and listed in `damaged`)."""
        try:
            entry = self._walk(_split(path))
        except DamagedRepositoryError as e:
            log.warning("skipping %s/: %s", path, e)
            self.damaged.append((path, e))
            return
        if entry is None:
            return
        yield from self._walk_tree(path, entry)

    def _walk_tree(self, prefix: str, entry: tuple[bytes, str]) -> Iterator[tuple[str, str]]:
        if entry[0] != TREE_MODE:
            yield prefix, entry[1]
            return
        try:
            tree = self.objects.read_tree(entry[1])
        except DamagedRepositoryError as e:
            # one damaged tree hides only what is below it; validate reports `damaged`
            log.warning("skipping %s/: %s", prefix, e)
            self.damaged.append((prefix, e))
            return
        for name, sub in tree.items():
            yield from self._walk_tree(f"{prefix}/{name}" if prefix else name, sub)


def _split(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


class GitStore:
    """One repository's registry branch."""

    def __init__(
        self, path: str | os.PathLike[str] | None = None, branch: str | None = None
    ) -> None:
        self.work_tree, self.git_dir, self.common_dir = discover(path)
        self.objects = ObjectStore(self.git_dir, os.path.join(self.common_dir, "objects"))
        self._config: dict[str, str] | None = None
        if self.config().get("extensions.objectformat", "sha1").lower() != "sha1":
            raise UnsupportedRepositoryError(
                self.git_dir,
                "a SHA-256 repository, which gitreg does not support yet: "
                "use a SHA-1 repository (git's default)",
            )
        main = self.config().get("gitreg.branch") or "gitreg"
        self.branch = branch or main
        # the registry branch proper, not a proposal: only its versions are tagged
        self.is_main = self.branch == main
        self.ref = f"refs/heads/{self.branch}"
        self._author: bytes | None = None
        cfg = self.config()
        self._bare = cfg.get("core.bare", "").lower() in ("true", "yes", "on", "1")
        self._fsync = fsync_components(cfg.get("core.fsync"))
        share_below(self.common_dir, cfg.get("core.sharedrepository"))
        limit = cfg.get("gc.autopacklimit", "50")
        limit = limit if limit.isdigit() and int(limit) > 0 else "50"  # 0: git never packs
        # under git's limit by enough for the commits other writers make meanwhile
        self.roll_up_at = max(2, int(limit) * 3 // 4)
        self._rolling = threading.Lock()

    # -- config ----------------------------------------------------------------
    def config(self) -> dict[str, str]:
        if self._config is None:
            out = self.git(
                "config",
                "-z",
                "--get-regexp",
                r"^(gitreg|user|extensions)\.|^core\.(bare|fsync|sharedrepository)$"
                r"|^gc\.autopacklimit$|^branch\..+\.remote$",
                check=False,
            )
            cfg: dict[str, str] = {}
            for item in out.split("\0"):
                if item:
                    key, _, value = item.partition("\n")
                    cfg[key] = value
            self._config = cfg
        return self._config

    def set_config(self, key: str, value: str) -> None:
        self.git("config", key, value)
        self._config = None

    def git(self, *args: str, check: bool = True, input: bytes | None = None) -> str:
        proc = subprocess.run(
            ["git", "--git-dir", self.git_dir, *args],
            capture_output=True,
            input=input,
        )
        if check and proc.returncode != 0:
            raise GitCommandError(list(args), proc.stderr.decode(errors="replace"))
        return proc.stdout.decode()

    def author(self, at: int | None = None) -> bytes:
        """`Name <email> TIME TZ` of this repository's user, now or at `at` (seconds)."""
        if self._author is None:
            cfg = self.config()
            name = cfg.get("user.name") or "gitreg"
            email = cfg.get("user.email") or "gitreg@localhost"
            self._author = f"{name} <{email}>".encode()
        off = time.localtime().tm_gmtoff // 60
        sign = "+" if off >= 0 else "-"
        tz = f"{sign}{abs(off) // 60:02d}{abs(off) % 60:02d}"
        when = int(time.time()) if at is None else at
        return self._author + f" {when} {tz}".encode()

    # -- reading ---------------------------------------------------------------
    def head(self) -> str | None:
        return refs.resolve(self.common_dir, self.ref)[1]

    def read_head(self) -> str | None:
        """The tip reads start from: the branch, else (a fresh clone) its remote-tracking tip."""
        return self.head() or self.tracking_head()

    def user_head(self) -> str:
        """What the user's HEAD is now (`ref sha`), read without a subprocess."""
        try:
            with open(os.path.join(self.git_dir, "HEAD"), "rb") as f:
                head = f.read().strip()
        except OSError:
            return ""
        if not head.startswith(b"ref: "):
            return head.decode(errors="replace")
        try:
            name, sha = refs.resolve(self.common_dir, head[5:].decode(errors="replace"))
        except GitregError:
            return ""
        return f"{name} {sha}"

    def resolve(self, rev: str) -> str:
        out = self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False).strip()
        if not out:
            raise RevisionNotFoundError(rev)
        return out

    def snapshot(self, rev: str | None = None) -> Snapshot:
        """The registry at `rev`; by default the branch tip, or in a fresh clone (no local
        branch yet) the remote-tracking tip `refs/remotes/<remote>/<branch>`."""
        return self._at(self.read_head() if rev is None else self.resolve(rev))

    def _at(self, commit: str | None) -> Snapshot:
        if commit is None:
            return Snapshot(self.objects, None, None)
        return Snapshot(self.objects, commit, self.objects.commit_tree(commit))

    # -- writing ---------------------------------------------------------------
    def build_tree(self, base: str | None, ops: list[Op]) -> str:
        grouped: dict[str, list[tuple[list[str], Op]]] = {}
        for op in ops:
            parts = _split(op.path)
            grouped.setdefault(parts[0], []).append((parts[1:], op))
        new = self._apply(base, grouped)
        return new if new is not None else self.objects.write(b"tree", b"")  # the empty tree

    def _apply(
        self, tree: str | None, grouped: dict[str, list[tuple[list[str], Op]]]
    ) -> str | None:
        current_entries: Tree = self.objects.read_tree(tree) if tree else {}
        changes: dict[str, tuple[bytes, str] | None] = {}
        for name, items in grouped.items():
            leaf = [op for rest, op in items if not rest]
            if leaf:
                op = leaf[-1]
                if isinstance(op, Put):
                    changes[name] = (BLOB_MODE, self.objects.write_blob(op.data))
                else:
                    changes[name] = None
                continue
            sub: dict[str, list[tuple[list[str], Op]]] = {}
            for rest, op in items:
                sub.setdefault(rest[0], []).append((rest[1:], op))
            current = current_entries.get(name)
            base = current[1] if current and current[0] == TREE_MODE else None
            new = self._apply(base, sub)
            changes[name] = None if new is None else (TREE_MODE, new)
        return self.objects.write_tree_changed(tree, changes)

    def write_tag(self, name: str, target: str, at: int, message: str) -> str:
        """An annotated tag object of commit `target`, tagged at `at`; inside a batch."""
        return self.objects.write(b"tag", tag_object(name, target, self.author(at), message))

    def side_commit(self, parent: str, ops: list[Op], message: str) -> str:
        """A commit off the branch: `parent` with `ops` applied (for a tag); inside a batch."""
        tree = self.build_tree(self.objects.commit_tree(parent), ops)
        return self.objects.write_commit(tree, [parent], self.author(), message)

    def commit(
        self,
        ops: list[Op],
        message: str,
        parent: str | None,
        extra: Callable[[str, str], list[NewTag]] | None = None,
    ) -> str:
        """Apply `ops` on top of `parent` as one commit; raises RefMovedError if the branch moved.

        `extra(sha, tree)` may add tag objects (and side commits) to the same pack; their
        refs are written once the branch points at the commit."""
        where = checked_out(self.common_dir, self.ref, self._bare)
        if where is not None:
            raise BranchCheckedOutError(self.branch, where)
        base_tree = self.objects.commit_tree(parent) if parent else None
        ident = self.author()

        def build() -> tuple[str, list[NewTag]]:
            tree = self.build_tree(base_tree, ops)
            sha = self.objects.write_commit(tree, [parent] if parent else [], ident, message)
            return sha, extra(sha, tree) if extra is not None else []

        def publish(made: tuple[str, list[NewTag]]) -> None:
            faults.point("packed")
            sha, new_tags = made
            try:
                refs.update(
                    self.common_dir, self.ref, parent, sha, ident, message,
                    "reference" in self._fsync,
                )  # fmt: skip
                if new_tags:  # while the .keep holds: only these refs reach the tag objects
                    write_refs(self, new_tags, "reference" in self._fsync)
            except OSError as e:
                raise StorageError(
                    "update", self.ref, str(e.strerror or e), "the registry is unchanged"
                ) from e

        sha, _ = self.write_pack(build, publish)
        self._roll_up()
        return sha

    def _roll_up(self) -> None:
        """Roll small packs up (`git repack -d --geometric=2`: the small packs are merged,
        superseded ones removed, so the cost follows what is new) once this repository
        holds `roll_up_at` packs: 3/4 of git's `gc.autoPackLimit`, past which every `git
        commit` the user makes would start a `git gc --auto` in the background. It runs in
        this call, so that when a call returns nothing is left running."""
        pack_dir = os.path.join(self.common_dir, "objects", "pack")
        try:
            names = os.listdir(pack_dir)
        except OSError:
            return
        kept = {n[: -len(".keep")] for n in names if n.endswith(".keep")}
        packs = sum(n.endswith(".idx") and n[: -len(".idx")] not in kept for n in names)
        if packs < self.roll_up_at or not self._rolling.acquire(blocking=False):
            return
        try:
            for name in kept:  # a writer killed before its ref update leaves its .keep
                path = os.path.join(pack_dir, name + ".keep")
                try:
                    with open(path, "rb") as f:
                        stale = refs.owner_gone(f.read())
                except OSError:
                    continue
                if stale:
                    remove_quietly(path)
            # The repack walks the new commits down, which git's commit-graph (written
            # incrementally, from the branch tip: `--reachable` would peel every tag) makes
            # cheap. -n: no `update-server-info`, whose info/refs lists every tag
            # (dumb-HTTP publishing is not a roll-up's business).
            tip = self.head()
            steps = [(["repack", "-d", "-n", "-q", "--geometric=2"], "")]
            if tip is not None:
                graph = ["commit-graph", "write", "--stdin-commits", "--split", "--no-progress"]
                steps.insert(0, (graph, tip))
            for args, stdin in steps:
                proc = subprocess.run(
                    ["git", "--git-dir", self.git_dir, *args],
                    input=stdin.encode(),
                    capture_output=True,
                )
                if proc.returncode != 0:  # not fatal: the next roll-up tries again
                    err = proc.stderr.decode(errors="replace").strip()
                    log.warning("git %s failed: %s", args[0], err)
        finally:
            self._rolling.release()

    def transact(
        self,
        build: Callable[[Snapshot], tuple[list[Op], str, T]],
        attempts: int = 200,
        extra: Extra | None = None,
    ) -> tuple[T, str | None]:
        """Run `build` on the current branch tip and commit its ops; redo it if the tip moved.

        `build` returns (ops, message, result); no ops means nothing is committed.
        `extra(snapshot, sha, tree)`, called after `build` with the commit it made, returns
        the tags to write with it (see `commit`).
        """
        delay = 0.001
        for _ in range(attempts):
            head = self.head()
            if head is None:  # a fresh clone: build on the team's registry, not an orphan
                self.start_from_tracking()
                head = self.head()
            snap = self._at(head)
            ops, message, result = build(snap)
            if not ops:
                return result, snap.commit
            after = None if extra is None else _bind(extra, snap)
            try:
                return result, self.commit(ops, message, snap.commit, after)
            except RefMovedError:
                time.sleep(delay * random.random())
                delay = min(delay * 1.5, 0.05)
        raise RegistryConflictError(self.ref, attempts)

    # -- teams: remote-tracking tips, commits written off the branch, moving it ----------
    def upstream_remote(self) -> str:
        """The remote the branch tracks (`branch.<name>.remote`), else `origin`."""
        return self.config().get(f"branch.{self.branch}.remote") or "origin"

    def tracking_ref(self, remote: str | None = None) -> str:
        return f"refs/remotes/{remote or self.upstream_remote()}/{self.branch}"

    def tracking_head(self, remote: str | None = None) -> str | None:
        """The remote-tracking tip of the branch (the upstream's, else origin's, else the
        only remote that has one), None if no remote has been fetched."""
        if remote is not None:
            return refs.resolve(self.common_dir, self.tracking_ref(remote))[1]
        names = [self.upstream_remote(), "origin"]
        remotes_dir = os.path.join(self.common_dir, "refs", "remotes")
        if os.path.isdir(remotes_dir):
            names += sorted(os.listdir(remotes_dir))
        for name in dict.fromkeys(names):
            found = refs.resolve(self.common_dir, self.tracking_ref(name))[1]
            if found is not None:
                return found
        return None

    def start_from_tracking(self) -> None:
        """In a fresh clone, start the local branch at the remote-tracking tip, so the first
        write builds on the team's registry instead of an orphan one."""
        if self.head() is not None:
            return
        tip = self.tracking_head()
        if tip is None:
            return
        try:
            self.move_branch(None, tip, f"branch: created from {self.tracking_ref()}")
        except RefMovedError:
            pass  # another writer created it meanwhile

    def move_branch(self, old: str | None, new: str, message: str) -> None:
        """Point the branch at `new` if it still holds `old` (None: it must not exist);
        RefMovedError if it moved. Never moves a branch checked out in a worktree."""
        where = checked_out(self.common_dir, self.ref, self._bare)
        if where is not None:
            raise BranchCheckedOutError(self.branch, where)
        try:
            refs.update(
                self.common_dir, self.ref, old, new, self.author(), message,
                "reference" in self._fsync,
            )  # fmt: skip
        except OSError as e:
            raise StorageError("update", self.ref, str(e.strerror or e), "nothing moved") from e

    def write_pack(self, build: Callable[[], T], publish: Callable[[T], None] | None = None) -> T:
        """Run `build`, which writes objects, and store what it wrote as one pack (fsynced as
        `core.fsync` says); then `publish(result)`, the ref updates that make the objects
        reachable, while the pack's `.keep` still guards it from a concurrent repack."""
        self.objects.begin_batch()
        try:
            result = build()
            fsync = ("pack" in self._fsync, "pack-metadata" in self._fsync)
            keep = self.objects.flush_batch(refs.owner_line(), fsync)
        except OSError as e:
            raise StorageError(
                "write to the git repository", self.common_dir, str(e.strerror or e),
                "the registry is unchanged. Free some space and retry.",
            ) from e  # fmt: skip
        finally:
            self.objects.discard_batch()
        try:
            if publish is not None:
                publish(result)
        finally:
            if keep:
                remove_quietly(keep)
        return result

    def write_commits(self, build: Callable[[CommitWriter], T]) -> T:
        """Run `build` with a writer of commits that no ref points at yet (the caller moves
        a ref afterwards; git's prune grace period, gc.pruneExpire, keeps them meanwhile);
        everything it writes goes into one pack."""
        return self.write_pack(lambda: build(CommitWriter(self)))

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        proc = subprocess.run(
            ["git", "--git-dir", self.git_dir, "merge-base", "--is-ancestor", ancestor, commit],
            capture_output=True,
        )
        return proc.returncode == 0

    def merge_base(self, a: str, b: str) -> str | None:
        return self.git("merge-base", a, b, check=False).strip() or None

    def commits_between(self, base: str | None, tip: str) -> list[str]:
        """The first-parent commits after `base` up to `tip`, oldest first."""
        args = [tip] if base is None else [f"{base}..{tip}"]
        out = self.git("rev-list", "--reverse", "--first-parent", *args)
        return out.split()

    def commit_info(self, commit: str) -> tuple[list[str], bytes, str]:
        """(parents, author line, message) of a commit."""
        _, parents, author, message = self.objects.commit_info(commit)
        return parents, author, message

    def changed_files(self, parent: str | None, commit: str) -> list[tuple[str, str | None]]:
        """(path, new blob sha or None if deleted) of every file `commit` changed against
        `parent` (all its files if None)."""
        args = ["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id"]
        args += [parent or EMPTY_TREE, commit]
        fields = self.git(*args).split("\0")
        out: list[tuple[str, str | None]] = []
        for i in range(0, len(fields) - 1, 2):
            meta, path = fields[i], fields[i + 1]
            if not meta.startswith(":"):
                continue
            new = meta.split()[3]
            out.append((path, None if set(new) == {"0"} else new))
        return out


class CommitWriter:
    """Writes commits for `GitStore.write_commits` (objects in memory until it returns)."""

    def __init__(self, store: GitStore) -> None:
        self.store = store

    def commit(
        self, ops: list[Op], message: str, parent: str | None, author: bytes | None = None
    ) -> str:
        """A commit of `ops` on `parent`, `author` kept (the committer is this user); the
        parent itself when `ops` change nothing."""
        objects = self.store.objects
        base = objects.commit_tree(parent) if parent else None
        tree = self.store.build_tree(base, ops)
        if parent is not None and tree == base:
            return parent
        committer = self.store.author()
        return objects.write_commit(
            tree, [parent] if parent else [], author or committer, message, committer
        )

    def snapshot(self, commit: str) -> Snapshot:
        """A commit written here (or any other), readable before it is flushed."""
        return Snapshot(self.store.objects, commit, self.store.objects.commit_tree(commit))


def _bind(extra: Extra, snap: Snapshot) -> Callable[[str, str], list[NewTag]]:
    return lambda sha, tree: extra(snap, sha, tree)
