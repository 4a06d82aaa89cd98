"""Reading refs and updating one with compare-and-swap, using git's `.lock` protocol.

A lock is held by the existence of `<ref>.lock`, as git expects, so git and gitreg exclude
each other. Each gitreg process keeps a lock file of its own in `.git/gitreg/locks/`
(`<nonce>.owner`, holding `gitreg pid=N host=H`) and holds a shared `flock` on it for its
whole life; it takes a ref lock by hard-linking that file to `<ref>.lock`. A recoverer
treats a gitreg lock as stale only if it can take an exclusive `flock` on it, i.e. its
owner has exited (pid numbers are not trusted: they are reused, and differ between
containers). A lock without that content is git's, and is never broken.

The new value is written into one of two small buffer files the process keeps beside its
lock file (the one that is not the ref now), and that file is renamed over the ref under a
temporary second name: readers see the old or the new ref, never part of one.

Why this shape: measured on this project's VM (ext4 mounted without a journal), git's own
way, a new lock file renamed over the ref, creates and frees an inode per commit and makes
ext4 flush the file at once (`auto_da_alloc`). On ext4 without a journal every file
creation then scans the inodes freed in the last ~30 s, so saves got slower the longer
they ran (to 10 ms of kernel time each). Here a commit creates and frees no inode for the
ref, and the buffers' blocks, once allocated, are rewritten in place.
"""

from __future__ import annotations

import atexit
import errno
import logging
import os
import re
import threading
import time

from gitreg import faults
from gitreg.stores.files import remove_quietly

log = logging.getLogger(__name__)
_HOST = os.uname().nodename if hasattr(os, "uname") else __import__("socket").gethostname()
_OWNER_RE = re.compile(r"gitreg pid=(\d+) host=(\S+)")


class LockBusy(Exception):
    """Another writer holds `<ref>.lock` right now."""


class RefMovedError(Exception):
    """The ref no longer points at the expected commit."""


def read_ref(common_dir: str, ref: str) -> str | None:
    """The sha a ref points at: the loose file first, then packed-refs."""
    try:
        fd = os.open(os.path.join(common_dir, ref), os.O_RDONLY)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    else:
        try:
            value = os.pread(fd, 4096, 0)
            for _ in range(1000):
                again = os.pread(fd, 4096, 0)
                if again == value:
                    break
                # a writer reuses a buffer two updates after it stopped being the ref: a
                # reader that opened it just before then could see it change
                value = again
        except IsADirectoryError:
            value = None
        finally:
            os.close(fd)
        if value is not None:
            text = value.strip().decode()
            if text.startswith("ref: "):
                return read_ref(common_dir, text[5:])
            return text or None
    try:
        with open(os.path.join(common_dir, "packed-refs"), "rb") as f:
            target = ref.encode()
            for line in f:
                if line[:1] in (b"#", b"^"):
                    continue
                sha, _, name = line.rstrip(b"\n").partition(b" ")
                if name == target:
                    return sha.decode()
    except FileNotFoundError:
        pass
    return None


def _owner_gone(fd: int) -> bool:
    """True if nobody holds a flock on the file open as `fd` (its owner process exited)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def _stale_inode(lock: str) -> int | None:
    """The inode of `lock` if it is a gitreg lock whose owner is gone, else None."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        content = os.pread(fd, 200, 0).decode(errors="replace")
        st = os.fstat(fd)
        m = _OWNER_RE.match(content)
        if m is None:
            return None  # git's (or another tool's) lock: never broken by gitreg
        if m.group(2) != _HOST:
            # another machine sharing this directory: flock may not reach it; be patient
            return st.st_ino if time.time() - st.st_ctime > 3600 else None
        return st.st_ino if _owner_gone(fd) else None
    finally:
        os.close(fd)


