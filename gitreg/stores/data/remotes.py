"""Remotes: where the data store keeps the copy of each object that clones share.

`Remote` is the whole interface. A local folder is read and written as plain files; every
other URL (s3://, gs://, ssh://, ...) goes through dvc-data, imported on first use. Both
use the DVC 3 layout, so `dvc pull` reads what gitreg pushed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, BinaryIO, Protocol

from gitreg.stores.data.objects import (
    Listed,
    install,
    list_folder,
    oid_of,
    oid_path,
    remove_from_folder,
)
from gitreg.stores.files import make_dirs, remove_quietly, tmp_name

Progress = Callable[[int], None]  # called with the bytes copied since its last call
CHUNK = 1 << 20


class Remote(Protocol):
    """Content-addressed object storage (see `memory.MemoryRemote` for a fake)."""

    def exists(self, oid: str) -> bool:
        """Whether the remote holds `oid`."""
        ...

    def put(self, oid: str, path: str, progress: Progress | None = None) -> None:
        """Store the verified cache file at `path` as `oid`, never leaving a partial object
        under that name; an object already there is left alone. `progress` hears the bytes
        as they are copied."""
        ...

    def open(self, oid: str) -> BinaryIO:
        """The object's bytes, unverified; FileNotFoundError if the remote lacks it."""
        ...

    def list_objects(self) -> Iterator[Listed]:
        """Every object the remote holds (temp files and foreign files are skipped)."""
        ...

    def remove(self, oids: Sequence[str]) -> None:
        """Remove these objects; one that is already gone is no error."""
        ...


class RemoteSpec:
    """A DVC remote: its name, URL and options as written in `.dvc/config`."""

    def __init__(self, name: str, url: str, options: dict[str, str] | None = None) -> None:
        self.name = name
        self.url = url
        self.options = dict(options or {})

    @property
    def is_local(self) -> bool:
        return "://" not in self.url or self.url.startswith("file://")

    @property
    def local_path(self) -> str:
        return self.url[len("file://") :] if self.url.startswith("file://") else self.url


class LocalRemote:
    """A folder. Each object is its own copy of the cache's file; with `hard_links` (the
    embedded remote, which shares the cache's disk anyway) it is a hard link where the file
    system allows one."""

    def __init__(self, root: str, hard_links: bool = False) -> None:
        self.root = root
        self.hard_links = hard_links

    def exists(self, oid: str) -> bool:
        return os.path.exists(oid_path(self.root, oid))

    def put(self, oid: str, path: str, progress: Progress | None = None) -> None:
        dest = oid_path(self.root, oid)
        make_dirs(os.path.dirname(dest))
        if self.hard_links:
            try:
                os.link(path, dest)  # a link appears whole or not at all
                return
            except FileExistsError:
                return
            except OSError:
                pass  # another file system, or one without hard links: copy
        tmp = tmp_name(dest)
        try:
            if progress is None:
                import shutil  # lazily: most processes never push

                shutil.copyfile(path, tmp)  # the OS's fastest copy
            else:
                with open(path, "rb") as src, open(tmp, "wb") as out:
                    while chunk := src.read(CHUNK):
                        out.write(chunk)
                        progress(len(chunk))
            install(tmp, dest)
        except BaseException:
            remove_quietly(tmp)
            raise

    def open(self, oid: str) -> BinaryIO:
        return open(oid_path(self.root, oid), "rb")

    def list_objects(self) -> Iterator[Listed]:
        return list_folder(self.root)

    def remove(self, oids: Sequence[str]) -> None:
        remove_from_folder(self.root, oids)


