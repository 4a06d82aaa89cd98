"""Changes after the fact: tags added or removed, model cards updated, and deletions of
models, model versions and artifact versions. Each is one registry commit, so git history
keeps what was there; the bytes stay in the remote (gc removes unreferenced ones)."""

from __future__ import annotations

from typing import Any

from gitreg.errors import ArtifactNotFoundError, ModelNotFoundError
from gitreg.manifest import layout
from gitreg.manifest.schema import (
    ArtifactEntity,
    ArtifactVersionFile,
    ModelEntity,
    ModelRef,
    ModelVersionFile,
    Ref,
)
from gitreg.services import artifacts, links, models
from gitreg.services import tags as gtags
from gitreg.services.registry import Registry
from gitreg.services.views import ArtifactVersion, ModelVersion
from gitreg.stores.git import Delete, Op, Snapshot


def _retag(old: list[str], add: list[str], remove: list[str]) -> list[str]:
    out = [t for t in old if t not in remove]
    return out + [t for t in dict.fromkeys(add) if t not in out]


# -- tags and cards -------------------------------------------------------------------------
def update_artifact_version(
    reg: Registry, av: ArtifactVersion, add: list[str], remove: list[str]
) -> ArtifactVersion:
    def build(snap: Snapshot) -> tuple[list[Op], str, ArtifactVersion]:
        f = reg.load(snap, ArtifactVersionFile, av.path)
        if f is None:
            raise ArtifactNotFoundError(av.meta.name, av.meta.version)
        meta = f.info.model_copy(update={"tags": _retag(list(f.info.tags), add, remove)})
        new = f.model_copy(update={"meta": {"gitreg": meta}})
        message = f"gitreg: tag artifact {meta.name}@{meta.version}"
        return [reg.put(av.path, new)], message, ArtifactVersion(new, av.path)

    return reg.transact(build)


def update_artifact(reg: Registry, name: str, add: list[str], remove: list[str]) -> ArtifactEntity:
    def build(snap: Snapshot) -> tuple[list[Op], str, ArtifactEntity]:
        path = layout.artifact_entity(name)
        e = reg.load(snap, ArtifactEntity, path)
        if e is None:
            raise ArtifactNotFoundError(name)
        new = e.model_copy(update={"tags": _retag(list(e.tags or []), add, remove) or None})
        return [reg.put(path, new)], f"gitreg: tag artifact {name}", new

    return reg.transact(build)


def update_model(
    reg: Registry, name: str, changes: dict[str, Any], add: list[str], remove: list[str]
) -> ModelEntity:
    """Rewrite a model's card fields in `changes` and its tags."""

    def build(snap: Snapshot) -> tuple[list[Op], str, ModelEntity]:
        e = models.entity(reg, snap, name)
        if e is None:
            raise ModelNotFoundError(name)
        new = e.model_copy(update={**changes, "tags": _retag(list(e.tags), add, remove)})
        return [reg.put(layout.model_entity(name), new)], f"gitreg: update model {name}", new

    return reg.transact(build)


def update_model_version(
    reg: Registry,
    model: str,
    version: str,
    description: str | None,
    add: list[str],
    remove: list[str],
) -> ModelVersion:
    def build(snap: Snapshot) -> tuple[list[Op], str, ModelVersion]:
        path = layout.model_version(model, version)
        f = reg.load(snap, ModelVersionFile, path)
        e = models.entity(reg, snap, model)
        if f is None or e is None:
            raise ModelNotFoundError(model, version)
        update: dict[str, Any] = {"tags": _retag(list(f.tags), add, remove)}
        if description is not None:
            update["description"] = description
        new = f.model_copy(update=update)
        message = f"gitreg: update model version {model}@{version}"
        return [reg.put(path, new)], message, ModelVersion(new, e.stages.get(version), path)

    return reg.transact(build)


def model_version_by_id(reg: Registry, prefix: str) -> ModelVersionFile:
    snap = reg.snapshot()
    path = artifacts.resolve_id(reg, snap, prefix.lower(), "model_version")
    f = reg.load(snap, ModelVersionFile, path) if path else None
    if f is None or not f.id.startswith(prefix.lower()):
        raise ModelNotFoundError(prefix, hint=": no model version has this id")
    return f


