"""Artifact versions: save (materialize, store bytes, push, commit: data first), load, look up,
list, and their logged metadata."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitreg import names
from gitreg.enums import ArtifactType
from gitreg.errors import (
    AmbiguousIdError,
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    ArtifactVersionExistsError,
    StorageError,
)
from gitreg.manifest import layout
from gitreg.manifest.schema import (
    ArtifactEntity,
    ArtifactMeta,
    ArtifactVersionFile,
    DvcOut,
    IdEntry,
    MetadataFile,
    Ref,
    now,
)
from gitreg.services.registry import Registry, new_id
from gitreg.services.views import ArtifactVersion
from gitreg.stores.files import make_dirs
from gitreg.stores.git import Op, Snapshot

if TYPE_CHECKING:
    from gitreg.materializers.base import Materializer
    from gitreg.stores.data import DataStore, StoredObject

Progress = Callable[[int], None]


@dataclass(frozen=True)
class NewVersion:
    """What a save registers besides the bytes (validated by the caller)."""

    name: str
    version: str | None = None  # None: the next number
    tags: tuple[str, ...] = ()
    user_metadata: dict[str, Any] | None = None
    run_metadata: dict[str, Any] | None = None
    artifact_type: ArtifactType | None = None  # None: the materializer's choice
    producer: dict[str, str] | None = None  # the run and step that made it


# -- saving ---------------------------------------------------------------------------------
def save(
    reg: Registry,
    data: Any,
    new: NewVersion,
    materializer: Materializer | None = None,
    progress: Progress | None = None,
) -> ArtifactVersion:
    """Store `data`'s bytes in the cache and the remote, then commit its manifest."""
    stored = store(reg, data, new, materializer, progress)
    return reg.transact(lambda snap: stored.version_ops(reg, snap))


def store(
    reg: Registry,
    data: Any,
    new: NewVersion,
    materializer: Materializer | None = None,
    progress: Progress | None = None,
) -> Stored:
    """Store `data`'s bytes in the cache and push them to the remote (data first: the
    manifest that names them is committed only after this)."""
    from gitreg.materializers import registry as materializers
    from gitreg.stores.data.storage import why_failed

    reg.require_writable()
    reg.ensure_initialized()
    snap = reg.snapshot()
    if new.version is not None and snap.exists(layout.artifact_version(new.name, new.version)):
        raise ArtifactVersionExistsError(new.name, new.version)  # before any byte is stored
    mat = materializer or materializers.for_object(data)
    store = reg.data(snap)
    try:
        obj = _store(reg, store, data, mat, progress)
    except OSError as e:
        raise StorageError(
            "write the local cache in",
            reg.gitreg_dir,
            why_failed(e),
            "nothing was registered. Free some space and retry.",
        ) from e
    store.push(obj, progress)
    return Stored(
        new,
        obj,
        artifact_type=new.artifact_type or mat.artifact_type_for(data),
        data_type=f"{type(data).__module__}.{type(data).__qualname__}",
        materializer=mat.name,
        extra=mat.extra(data),
    )


