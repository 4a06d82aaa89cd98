"""Models and model versions: get-or-create, look up by name, number, id, 'latest' or stage,
list, stages, and logged metadata."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from gitreg import names
from gitreg.enums import ModelStages
from gitreg.errors import (
    ManifestError,
    ModelExistsError,
    ModelNotFoundError,
    ModelVersionExistsError,
    StageError,
)
from gitreg.manifest import layout
from gitreg.manifest.schema import (
    CodeRef,
    IdEntry,
    MetadataFile,
    ModelEntity,
    ModelRef,
    ModelVersionFile,
    now,
)
from gitreg.services import links
from gitreg.services import tags as gtags
from gitreg.services.artifacts import resolve_id, sorted_metadata
from gitreg.services.registry import Registry, new_id
from gitreg.services.views import ModelVersion
from gitreg.stores.git import Op, Put, Snapshot
from gitreg.stores.git.tags import NewTag

log = logging.getLogger(__name__)
STAGE_NAMES = frozenset(s.value for s in ModelStages if s is not ModelStages.NONE)


def check_stage(model: str, stage: object) -> str:
    """A stage a version can be put in (ModelStages, or its value), else StageError."""
    value = names.stage(stage)
    allowed = {s.value for s in ModelStages if s is not ModelStages.LATEST}
    if value not in allowed:
        raise StageError(
            model, value, f"{value!r} is not a stage: use one of {', '.join(sorted(allowed))}"
        )
    return value


# -- models ---------------------------------------------------------------------------------
def entity(reg: Registry, snap: Snapshot, name: str) -> ModelEntity | None:
    return reg.load(snap, ModelEntity, layout.model_entity(name))


def get(reg: Registry, name_or_id: str, snap: Snapshot | None = None) -> ModelEntity:
    snap = snap or reg.snapshot()
    found = None
    if names.looks_like_id_prefix(name_or_id.lower()):
        path = resolve_id(reg, snap, name_or_id.lower(), "model")
        if path:
            found = reg.load(snap, ModelEntity, path)
            if found is not None and not found.id.startswith(name_or_id.lower()):
                found = None  # an `ids/` entry pointing at another model's manifest
    if found is None:
        found = entity(reg, snap, names.model_name(name_or_id))
    if found is None:
        raise ModelNotFoundError(name_or_id)
    return found


def new_dvc_name(reg: Registry, snap: Snapshot, name: str) -> str:
    """The GTO/DVC name of a new model: its mapping, made distinct from every other model's."""
    return gtags.new_dvc_name({gtags.dvc_name_of(e) for e in list_all(reg, snap)}, name)


def list_all(reg: Registry, snap: Snapshot | None = None) -> list[ModelEntity]:
    snap = snap or reg.snapshot()
    out = []
    for name in sorted(snap.listdir(layout.MODELS)):
        try:
            e = entity(reg, snap, name)
        except ManifestError as err:  # one broken model never hides the others
            log.warning("skipping %s", err)
            continue
        if e is not None:
            out.append(e)
    return out


def create(
    reg: Registry,
    name: str,
    description: str | None,
    tags: list[str],
    card: dict[str, Any],
) -> ModelEntity:
    """A new model with no versions (ZenML's `create_model`); an existing one is an error."""
    reg.ensure_initialized()
    created = now()

    def build(snap: Snapshot) -> tuple[list[Op], str, ModelEntity]:
        reg.require_initialized(snap)
        if entity(reg, snap, name) is not None:
            raise ModelExistsError(name)
        e = ModelEntity(
            id=new_id(), name=name, created=created, description=description, tags=tags,
            dvc_name=new_dvc_name(reg, snap, name), **card,
        )  # fmt: skip
        ops: list[Op] = [
            reg.put(layout.id_entry(e.id), IdEntry(kind="model", path=layout.model_entity(name))),
            reg.put(layout.model_entity(name), e),
        ]
        return ops, f"gitreg: create model {name}", e

    return reg.transact(build)


# -- versions -------------------------------------------------------------------------------
def _version_at(reg: Registry, snap: Snapshot, e: ModelEntity, version: str) -> ModelVersion | None:
    path = layout.model_version(e.name, version)
    f = reg.load(snap, ModelVersionFile, path)
    return None if f is None else ModelVersion(f, e.stages.get(f.name), path)


def find_version_name(reg: Registry, snap: Snapshot, e: ModelEntity, spec: str) -> str | None:
    """The version name that `spec` (name, number, id, 'latest' or stage) denotes."""
    if spec == ModelStages.LATEST.value:
        return e.latest.name if e.latest else None
    if spec in STAGE_NAMES:
        held = [v for v, s in e.stages.items() if s == spec]
        if len(held) > 1:  # several archived versions: the newest one
            numbered = []
            for v in held:
                f = reg.load(snap, ModelVersionFile, layout.model_version(e.name, v))
                numbered.append((f.number if f else 0, v))
            return max(numbered)[1]
        return held[0] if held else None
    if snap.exists(layout.model_version(e.name, spec)):
        return spec
    if names.is_number(spec):
        for entry in snap.listdir(f"{layout.model_numbers_dir(e.name)}/{layout.shard(spec)}"):
            number, _, name = entry.partition("@")
            if number == spec:
                return name
    if names.looks_like_id_prefix(spec.lower()):
        path = resolve_id(reg, snap, spec.lower(), "model_version")
        if path and path.startswith(layout.model_dir(e.name) + "/"):
            f = reg.load(snap, ModelVersionFile, path)
            if f is not None and f.id.startswith(spec.lower()):
                return f.name
    return None


