"""Reusing the files of packs a repack superseded as the next commits' packs.

Why: every commit writes a small pack and its index (two new files), and the repack that
rolls 256 of them up removes ~512. On ext4 without a journal (this project's VM; see
`refs.py`) each file creation scans past the inodes freed in its block group over the
last seconds to minutes, so removals made the saves after them slower and slower (3,000
save + link: 2.7 ms at first, 7 ms at the end). So before a repack the small pack files
are hard-linked into `.git/gitreg/pool/`. Those the repack superseded stay there, out of
git's sight, and the next packs are written into them: in a steady run no inode is
created or freed for a commit.

Reuse must never change bytes a reader can see. A reader that opened a pack before the
repack can still have it open or mapped (git keeps packs mmapped). An inode is rewritten
only when:

- it has no other name (`st_nlink == 1`): it is not a live pack, nor hard-linked by a
  local clone;
- no process has it open or mapped: a write lease (`F_SETLEASE`) is granted only then,
  and it is tested after that check;
- the writer keeps it open until it is renamed into place, so two writers never both get
  the lease on one inode.

Once git has removed a pack's name, the pool's name is the only way to reach its inode,
and only gitreg opens files there. Where leases do not exist (not Linux, NFS, leases
switched off), the pool is not used, and git removes superseded packs as it always did.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import stat
import threading

from gitreg.stores.files import remove_quietly

log = logging.getLogger(__name__)

MAX_FILES = 2048  # a repack adds no more once the pool holds this many
MAX_SIZE = 64 * 1024  # larger pack files are left to git to remove
_KINDS = (".pack", ".idx", ".rev")

try:
    import fcntl

    _F_SETLEASE: int | None = fcntl.F_SETLEASE
    _F_SETSIG: int | None = getattr(fcntl, "F_SETSIG", None)
except (ImportError, AttributeError):  # pragma: no cover - not Linux
    _F_SETLEASE = _F_SETSIG = None


class InodePool:
    """The superseded pack files of one repository, ready to be written again."""

    def __init__(self, common_dir: str) -> None:
        self.dir = os.path.join(common_dir, "gitreg", "pool")
        self.enabled = _F_SETLEASE is not None
        self._free: list[str] | None = None  # names believed reusable, listed lazily
        self._leases: bool | None = None  # whether this filesystem grants leases
        self._lock = threading.Lock()

    # -- around a repack -------------------------------------------------------
    def hold(self, pack_dir: str) -> list[str]:
        """Hard-link the small pack files of `pack_dir` into the pool, so that a repack's
        removal frees no inode; returns the names held. Call `settle` after the repack."""
        if not self.enabled:
            return []
        try:
            room = MAX_FILES - len(os.listdir(self.dir))
        except FileNotFoundError:
            os.makedirs(self.dir, exist_ok=True)
            room = MAX_FILES
        held: list[str] = []
        with os.scandir(pack_dir) as entries:
            for e in entries:
                if len(held) >= room:
                    break
                if not (e.name.startswith("pack-") and e.name.endswith(_KINDS)):
                    continue
                try:
                    if e.stat().st_size > MAX_SIZE:
                        continue
                    if not held and not self._leases_work(e.path):
                        return []
                    os.link(e.path, os.path.join(self.dir, e.name))
                except OSError:  # gone already, held by another process, or no hard links
                    continue
                held.append(e.name)
        return held

    def settle(self, pack_dir: str, held: list[str]) -> None:
        """After the repack: let go of the files still in use, keep the superseded ones."""
        keep: list[str] = []
        for name in held:
            path = os.path.join(self.dir, name)
            if os.path.exists(os.path.join(pack_dir, name)):
                remove_quietly(path)  # still a live pack: drop the second name only
                continue
            try:
                os.chmod(path, 0o644)  # git made it read-only; it is written again later
            except OSError:
                continue
            keep.append(name)
        free = self._names()
        with self._lock:
            free.extend(keep)

    # -- reuse -----------------------------------------------------------------
    def write(self, path: str, data: bytes) -> bool:
        """Write `data` into a pooled inode and rename it to `path` (replacing what is
        there). False when no inode can be reused: the caller writes a new file."""
        if not self.enabled:
            return False
        free = self._names()
        while free:
            with self._lock:
                if not free:
                    break
                name = free.pop()
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
        try:
            st = os.fstat(fd)
            if st.st_nlink != 1 or not stat.S_ISREG(st.st_mode):
                remove_quietly(src)  # another name is a live pack (or a clone's)
                raise _Skip
            assert _F_SETLEASE is not None
            if _F_SETSIG is not None:
                # A lease break is signalled to the holder; SIGIO would end the process,
                # SIGURG is ignored unless handled. The lease is held for two calls only.
                fcntl.fcntl(fd, _F_SETSIG, signal.SIGURG)
            try:
                fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_WRLCK)
            except OSError as e:
                if e.errno != errno.EAGAIN:  # leases unsupported here: stop trying
                    self._disable(e)
                    remove_quietly(src)
                raise _Skip from None  # EAGAIN: open or mapped by someone, left for later
            fcntl.fcntl(fd, _F_SETLEASE, fcntl.F_UNLCK)
            return fd, st.st_size
        except (_Skip, OSError):
            os.close(fd)
            return None

    def _leases_work(self, path: str) -> bool:
        """Whether this filesystem grants leases (tried once, with a read lease on `path`)."""
        if self._leases is None:
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return True  # the file went away: ask again with the next one
            try:
                if _F_SETSIG is not None:
                    fcntl.fcntl(fd, _F_SETSIG, signal.SIGURG)
                assert _F_SETLEASE is not None
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
            names, self._free = self._free or [], []
        for name in names:  # superseded packs: remove them as git would have
            remove_quietly(os.path.join(self.dir, name))

    def _names(self) -> list[str]:
        if self._free is None:
            try:
                self._free = sorted(os.listdir(self.dir))
            except FileNotFoundError:
                self._free = []
        return self._free


class _Skip(Exception):
    pass
