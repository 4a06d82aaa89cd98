"""Reading refs and updating one with compare-and-swap, using git's `.lock` protocol.

While gitreg holds `<ref>.lock` it writes its owner (`gitreg pid=N host=H`) into the lock.
A lock whose owner process is gone is stale and is recovered; a lock holding anything else
(git's own, or a crash in the last instant) is stale once it is older than `STALE_SECONDS`.

The update itself: when the loose ref file holds exactly the expected `<sha>\n`, the new
sha (same length) is written over it in place, under the lock, and the lock is removed.
Renaming a written lock over the ref, as git does, makes ext4 flush that file at once
(`auto_da_alloc`): measured on a VM disk, that costs 5x more than the in-place write, and
the queued flushes slow every other file operation of the next saves. Other cases (no loose
file yet, a symbolic ref) take git's rename path. A 41-byte `pwrite` cannot be half done
by a crash, but a reader could copy the page while it changes, so `read_ref` reads twice
and retries until both reads agree.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import socket
import time

from gitreg import faults

log = logging.getLogger(__name__)
STALE_SECONDS = 5.0
_HOST = socket.gethostname()
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
        age = (now or time.time()) - os.stat(lock).st_mtime
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


def cas_update(common_dir: str, ref: str, old: str | None, new: str) -> None:
    """Point `ref` at `new` if it still points at `old` (None: must not exist)."""
    path = os.path.join(common_dir, ref)
    lock = path + ".lock"
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return cas_update(common_dir, ref, old, new)
    except FileExistsError:
        if break_stale_lock(lock):
            return cas_update(common_dir, ref, old, new)
        raise RefLockedError(lock) from None
    mine = os.fstat(fd).st_ino
    try:
        os.write(fd, f"gitreg pid={os.getpid()} host={_HOST}\n".encode())
        if old is not None and _write_in_place(path, lock, mine, old, new):
            os.close(fd)
            fd = -1
            _remove_own_lock(lock, mine)
            return
        current = read_ref(common_dir, ref)
        if current != old:
            raise RefMovedError(f"{ref} is at {current}, expected {old}")
        faults.point("locked")
        os.ftruncate(fd, 0)
        os.pwrite(fd, new.encode() + b"\n", 0)
        os.close(fd)
        fd = -1
        try:
            # a recoverer may have removed our lock (and taken its own): never rename theirs
            if os.stat(lock).st_ino != mine:
                raise RefMovedError(f"lost {lock}")
            os.replace(lock, path)
        except FileNotFoundError:
            raise RefMovedError(f"lost {lock}") from None
    except BaseException:
        if fd >= 0:
            os.close(fd)
        _remove_own_lock(lock, mine)
        raise


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
        # a recoverer may have removed our lock (and taken its own): then write nothing
        try:
            if os.stat(lock).st_ino != mine:
                raise RefMovedError(f"lost {lock}")
        except FileNotFoundError:
            raise RefMovedError(f"lost {lock}") from None
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