def _store(
    reg: Registry, store: DataStore, data: Any, mat: Materializer, progress: Progress | None
) -> StoredObject:
    fast = mat.to_bytes(data)
    if fast is not None:
        return store.add_bytes(fast)
    if mat.name == "path":
        return store.add_path(os.fspath(data), progress)
    scratch = os.path.join(reg.gitreg_dir, "tmp")
    make_dirs(scratch)
    tmp = tempfile.mkdtemp(prefix="save-", dir=scratch)
    try:
        target = os.path.join(tmp, mat.file_name)
        mat.save(data, target)
        return store.add_path(target, progress)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class Stored:
    """Bytes in the cache and the remote, waiting for the manifest that registers them."""

    new: NewVersion
    obj: StoredObject
    artifact_type: ArtifactType
    data_type: str
    materializer: str
    extra: dict[str, Any]
    id: str = field(default_factory=new_id)
    created: str = field(default_factory=now)

    def version_ops(self, reg: Registry, snap: Snapshot) -> tuple[list[Op], str, ArtifactVersion]:
        """The ops registering these bytes as the next (or the named) version on `snap`."""
        reg.require_initialized(snap)
        new, name = self.new, self.new.name
        entity_path = layout.artifact_entity(name)
        entity = reg.load(snap, ArtifactEntity, entity_path) or ArtifactEntity(
            name=name, created=self.created
        )
        if new.version is None:
            number = entity.next_number
            while snap.exists(layout.artifact_version(name, str(number))):
                number += 1
            ver = str(number)
        else:
            ver = new.version
            if snap.exists(layout.artifact_version(name, ver)):
                raise ArtifactVersionExistsError(name, ver)
        seq = entity.count + 1
        next_number = entity.next_number
        if names.is_number(ver):
            next_number = max(next_number, int(ver) + 1)
        meta = ArtifactMeta(
            id=self.id,
            name=name,
            version=ver,
            seq=seq,
            type=self.artifact_type,
            data_type=self.data_type,
            materializer=self.materializer,
            created=self.created,
            tags=list(new.tags),
            user_metadata=new.user_metadata or {},
            run_metadata=new.run_metadata or {},
            extra=self.extra,
            producer=new.producer,
        )
        path = layout.artifact_version(name, ver)
        out = DvcOut(md5=self.obj.md5, size=self.obj.size, path=ver, nfiles=self.obj.nfiles)
        pointer = ArtifactVersionFile(outs=[out], meta={"gitreg": meta})
        new_entity = entity.model_copy(
            update={
                "next_number": next_number,
                "count": seq,
                "latest": Ref(version=ver, id=self.id),
            }
        )
        ops: list[Op] = [
            reg.put(path, pointer),
            reg.put(entity_path, new_entity),
            reg.put(layout.id_entry(self.id), IdEntry(kind="artifact_version", path=path)),
        ]
        return ops, f"gitreg: save artifact {name}@{ver}", ArtifactVersion(pointer, path)


# -- loading --------------------------------------------------------------------------------
def load(reg: Registry, av: ArtifactVersion, progress: Progress | None = None) -> Any:
    """The object that was saved, from a verified copy of its bytes."""
    from gitreg.materializers import registry as materializers
    from gitreg.stores.data import StoredObject

    meta, out = av.meta, av.out
    mat = materializers.by_name(meta.materializer)
    mat.check_load(meta.extra)
    store = reg.data()
    data_type = _imported_type(meta.data_type)
    if out.md5.endswith(".dir"):
        from gitreg.tempdirs import new_dir

        dest = new_dir()
        store.checkout(StoredObject(out.md5, out.size, out.nfiles), dest, progress)
        return mat.load(dest, data_type)
    path = store.ensure(out.md5, progress)
    size = os.path.getsize(path)
    if size != out.size:  # the manifest and the object disagree: never return it
        raise ArtifactIntegrityError(
            out.md5, "manifest", f"{av.path} records {out.size} bytes, the object has {size}"
        )
    return mat.load(path, data_type)


def export(reg: Registry, av: ArtifactVersion, dest: str, progress: Progress | None = None) -> None:
    """Write the stored bytes (a file or a folder) to `dest`."""
    from gitreg.stores.data import StoredObject

    out = av.out
    reg.data().checkout(StoredObject(out.md5, out.size, out.nfiles), dest, progress)


def uri(reg: Registry, av: ArtifactVersion) -> str:
    """Where the bytes live in the DVC remote."""
    remote = reg.data().remote.url.rstrip("/")
    md5 = av.out.md5
    return f"{remote}/files/md5/{md5[:2]}/{md5[2:]}"


def _imported_type(qualified: str) -> type | None:
    """The class a version was saved from, if its module is imported already (never import)."""
    module, _, qual = qualified.rpartition(".")
    obj: Any = sys.modules.get(module)
    if obj is None:
        return None
    for part in qual.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if isinstance(obj, type) else None


# -- looking up -----------------------------------------------------------------------------
def at_path(reg: Registry, snap: Snapshot, path: str) -> ArtifactVersion | None:
    f = reg.load(snap, ArtifactVersionFile, path)
    return None if f is None else ArtifactVersion(f, path)


