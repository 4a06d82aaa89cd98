"""Writing whole files the way both stores need: read-only, complete, never half-visible."""

from __future__ import annotations

import os
import stat
import threading

# git dir -> the mode bits core.sharedRepository adds to what gitreg creates below it
_SHARED: dict[str, tuple[int, int]] = {}


def share_below(root: str, setting: str | None) -> None:
    """Honour `core.sharedRepository` (as git reads it) for folders and files gitreg creates
    below `root`: `group`/`true` adds group rw (and setgid on folders), `all`/`world` also
    world read, an octal mode is taken as the files' mode."""
    value = (setting or "").strip().lower()
    if value in ("", "umask", "false", "no", "off", "0"):
        _SHARED.pop(root, None)
        return
    if value in ("group", "true", "yes", "on", "1"):
        files = 0o660
    elif value in ("all", "world", "everybody", "2"):
        files = 0o664
    else:
        try:
            files = int(value, 8) & 0o666
        except ValueError:
            return  # git refuses such a config itself
    folders = files | ((files & 0o444) >> 2) | stat.S_ISGID  # x where r, as git does
    _SHARED[os.path.abspath(root)] = (folders, files)


def _shared_modes(path: str) -> tuple[int, int] | None:
    path = os.path.abspath(path)
    for root, modes in _SHARED.items():
        if path == root or path.startswith(root + os.sep):
            return modes
    return None


def make_dirs(path: str) -> None:
    """`os.makedirs(path, exist_ok=True)`, with the shared repository's modes on what it
    creates below a shared git dir."""
    modes = _shared_modes(path)
    if modes is None:
        os.makedirs(path, exist_ok=True)
        return
    missing = []
    probe = os.path.abspath(path)
    while not os.path.isdir(probe):
        missing.append(probe)
        probe = os.path.dirname(probe)
    os.makedirs(path, exist_ok=True)
    for folder in reversed(missing):
        try:
            os.chmod(folder, (os.stat(folder).st_mode & 0o7777) | modes[0])
        except OSError:  # made by another user meanwhile: theirs to set
            pass


def share_file(path: str) -> None:
    """Give a file gitreg created (that others append to) the shared repository's mode."""
    modes = _shared_modes(path)
    if modes is not None:
        try:
            os.chmod(path, (os.stat(path).st_mode & 0o7777) | (modes[1] & ~0o111))
        except OSError:
            pass


def write_file(path: str, data: bytes, exclusive: bool = False, fsync: bool = False) -> None:
    """Write `data` to a new read-only file (creating its folder if needed).

    With `exclusive`, an existing file is an error (FileExistsError) instead of replaced;
    with `fsync`, the data is on disk when this returns.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o444)
    except FileNotFoundError:
        make_dirs(os.path.dirname(path))
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
