"""What a saved folder holds: its files, found by one rule for symlinks and names.

A symlink inside the folder is followed when it resolves inside the folder (the files it
leads to are stored under the link's path, and load as plain files); one that points
outside the folder, dangles or leads into a loop is refused. A name is refused when a DVC
folder listing cannot hold it: it must be UTF-8 and have no backslash.
"""

from __future__ import annotations

import os
import stat

from gitreg.errors import MaterializerError

RULE = (
    "gitreg follows a symlink in a saved folder only when it resolves inside the folder; "
    "replace the link with what it points to, or save that separately"
)


def require_regular(path: str) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise MaterializerError(f"{path} does not exist: nothing to save") from None
    if not stat.S_ISREG(st.st_mode):
        raise MaterializerError(
            f"{path} is neither a regular file nor a folder (a device, pipe or socket): "
            "save a regular file, or read it into bytes first"
        )


def _check_name(src: str, rel: str, name: str) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        problem = "is not valid UTF-8"
    else:
        if "\\" not in name:
            return
        problem = "contains a backslash (a path separator to DVC on Windows)"
    raise MaterializerError(
        f"cannot save folder {src}: the name {rel!r} {problem}, which a DVC folder listing "
        "cannot hold: rename it"
    )


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def folder_files(src: str) -> list[tuple[str, str]]:
    """(relpath with `/`, path to read) of every file below `src`, sorted by relpath."""
    root = os.path.realpath(src)
    found: list[tuple[str, str]] = []

    def refuse(link: str, why: str) -> MaterializerError:
        return MaterializerError(f"cannot save folder {src}: the symlink {link} {why}; {RULE}")

    def visit(path: str, real: str, rel: str, active: frozenset[str]) -> None:
        with os.scandir(path) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            relpath = rel + entry.name
            _check_name(src, relpath, entry.name)
            entry_real = os.path.join(real, entry.name)
            if entry.is_symlink():
                entry_real = os.path.realpath(entry.path)
                if not os.path.exists(entry_real):
                    raise refuse(entry.path, "dangles (its target does not exist)")
                if not _inside(entry_real, root):
                    raise refuse(entry.path, f"points outside the folder (to {entry_real})")
            if entry.is_dir():
                if entry_real in active:
                    raise refuse(entry.path, "leads back into a folder that holds it (a loop)")
                visit(entry.path, entry_real, relpath + "/", active | {entry_real})
            else:
                require_regular(entry.path)
                found.append((relpath, entry.path))

    visit(src, root, "", frozenset({root}))
    return sorted(found)
