"""Object ids and where an object lives in a DVC 3 layout (`<root>/files/md5/xx/yyyy…`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from gitreg.errors import ArtifactIntegrityError

CHUNK = 1 << 20
OID_RE = re.compile(r"[0-9a-f]{32}(\.dir)?")


@dataclass(frozen=True)
class StoredObject:
    md5: str  # ends with ".dir" for folders
    size: int
    nfiles: int | None = None

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")


@dataclass(frozen=True)
class Listed:
    """An object found in a store: its id, size and last-modified time (None if unknown)."""

    oid: str
    size: int
    mtime: float | None

    @property
    def is_dir(self) -> bool:
        return self.oid.endswith(".dir")


def oid_of(fanout: str, rest: str) -> str | None:
    """The object id stored as `<fanout>/<rest>`, None for anything else (a temp file)."""
    oid = fanout + rest
    return oid if len(fanout) == 2 and OID_RE.fullmatch(oid) else None


def list_folder(root: str) -> Iterator[Listed]:
    """Every object below a local DVC-layout folder `root` (none if it does not exist)."""
    base = os.path.join(root, "files", "md5")
    try:
        fanouts = sorted(os.listdir(base))
    except FileNotFoundError:
        return
    for fanout in fanouts:
        try:
            entries = sorted(os.scandir(os.path.join(base, fanout)), key=lambda e: e.name)
        except (NotADirectoryError, FileNotFoundError):
            continue
        for entry in entries:
            oid = oid_of(fanout, entry.name)
            if oid is None:
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # removed meanwhile
                continue
            yield Listed(oid, st.st_size, st.st_mtime)


def remove_from_folder(root: str, oids: Iterable[str]) -> None:
    """Remove objects from a local DVC-layout folder; one already gone is no error, and a
    fan-out folder left empty is removed too."""
    emptied = set()
    for oid in oids:
        path = oid_path(root, oid)
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        emptied.add(os.path.dirname(path))
    for folder in emptied:
        try:
            os.rmdir(folder)
        except OSError:  # not empty (or shared): kept
            pass


def oid_path(root: str, oid: str) -> str:
    """Where `oid` lives below `root`; an id that is not an md5 is refused."""
    if OID_RE.fullmatch(oid) is None:  # never let a manifest name a path of its choosing
        raise ArtifactIntegrityError(str(oid)[:80], "manifest", "not an md5 object id")
    return os.path.join(root, "files", "md5", oid[:2], oid[2:])


def install(tmp: str, dest: str) -> None:
    """Move a finished temp file into place read-only (objects are immutable)."""
    os.chmod(tmp, 0o444)
    os.replace(tmp, dest)  # same name means same content, so replacing is harmless
