"""Writing whole files the way both stores need: read-only, complete, never half-visible."""

from __future__ import annotations

import os


def write_file(path: str, data: bytes, exclusive: bool = False) -> None:
    """Write `data` to a new read-only file (creating its folder if needed).

    With `exclusive`, an existing file is an error (FileExistsError) instead of replaced.
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
    finally:
        os.close(fd)
