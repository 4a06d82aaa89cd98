"""Registry operations: versions, links, stages and lookups on the registry branch.

Every write is one `GitStore.transact`: the batch is rebuilt from the branch tip and
committed with compare-and-swap, so numbers are never handed out twice.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitreg import names
from gitreg.enums import ArtifactType, LinkKind, ModelStages
from gitreg.errors import (
    AmbiguousIdError,
    ArtifactNotFoundError,
    ArtifactVersionExistsError,
    GitregError,
    ManifestError,
    ModelNotFoundError,
    RegistryNotInitializedError,
    StageError,
)
from gitreg.manifest import layout
from gitreg.manifest.schema import (
    ArtifactEntity,
    ArtifactMeta,
    ArtifactVersionFile,
    DvcOut,
    IdEntry,
    LinkFile,
    MetadataFile,
    ModelEntity,
    ModelRef,
    ModelVersionFile,
    Ref,
    RegistryConfig,
    dump,
    now,
    parse,
)
from gitreg.services.records import (
    ArtifactVersionRecord,
    LinkRecord,
    ModelRecord,
    ModelVersionRecord,
)
from gitreg.stores.git import GitStore, Op, Put, Snapshot

if TYPE_CHECKING:
    # the data store (hashing, dvc-data) is imported when bytes move, not for reads
    from gitreg.stores.data import DataStore, RemoteSpec, StoredObject

log = logging.getLogger(__name__)

STAGE_NAMES = {s.value for s in ModelStages if s is not ModelStages.NONE}
FETCH_ONLY_STAGES = STAGE_NAMES


@dataclass(frozen=True)
class InitResult:
    branch: str
    remote: str
    created: bool


class _ParseCache:
    """Parsed manifests keyed by blob sha: content-addressed, so never stale.

    What reads parsed is kept up to `limit` entries, so a listing of 10,000 versions stays
    warm. What this process wrote is kept apart and only up to `written_limit`: reading a
    save back is free, but a loop of 10,000 saves does not keep the 40,000 records it wrote
    (~110 MB, and a slower full garbage collection) for reads that never come.
    """

    def __init__(self, limit: int = 50_000, written_limit: int = 1024) -> None:
        self._read: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._written: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.limit = limit
        self.written_limit = written_limit

    def __len__(self) -> int:
        return len(self._read) + len(self._written)

    def get(self, cls: type, sha: str) -> Any:
        key = (cls.__name__, sha)
        found = self._read.get(key)
        return found if found is not None else self._written.get(key)

    def put(self, cls: type, sha: str, value: Any) -> None:
        """Keep what a read parsed."""
        self._add(self._read, (cls.__name__, sha), value, self.limit)

    def put_written(self, cls: type, sha: str, value: Any) -> None:
        """Keep what this process wrote, for reading it back soon."""
        self._add(self._written, (cls.__name__, sha), value, self.written_limit)

    @staticmethod
    def _add(
        items: OrderedDict[tuple[str, str], Any], key: tuple[str, str], value: Any, limit: int
    ) -> None:
        items[key] = value
        if len(items) > limit:
            items.popitem(last=False)


def _new_id() -> str:
    return str(uuid.uuid4())


class Registry:
    """All registry operations of one repository."""

    def __init__(
        self, repo: str | os.PathLike[str] | None = None, branch: str | None = None
    ) -> None:
        self.git = GitStore(repo, branch)
        self._parsed = _ParseCache()
        self._data: DataStore | None = None
        self._data_key: str | None = None
        self._initialized = False

    @property
    def gitreg_dir(self) -> str:
        return os.path.join(self.git.common_dir, "gitreg")

    @property
    def default_remote(self) -> str:
        return os.path.join(self.gitreg_dir, "remote")

    # -- reading helpers ---------------------------------------------------------
    def _load(self, snap: Snapshot, cls: type, path: str) -> Any:
        sha = snap.blob_sha(path)
        if sha is None:
            return None
        return self._load_sha(snap, cls, path, sha)

    def _load_sha(self, snap: Snapshot, cls: type, path: str, sha: str) -> Any:
        obj = self._parsed.get(cls, sha)
        if obj is None:
            try:
                data = snap.objects.read_blob(sha)
            except KeyError:  # e.g. a submodule entry where a manifest should be
                raise ManifestError(path, "not a file git can read (a submodule?)") from None
            obj = parse(cls, data, path)
            self._parsed.put(cls, sha, obj)
        return obj

    def _put(self, path: str, obj: Any) -> Put:
        """A Put of `obj` as YAML; remembers the parsed form so reading it back is free."""
        from gitreg.stores.git.objects import blob_sha

        data = dump(obj)
        self._parsed.put_written(type(obj), blob_sha(data), obj)
        return Put(path, data)

    # -- init ----------------------------------------------------------------------
    def is_initialized(self, snap: Snapshot | None = None) -> bool:
        snap = snap or self.git.snapshot()
        return snap.exists(layout.CONFIG)

    def init(
        self, remote_url: str | None = None, remote_options: dict[str, str] | None = None
    ) -> InitResult:
        if (
            self.git.branch != "gitreg"
            and self.git.config().get("gitreg.branch") != self.git.branch
        ):
            self.git.set_config("gitreg.branch", self.git.branch)
        url = remote_url or self.default_remote
        if "://" not in url:
            url = os.path.abspath(url)

        def build(snap: Snapshot) -> tuple[list[Op], str, bool]:
            exists = snap.exists(layout.CONFIG)
            ops: list[Op] = []
            if not exists:
                ops.append(self._put(layout.CONFIG, RegistryConfig()))
                ops.append(Put(layout.DVC_YAML, b"artifacts: {}\n"))
            current = self._remote_from(snap)
            if not exists or (remote_url is not None and current.url != url):
                ops.append(Put(layout.DVC_CONFIG, _dvc_config("gitreg", url, remote_options or {})))
            return (
                ops,
                "gitreg: initialise registry" if not exists else "gitreg: set remote",
                not exists,
            )

        created, _ = self.git.transact(build)
        url = self._remote_from(self.git.snapshot()).url
        if url == self.default_remote:
            os.makedirs(os.path.join(url, "files", "md5"), exist_ok=True)
        self._data = None
        return InitResult(self.git.branch, url, created)

    def ensure_initialized(self) -> None:
        if self._initialized:
            return  # a registry branch is never un-initialised under a running client
        if not self.is_initialized():
            self.init()
        self._initialized = True

    def require_initialized(self, snap: Snapshot) -> None:
        if not snap.exists(layout.CONFIG):
            raise RegistryNotInitializedError(self.git.branch)

    def _remote_from(self, snap: Snapshot) -> RemoteSpec:
        from gitreg.stores.data import RemoteSpec

        raw = snap.read(layout.DVC_CONFIG)
        if raw is None:
            return RemoteSpec("gitreg", self.default_remote)
        import configparser

        parser = configparser.ConfigParser()
        try:
            parser.read_string(raw.decode())
        except (configparser.Error, UnicodeDecodeError) as e:
            raise ManifestError(layout.DVC_CONFIG, f"invalid DVC config: {e}") from None
        name = parser.get("core", "remote", fallback="gitreg")
        section = f"'remote \"{name}\"'"
        if not parser.has_section(section):
            raise ManifestError(
                layout.DVC_CONFIG, f"core.remote names {name!r}, which has no section"
            )
        opts = dict(parser.items(section))
        url = opts.pop("url", None)
        if not url:
            raise ManifestError(layout.DVC_CONFIG, f"remote {name!r} has no url")
        return RemoteSpec(name, url, opts)

    def data(self, snap: Snapshot | None = None) -> DataStore:
        snap = snap or self.git.snapshot()
        key = snap.blob_sha(layout.DVC_CONFIG) or ""
        if self._data is None or self._data_key != key:
            from gitreg.stores.data import DataStore

            self._data = DataStore(os.path.join(self.gitreg_dir, "cache"), self._remote_from(snap))
            self._data_key = key
        return self._data

    # -- artifacts: writing ----------------------------------------------------------
    def add_artifact_version(
        self,
        *,
        name: str,
        version: str | None,
        stored: StoredObject,
        artifact_type: ArtifactType,
        data_type: str,
        materializer: str,
        tags: list[str],
        user_metadata: dict[str, Any],
        run_metadata: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        producer: dict[str, str] | None = None,
    ) -> ArtifactVersionRecord:
        """Register bytes already pushed to the remote as a new artifact version."""
        art_id = _new_id()
        created = now()

        def build(snap: Snapshot) -> tuple[list[Op], str, ArtifactVersionRecord]:
            self.require_initialized(snap)
            entity_path = layout.artifact_entity(name)
            entity = self._load(snap, ArtifactEntity, entity_path) or ArtifactEntity(
                name=name, created=created
            )
            if version is None:
                number = entity.next_number
                while snap.exists(layout.artifact_version(name, str(number))):
                    number += 1
                ver = str(number)
            else:
                ver = version
                if snap.exists(layout.artifact_version(name, ver)):
                    raise ArtifactVersionExistsError(name, ver)
            seq = entity.count + 1
            next_number = entity.next_number
            if names.is_number(ver):
                next_number = max(next_number, int(ver) + 1)
            meta = ArtifactMeta(
                id=art_id,
                name=name,
                version=ver,
                seq=seq,
                type=artifact_type,
                data_type=data_type,
                materializer=materializer,
                created=created,
                tags=tags,
                user_metadata=user_metadata,
                run_metadata=run_metadata or {},
                extra=extra or {},
                producer=producer,
            )
            path = layout.artifact_version(name, ver)
            pointer = ArtifactVersionFile(
                outs=[DvcOut(md5=stored.md5, size=stored.size, path=ver, nfiles=stored.nfiles)],
                meta={"gitreg": meta},
            )
            new_entity = entity.model_copy(
                update={
                    "next_number": next_number,
                    "count": seq,
                    "latest": Ref(version=ver, id=art_id),
                }
            )
            ops: list[Op] = [
                self._put(path, pointer),
                self._put(entity_path, new_entity),
                self._put(layout.id_entry(art_id), IdEntry(kind="artifact_version", path=path)),
            ]
            return ops, f"gitreg: save artifact {name}@{ver}", self._artifact_record(pointer, path)

        record, _ = self.git.transact(build)
        return record

    @staticmethod
    def _artifact_record(f: ArtifactVersionFile, path: str) -> ArtifactVersionRecord:
        m = f.info
        out = f.outs[0]
        return ArtifactVersionRecord(
            id=m.id,
            name=m.name,
            version=m.version,
            seq=m.seq,
            md5=out.md5,
            size=out.size,
            nfiles=out.nfiles,
            type=m.type,
            data_type=m.data_type,
            materializer=m.materializer,
            created=m.created,
            path=path,
            tags=list(m.tags),
            user_metadata=dict(m.user_metadata),
            run_metadata=dict(m.run_metadata),
            extra=dict(m.extra),
            producer=m.producer,
        )

    # -- artifacts: reading ----------------------------------------------------------
    def _artifact_at(self, snap: Snapshot, path: str) -> ArtifactVersionRecord | None:
        f = self._load(snap, ArtifactVersionFile, path)
        return None if f is None else self._artifact_record(f, path)

    def get_artifact_version(
        self, name_or_id: str, version: str | None = None, snap: Snapshot | None = None
    ) -> ArtifactVersionRecord:
        snap = snap or self.git.snapshot()
        exact = (
            version is None
            and not names.looks_like_id(name_or_id)
            and snap.exists(layout.artifact_entity(name_or_id))
        )  # ZenML: an exact name wins over an id prefix
        if version is None and not exact and names.looks_like_id_prefix(name_or_id.lower()):
            key = names.normalize_id(name_or_id) or name_or_id.lower()
            found = self._resolve_id(snap, key, "artifact_version")
            if found is not None:
                rec = self._artifact_at(snap, found)
                if rec is not None:
                    return rec
        name = names.artifact_name(name_or_id)
        if version is None:
            entity = self._load(snap, ArtifactEntity, layout.artifact_entity(name))
            if entity is None or entity.latest is None:
                raise ArtifactNotFoundError(name)
            version = entity.latest.version
        else:
            version = names.version(version)
        rec = self._artifact_at(snap, layout.artifact_version(name, version))
        if rec is None:
            raise ArtifactNotFoundError(name, version)
        return rec

    def _resolve_id(self, snap: Snapshot, prefix: str, kind: str) -> str | None:
        """Manifest path of the object whose id starts with `prefix`, if exactly one."""
        compact = prefix
        if len(compact) < 4:
            return None
        if len(compact) >= 4:
            candidates: list[str] = []
            for name in snap.listdir(f"{layout.IDS}/{compact[:2]}/{compact[2:4]}"):
                if name.startswith(compact):
                    candidates.append(name)
            if not candidates:
                return None
            if len(candidates) > 1:
                raise AmbiguousIdError(prefix, candidates)
            entry = self._load(snap, IdEntry, layout.id_entry(candidates[0]))
            if entry is None or entry.kind != kind:
                return None
            return str(entry.path)
        return None

    def artifact_names(self, snap: Snapshot | None = None) -> list[str]:
        snap = snap or self.git.snapshot()
        return sorted(layout.unescape(n) for n in snap.listdir(layout.ARTIFACTS))

    def iter_artifact_versions(self, name: str, snap: Snapshot) -> Iterator[ArtifactVersionRecord]:
        base = layout.artifact_versions_dir(name)
        for path, sha in snap.walk_files(base):
            if not path.endswith(".dvc"):
                continue
            try:
                f = self._load_sha(snap, ArtifactVersionFile, path, sha)
            except ManifestError as e:
                log.warning("skipping %s", e)
                continue
            yield self._artifact_record(f, path)

    def list_artifact_versions(
        self,
        name: str | None = None,
        tag: str | None = None,
        snap: Snapshot | None = None,
    ) -> list[ArtifactVersionRecord]:
        snap = snap or self.git.snapshot()
        selected = [names.artifact_name(name)] if name else self.artifact_names(snap)
        out: list[ArtifactVersionRecord] = []
        for n in selected:
            out.extend(self.iter_artifact_versions(n, snap))
        if tag is not None:
            out = [r for r in out if tag in r.tags]
        out.sort(key=lambda r: (r.name, r.seq))
        return out

    # -- models ------------------------------------------------------------------------
    def _version_record(
        self, snap: Snapshot, entity: ModelEntity, version: str
    ) -> ModelVersionRecord | None:
        path = layout.model_version(entity.name, version)
        f = self._load(snap, ModelVersionFile, path)
        return None if f is None else _version_record(f, path, entity.stages.get(f.name))

    def _model_entity(self, snap: Snapshot, name: str) -> ModelEntity | None:
        return self._load(snap, ModelEntity, layout.model_entity(name))

    def get_model(self, name_or_id: str, snap: Snapshot | None = None) -> ModelRecord:
        snap = snap or self.git.snapshot()
        entity = None
        if names.looks_like_id_prefix(name_or_id.lower()):
            path = self._resolve_id(snap, name_or_id.lower(), "model")
            if path:
                entity = self._load(snap, ModelEntity, path)
        if entity is None:
            entity = self._model_entity(snap, names.model_name(name_or_id))
        if entity is None:
            raise ModelNotFoundError(name_or_id)
        return _model_record(entity)

    def list_models(self, snap: Snapshot | None = None) -> list[ModelRecord]:
        snap = snap or self.git.snapshot()
        out = []
        for name in sorted(snap.listdir(layout.MODELS)):
            try:
                entity = self._model_entity(snap, name)
            except ManifestError as e:
                log.warning("skipping %s", e)
                continue
            if entity is not None:
                out.append(_model_record(entity))
        return out

    def _find_version_name(self, snap: Snapshot, entity: ModelEntity, spec: str) -> str | None:
        """The version name that `spec` (name, number, id, 'latest' or stage) denotes."""
        if spec == ModelStages.LATEST.value:
            return entity.latest.name if entity.latest else None
        if spec in STAGE_NAMES:
            held = [v for v, s in entity.stages.items() if s == spec]
            if len(held) > 1:  # several archived versions: the newest one
                numbered = []
                for v in held:
                    f = self._load(snap, ModelVersionFile, layout.model_version(entity.name, v))
                    numbered.append((f.number if f else 0, v))
                return max(numbered)[1]
            return held[0] if held else None
        if snap.exists(layout.model_version(entity.name, spec)):
            return spec
        if names.is_number(spec):
            shard_dir = f"{layout.model_numbers_dir(entity.name)}/{layout.shard(spec)}"
            for entry in snap.listdir(shard_dir):
                number, _, name = entry.partition("@")
                if number == spec:
                    return name
        if names.looks_like_id_prefix(spec.lower()):
            path = self._resolve_id(snap, spec.lower(), "model_version")
            if path and path.startswith(layout.model_dir(entity.name) + "/"):
                f = self._load(snap, ModelVersionFile, path)
                return f.name if f else None
        return None

    def get_model_version(
        self, model: str, version: str | int | None = None, snap: Snapshot | None = None
    ) -> ModelVersionRecord:
        snap = snap or self.git.snapshot()
        name = names.model_name(model)
        entity = self._model_entity(snap, name)
        if entity is None:
            raise ModelNotFoundError(name)
        spec = "latest" if version is None else str(getattr(version, "value", version))
        found = self._find_version_name(snap, entity, spec)
        rec = self._version_record(snap, entity, found) if found else None
        if rec is None:
            raise ModelNotFoundError(name, spec)
        return rec

    def model_version_numbers(
        self, model: str, snap: Snapshot | None = None
    ) -> tuple[list[tuple[int, str]], dict[str, str]]:
        """(number, name) of every version, by number, and the stages: trees only, no
        manifest is parsed, so this stays fast with many versions."""
        snap = snap or self.git.snapshot()
        name = names.model_name(model)
        entity = self._model_entity(snap, name)
        if entity is None:
            raise ModelNotFoundError(name)
        out = []
        for entry in snap.fanout_names(layout.model_numbers_dir(name)):
            number, sep, version = entry.partition("@")
            if sep and number.isdigit():
                out.append((int(number), version))
        out.sort()
        return out, dict(entity.stages)

    def list_model_versions(
        self, model: str, snap: Snapshot | None = None
    ) -> list[ModelVersionRecord]:
        snap = snap or self.git.snapshot()
        name = names.model_name(model)
        entity = self._model_entity(snap, name)
        if entity is None:
            raise ModelNotFoundError(name)
        out = []
        for path, sha in snap.walk_files(layout.model_versions_dir(name)):
            if not path.endswith("/version.yaml"):
                continue
            try:
                f = self._load_sha(snap, ModelVersionFile, path, sha)
            except ManifestError as e:
                log.warning("skipping %s", e)
                continue
            out.append(_version_record(f, path, entity.stages.get(f.name)))
        out.sort(key=lambda r: r.number)
        return out

    def _create_version_ops(
        self,
        snap: Snapshot,
        entity: ModelEntity | None,
        model: str,
        version: str | None,
        description: str | None,
        tags: list[str],
        created: str,
    ) -> tuple[list[Op], ModelEntity, str]:
        """Ops creating a model (if new) and a version of it; returns (ops, entity, name)."""
        ops: list[Op] = []
        if entity is None:
            entity = ModelEntity(
                id=_new_id(), name=model, created=created, description=description, tags=tags
            )
            ops.append(
                Put(
                    layout.id_entry(entity.id),
                    dump(IdEntry(kind="model", path=layout.model_entity(model))),
                )
            )
        number = entity.next_number
        while any(
            e.partition("@")[0] == str(number)
            for e in snap.listdir(f"{layout.model_numbers_dir(model)}/{layout.shard(str(number))}")
        ):
            number += 1
        ver = version if version is not None else str(number)
        if snap.exists(layout.model_version(model, ver)):
            from gitreg.errors import ModelVersionExistsError

            raise ModelVersionExistsError(model, ver)
        mv = ModelVersionFile(
            id=_new_id(), model=model, name=ver, number=number, created=created,
            description=description, tags=tags,
        )  # fmt: skip
        path = layout.model_version(model, ver)
        ops += [
            self._put(path, mv),
            Put(layout.model_number(model, number, ver), b""),
            self._put(layout.id_entry(mv.id), IdEntry(kind="model_version", path=path)),
        ]
        entity = entity.model_copy(
            update={
                "next_number": number + 1,
                "count": entity.count + 1,
                "latest": ModelRef(name=ver, number=number, id=mv.id),
            }
        )
        ops.append(self._put(layout.model_entity(model), entity))
        return ops, entity, ver

    def ensure_model_version(
        self,
        model: str,
        version: str | None,
        *,
        description: str | None = None,
        tags: list[str] | None = None,
        create: bool = True,
    ) -> ModelVersionRecord:
        """ZenML's get-or-create: None makes a new numbered version; a name is created once;
        a number, 'latest' or a stage only fetch."""
        model = names.model_name(model)
        created = now()

        def build(snap: Snapshot) -> tuple[list[Op], str, str]:
            self.require_initialized(snap)
            entity = self._model_entity(snap, model)
            if version is not None:
                if entity is not None:
                    found = self._find_version_name(snap, entity, version)
                    if found is not None:
                        return [], "", found
                if not create or version in FETCH_ONLY_STAGES or names.is_number(version):
                    raise ModelNotFoundError(
                        model,
                        version,
                        ": numbers, 'latest' and stage names only fetch existing versions; "
                        "give a new version name to create one",
                    )
            ops, _, ver = self._create_version_ops(
                snap, entity, model, version, description, list(tags or []), created
            )
            return ops, f"gitreg: create model version {model}@{ver}", ver

        ver, _ = self.git.transact(build)
        return self.get_model_version(model, ver)

    def link(
        self, model: str, version: str, artifact_id: str, kind: LinkKind | None = None
    ) -> LinkRecord:
        """Link an artifact version to an existing model version; linking twice is a no-op."""
        created = now()

        def build(snap: Snapshot) -> tuple[list[Op], str, LinkRecord]:
            art = self.get_artifact_version(artifact_id, snap=snap)
            entity = self._model_entity(snap, model)
            if entity is None or not snap.exists(layout.model_version(model, version)):
                raise ModelNotFoundError(model, version)
            path = layout.model_link(model, version, art.name, art.version)
            existing = self._load(snap, LinkFile, path)
            if existing is not None and (kind is None or existing.kind is kind):
                return [], "", _link_record(model, version, existing)
            link = LinkFile(
                artifact=art.name,
                version=art.version,
                artifact_id=art.id,
                seq=art.seq,
                kind=kind or LinkKind.for_type(art.type),
                created=created,
            )
            ops: list[Op] = [self._put(path, link)]
            if link.kind is LinkKind.MODEL:
                ops.append(self._dvc_yaml_op(snap, model, art))
            return (
                ops,
                f"gitreg: link {art.name}@{art.version} to {model}@{version}",
                _link_record(model, version, link),
            )

        rec, _ = self.git.transact(build)
        return rec

    def _dvc_yaml_op(self, snap: Snapshot, model: str, art: ArtifactVersionRecord) -> Op:
        """dvc.yaml `artifacts:` lists each model at its newest model artifact."""
        from gitreg.manifest.yaml_io import dumps, loads

        raw = snap.read(layout.DVC_YAML)
        doc = (loads(raw, layout.DVC_YAML) if raw else None) or {}
        arts = dict(doc.get("artifacts") or {})
        arts[dvc_artifact_name(model)] = {
            "path": art.data_path,
            "type": "model",
            "meta": {"gitreg": {"model": model, "artifact": art.name, "version": art.version}},
        }
        doc["artifacts"] = dict(sorted(arts.items()))
        return Put(layout.DVC_YAML, dumps(doc))

    def links(
        self,
        model: str,
        version: str,
        snap: Snapshot | None = None,
        artifact: str | None = None,
    ) -> list[LinkRecord]:
        """Links of a model version (to one artifact's versions only, if given), oldest first."""
        snap = snap or self.git.snapshot()
        base = (
            layout.model_links_dir(model, version)
            if artifact is None
            else layout.model_artifact_links_dir(model, version, artifact)
        )
        out = []
        for path, sha in snap.walk_files(base):
            try:
                f = self._load_sha(snap, LinkFile, path, sha)
            except ManifestError as e:
                log.warning("skipping %s", e)
                continue
            out.append(_link_record(model, version, f))
        out.sort(key=lambda r: (r.seq, r.created))
        return out

    # -- metadata ----------------------------------------------------------------------
    def log_model_metadata(self, model: str, version: str, values: dict[str, Any]) -> None:
        created = now()
        entry = MetadataFile(created=created, values=values)
        base = layout.metadata_dir(layout.model_version_dir(model, version))

        def build(snap: Snapshot) -> tuple[list[Op], str, None]:
            if not snap.exists(layout.model_version(model, version)):
                raise ModelNotFoundError(model, version)
            path = f"{base}/{created.replace(':', '')}-{uuid.uuid4().hex[:8]}.yaml"
            return [self._put(path, entry)], f"gitreg: log metadata on {model}@{version}", None

        self.git.transact(build)

    def model_metadata(
        self, model: str, version: str, snap: Snapshot | None = None
    ) -> dict[str, Any]:
        snap = snap or self.git.snapshot()
        base = layout.metadata_dir(layout.model_version_dir(model, version))
        merged: dict[str, Any] = {}
        for path, sha in sorted(snap.walk_files(base)):
            try:
                f = self._load_sha(snap, MetadataFile, path, sha)
            except ManifestError as e:
                log.warning("skipping %s", e)
                continue
            merged.update(f.values)
        return merged

    # -- stages --------------------------------------------------------------------------
    def set_stage(self, model: str, version: str, stage: str, force: bool = False) -> str | None:
        """ZenML's rule: one version per stage (archived excepted); `force` archives the
        holder. Returns the version that was archived, if any."""
        stage = check_stage(model, stage)

        def build(snap: Snapshot) -> tuple[list[Op], str, str | None]:
            entity = self._model_entity(snap, model)
            if entity is None or not snap.exists(layout.model_version(model, version)):
                raise ModelNotFoundError(model, version)
            stages = dict(entity.stages)
            if stages.get(version) == stage:
                return [], "", None
            archived = None
            if stage != ModelStages.ARCHIVED.value:
                holders = [v for v, s in stages.items() if s == stage and v != version]
                if holders and not force:
                    raise StageError(
                        model,
                        stage,
                        f"model {model!r} already has version {holders[0]!r} in stage {stage!r}: "
                        "pass force=True to archive it and move the stage",
                    )
                for holder in holders:
                    stages[holder] = ModelStages.ARCHIVED.value
                    archived = holder
            if stage == ModelStages.NONE.value:
                stages.pop(version, None)
            else:
                stages[version] = stage
            new = entity.model_copy(update={"stages": dict(sorted(stages.items()))})
            msg = f"gitreg: {model}@{version} -> {stage}"
            if archived:
                msg += f" ({archived} archived)"
            return [self._put(layout.model_entity(model), new)], msg, archived

        archived, _ = self.git.transact(build)
        return archived


def check_stage(model: str, stage: object) -> str:
    """A stage a version can be put in (ModelStages, or its value), else StageError."""
    value = names.stage(stage)
    allowed = {s.value for s in ModelStages if s is not ModelStages.LATEST}
    if value not in allowed:
        raise StageError(
            model, value, f"{value!r} is not a stage: use one of {', '.join(sorted(allowed))}"
        )
    return value


def dvc_artifact_name(model: str) -> str:
    """DVC/GTO-compatible artifact id of a model name (lowercase, '-' for '.' and '_')."""
    out = "".join(c.lower() if c.isalnum() else "-" for c in model).strip("-")
    return out or "model"


def _model_record(e: ModelEntity) -> ModelRecord:
    return ModelRecord(
        id=e.id,
        name=e.name,
        created=e.created,
        description=e.description,
        tags=list(e.tags),
        count=e.count,
        latest=e.latest.name if e.latest else None,
        stages=dict(e.stages),
    )


def _version_record(f: ModelVersionFile, path: str, stage: str | None) -> ModelVersionRecord:
    return ModelVersionRecord(
        id=f.id,
        model=f.model,
        name=f.name,
        number=f.number,
        created=f.created,
        description=f.description,
        tags=list(f.tags),
        stage=stage,
        path=path,
    )


def _link_record(model: str, version: str, f: LinkFile) -> LinkRecord:
    return LinkRecord(
        model, version, f.artifact, f.version, f.artifact_id, f.kind, f.created, f.seq
    )


def _dvc_config(name: str, url: str, options: dict[str, str]) -> bytes:
    buf = io.StringIO()
    buf.write(f"[core]\n    remote = {name}\n")
    buf.write(f"['remote \"{name}\"']\n    url = {url}\n")
    for k, v in sorted(options.items()):
        buf.write(f"    {k} = {v}\n")
    return buf.getvalue().encode()


__all__ = ["GitregError", "InitResult", "Registry"]