# -- deletion -------------------------------------------------------------------------------
def delete_model(reg: Registry, name: str) -> None:
    gone: list[ModelEntity] = []

    def build(snap: Snapshot) -> tuple[list[Op], str, None]:
        gone.clear()
        e = models.entity(reg, snap, name)
        if e is None:
            raise ModelNotFoundError(name)
        gone.append(e)
        ops: list[Op] = [Delete(layout.model_dir(name)), Delete(layout.id_entry(e.id))]
        for mv in models.list_versions(reg, name, snap):
            ops.append(Delete(layout.id_entry(mv.file.id)))
        raw = snap.read(layout.DVC_YAML)
        put = links.dvc_yaml_with(raw, gtags.dvc_name_of(e), name, None)
        if put.data != raw:
            ops.append(put)
        return ops, f"gitreg: delete model {name}", None

    reg.transact(build)
    for e in gone:  # its tags go with it (after the commit: a crash leaves them, validate says)
        gtags.model_deleted(reg, e)


def delete_model_version(reg: Registry, model: str, version: str) -> None:
    gone: list[tuple[ModelEntity, ModelVersionFile]] = []

    def build(snap: Snapshot) -> tuple[list[Op], str, None]:
        gone.clear()
        e = models.entity(reg, snap, model)
        f = reg.load(snap, ModelVersionFile, layout.model_version(model, version))
        if e is None or f is None:
            raise ModelNotFoundError(model, version)
        gone.append((e, f))
        rest = [mv.file for mv in models.list_versions(reg, model, snap) if mv.file.id != f.id]
        newest = max(rest, key=lambda v: v.number, default=None)
        latest = None if newest is None else ModelRef(name=newest.name, number=newest.number, id=newest.id)  # fmt: skip
        stages = {v: s for v, s in e.stages.items() if v != version}
        new = e.model_copy(update={"count": len(rest), "latest": latest, "stages": stages})
        ops: list[Op] = [
            Delete(layout.model_version_dir(model, version)),
            Delete(layout.model_number(model, f.number, version)),
            Delete(layout.id_entry(f.id)),
            reg.put(layout.model_entity(model), new),
        ]
        raw = snap.read(layout.DVC_YAML)
        put = links.dvc_yaml_refreshed(reg, snap, e, [v.name for v in rest], stages, raw)
        if put is not None:  # DVC must not keep fetching the deleted version's artifact
            ops.append(put)
        return ops, f"gitreg: delete model version {model}@{version}", None

    reg.transact(build)
    for e, f in gone:
        gtags.version_deleted(reg, e, f.name, f.number)


def delete_artifact_version(reg: Registry, av: ArtifactVersion) -> None:
    """The version's pointer, id entry, logged metadata and every link to it."""
    name, ver = av.meta.name, av.meta.version

    def build(snap: Snapshot) -> tuple[list[Op], str, None]:
        if reg.load(snap, ArtifactVersionFile, av.path) is None:
            raise ArtifactNotFoundError(name, ver)
        ops: list[Op] = [
            Delete(av.path),
            Delete(layout.id_entry(av.meta.id)),
            Delete(layout.artifact_metadata_dir(name, ver)),
        ]
        raw = snap.read(layout.DVC_YAML)
        for e in models.list_all(reg, snap):
            versions = [mv.file.name for mv in models.list_versions(reg, e.name, snap)]
            linked = False
            for v in versions:
                link = layout.model_link(e.name, v, name, ver)
                if snap.exists(link):
                    ops.append(Delete(link))
                    linked = True
            put = links.dvc_yaml_refreshed(reg, snap, e, versions, e.stages, raw, (name, ver))
            if linked and put is not None:  # the model's entry moves to its next artifact
                ops.append(put)
                raw = put.data
        rest = [v for v in artifacts.list_versions(reg, name, snap=snap) if v.meta.id != av.meta.id]
        entity_path = layout.artifact_entity(name)
        if not rest:
            ops.append(Delete(layout.artifact_dir(name)))
        else:
            e_art = reg.load(snap, ArtifactEntity, entity_path)
            if e_art is not None:
                last = rest[-1].meta
                latest = Ref(version=last.version, id=last.id)
                ops.append(reg.put(entity_path, e_art.model_copy(update={"latest": latest})))
        return ops, f"gitreg: delete artifact {name}@{ver}", None

    reg.transact(build)
