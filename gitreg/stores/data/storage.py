"""Artifact bytes: a local DVC-layout cache in front of a remote, md5-verified both ways.

Layout (DVC 3): `<root>/files/md5/xx/yyyy…`; folders are `.dir` objects (JSON list of
`{md5, relpath}` sorted by relpath). The local cache lives under `.git/gitreg/cache`; the
remote is any `remotes.Remote`, chosen from the URL on first use.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from gitreg import faults
from gitreg.errors import ArtifactDataMissingError, ArtifactIntegrityError, StorageError
from gitreg.stores.data.folders import folder_files, require_regular
from gitreg.stores.data.objects import (
    CHUNK,
    OID_RE,
    Listed,
    StoredObject,
    install,
    list_folder,
    oid_path,
    remove_from_folder,
)
from gitreg.stores.data.remotes import Remote, RemoteSpec, open_remote
from gitreg.stores.files import make_dirs, remove_quietly, replace_file, tmp_name

log = logging.getLogger(__name__)
THREADED_COPY_MIN = 8 << 20  # files this big are copied by a second thread while hashing
VERIFY_RECORD_MIN = 1 << 20  # objects below this are simply re-hashed on every load
Progress = Callable[[int], None]

__all__ = ["DataStore", "RemoteSpec", "StoredObject", "why_failed"]


def _copyfile(src: str, dst: str) -> None:
    import shutil  # lazily: most processes never copy a file

    shutil.copyfile(src, dst)


def safe_relpath(rel: str) -> bool:
    """A folder entry's path stays inside the folder: no '', '.', '..' or absolute parts."""
    return (
        bool(rel)
        and not rel.startswith("/")
        and all(
            p not in ("", ".", "..") and "\\" not in p and "\0" not in p for p in rel.split("/")
        )
    )


def why_failed(e: OSError) -> str:
    """The most telling reason of a failed write (a read-only remote shows as EROFS)."""
    import errno

    if e.errno in (errno.ENOENT, errno.EACCES, errno.EPERM) and e.filename:
        probe = os.path.dirname(str(e.filename))
        while probe and not os.path.exists(probe):
            probe = os.path.dirname(probe)
        try:
            if os.statvfs(probe or "/").f_flag & os.ST_RDONLY:
                return f"{os.strerror(errno.EROFS)} ({probe})"
        except OSError:
            pass
        if probe and not os.access(probe, os.W_OK):
            return f"{os.strerror(errno.EACCES)} ({probe} is not writable)"
    return e.strerror or str(e)


def _stat_key(st: os.stat_result) -> str:
    """What a record keys on: a file with the same inode, size and mtime was not changed."""
    return f"{st.st_ino} {st.st_size} {st.st_mtime_ns}"


def _same_path(a: str, b: str) -> bool:
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def hash_stream(
    src: BinaryIO, write: Callable[[bytes], object] | None = None, progress: Progress | None = None
) -> tuple[str, int]:
    """md5 and size of what `src` holds, passing each chunk to `write` when given."""
    md5 = hashlib.md5()
    size = 0
    while chunk := src.read(CHUNK):
        if write is not None:
            write(chunk)
        md5.update(chunk)
        faults.point("hash")
        size += len(chunk)
        if progress:
            progress(len(chunk))
    return md5.hexdigest(), size


def hash_and_copy(
    src: str, dest_tmp: str | None, progress: Progress | None = None
) -> tuple[str, int]:
    """md5 of `src`, copying it to `dest_tmp` in the same read when given.

    For a big file the copy is written by a second thread while this one hashes (both
    release the GIL), so hashing and copying take about as long as hashing alone.
    """
    with open(src, "rb", buffering=0) as f:
        if dest_tmp is None:
            return hash_stream(f, None, progress)
        with _Writer(dest_tmp, threaded=os.fstat(f.fileno()).st_size >= THREADED_COPY_MIN) as out:
            return hash_stream(f, out.write, progress)