def resolve_id(reg: Registry, snap: Snapshot, prefix: str, kind: str) -> str | None:
    """Manifest path of the object whose id starts with `prefix` (4+ hex digits), if one."""
    if len(prefix) < 4:
        return None
    candidates = [
        name
        for name in snap.listdir(f"{layout.IDS}/{prefix[:2]}/{prefix[2:4]}")
        if name.startswith(prefix)
    ]
    if not candidates:
        return None
    if len(candidates) > 1:
        raise AmbiguousIdError(prefix, candidates)
    entry = reg.load(snap, IdEntry, layout.id_entry(candidates[0]))
    if entry is None or entry.kind != kind:
        return None
    return entry.path


def get(
    reg: Registry, name_or_id: str, version: str | None = None, snap: Snapshot | None = None
) -> ArtifactVersion:
    """A version by name (latest, or `version`), full id or id prefix."""
    snap = snap or reg.snapshot()
    exact = (
        version is None
        and not names.looks_like_id(name_or_id)
        and snap.exists(layout.artifact_entity(name_or_id))
    )  # ZenML: an exact name wins over an id prefix
    if version is None and not exact and names.looks_like_id_prefix(name_or_id.lower()):
        key = names.normalize_id(name_or_id) or name_or_id.lower()
        found = resolve_id(reg, snap, key, "artifact_version")
        if found is not None:
            av = at_path(reg, snap, found)
            if av is not None and av.meta.id.startswith(key):
                return av
    name = names.artifact_name(name_or_id)
    if version is None:
        entity = reg.load(snap, ArtifactEntity, layout.artifact_entity(name))
        if entity is None or entity.latest is None:
            raise ArtifactNotFoundError(name)
        version = entity.latest.version
    else:
        version = names.version(version)
    av = at_path(reg, snap, layout.artifact_version(name, version))
    if av is None:
        raise ArtifactNotFoundError(name, version)
    return av


def entity(reg: Registry, name: str) -> ArtifactEntity | None:
    return reg.load(reg.snapshot(), ArtifactEntity, layout.artifact_entity(name))


def latest_version(reg: Registry, snap: Snapshot, name: str) -> str | None:
    entity = reg.load(snap, ArtifactEntity, layout.artifact_entity(name))
    return entity.latest.version if entity is not None and entity.latest else None


def names_at(snap: Snapshot) -> list[str]:
    return sorted(layout.unescape(n) for n in snap.listdir(layout.ARTIFACTS))


def list_versions(
    reg: Registry, name: str | None = None, tag: str | None = None, snap: Snapshot | None = None
) -> list[ArtifactVersion]:
    """Versions oldest first per name (every name, or one)."""
    snap = snap or reg.snapshot()
    out: list[ArtifactVersion] = []
    for n in [names.artifact_name(name)] if name else names_at(snap):
        found = reg.load_all(snap, ArtifactVersionFile, layout.artifact_versions_dir(n), ".dvc")
        out.extend(ArtifactVersion(f, path) for path, f in found)
    if tag is not None:
        out = [av for av in out if tag in av.meta.tags]
    out.sort(key=lambda av: (av.meta.name, av.meta.seq))
    return out


# -- metadata -------------------------------------------------------------------------------
def log_metadata(reg: Registry, av: ArtifactVersion, values: dict[str, Any]) -> None:
    """Attach metadata (validated by the caller) to a version: one file per call."""
    created = now()
    entry = MetadataFile(created=created, values=values)
    base = layout.artifact_metadata_dir(av.meta.name, av.meta.version)

    def build(snap: Snapshot) -> tuple[list[Op], str, None]:
        path = f"{base}/{created.replace(':', '')}-{uuid.uuid4().hex[:8]}.yaml"
        message = f"gitreg: log metadata on {av.meta.name}@{av.meta.version}"
        return [reg.put(path, entry)], message, None

    reg.transact(build)


def metadata(reg: Registry, av: ArtifactVersion, snap: Snapshot | None = None) -> dict[str, Any]:
    """What the version was saved with, then later logs (the latest value per key)."""
    snap = snap or reg.snapshot()
    merged = dict(av.meta.run_metadata)
    base = layout.artifact_metadata_dir(av.meta.name, av.meta.version)
    for f in sorted_metadata(reg, snap, base):
        merged.update(f.values)
    return merged


def sorted_metadata(reg: Registry, snap: Snapshot, base: str) -> list[MetadataFile]:
    """The metadata files below `base` in the order they were logged (file names sort so)."""
    return [f for _, f in reg.load_all(snap, MetadataFile, base)]
