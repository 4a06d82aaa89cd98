"""Reading refs and updating one with compare-and-swap, using git's `.lock` protocol."""

from __future__ import annotations

import os


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


def cas_update(common_dir: str, ref: str, old: str | None, new: str) -> None:
    """Point `ref` at `new` if it still points at `old` (None: must not exist)."""
    path = os.path.join(common_dir, ref)
    lock = path + ".lock"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise RefLockedError(lock) from None
    try:
        current = read_ref(common_dir, ref)
        if current != old:
            raise RefMovedError(f"{ref} is at {current}, expected {old}")
        os.write(fd, new.encode() + b"\n")
        os.close(fd)
        fd = -1
        os.replace(lock, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(lock)
        except FileNotFoundError:
            pass
        raise
