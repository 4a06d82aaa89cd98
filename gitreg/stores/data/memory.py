"""An in-memory remote for tests of the layers above the data store.

    store = DataStore(cache_dir, RemoteSpec("mem", "memory://test"), backend=MemoryRemote())

`objects` maps object ids to bytes; a test may read it, or change it to play a damaged
remote. `written` holds when each object was put (a test may age one).
"""

from __future__ import annotations

import errno
import io
import time
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from gitreg.stores.data.objects import Listed


class MemoryRemote:
    """A `Remote` that keeps objects in a dict."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.written: dict[str, float] = {}

    def exists(self, oid: str) -> bool:
        return oid in self.objects

    def put(self, oid: str, path: str, progress: Callable[[int], None] | None = None) -> None:
        with open(path, "rb") as f:
            if oid not in self.objects:
                self.objects[oid] = f.read()
                self.written[oid] = time.time()
                if progress is not None:
                    progress(len(self.objects[oid]))

    def open(self, oid: str) -> BinaryIO:
        try:
            return io.BytesIO(self.objects[oid])
        except KeyError:
            raise FileNotFoundError(errno.ENOENT, "not in the memory remote", oid) from None

    def list_objects(self) -> Iterator[Listed]:
        for oid, data in sorted(self.objects.items()):
            yield Listed(oid, len(data), self.written.get(oid))

    def remove(self, oids: Sequence[str]) -> None:
        for oid in oids:
            self.objects.pop(oid, None)
            self.written.pop(oid, None)
