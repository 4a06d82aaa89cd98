"""Object ids and where an object lives in a DVC 3 layout (`<root>/files/md5/xx/yyyy…`)."""

from __future__ import annotations

import os
import re
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


def oid_path(root: str, oid: str) -> str:
    """Where `oid` lives below `root`; an id that is not an md5 is refused."""
    if OID_RE.fullmatch(oid) is None:  # never let a manifest name a path of its choosing
        raise ArtifactIntegrityError(str(oid)[:80], "manifest", "not an md5 object id")
    return os.path.join(root, "files", "md5", oid[:2], oid[2:])


def install(tmp: str, dest: str) -> None:
    """Move a finished temp file into place read-only (objects are immutable)."""
    os.chmod(tmp, 0o444)
    os.replace(tmp, dest)  # same name means same content, so replacing is harmless
