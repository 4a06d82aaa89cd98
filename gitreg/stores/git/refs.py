"""Reading refs, and updating one as git does: create `<ref>.lock`, check, write, rename.

While gitreg holds `<ref>.lock`, it holds `gitreg pid=N host=H`, replaced by the new value
just before the rename. A lock naming an exited gitreg process of this host is removed by
the next writer; one naming a live process or another host, or holding a sha or nothing
(git's), is never broken. A reused pid reads as alive, except this process's own: its
threads hold ref locks one at a time, so a lock naming it is a dead namesake's (a container
restarted with the same pid). A kill between creating the lock and writing its owner line,
or between writing the value and the rename, leaves a lock that looks like git's: after
LOCK_TIMEOUT, RefLockedError says to remove it.
"""

from __future__ import annotations

import logging
import os
import random
import re
import socket
import threading
import time

from gitreg import faults
from gitreg.errors import DamagedRefError, RefLockedError
from gitreg.stores.files import make_dirs, remove_quietly, share_file

log = logging.getLogger(__name__)
LOCK_TIMEOUT = 10.0  # seconds to wait for a lock held by git or a live process
_HOST = socket.gethostname()
_OWNER = re.compile(rb"gitreg pid=(\d+) host=(\S+)\n")
_SHA = re.compile(rb"[0-9a-fA-F]{40}\s*")
_GUARD = ".break.lock"  # held while removing a stale lock; ends in .lock, so git skips it
_mutex = threading.Lock()  # this process's threads hold ref locks one at a time


class RefMovedError(Exception):
    """The ref no longer points at the expected commit."""


def owner_line() -> bytes:
    return f"gitreg pid={os.getpid()} host={_HOST}\n".encode()


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def chain(common_dir: str, ref: str) -> tuple[list[str], bytes | None]:
    """`ref` and the refs it points at through symbolic refs; the last one's loose content."""
    names = [ref]
    while True:
        data = _read(os.path.join(common_dir, names[-1]))
        if data is None or not data.startswith(b"ref: ") or len(names) > 5:
            return names, data
        names.append(data[5:].strip().decode())


def _damage(data: bytes) -> str:
    return "it is empty" if not data.strip() else f"it holds {data[:60]!r}, not a commit id"


def resolve(common_dir: str, ref: str) -> tuple[str, str | None]:
    """(the ref git updates for `ref`, the sha it holds or None if it does not exist)."""
    names, data = chain(common_dir, ref)
    name, path = names[-1], os.path.join(common_dir, "packed-refs")
    if data is not None:
        if _SHA.fullmatch(data) is None:
            raise DamagedRefError(name, os.path.join(common_dir, name), _damage(data))
        return name, data[:40].decode().lower()
    try:
        with open(path, "rb") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return name, None
    tail = b" " + name.encode()
    for line in lines:
        if line.endswith(tail) and not line.startswith((b"#", b"^")):
            if _SHA.fullmatch(line[: -len(tail)]) is None:
                raise DamagedRefError(name, path, _damage(line[: -len(tail)]))
            return name, line[:40].decode().lower()
    return name, None


def update(
    common_dir: str,
    ref: str,
    old: str | None,
    new: str,
    ident: bytes,
    message: str,
    fsync: bool,
    reflog: bool = True,
) -> None:
    """Point `ref` (or the ref it points at) at `new` if it holds `old` (None: it must not
    exist), with a reflog entry as git writes it (unless `reflog` is False: git keeps none
    for tags). RefMovedError if it holds something else; RefLockedError if its lock stays
    held for LOCK_TIMEOUT."""
    name = chain(common_dir, ref)[0][-1]
    path = os.path.join(common_dir, name)
    lock = path + ".lock"
    deadline, delay = time.monotonic() + LOCK_TIMEOUT, 0.001
    subject = " ".join(message.split("\n", 1)[0].split())
    entry = (
        f"{old or '0' * 40} {new} ".encode()
        + ident
        + (f"\t{subject}\n".encode() if subject else b"\n")
        if reflog
        else b""
    )
    while True:
        with _mutex:
            fd = _take(lock)
            if fd is not None:
                return _write(fd, common_dir, name, old, new, entry, fsync)
        if time.monotonic() > deadline:
            m = _OWNER.fullmatch(_read(lock) or b"")
            holder = f"gitreg process {m[1].decode()} on {m[2].decode()}" if m else None
            raise RefLockedError(lock, holder, LOCK_TIMEOUT)
        time.sleep(delay * (1 + random.random()))
        delay = min(delay * 2, 0.05)


def _write(
    fd: int, common_dir: str, name: str, old: str | None, new: str, entry: bytes, fsync: bool
) -> None:
    """Finish the update of `name`, whose lock is open as `fd`: check, reflog, rename."""
    path = os.path.join(common_dir, name)
    try:
        current = resolve(common_dir, name)
        if current != (name, old):
            raise RefMovedError(f"{name} is at {current[1]}, expected {old}")
        faults.point("locked")
        if entry:
            _append_reflog(common_dir, name, entry, fsync)
        value = new.encode() + b"\n"
        os.pwrite(fd, value, 0)
        os.ftruncate(fd, len(value))  # the owner line may have been longer
        if fsync:
            os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(path + ".lock", path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        remove_quietly(path + ".lock")  # still ours: nobody breaks a live process's lock
        raise


def _append_reflog(common_dir: str, name: str, entry: bytes, fsync: bool) -> None:
    log_path = os.path.join(common_dir, "logs", name)
    created = not os.path.exists(log_path)
    try:
        f = open(log_path, "ab")
    except FileNotFoundError:
        make_dirs(os.path.dirname(log_path))
        f = open(log_path, "ab")
    if created:
        share_file(log_path)  # other members of a shared repository append to it
    with f:
        f.write(entry)
        if fsync:
            f.flush()
            os.fsync(f.fileno())


def _take(path: str) -> int | None:
    """An fd of `path`, created exclusively and holding our owner line, or None if another
    holds it. Called with `_mutex` held."""
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileNotFoundError:
            make_dirs(os.path.dirname(path))
            continue
        except FileExistsError:
            content = _read(path)
            if content is not None and not owner_gone(content, mine_too=True):
                return None
            if content is not None:
                _remove_stale(path, content)
            continue
        os.write(fd, owner_line())
        return fd
    return None


def _remove_stale(path: str, content: bytes) -> None:
    if path.endswith(_GUARD):
        # a recoverer killed within a few system calls; only two recoverers meeting its
        # guard at the same moment could both go on
        remove_quietly(path)
        return
    guard = _take(path + _GUARD)  # recoverers take turns: check and removal are one step
    if guard is None:
        return
    try:
        if _read(path) == content:  # while it exists, no writer can replace it
            os.unlink(path)
            log.warning("removed %s, left by a gitreg process that exited", path)
    finally:
        os.close(guard)
        remove_quietly(path + _GUARD)


def owner_gone(content: bytes, mine_too: bool = False) -> bool:
    """True if `content` names a gitreg process of this host that has exited; with
    `mine_too` (a file this process creates only under `_mutex`, held now), one naming
    this process is a dead namesake's."""
    m = _OWNER.fullmatch(content)
    if m is None or m[2].decode() != _HOST:
        return False
    if int(m[1]) == os.getpid():
        return mine_too
    if os.name == "nt":  # os.kill would end the process there
        return False
    try:
        os.kill(int(m[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # e.g. another user's process: alive
        pass
    return False


def _after_fork() -> None:
    global _mutex
    _mutex = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