def get_version(
    reg: Registry, model: str, version: str | None = None, snap: Snapshot | None = None
) -> ModelVersion:
    """A version by name, number, id, 'latest' (also for None) or stage."""
    snap = snap or reg.snapshot()
    name = names.model_name(model)
    e = entity(reg, snap, name)
    if e is None:
        raise ModelNotFoundError(name)
    spec = "latest" if version is None else version
    found = find_version_name(reg, snap, e, spec)
    mv = _version_at(reg, snap, e, found) if found else None
    if mv is None:
        raise ModelNotFoundError(name, spec)
    return mv


def version_numbers(
    reg: Registry, model: str, snap: Snapshot | None = None
) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """(number, name) of every version, by number, and the stages: trees only, no manifest
    is parsed, so this stays fast with many versions."""
    snap = snap or reg.snapshot()
    name = names.model_name(model)
    e = entity(reg, snap, name)
    if e is None:
        raise ModelNotFoundError(name)
    out = []
    for entry in snap.fanout_names(layout.model_numbers_dir(name)):
        number, sep, version = entry.partition("@")
        if sep and number.isdigit():
            out.append((int(number), version))
    out.sort()
    return out, dict(e.stages)


def list_versions(reg: Registry, model: str, snap: Snapshot | None = None) -> list[ModelVersion]:
    snap = snap or reg.snapshot()
    name = names.model_name(model)
    e = entity(reg, snap, name)
    if e is None:
        raise ModelNotFoundError(name)
    found = reg.load_all(snap, ModelVersionFile, layout.model_versions_dir(name), "/version.yaml")
    out = [ModelVersion(f, e.stages.get(f.name), path) for path, f in found]
    out.sort(key=lambda mv: mv.file.number)
    return out


@dataclass(frozen=True)
class VersionRequest:
    """A model version to fetch or create, as ZenML's `Model(name, version)` asks for it
    (validated by the caller)."""

    model: str
    version: str | None = None  # None: a new numbered version
    description: str | None = None
    tags: tuple[str, ...] = ()
    card: dict[str, Any] | None = None  # ZenML's model card, kept if the model is new
    code: CodeRef | None = None  # None: the user's checkout now
    create: bool = True  # False: `version` is the exact name of an existing version


@dataclass(frozen=True)
class VersionOps:
    """What `version_ops` found or will create: no ops if the version exists."""

    ops: list[Op]
    entity: ModelEntity
    file: ModelVersionFile
    created: bool

    def tags(self, reg: Registry, snap: Snapshot, commit: str) -> list[NewTag]:
        """The tag a version created by `commit` gets (none for a version fetched)."""
        if not self.created:
            return []
        return gtags.version_created(reg, snap, self.entity, self.file, commit)


def version_ops(reg: Registry, snap: Snapshot, req: VersionRequest, created: str) -> VersionOps:
    """ZenML's get-or-create on `snap`: None makes a new numbered version; a name is created
    once; a number, 'latest' or a stage only fetch."""
    e = entity(reg, snap, req.model)
    if req.version is not None:
        found = None
        if e is not None:
            found = req.version if not req.create else find_version_name(reg, snap, e, req.version)
        if e is not None and found is not None:
            mv = reg.load(snap, ModelVersionFile, layout.model_version(req.model, found))
            if mv is not None:
                return VersionOps([], e, mv, False)
        if not req.create:
            raise ModelNotFoundError(req.model, req.version)
        if req.version in STAGE_NAMES or names.is_number(req.version):
            raise ModelNotFoundError(
                req.model,
                req.version,
                ": numbers, 'latest' and stage names only fetch existing versions; "
                "give a new version name to create one",
            )
    return _new_version(reg, snap, e, req, created)


def _new_version(
    reg: Registry, snap: Snapshot, e: ModelEntity | None, req: VersionRequest, created: str
) -> VersionOps:
    """The ops creating a model (if new) and the version `req` asks for."""
    from gitreg.services.runs import recent_code_ref

    model, tags = req.model, list(req.tags)
    ops: list[Op] = []
    if e is None:
        e = ModelEntity(
            id=new_id(), name=model, created=created, description=req.description, tags=tags,
            dvc_name=new_dvc_name(reg, snap, model), **(req.card or {}),
        )  # fmt: skip
        ops.append(
            reg.put(layout.id_entry(e.id), IdEntry(kind="model", path=layout.model_entity(model)))
        )
    number = e.next_number
    while any(
        entry.partition("@")[0] == str(number)
        for entry in snap.listdir(f"{layout.model_numbers_dir(model)}/{layout.shard(str(number))}")
    ):
        number += 1
    ver = req.version if req.version is not None else str(number)
    path = layout.model_version(model, ver)
    if snap.exists(path):
        raise ModelVersionExistsError(model, ver)
    mv = ModelVersionFile(
        id=new_id(), model=model, name=ver, number=number, created=created,
        description=req.description, tags=tags, code=req.code or recent_code_ref(reg),
    )  # fmt: skip
    latest = ModelRef(name=ver, number=number, id=mv.id)
    e = e.model_copy(update={"next_number": number + 1, "count": e.count + 1, "latest": latest})
    ops += [
        reg.put(path, mv),
        Put(layout.model_number(model, number, ver), b""),
        reg.put(layout.id_entry(mv.id), IdEntry(kind="model_version", path=path)),
        reg.put(layout.model_entity(model), e),
    ]
    return VersionOps(ops, e, mv, True)


