"""An in-memory remote for tests of the layers above the data store.

    store = DataStore(cache_dir, RemoteSpec("mem", "memory://test"), backend=MemoryRemote())

`objects` maps object ids to bytes; a test may read it, or change it to play a damaged
remote.
"""

from __future__ import annotations

import errno
import io
from typing import BinaryIO


class MemoryRemote:
    """A `Remote` that keeps objects in a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def exists(self, oid: str) -> bool:
        return oid in self.objects

    def put(self, oid: str, path: str) -> None:
        with open(path, "rb") as f:
            self.objects.setdefault(oid, f.read())

    def open(self, oid: str) -> BinaryIO:
        try:
            return io.BytesIO(self.objects[oid])
        except KeyError:
            raise FileNotFoundError(errno.ENOENT, "not in the memory remote", oid) from None