def break_stale_lock(common_dir: str, lock: str) -> bool:
    """Remove `lock` if its owner is gone; True if it was removed."""
    judged = _stale_inode(lock)
    if judged is None:
        return False
    folder = _locks_folder(common_dir)
    os.makedirs(folder, exist_ok=True)
    aside = os.path.join(folder, f"stale-{os.getpid()}-{threading.get_ident()}")
    try:
        os.rename(lock, aside)  # atomic: only one recoverer wins
    except FileNotFoundError:
        return False
    try:
        if os.stat(aside).st_ino != judged:
            # a live writer took the lock between the check and the rename: give it back
            try:
                os.link(aside, lock)
            except FileExistsError:
                pass  # someone else holds it now; the writer we displaced will notice
            return False
    finally:
        os.unlink(aside)
    log.warning("removed stale lock %s", lock)
    return True


def _locks_folder(common_dir: str) -> str:
    return os.path.join(common_dir, "gitreg", "locks")


def _create_lock_file(path: str) -> int:
    """Create `path` holding this process's owner line; returns its fd, on which a shared
    flock is held while it stays open (what tells a recoverer the owner is alive)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_SH)
    except ImportError:  # pragma: no cover - not on POSIX
        pass
    os.write(fd, f"gitreg pid={os.getpid()} host={_HOST}\n".encode())
    return fd


def _new_buffer(path: str) -> None:
    with open(path, "wb") as f:
        f.write(b"0" * 40 + b"\n")  # a ref's length: later values are written over it


class _Writer:
    """This process's lock file and two ref buffers in one repository's locks folder."""

    def __init__(self, common_dir: str) -> None:
        self.pid = os.getpid()
        self.folder = _locks_folder(common_dir)
        os.makedirs(self.folder, exist_ok=True)
        _remove_dead_writers(self.folder)
        self.base = os.path.join(self.folder, os.urandom(8).hex())
        self.owner = self.base + ".owner"
        self.fd = _create_lock_file(self.owner)  # open (and flocked) until this process exits
        self.ino = os.fstat(self.fd).st_ino
        self.buffers = [self.base + ".a", self.base + ".b"]
        for path in self.buffers:
            _new_buffer(path)
        self.mutex = threading.Lock()  # one ref update at a time per process
        atexit.register(self.close)

    def close(self) -> None:
        if os.getpid() != self.pid:
            return  # a forked child: the files are the parent's
        for path in (*self.buffers, self.base + ".tmp", self.owner):
            remove_quietly(path)
        try:
            os.close(self.fd)
        except OSError:
            pass


def _remove_dead_writers(folder: str) -> None:
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.startswith("stale-"):
            remove_quietly(path)  # left by a recoverer killed mid-way
            continue
        if not name.endswith(".owner"):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            # content first: a new owner file is flocked before its content is written
            ours = os.pread(fd, 200, 0).decode(errors="replace").endswith(f"host={_HOST}\n")
            gone = ours and _owner_gone(fd)
        finally:
            os.close(fd)
        if gone:
            base = path[: -len(".owner")]
            for suffix in (".a", ".b", ".tmp", ".owner"):
                remove_quietly(base + suffix)


# common dir -> this process's writer there, or None where hard links do not work
_WRITERS: dict[str, _Writer | None] = {}
_WRITERS_GUARD = threading.Lock()
_FALLBACK_MUTEX = threading.Lock()
_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


def _reset_after_fork() -> None:
    global _WRITERS_GUARD, _FALLBACK_MUTEX
    for w in _WRITERS.values():
        if w is not None:
            try:
                os.close(w.fd)  # else the parent's flock lives on in the child (never unlock it)
            except OSError:
                pass
    _WRITERS.clear()
    _WRITERS_GUARD = threading.Lock()
    _FALLBACK_MUTEX = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _writer(common_dir: str) -> _Writer | None:
    with _WRITERS_GUARD:
        if common_dir in _WRITERS:
            w = _WRITERS[common_dir]
            if w is None or os.path.exists(w.owner):
                return w
        w = _Writer(common_dir)
        _WRITERS[common_dir] = w
        return w


def _resolve(common_dir: str, ref: str) -> str:
    """The ref a loose symbolic ref points at (git locks and updates the target)."""
    for _ in range(5):
        try:  # os.open, not open(): this runs on every commit, and io's layers cost more
            fd = os.open(os.path.join(common_dir, ref), os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError):
            return ref
        try:
            head = os.pread(fd, 512, 0)
        except IsADirectoryError:
            return ref
        finally:
            os.close(fd)
        if not head.startswith(b"ref: "):
            return ref
        ref = head[5:].strip().decode()
    return ref


def _acquire(common_dir: str, path: str, lock: str, w: _Writer | None) -> tuple[int, int]:
    """Take `lock`; returns (the inode that proves it is ours, an fd to close on release or
    -1). LockBusy if it is held."""
    for _ in range(3):
        try:
            if w is not None:
                os.link(w.owner, lock)
                return w.ino, -1
            fd = _create_lock_file(lock)
            return os.fstat(fd).st_ino, fd
        except FileNotFoundError:  # the ref's folder does not exist yet
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except FileExistsError:
            if not break_stale_lock(common_dir, lock):
                raise LockBusy(lock) from None
    raise LockBusy(lock)


def cas_update(common_dir: str, ref: str, old: str | None, new: str) -> None:
    """Point `ref` at `new` if it still points at `old` (None: must not exist)."""
    ref = _resolve(common_dir, ref)
    path = os.path.join(common_dir, ref)
    lock = path + ".lock"
    try:
        w = _writer(common_dir)
    except OSError:
        w = None
    with w.mutex if w is not None else _FALLBACK_MUTEX:
        try:
            mine, held = _acquire(common_dir, path, lock, w)
        except OSError as e:
            if w is None or e.errno not in _NO_LINKS:
                raise
            with _WRITERS_GUARD:  # no hard links on this filesystem: create locks instead
                _WRITERS[common_dir] = None
            return cas_update(common_dir, ref, old, new)
        try:
            current = read_ref(common_dir, ref)
            if current != old:
                raise RefMovedError(f"{ref} is at {current}, expected {old}")
            faults.point("locked")
            _check_still_ours(lock, mine)
            if w is not None:
                _publish(w, path, new)
            else:
                tmp = f"{lock}.{os.getpid()}.new.lock"  # a name git skips when listing refs
                with open(tmp, "wb") as f:
                    f.write(new.encode() + b"\n")
                os.replace(tmp, path)
        finally:
            _remove_own_lock(lock, mine)
            if held >= 0:
                os.close(held)


def _publish(w: _Writer, path: str, new: str) -> None:
    """Write `new` into a buffer that is no ref now, and rename it over the ref."""
    spare = next((b for b in w.buffers if os.stat(b).st_nlink == 1), None)
    if spare is None:
        # Both buffers are refs now (this process updates more than one ref): leave the one
        # that is not this ref to its ref and start a fresh buffer under its name.
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            current = -1
        spare = next(b for b in w.buffers if os.stat(b).st_ino != current)
        os.unlink(spare)
        _new_buffer(spare)
    fd = os.open(spare, os.O_WRONLY)
    try:
        os.pwrite(fd, new.encode() + b"\n", 0)
    finally:
        os.close(fd)
    tmp = w.base + ".tmp"
    remove_quietly(tmp)
    os.link(spare, tmp)
    os.replace(tmp, path)


def _check_still_ours(lock: str, mine: int) -> None:
    # a recoverer may have removed our lock (and taken its own): then write nothing
    try:
        if os.stat(lock).st_ino != mine:
            raise RefMovedError(f"lost {lock}")
    except FileNotFoundError:
        raise RefMovedError(f"lost {lock}") from None


def _remove_own_lock(lock: str, mine: int) -> None:
    try:
        if os.stat(lock).st_ino == mine:  # only ever remove our own lock
            os.unlink(lock)
    except FileNotFoundError:
        pass