class DvcRemote:
    """Any remote URL DVC knows, through dvc-data's object database at `<url>/files/md5`.

    Failures come out as OSError, as the `Remote` protocol says: the file systems behind
    dvc-data raise their own errors too (botocore's NoCredentialsError, DVC's config
    errors), which would otherwise escape every caller's handling."""

    def __init__(self, spec: RemoteSpec) -> None:
        self.spec = spec
        self._odb: Any = None

    @property
    def odb(self) -> Any:
        if self._odb is None:
            from dvc.fs import get_cloud_fs
            from dvc_data.hashfile.db import HashFileDB

            with _os_errors():
                cls, conf, fs_path = get_cloud_fs({}, url=self.spec.url, **self.spec.options)
                fs = cls(**conf)
                self._odb = HashFileDB(fs, fs.join(fs_path, "files", "md5"))
        return self._odb

    def exists(self, oid: str) -> bool:
        with _os_errors():
            return bool(self.odb.exists(oid))

    def put(self, oid: str, path: str, progress: Progress | None = None) -> None:
        from dvc_objects.fs.local import localfs

        # not build(upload=True): it leaves temp objects in the remote (DESIGN.md)
        if progress is None:
            with _os_errors():
                self.odb.add(path, localfs, oid)
            return
        from fsspec.callbacks import Callback

        tell = progress

        class _Bytes(Callback):  # type: ignore[misc]
            done = 0

            def call(self, *args: Any, **kwargs: Any) -> None:
                if self.value > self.done:
                    tell(self.value - self.done)
                    self.done = self.value

        class _Files(Callback):  # type: ignore[misc]
            """dvc-objects counts files on this one, and each file's bytes on a branch."""

            def branched(self, *args: Any, **kwargs: Any) -> Callback:
                return copied

        copied = _Bytes()
        with _os_errors():
            self.odb.add(path, localfs, oid, callback=_Files())
        rest = os.path.getsize(path) - copied.done  # a file system that copies untold (local)
        if rest > 0:
            progress(rest)

    def open(self, oid: str) -> BinaryIO:
        with _os_errors():
            f: BinaryIO = self.odb.fs.open(self.odb.oid_to_path(oid), "rb")
        return f

    def list_objects(self) -> Iterator[Listed]:
        with _os_errors():
            odb = self.odb
            root = odb.fs.parts(odb.path)
            # one listing with details (fsspec's find), not a request per object
            found = odb.fs.fs.find(odb.path, detail=True)
            if not isinstance(found, dict):  # dvc's local file system lists names only
                found = {path: odb.fs.info(path) for path in found}
        for path, info in sorted(found.items()):
            parts = odb.fs.parts(path)[len(root) :]
            oid = oid_of(parts[0], parts[1]) if len(parts) == 2 else None
            if oid is not None and info.get("type", "file") == "file":
                yield Listed(oid, int(info.get("size") or 0), _mtime(info))

    def remove(self, oids: Sequence[str]) -> None:
        if not oids:
            return
        with _os_errors():
            paths = [self.odb.oid_to_path(oid) for oid in oids]
            try:
                self.odb.fs.rm(paths)  # one batched request where the file system has one
            except FileNotFoundError:
                for path in paths:  # some were gone: remove the rest one by one
                    try:
                        self.odb.fs.rm_file(path)
                    except FileNotFoundError:
                        pass


@contextmanager
def _os_errors() -> Iterator[None]:
    """Any failure of a backend as OSError (its first line as the reason)."""
    try:
        yield
    except OSError:
        raise
    except Exception as e:
        text = str(e).strip()
        raise OSError(text.splitlines()[0] if text else type(e).__name__) from e


def _mtime(info: dict[str, Any]) -> float | None:
    """When an object was last written, from the details fsspec gives (they differ by
    file system: S3 says LastModified, a local folder mtime, GCS updated)."""
    from datetime import datetime

    for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
        value = info.get(key)
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def open_remote(spec: RemoteSpec, hard_links: bool = False) -> Remote:
    """The backend for `spec`'s URL: a plain folder when it is local, dvc-data otherwise."""
    if spec.is_local:
        return LocalRemote(spec.local_path, hard_links)
    return DvcRemote(spec)
