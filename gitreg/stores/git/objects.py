"""Git objects: collect a commit's objects for one pack, and read loose or packed ones.

Written by hand on the hot path because a `git` subprocess per object is too slow
(DESIGN.md, Decisions). Objects are written only in batches (`begin_batch` ...
`flush_batch`), as one pack per commit; packed objects are read through one persistent
`git cat-file --batch` process.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
import subprocess
import threading
import zlib
from collections import OrderedDict
from hashlib import sha1
from typing import Any

from gitreg.errors import DamagedRepositoryError

TREE_MODE = b"40000"
TREE_CACHE = 8192  # parsed trees kept per store
BLOB_MODE = b"100644"

# A parsed tree: name -> (mode, hex sha), in git's order.
Tree = dict[str, tuple[bytes, str]]


class ObjectStore:
    """Loose-object writer and cached reader for one git object directory."""

    def __init__(self, git_dir: str, objects_dir: str) -> None:
        self.git_dir = git_dir
        self.objects_dir = objects_dir
        # sha -> [entries, sorted keys, encoded lines]; the last two are filled when the tree
        # is first rewritten. A plain dict in LRU order (reads move an entry to the end).
        self._trees: dict[str, list[Any]] = {}
        self._blobs: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._batch: subprocess.Popen[bytes] | None = None
        self._pending = threading.local()
        self._commits: OrderedDict[str, str] = OrderedDict()

    # -- batches ---------------------------------------------------------------
    def begin_batch(self) -> None:
        """Collect objects written by this thread in memory until `flush_batch`."""
        self._pending.objects = {}

    def flush_batch(self, keep: bytes, fsync: tuple[bool, bool] = (False, False)) -> str | None:
        """Write the collected objects as one pack, kept (see `write_pack`); returns the
        path of its `.keep`, for the caller to remove once a ref points at them (None if
        the batch is empty)."""
        from gitreg.stores.git.packs import write_pack

        objects = getattr(self._pending, "objects", None)
        self._pending.objects = None
        if not objects:
            return None
        return write_pack(os.path.join(self.objects_dir, "pack"), objects, keep, fsync) + ".keep"

    def discard_batch(self) -> None:
        self._pending.objects = None

    # -- writing ---------------------------------------------------------------
    def write(self, kind: bytes, data: bytes) -> str:
        h = sha1(kind + b" " + str(len(data)).encode() + b"\0")
        h.update(data)
        sha = h.hexdigest()
        pending = getattr(self._pending, "objects", None)
        if pending is None:
            raise RuntimeError("ObjectStore.write outside begin_batch()/flush_batch()")
        pending[sha] = (kind, data)  # written as one pack by flush_batch
        return sha

    def write_blob(self, data: bytes) -> str:
        sha = self.write(b"blob", data)
        self._remember(self._blobs, sha, data, 2048)
        return sha

    def write_tree_changed(
        self, base: str | None, changes: dict[str, tuple[bytes, str] | None]
    ) -> str | None:
        """Write `base` with some entries set (or removed, for None); None if it ends empty.

        Keeps each tree's sorted lines, so a change costs a few list operations instead of
        sorting and re-encoding every entry.
        """
        if base is None:
            entries: Tree = {}
            keys: list[bytes] = []
            lines: list[bytes] = []
        else:
            # The tree being replaced is rarely read again: taken out of the cache, not put
            # back, so the cache keeps the current trees (a version bucket touched every few
            # hundred saves stays in).
            cached = self._take_tree(base)
            entries = dict(cached[0])
            if cached[1] is None:
                cached[1], cached[2] = _sorted_lines(cached[0])
            keys, lines = list(cached[1]), list(cached[2])
        for name, new in changes.items():
            old = entries.get(name)
            if old is not None:
                i = bisect.bisect_left(keys, _sort_key(name, old[0]))
                del keys[i], lines[i]
            if new is None:
                entries.pop(name, None)
                continue
            entries[name] = new
            key = _sort_key(name, new[0])
            i = bisect.bisect_left(keys, key)
            keys.insert(i, key)
            lines.insert(i, new[0] + b" " + _encoded(name) + b"\0" + bytes.fromhex(new[1]))
        if not entries:
            return None
        sha = self.write(b"tree", b"".join(lines))
        self._remember_tree(sha, [entries, keys, lines])
        return sha

    def write_commit(
        self,
        tree: str,
        parents: list[str],
        author: bytes,
        message: str,
        committer: bytes | None = None,
    ) -> str:
        lines = [b"tree " + tree.encode()]
        lines += [b"parent " + p.encode() for p in parents]
        lines += [b"author " + author, b"committer " + (committer or author), b""]
        lines.append(message.encode())
        sha = self.write(b"commit", b"\n".join(lines) + b"\n")
        self._remember(self._commits, sha, tree, 1024)
        return sha

    # -- reading ---------------------------------------------------------------
    def read_raw(self, sha: str) -> tuple[bytes, bytes]:
        pending = getattr(self._pending, "objects", None)
        if pending and sha in pending:
            return pending[sha]
        path = os.path.join(self.objects_dir, sha[:2], sha[2:])
        try:
            with open(path, "rb") as f:
                raw = zlib.decompress(f.read())
        except FileNotFoundError:
            return self._read_packed(sha)
        header, _, data = raw.partition(b"\0")
        kind, _, _ = header.partition(b" ")
        return kind, data

    def read_blob(self, sha: str) -> bytes:
        data = self._blobs.get(sha)
        if data is None:
            _, data = self.read_raw(sha)
            self._remember(self._blobs, sha, data, 2048)
        return data

    def read_tree(self, sha: str) -> Tree:
        cached = self._take_tree(sha)
        self._remember_tree(sha, cached)  # back in, as the most recently used
        return cached[0]  # type: ignore[no-any-return]

    def _take_tree(self, sha: str) -> list[Any]:
        """A tree's cache entry, taken out of the cache (parsed if it was not there)."""
        cached = self._trees.pop(sha, None)
        if cached is None:
            kind, data = self.read_raw(sha)
            if kind != b"tree":
                raise ValueError(f"object {sha} is a {kind.decode()}, not a tree")
            cached = [_parse_tree(data), None, None]
        return cached

    def commit_tree(self, sha: str) -> str:
        tree = self._commits.get(sha)
        if tree is not None:
            return tree
        kind, data = self.read_raw(sha)
        if kind != b"commit" or not data.startswith(b"tree "):
            raise ValueError(f"object {sha} is not a commit")
        tree = data[5:45].decode()
        self._remember(self._commits, sha, tree, 1024)
        return tree

    def commit_info(self, sha: str) -> tuple[str, list[str], bytes, str]:
        """(tree, parents, author line, message) of a commit."""
        _, data = self.read_raw(sha)
        head, _, message = data.partition(b"\n\n")
        tree = ""
        parents: list[str] = []
        author = b""
        for line in head.split(b"\n"):
            if line.startswith(b"tree "):
                tree = line[5:].decode()
            elif line.startswith(b"parent "):
                parents.append(line[7:].decode())
            elif line.startswith(b"author "):
                author = line[7:]
        return tree, parents, author, message.decode(errors="replace")

    # -- internals -------------------------------------------------------------
    def _remember_tree(self, sha: str, value: list[Any]) -> None:
        trees = self._trees
        trees[sha] = value
        if len(trees) > TREE_CACHE:
            try:
                del trees[next(iter(trees))]
            except (KeyError, RuntimeError):  # another thread evicted or inserted meanwhile
                pass

    @staticmethod
    def _remember(cache: OrderedDict[str, Any], key: str, value: Any, limit: int) -> None:
        cache[key] = value
        if len(cache) > limit:
            cache.popitem(last=False)

    def _cat_file(self) -> subprocess.Popen[bytes]:
        if self._batch is None or self._batch.poll() is not None:
            self._batch = subprocess.Popen(
                ["git", "--git-dir", self.git_dir, "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,  # damage is reported as DamagedRepositoryError
            )
        return self._batch

    def _read_packed(self, sha: str) -> tuple[bytes, bytes]:
        found = self._read_packed_many([sha])[0]
        if found is None:
            raise DamagedRepositoryError(sha, self.git_dir)
        return found

    def _read_packed_many(self, shas: list[str]) -> list[tuple[bytes, bytes] | None]:
        """Objects through `git cat-file --batch`, many requests per round trip.

        Requests go in groups small enough for the pipe buffer, so writing them all before
        reading any answer cannot deadlock.
        """
        out: list[tuple[bytes, bytes] | None] = []
        with self._lock:
            p = self._cat_file()
            assert p.stdin is not None and p.stdout is not None
            for start in range(0, len(shas), 1000):
                group = shas[start : start + 1000]
                p.stdin.write(b"".join(s.encode() + b"\n" for s in group))
                p.stdin.flush()
                for _ in group:
                    header = p.stdout.readline().split()
                    if len(header) != 3:  # "<sha> missing"
                        out.append(None)
                        continue
                    data = p.stdout.read(int(header[2]))
                    p.stdout.read(1)
                    out.append((header[1], data))
        return out

    def read_blobs(self, shas: list[str]) -> list[bytes | None]:
        """Many blobs in few round trips (None for one that is missing or not a blob)."""
        found = self._read_packed_many(shas)
        return [f[1] if f is not None and f[0] == b"blob" else None for f in found]

    def read_trees(self, shas: list[str]) -> list[Tree]:
        """Several trees at once (one round trip for those not cached or loose)."""
        pending = getattr(self._pending, "objects", None) or {}
        missing = [
            s
            for s in shas
            if s not in self._trees
            and s not in pending
            and not os.path.exists(os.path.join(self.objects_dir, s[:2], s[2:]))
        ]
        if missing:
            for sha, found in zip(missing, self._read_packed_many(missing)):
                if found is None or found[0] != b"tree":
                    raise DamagedRepositoryError(sha, self.git_dir, "not a readable tree")
                self._remember_tree(sha, [_parse_tree(found[1]), None, None])
        return [self.read_tree(s) for s in shas]

    def close(self) -> None:
        with self._lock:
            if self._batch is not None:
                try:
                    if self._batch.stdin:
                        self._batch.stdin.close()
                    self._batch.wait(timeout=5)
                except Exception:  # pragma: no cover - best effort
                    self._batch.kill()
                    self._batch.wait()
                if self._batch.stdout:
                    self._batch.stdout.close()
                self._batch = None

    def __del__(self) -> None:  # pragma: no cover - interpreter shutdown
        try:
            self.close()
        except Exception:
            pass


def _sorted_lines(entries: Tree) -> tuple[list[bytes], list[bytes]]:
    pairs = sorted(
        (_sort_key(name, mode), mode + b" " + _encoded(name) + b"\0" + bytes.fromhex(h))
        for name, (mode, h) in entries.items()
    )
    return [k for k, _ in pairs], [line for _, line in pairs]


# A tree entry: "<mode> <name>\0<20-byte sha>", one after another with nothing between.
# findall reads them in half the time of a loop over index(); it skips what does not
# match, so the whole tree is matched first: a malformed tree must raise, never lose
# entries (a commit built on it would drop them).
_TREE_ENTRY = re.compile(rb"(\d+) ([^\0]*)\0(.{20})", re.DOTALL)
_TREE = re.compile(rb"(?:\d+ [^\0]*\0.{20})*", re.DOTALL)


def _parse_tree(data: bytes) -> Tree:
    if _TREE.fullmatch(data) is None:
        raise ValueError("malformed git tree object")
    return {name.decode(): (mode, sha.hex()) for mode, name, sha in _TREE_ENTRY.findall(data)}


@functools.lru_cache(maxsize=65536)
def _encoded(name: str) -> bytes:
    return name.encode()


def _sort_key(name: str, mode: bytes) -> bytes:
    # git sorts a tree entry as if a sub-tree's name ended with '/'
    return _encoded(name) + b"/" if mode == TREE_MODE else _encoded(name)


def blob_sha(data: bytes) -> str:
    """The git id `data` gets as a blob."""
    return sha1(b"blob " + str(len(data)).encode() + b"\0" + data).hexdigest()