class _Writer:
    """Writes chunks to a file, on a background thread when `threaded`."""

    def __init__(self, path: str, threaded: bool) -> None:
        self._f = open(path, "wb", buffering=0)
        self._queue: queue.Queue[bytes | None] | None = queue.Queue(8) if threaded else None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if self._queue is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self._queue is not None
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._f.write(chunk)
                except BaseException as e:  # reported to the reading thread
                    self._error = e

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        if self._queue is None:
            self._f.write(chunk)
        else:
            self._queue.put(chunk)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        self._f.close()
        if self._error is not None and exc[0] is None:
            raise self._error


class DataStore:
    """Hash, cache, push, fetch and verify artifact bytes.

    `backend` replaces the remote `remote` names (e.g. a `memory.MemoryRemote` in tests).
    The embedded remote, the folder `remote` beside the cache folder, may hard-link the
    cache's files (one copy on one disk); any other local remote gets copies of its own.
    """

    def __init__(self, cache_dir: str, remote: RemoteSpec, backend: Remote | None = None) -> None:
        self.cache_dir = cache_dir
        self.remote = remote
        self._verified_dir = os.path.join(cache_dir, "verified")
        self._backend = backend
        self._links = (
            backend is None
            and remote.is_local
            and _same_path(remote.local_path, os.path.join(os.path.dirname(cache_dir), "remote"))
        )

    @property
    def backend(self) -> Remote:
        if self._backend is None:
            self._backend = open_remote(self.remote, hard_links=self._links)
        return self._backend

    # -- adding ----------------------------------------------------------------
    def add_bytes(self, data: bytes) -> StoredObject:
        oid = hashlib.md5(data).hexdigest()
        dest = oid_path(self.cache_dir, oid)
        faults.point("hash")
        if not os.path.exists(dest):
            replace_file(dest, data)
            self._mark_verified(oid, dest)  # only what we just wrote is vouched for
        return StoredObject(oid, len(data))

    def _state_path(self, src: str) -> str:
        key = hashlib.md5(os.path.abspath(src).encode()).hexdigest()
        return os.path.join(self.cache_dir, "state", key[:2], key[2:])

    def _known_hash(self, src: str, st: os.stat_result) -> str | None:
        """The md5 recorded for `src` when it had exactly this (inode, size, mtime)."""
        try:
            with open(self._state_path(src)) as f:
                key, _, oid = f.read().rpartition(" ")
        except FileNotFoundError:
            return None
        return oid if key == _stat_key(st) and oid else None

    def _remember_hash(self, src: str, st: os.stat_result, oid: str) -> None:
        replace_file(self._state_path(src), f"{_stat_key(st)} {oid}".encode())

    def add_file(self, src: str, progress: Progress | None = None) -> StoredObject:
        """Hash `src` and copy it into the cache in one read; a big file that has not
        changed since it was last added (same inode, size and mtime) is not read again."""
        st = os.stat(src)
        if st.st_size >= VERIFY_RECORD_MIN:
            known = self._known_hash(src, st)
            if known is not None and os.path.exists(oid_path(self.cache_dir, known)):
                return StoredObject(known, st.st_size)
        tmp_dir = os.path.join(self.cache_dir, "tmp")
        make_dirs(tmp_dir)
        tmp = tmp_name(os.path.join(tmp_dir, "add"))
        try:
            oid, size = hash_and_copy(src, tmp, progress)
            dest = oid_path(self.cache_dir, oid)
            make_dirs(os.path.dirname(dest))
            install(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._mark_verified(oid, dest)
        after = os.stat(src)
        if size >= VERIFY_RECORD_MIN and (after.st_size, after.st_mtime_ns) == (
            st.st_size,
            st.st_mtime_ns,
        ):  # unchanged while we read it: the hash may be reused
            self._remember_hash(src, after, oid)
        return StoredObject(oid, size)

    def add_dir(self, src: str, progress: Progress | None = None) -> StoredObject:
        """Add every file of the folder `src` (see `folders` for symlinks and names), then
        its `.dir` listing."""
        entries = []
        total = 0
        for rel, full in folder_files(src):  # all checked before anything is added
            obj = self.add_file(full, progress)
            entries.append({"md5": obj.md5, "relpath": rel})
            total += obj.size
        body = json.dumps(entries, sort_keys=True).encode()
        oid = hashlib.md5(body).hexdigest() + ".dir"
        dest = oid_path(self.cache_dir, oid)
        if not os.path.exists(dest):
            replace_file(dest, body)
            self._mark_verified(oid, dest)
        return StoredObject(oid, total, len(entries))

    def add_path(self, src: str, progress: Progress | None = None) -> StoredObject:
        if os.path.isdir(src):
            return self.add_dir(src, progress)
        require_regular(src)
        return self.add_file(src, progress)

    # -- remote ----------------------------------------------------------------
    def _dir_children(self, oid: str) -> list[dict[str, str]]:
        with open(oid_path(self.cache_dir, oid), "rb") as f:
            try:
                items = json.loads(f.read())
                entries = [{"md5": str(e["md5"]), "relpath": str(e["relpath"])} for e in items]
            except (ValueError, KeyError, TypeError) as e:
                raise ArtifactIntegrityError(oid, "cache", f"bad .dir listing ({e})") from None
        for entry in entries:
            if not safe_relpath(entry["relpath"]) or OID_RE.fullmatch(entry["md5"]) is None:
                raise ArtifactIntegrityError(
                    oid, "cache", f"unsafe path {entry['relpath']!r} in the .dir listing"
                )
        return entries

    def dir_entries(self, oid: str) -> list[dict[str, str]]:
        """The files a `.dir` object lists (fetched and verified first)."""
        self.ensure(oid)
        return self._dir_children(oid)

    def push(self, obj: StoredObject, progress: Progress | None = None) -> None:
        """Copy an object (and a folder's files) from the cache to the remote; `progress`
        hears the bytes copied (nothing for the embedded remote's hard links)."""
        faults.point("cached")
        oids = [obj.md5]
        if obj.is_dir:
            oids = [e["md5"] for e in self._dir_children(obj.md5)] + oids  # .dir last
        backend = self.backend
        try:
            for oid in oids:
                if not backend.exists(oid):
                    faults.point("push")
                    backend.put(oid, oid_path(self.cache_dir, oid), progress)
            faults.point("pushed")
        except OSError as e:
            raise StorageError(
                "push to the remote",
                self.remote.url,
                why_failed(e),
                "nothing was registered. Check that the remote is writable and has free space.",
            ) from e

    def remote_check(self, oid: str, size: int | None = None) -> str | None:
        """None if the remote holds `oid` with the right md5 (and size), else what is wrong."""
        try:
            with self.backend.open(oid) as f:
                md5, got = hash_stream(f)
        except FileNotFoundError:
            return "missing from the remote"
        except OSError as e:
            return f"unreadable in the remote ({e})"
        if md5 != oid.removesuffix(".dir"):
            return f"corrupt in the remote (md5 is {md5})"
        if size is not None and got != size:
            return f"{got} bytes, but the manifest records {size}"
        return None

    # -- listing and removing (gc) -------------------------------------------------
    def remote_objects(self) -> Iterator[Listed]:
        """Every object in the remote."""
        try:
            yield from self.backend.list_objects()
        except OSError as e:
            raise StorageError("list the remote", self.remote.url, why_failed(e)) from e

    def cached_objects(self) -> Iterator[Listed]:
        """Every object in the local cache."""
        return list_folder(self.cache_dir)

    def remove_remote(self, oids: Sequence[str]) -> None:
        try:
            self.backend.remove(oids)
        except OSError as e:
            raise StorageError(
                "remove objects from the remote", self.remote.url, why_failed(e)
            ) from e

    def remove_cached(self, oids: Sequence[str]) -> None:
        """Remove objects from the local cache, with their verification records."""
        remove_from_folder(self.cache_dir, oids)
        for oid in oids:
            remove_quietly(self._verified_path(oid))

    # -- reading ---------------------------------------------------------------
    def _fetch(self, oid: str, progress: Progress | None = None) -> str:
        dest = oid_path(self.cache_dir, oid)
        make_dirs(os.path.dirname(dest))
        tmp = tmp_name(dest)
        try:
            try:
                src = self.backend.open(oid)
            except FileNotFoundError:
                embedded = self.remote.is_local and _same_path(
                    self.remote.local_path, os.path.join(os.path.dirname(self.cache_dir), "remote")
                )
                raise ArtifactDataMissingError(oid, self.remote.url, embedded) from None
            except OSError as e:
                raise StorageError(f"read {oid} from the remote", self.remote.url, str(e)) from e
            with src, open(tmp, "wb") as out:
                md5, _ = hash_stream(src, out.write, progress)
            if md5 != oid.removesuffix(".dir"):
                raise ArtifactIntegrityError(oid, "remote", f"its md5 is {md5}")
            install(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._mark_verified(oid, dest)
        return dest

    def _verified_path(self, oid: str) -> str:
        return os.path.join(self._verified_dir, oid[:2], oid[2:])

    def _mark_verified(self, oid: str, path: str) -> None:
        st = os.stat(path)
        if st.st_size < VERIFY_RECORD_MIN:
            return  # re-hashing a small object costs less than keeping a record
        replace_file(self._verified_path(oid), _stat_key(st).encode())

    def _is_verified(self, oid: str, st: os.stat_result) -> bool:
        if st.st_size < VERIFY_RECORD_MIN:
            return False
        try:
            with open(self._verified_path(oid)) as f:
                return f.read() == _stat_key(st)
        except FileNotFoundError:
            return False

    def ensure(self, oid: str, progress: Progress | None = None) -> str:
        """Path of a verified cache copy of `oid`, fetching it from the remote if needed."""
        path = oid_path(self.cache_dir, oid)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return self._fetch(oid, progress)
        if not stat.S_ISREG(st.st_mode):
            raise ArtifactIntegrityError(oid, "cache", "not a regular file")
        if not self._is_verified(oid, st):
            got, _ = hash_and_copy(path, None)
            if got != oid.removesuffix(".dir"):
                shared = self._shares_remote_file(oid, path)
                self._evict(path)
                if shared:
                    # the embedded remote hard-links the cache: there is no second copy here
                    raise ArtifactIntegrityError(
                        oid, "remote", f"its md5 is {got} (the cache and the local remote share it)"
                    )
                raise ArtifactIntegrityError(oid, "cache", f"its md5 is {got}")
            self._mark_verified(oid, path)
        return path

    def single_copy(self, oid: str) -> bool:
        """True if the cache's file of `oid` is also the remote's (the embedded remote)."""
        return self._shares_remote_file(oid, oid_path(self.cache_dir, oid))

    def _shares_remote_file(self, oid: str, path: str) -> bool:
        if not self._links:
            return False
        try:
            return os.path.samefile(path, oid_path(self.remote.local_path, oid))
        except OSError:
            return False

    def _evict(self, path: str) -> None:
        try:
            os.chmod(path, 0o644)
            os.unlink(path)
        except OSError:  # pragma: no cover - best effort
            log.warning("could not remove corrupt cache object %s", path)

    def checkout(self, obj: StoredObject, dest: str, progress: Progress | None = None) -> None:
        """Copy a verified object out of the cache to `dest` (a file or a new folder)."""
        src = self.ensure(obj.md5, progress)
        if not obj.is_dir:
            _copyfile(src, dest)
            return
        make_dirs(dest)
        for entry in self._dir_children(obj.md5):
            rel = entry["relpath"]
            target = os.path.join(dest, *rel.split("/"))
            make_dirs(os.path.dirname(target))
            _copyfile(self.ensure(entry["md5"], progress), target)
