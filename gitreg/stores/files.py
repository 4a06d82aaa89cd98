"""Writing whole files the way both stores need: read-only, complete, never half-visible."""

from __future__ import annotations

import os
import threading


def write_file(path: str, data: bytes, exclusive: bool = False, fsync: bool = False) -> None:
    """Write `data` to a new read-only file (creating its folder if needed).

    With `exclusive`, an existing file is an error (FileExistsError) instead of replaced;
    with `fsync`, the data is on disk when this returns.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o444)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, flags, 0o444)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def tmp_name(path: str) -> str:
    """A temp name beside `path`, unique to this process and thread."""
    return f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"


def replace_file(path: str, data: bytes, tmp: str | None = None, fsync: bool = False) -> None:
    """Write `data` under a temp name (`tmp`, else `tmp_name(path)`), then rename it over
    `path`: a reader sees the old file or the new one, never part of one. If the write
    fails, the temp file is removed."""
    tmp = tmp or tmp_name(path)
    try:
        write_file(tmp, data, fsync=fsync)
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def remove_quietly(path: str) -> None:
    """Remove `path` if it can be; a file already gone (or not removable) is no error."""
    try:
        os.unlink(path)
    except OSError:
        pass
