"""Links between artifact versions and model versions, and `dvc.yaml`, which lists each
model at its newest model artifact for DVC and GTO."""

from __future__ import annotations

from gitreg.enums import LinkKind
from gitreg.errors import ModelNotFoundError
from gitreg.manifest import layout
from gitreg.manifest.schema import LinkFile, now
from gitreg.manifest.yaml_io import dumps, loads
from gitreg.services import artifacts
from gitreg.services.registry import Registry
from gitreg.services.views import ArtifactVersion, Link
from gitreg.stores.git import Op, Put, Snapshot


def link(
    reg: Registry, model: str, version: str, artifact_id: str, kind: LinkKind | None = None
) -> Link:
    """Link an artifact version to an existing model version; linking twice is a no-op.
    `kind` defaults to the one the artifact's type implies."""
    created = now()

    def build(snap: Snapshot) -> tuple[list[Op], str, Link]:
        av = artifacts.get(reg, artifact_id, snap=snap)
        if not snap.exists(layout.model_version(model, version)):
            raise ModelNotFoundError(model, version)
        meta = av.meta
        path = layout.model_link(model, version, meta.name, meta.version)
        existing = reg.load(snap, LinkFile, path)
        if existing is not None and (kind is None or existing.kind is kind):
            return [], "", Link(model, version, existing)
        new = LinkFile(
            artifact=meta.name,
            version=meta.version,
            artifact_id=meta.id,
            seq=meta.seq,
            kind=kind or LinkKind.for_type(meta.type),
            created=created,
        )
        ops: list[Op] = [reg.put(path, new)]
        if new.kind is LinkKind.MODEL:
            ops.append(_dvc_yaml_op(snap, model, av))
        message = f"gitreg: link {meta.name}@{meta.version} to {model}@{version}"
        return ops, message, Link(model, version, new)

    return reg.transact(build)


def dvc_artifact_name(model: str) -> str:
    """DVC/GTO-compatible artifact id of a model name (lowercase, '-' for '.' and '_')."""
    out = "".join(c.lower() if c.isalnum() else "-" for c in model).strip("-")
    return out or "model"


def _dvc_yaml_op(snap: Snapshot, model: str, av: ArtifactVersion) -> Op:
    raw = snap.read(layout.DVC_YAML)
    doc = (loads(raw, layout.DVC_YAML) if raw else None) or {}
    arts = dict(doc.get("artifacts") or {})
    meta = av.meta
    arts[dvc_artifact_name(model)] = {
        "path": av.data_path,
        "type": "model",
        "meta": {"gitreg": {"model": model, "artifact": meta.name, "version": meta.version}},
    }
    doc["artifacts"] = dict(sorted(arts.items()))
    return Put(layout.DVC_YAML, dumps(doc))


def links(
    reg: Registry,
    model: str,
    version: str,
    snap: Snapshot | None = None,
    artifact: str | None = None,
) -> list[Link]:
    """Links of a model version (to one artifact's versions only, if given), oldest first."""
    snap = snap or reg.snapshot()
    base = (
        layout.model_links_dir(model, version)
        if artifact is None
        else layout.model_artifact_links_dir(model, version, artifact)
    )
    out = [Link(model, version, f) for _, f in reg.load_all(snap, LinkFile, base)]
    out.sort(key=lambda lk: (lk.file.seq, lk.file.created))
    return out


def newest(
    reg: Registry,
    model: str,
    version: str,
    artifact: str,
    artifact_version: str | None = None,
    kind: LinkKind | None = None,
    snap: Snapshot | None = None,
) -> Link | None:
    """The newest link of a model version to `artifact` (one version of it, or of one kind).

    The artifact's latest version is the newest of all, so when it is linked it is the
    answer without reading the other links: the cost does not grow with their number.
    """
    snap = snap or reg.snapshot()
    wanted = artifact_version or artifacts.latest_version(reg, snap, artifact)
    if wanted is not None:
        found = reg.load(snap, LinkFile, layout.model_link(model, version, artifact, wanted))
        if found is not None and (kind is None or found.kind is kind):
            return Link(model, version, found)
        if artifact_version is not None:
            return None
    candidates = [
        lk
        for lk in links(reg, model, version, snap, artifact)
        if kind is None or lk.file.kind is kind
    ]
    return candidates[-1] if candidates else None
