"""Reading refs and updating one with compare-and-swap, using git's `.lock` protocol.

A lock is held by the existence of `<ref>.lock`, as git expects. gitreg takes it by
hard-linking its own per-process lock file (`.git/gitreg/locks/<host>.<pid>`, holding
`gitreg pid=N host=H`) to that name, and releases it by removing the link. A lock whose
owner process is gone is stale and is recovered; a lock holding anything else (git's own)
is stale once it is older than `STALE_SECONDS`.

The update itself: when the loose ref file holds exactly the expected `<sha>\n`, the new
sha (same length) is written over it in place, under the lock. Other cases (no loose file
yet, a packed or symbolic ref) replace the ref by renaming a new file over it.

Why not create the lock and rename it over the ref, as git does: measured on an ext4 VM
disk, renaming a just-written file over another makes ext4 flush it at once
(`auto_da_alloc`, 5x the in-place write), and on ext4 without a journal every inode freed
in the last 30 s is scanned again by each later file creation, so creating and freeing an
inode per commit made saves slower the longer they ran (to 10 ms of kernel time each). The
link takes no new inode and frees none. A 41-byte `pwrite` cannot be half done by a crash,
but a reader could copy the page while it changes, so `read_ref` reads until two reads
agree.
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

log = logging.getLogger(__name__)
STALE_SECONDS = 5.0
_HOST = os.uname().nodename if hasattr(os, "uname") else __import__("socket").gethostname()
_OWNER_RE = re.compile(r"gitreg pid=(\d+) host=(\S+)")


class RefLockedError(Exception):
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
                value = again  # read while a writer changed it: read until stable
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


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as e:
        return e.errno == errno.EPERM
    return True


def lock_is_stale(lock: str, now: float | None = None) -> bool:
    """True if `lock`'s owner is gone (or, for an anonymous lock, it is old)."""
    try:
        with open(lock, "rb") as f:
            content = f.read(200).decode(errors="replace")
        # ctime: taking a lock by hard link changes the link count, not the content
        age = (now or time.time()) - os.stat(lock).st_ctime
    except FileNotFoundError:
        return False
    m = _OWNER_RE.match(content)
    if m is not None:
        if m.group(2) != _HOST:
            return age > 3600  # another machine sharing this directory: be patient
        return not pid_alive(int(m.group(1)))
    return age > STALE_SECONDS


def break_stale_lock(lock: str) -> bool:
    """Remove `lock` if it is stale; True if it was removed."""
    if not lock_is_stale(lock):
        return False
    aside = f"{lock}.stale.{os.getpid()}"
    try:
        os.rename(lock, aside)  # atomic: only one recoverer wins
    except FileNotFoundError:
        return False
    # If a fresh lock was taken between the check and the rename, its holder finds its lock
    # gone at rename time and retries (cas_update turns that into RefMovedError).
    os.unlink(aside)
    log.warning("removed stale lock %s", lock)
    return True


# common dir -> (pid, lock file path, its inode), or None where hard links do not work
_LOCK_FILES: dict[str, tuple[int, str, int] | None] = {}
_LOCK_FILES_GUARD = threading.Lock()


def _owner() -> bytes:
    return f"gitreg pid={os.getpid()} host={_HOST}\n".encode()


def _lock_file(common_dir: str) -> tuple[str, int] | None:
    """This process's lock file in `common_dir` (made on first use), or None if hard links
    are not available there."""
    pid = os.getpid()
    with _LOCK_FILES_GUARD:
        known = _LOCK_FILES.get(common_dir, (0, "", 0))
        if known is None:
            return None
        if known[0] == pid and os.path.exists(known[1]):
            return known[1], known[2]
        folder = os.path.join(common_dir, "gitreg", "locks")
        os.makedirs(folder, exist_ok=True)
        _remove_dead_lock_files(folder)
        path = os.path.join(folder, f"{_HOST}.{pid}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, _owner())
            ino = os.fstat(fd).st_ino
        finally:
            os.close(fd)
        _LOCK_FILES[common_dir] = (pid, path, ino)
        atexit.register(_remove_quietly, path)
        return path, ino


def _remove_dead_lock_files(folder: str) -> None:
    for name in os.listdir(folder):
        host, _, pid = name.rpartition(".")
        if host == _HOST and pid.isdigit() and not pid_alive(int(pid)):
            _remove_quietly(os.path.join(folder, name))


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _acquire(common_dir: str, path: str, lock: str) -> int:
    """Take `lock`; returns the inode that proves it is ours. RefLockedError if held."""
    for _ in range(3):
        try:
            try:
                mine = _lock_file(common_dir)
            except OSError:
                mine = None
            if mine is not None:
                try:
                    os.link(mine[0], lock)
                    return mine[1]
                except FileExistsError:
                    raise
                except FileNotFoundError:
                    if not os.path.exists(mine[0]):  # removed under us: make it again
                        continue
                    raise
                except OSError:  # no hard links on this filesystem: create the lock instead
                    with _LOCK_FILES_GUARD:
                        _LOCK_FILES[common_dir] = None
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                os.write(fd, _owner())
                return os.fstat(fd).st_ino
            finally:
                os.close(fd)
        except FileNotFoundError:  # the ref's folder does not exist yet
            os.makedirs(os.path.dirname(path), exist_ok=True)
        except FileExistsError:
            if not break_stale_lock(lock):
                raise RefLockedError(lock) from None
    raise RefLockedError(lock)


def cas_update(common_dir: str, ref: str, old: str | None, new: str) -> None:
    """Point `ref` at `new` if it still points at `old` (None: must not exist)."""
    path = os.path.join(common_dir, ref)
    lock = path + ".lock"
    mine = _acquire(common_dir, path, lock)
    try:
        if old is not None and _write_in_place(path, lock, mine, old, new):
            return
        current = read_ref(common_dir, ref)
        if current != old:
            raise RefMovedError(f"{ref} is at {current}, expected {old}")
        faults.point("locked")
        _check_still_ours(lock, mine)
        tmp = os.path.join(common_dir, "gitreg", f"ref-{os.getpid()}-{threading.get_ident()}.tmp")
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(new.encode() + b"\n")
        os.replace(tmp, path)
    finally:
        _remove_own_lock(lock, mine)


def _check_still_ours(lock: str, mine: int) -> None:
    # a recoverer may have removed our lock (and taken its own): then write nothing
    try:
        if os.stat(lock).st_ino != mine:
            raise RefMovedError(f"lost {lock}")
    except FileNotFoundError:
        raise RefMovedError(f"lost {lock}") from None


def _write_in_place(path: str, lock: str, mine: int, old: str, new: str) -> bool:
    """With the lock held: overwrite the loose ref if it holds exactly `old`.

    False when the ref is not a plain loose `<sha>\\n` file (the caller renames instead);
    RefMovedError when it holds another sha.
    """
    try:
        rfd = os.open(path, os.O_RDWR)
    except (FileNotFoundError, IsADirectoryError):
        return False
    try:
        expected = old.encode() + b"\n"
        current = os.pread(rfd, 4096, 0)
        if current != expected:
            if len(current) == len(expected) and current[:-1].isalnum():
                raise RefMovedError(f"{path} is at {current.decode().strip()}, expected {old}")
            return False
        faults.point("locked")
        _check_still_ours(lock, mine)
        os.pwrite(rfd, new.encode() + b"\n", 0)
        return True
    finally:
        os.close(rfd)


def _remove_own_lock(lock: str, mine: int) -> None:
    try:
        if os.stat(lock).st_ino == mine:  # only ever remove our own lock
            os.unlink(lock)
    except FileNotFoundError:
        pass
