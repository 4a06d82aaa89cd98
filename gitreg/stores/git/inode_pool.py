"""Reusing the files of packs a repack superseded as the next commits' packs.

Why: every commit writes a small pack and its index (two new files), and the repack that
rolls 256 of them up removes ~512. On ext4 without a journal (this project's VM; see
`refs.py`) each file creation scans past the inodes freed in its block group over the
last seconds to minutes, so removals made the saves after them slower and slower (3,000
save + link in a fresh folder: 2.3-2.7 ms at first, 4.1-7.1 ms at the end). So before a
repack the small pack files are hard-linked into `.git/gitreg/pool/`. Those the repack
superseded stay there, out of git's sight, and the next packs are written into them: in
a steady run no inode is created or freed for a commit.

Reuse must never change bytes a reader can see. A reader that opened a pack before the
repack can still have it open or mapped (git keeps packs mmapped). An inode is rewritten
only when:

- no process has it open or mapped: a write lease (`F_SETLEASE`) is granted only then;
- under that lease, its pool name still names it (a rival that opened it before another
  writer renamed it into `objects/pack` must not write into that live pack), and it has
  no other name (`st_nlink == 1`: not a live pack, not hard-linked by a local clone);
- the writer keeps it open until it is renamed into place, so no rival gets the lease
  before the pool name is gone.

A write takes a pooled file of as many 4 KiB blocks as its data if there is one, else one
of fewer blocks (growing a file is cheap), and a larger one only as the last choice:
shrinking a file frees blocks, and on a filesystem mounted with `discard` (as this VM's)
that costs ~220 us against ~6 us for the write itself.

Files that wait in the pool over an hour (kept mapped by a long-lived reader) are removed
at the next repack, and the pool holds at most MAX_FILES. As before, packs are not
fsynced: after a power cut a new pack may hold old bytes instead of zeros, which git
reports as a pack that does not match its index.

Once git has removed a pack's name, the pool's name is the only way to reach its inode,
and only gitreg opens files there. Where leases do not exist (not Linux, some network
filesystems, leases switched off), the pool is not used, and git removes superseded packs
as it always did.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import stat
import threading
import time

from gitreg.stores.files import remove_quietly

log = logging.getLogger(__name__)

MAX_FILES = 1024  # a repack adds no more once the pool holds this many (one cycle: ~512)
MAX_SIZE = 64 * 1024  # larger pack files are left to git to remove
MAX_AGE = 3600.0  # seconds a file may wait in the pool before a repack removes it
TRIES = 8  # pooled files tried per write before writing a new file
BLOCK = 4096  # the usual filesystem block: files are matched by how many they take
_KINDS = (".pack", ".idx", ".rev")

try:
    import fcntl

    _F_SETLEASE: int = fcntl.F_SETLEASE
    _F_SETSIG: int = fcntl.F_SETSIG  # without it a lease break would end the process (SIGIO)
    _LEASES = True
except (ImportError, AttributeError):  # pragma: no cover - not Linux
    _LEASES = False


class InodePool:
    """The superseded pack files of one repository, ready to be written again."""

    def __init__(self, common_dir: str) -> None:
        self.dir = os.path.join(common_dir, "gitreg", "pool")
        self.enabled = _LEASES
        # names believed reusable by size in blocks, listed lazily
        self._free: dict[int, list[str]] | None = None
        self._leases: bool | None = None  # whether this filesystem grants leases
        self._lock = threading.Lock()

    # -- around a repack -------------------------------------------------------
    def hold(self, pack_dir: str) -> list[tuple[str, int]]:
        """Hard-link the small pack files of `pack_dir` into the pool, so that a repack's
        removal frees no inode; returns the names held and their sizes. Call `settle`
        after the repack."""
        if not self.enabled:
            return []
        room = MAX_FILES - self._prune()
        held: list[tuple[str, int]] = []
        with os.scandir(pack_dir) as entries:
            for e in entries:
                if len(held) >= room:
                    break
                if not (e.name.startswith("pack-") and e.name.endswith(_KINDS)):
                    continue
                try:
                    size = e.stat().st_size
                    if size > MAX_SIZE:
                        continue
                    if not held and not self._leases_work(e.path):
                        return []
                    os.link(e.path, os.path.join(self.dir, e.name))
                except OSError:  # gone already, held by another process, or no hard links
                    continue
                held.append((e.name, size))
        return held

    def _prune(self) -> int:
        """Remove the files that waited over MAX_AGE (kept open by a long-lived reader, or
        left by a process that stopped); returns how many stay."""
        left = 0
        now = time.time()
        try:
            with os.scandir(self.dir) as entries:
                for e in entries:
                    try:
                        # ctime: when it was linked here (or last written again)
                        if now - e.stat().st_ctime > MAX_AGE:
                            os.unlink(e.path)
                            continue
                    except OSError:
                        pass
                    left += 1
        except FileNotFoundError:
            os.makedirs(self.dir, exist_ok=True)
        return left

    def settle(self, pack_dir: str, held: list[tuple[str, int]]) -> None:
        """After the repack: let go of the files still in use, keep the superseded ones."""
        keep: list[tuple[str, int]] = []
        for name, size in held:
            path = os.path.join(self.dir, name)
            if os.path.exists(os.path.join(pack_dir, name)):
                remove_quietly(path)  # still a live pack: drop the second name only
                continue
            try:
                os.chmod(path, 0o644)  # git made it read-only; it is written again later
            except OSError:
                continue
            keep.append((name, size))
        free = self._names()
        with self._lock:
            for name, size in keep:
                free.setdefault(_blocks(size), []).append(name)

    # -- reuse -----------------------------------------------------------------
    def write(self, path: str, data: bytes) -> bool:
        """Write `data` into a pooled inode and rename it to `path` (replacing what is
        there). False when no inode can be reused: the caller writes a new file."""
        if not self.enabled:
            return False
        free = self._names()
        need = _blocks(len(data))
        for _ in range(TRIES):
            with self._lock:
                name = _take(free, need)
            if name is None:
                break
            src = os.path.join(self.dir, name)
            claimed = self._claim(src)
            if claimed is None:
                continue
            fd, old_size = claimed
            try:
                view = memoryview(data)
                done = 0
                while done < len(view):
                    done += os.pwrite(fd, view[done:], done)
                if old_size > len(view):
                    os.ftruncate(fd, len(view))
                os.fchmod(fd, 0o444)
                os.replace(src, path)  # still open: no other writer can claim it meanwhile
            except OSError as e:
                # Full disk, or the pool removed by hand: the caller writes a new file
                # (and reports a lasting error). Whatever is in this one, git never saw it.
                log.debug("inode pool: %s: %s", src, e)
                remove_quietly(src)
                return False
            finally:
                os.close(fd)
            return True
        return False

    def _claim(self, src: str) -> tuple[int, int] | None:
        """(fd open for writing, size) of `src` if its inode may be rewritten, else None."""
        try:
            fd = os.open(src, os.O_RDWR | os.O_CLOEXEC)
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EPERM):
                # Left read-only by a process that stopped between hold and settle: it
                # may still be a live pack, so only drop this name.
                remove_quietly(src)
            return None
        size = self.vet(fd, src)
        if size is None:
            os.close(fd)
            return None
        return fd, size

    def vet(self, fd: int, src: str) -> int | None:
        """The size of the file open as `fd` (opened from pool path `src`) if nobody else
        can read it, else None.

        Checked under a write lease, so that nobody has it open or mapped meanwhile:
        `src` must still name this inode (a rival that opened it before another writer
        renamed it into `objects/pack` gets the lease only after that writer closed it,
        and must not write into a live pack), and it must have no other name.
        """
        try:
            st = os.fstat(fd)
            if st.st_nlink != 1 or not stat.S_ISREG(st.st_mode):
                # A live pack's second name (or a clone's): drop only the name. A pooled
                # inode never gains a name later: writers rename it out of the pool.
                remove_quietly(src)
                return None
            # A lease break is signalled to the holder; SIGIO would end the process,
            # SIGURG is ignored unless handled. The lease is held for a few calls only.
            fcntl.fcntl(fd, _F_SETSIG, signal.SIGURG)
            try:
                fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_WRLCK)
            except OSError as e:
                if e.errno != errno.EAGAIN:  # leases unsupported here: stop trying
                    self._disable(e)
                    remove_quietly(src)
                return None  # EAGAIN: open or mapped by someone, left for later
            try:
                named = os.stat(src)
            finally:
                fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
        except OSError:  # src gone: taken by another writer, or the pool removed
            return None
        if (named.st_dev, named.st_ino) != (st.st_dev, st.st_ino):
            return None
        return st.st_size

    def _leases_work(self, path: str) -> bool:
        """Whether this filesystem grants leases (tried once, with a read lease on `path`)."""
        if self._leases is None:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return True  # the file went away: ask again with the next one
            try:
                fcntl.fcntl(fd, _F_SETSIG, signal.SIGURG)
                fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_RDLCK)
                fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
                self._leases = True
            except OSError as e:
                self._leases = e.errno == errno.EAGAIN  # EAGAIN: supported, file busy
                if not self._leases:
                    self._disable(e)
            finally:
                os.close(fd)
        return self._leases

    def _disable(self, why: OSError) -> None:
        log.debug("inode pool off for %s: %s", self.dir, why)
        self.enabled = False
        with self._lock:
            free, self._free = self._free or {}, {}
            names = [n for bucket in free.values() for n in bucket]
        for name in names:  # superseded packs: remove them as git would have
            remove_quietly(os.path.join(self.dir, name))

    def _names(self) -> dict[int, list[str]]:
        if self._free is None:
            free: dict[int, list[str]] = {}
            try:
                with os.scandir(self.dir) as entries:
                    for e in entries:
                        try:
                            free.setdefault(_blocks(e.stat().st_size), []).append(e.name)
                        except OSError:
                            continue
            except FileNotFoundError:
                pass
            with self._lock:  # another thread may have listed it meanwhile: keep one list
                if self._free is None:
                    self._free = free
        return self._free


def _blocks(size: int) -> int:
    return -(-size // BLOCK)


def _take(free: dict[int, list[str]], need: int) -> str | None:
    """A name from the bucket of `need` blocks, else from the largest smaller bucket (the
    write grows it), else from the smallest larger one (the write frees its extra blocks)."""
    names = free.get(need)
    if names:
        return names.pop()
    smaller = [b for b, bucket in free.items() if b < need and bucket]
    if smaller:
        return free[max(smaller)].pop()
    larger = [b for b, bucket in free.items() if b > need and bucket]
    if larger:
        return free[min(larger)].pop()
    return None
