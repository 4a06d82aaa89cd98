"""Reading refs and updating one with compare-and-swap, using git's `.lock` protocol.

While gitreg holds `<ref>.lock` it first writes its owner (`gitreg pid=N host=H`) into the
lock, then the new sha just before renaming it into place. A lock whose owner process is
gone is stale and is recovered; a lock holding a bare sha (a crash in the last instant, or
git's own) is stale once it is older than `STALE_SECONDS`.
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
        with open(os.path.join(common_dir, ref), "rb") as f:
            value = f.read().strip().decode()
        if value.startswith("ref: "):
            return read_ref(common_dir, value[5:])
        return value or None
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
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
        try:
            if os.stat(lock).st_ino == mine:  # only ever remove our own lock
                os.unlink(lock)
        except FileNotFoundError:
            pass
        raise