def check_fetchable(reg: Registry, snap: Snapshot, req: VersionRequest) -> None:
    """Raise as `version_ops` would if `req` only fetches (an exact name, a number,
    'latest' or a stage) and finds nothing: a save checks this before storing a byte."""
    v = req.version
    if v is not None and (not req.create or v in STAGE_NAMES or names.is_number(v)):
        version_ops(reg, snap, req, now())


def ensure_version(reg: Registry, req: VersionRequest) -> ModelVersion:
    """Fetch or create a model version (see `version_ops`); a new one records its code
    commit and gets its tag."""
    reg.ensure_initialized()
    created = now()
    made_by: list[VersionOps] = []

    def build(snap: Snapshot) -> tuple[list[Op], str, str]:
        made_by.clear()
        reg.require_initialized(snap)
        found = version_ops(reg, snap, req, created)
        made_by.append(found)
        return (
            found.ops,
            f"gitreg: create model version {req.model}@{found.file.name}",
            found.file.name,
        )

    def extra(snap: Snapshot, commit: str, tree: str) -> list[NewTag]:
        return [t for v in made_by for t in v.tags(reg, snap, commit)]

    name = reg.transact(build, extra)
    return get_version(reg, req.model, name)


# -- stages ---------------------------------------------------------------------------------
def set_stage(
    reg: Registry, model: str, version: str, stage: str, force: bool = False
) -> str | None:
    """ZenML's rule: one version per stage (archived excepted); `force` archives the holder.
    Returns the version that was archived, if any."""
    stage = check_stage(model, stage)
    change: list[tuple[ModelEntity, dict[str, str], dict[str, str], dict[str, int]]] = []

    def build(snap: Snapshot) -> tuple[list[Op], str, str | None]:
        change.clear()
        e = entity(reg, snap, model)
        if e is None or not snap.exists(layout.model_version(model, version)):
            raise ModelNotFoundError(model, version)
        stages = dict(e.stages)
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
                    "pass force=True (`--force`) to archive it and move the stage",
                )
            for holder in holders:
                stages[holder] = ModelStages.ARCHIVED.value
                archived = holder
        if stage == ModelStages.NONE.value:
            stages.pop(version, None)
        else:
            stages[version] = stage
        new = e.model_copy(update={"stages": dict(sorted(stages.items()))})
        msg = f"gitreg: {model}@{version} -> {stage}"
        if archived:
            msg += f" ({archived} archived)"
        numbers = {}
        for v in set(e.stages) | set(new.stages):
            f = reg.load(snap, ModelVersionFile, layout.model_version(model, v))
            numbers[v] = f.number if f else 0
        change.append((e, dict(e.stages), dict(new.stages), numbers))
        ops: list[Op] = [reg.put(layout.model_entity(model), new)]
        ops += links.dvc_yaml_for_stages(reg, snap, e, new.stages)
        return ops, msg, archived

    def extra(snap: Snapshot, commit: str, tree: str) -> list[NewTag]:
        return [t for c in change for t in gtags.stages_changed(reg, *c)]

    return reg.transact(build, extra)


# -- metadata -------------------------------------------------------------------------------
def log_metadata(reg: Registry, model: str, version: str, values: dict[str, Any]) -> None:
    """Attach metadata (validated by the caller) to a model version: one file per call."""
    created = now()
    entry = MetadataFile(created=created, values=values)
    base = layout.metadata_dir(layout.model_version_dir(model, version))

    def build(snap: Snapshot) -> tuple[list[Op], str, None]:
        if not snap.exists(layout.model_version(model, version)):
            raise ModelNotFoundError(model, version)
        path = f"{base}/{created.replace(':', '')}-{uuid.uuid4().hex[:8]}.yaml"
        return [reg.put(path, entry)], f"gitreg: log metadata on {model}@{version}", None

    reg.transact(build)


def metadata(
    reg: Registry, model: str, version: str, snap: Snapshot | None = None
) -> dict[str, Any]:
    """Every value logged on a model version (the latest per key)."""
    snap = snap or reg.snapshot()
    merged: dict[str, Any] = {}
    for f in sorted_metadata(
        reg, snap, layout.metadata_dir(layout.model_version_dir(model, version))
    ):
        merged.update(f.values)
    return merged
