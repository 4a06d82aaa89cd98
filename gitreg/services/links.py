"""Links between artifact versions and model versions, and `dvc.yaml`, which lists each
model (under its GTO name) at its production version's newest model artifact, else at its
newest model-kind link, for DVC and GTO."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from gitreg.enums import LinkKind, ModelStages
from gitreg.manifest import layout
from gitreg.manifest.schema import LinkFile, ModelEntity, now
from gitreg.manifest.yaml_io import dumps, loads
from gitreg.services import artifacts
from gitreg.services.registry import Build, Registry
from gitreg.services.views import ArtifactVersion, Link, ModelVersion
from gitreg.stores.git import Op, Put, Snapshot
from gitreg.stores.git.tags import NewTag

if TYPE_CHECKING:
    from gitreg.materializers.base import Materializer
    from gitreg.services.models import VersionOps, VersionRequest

T = TypeVar("T")


@dataclass(frozen=True)
class LinkTo:
    """The model version a link goes to (fetched or created) and the link's kind (None:
    the one the artifact's type implies)."""

    version: VersionRequest
    kind: LinkKind | None = None


@dataclass
class _Linking:
    """What one commit's link does: its ops, and what its tags need."""

    ops: list[Op]
    link: Link
    version: VersionOps
    artifact: tuple[str, bytes | None] | None  # a first model-kind link: (data path, dvc.yaml)

    @property
    def message(self) -> str:
        lf, mv = self.link.file, self.version.file
        made = f"create model version {mv.model}@{mv.name}, " if self.version.created else ""
        return f"gitreg: {made}link {lf.artifact}@{lf.version} to {mv.model}@{mv.name}"

    def tags(self, reg: Registry, snap: Snapshot, commit: str) -> list[NewTag]:
        from gitreg.services import tags

        v = self.version
        if v.created:
            return tags.version_created(reg, snap, v.entity, v.file, commit, self.artifact)
        if self.artifact is None:
            return []
        path, raw = self.artifact
        return tags.model_linked(reg, v.entity, v.file.name, v.file.number, path, raw, commit)


def _linking(
    reg: Registry, snap: Snapshot, to: LinkTo, av: ArtifactVersion, created: str
) -> _Linking:
    from gitreg.services import models

    v = models.version_ops(reg, snap, to.version, created)
    mv, e, meta = v.file, v.entity, av.meta
    path = layout.model_link(mv.model, mv.name, meta.name, meta.version)
    existing = reg.load(snap, LinkFile, path)
    if existing is not None and (to.kind is None or existing.kind is to.kind):
        return _Linking(v.ops, Link(mv.model, mv.name, existing), v, None)
    new = LinkFile(
        artifact=meta.name,
        version=meta.version,
        artifact_id=meta.id,
        seq=meta.seq,
        kind=to.kind or LinkKind.for_type(meta.type),
        created=created,
    )
    ops: list[Op] = [*v.ops, reg.put(path, new)]
    artifact = None
    if new.kind is LinkKind.MODEL:
        from gitreg.services import tags

        raw = snap.read(layout.DVC_YAML)
        production = [v for v, s in e.stages.items() if s == ModelStages.PRODUCTION.value]
        if not production or production[0] == mv.name:
            put = dvc_yaml_with(raw, tags.dvc_name_of(e), mv.model, av.data_path, meta.name, meta.version, bool(production))  # fmt: skip
            ops.append(put)
            raw = put.data
        artifact = (av.data_path, raw)
    return _Linking(ops, Link(mv.model, mv.name, new), v, artifact)


def link_to(reg: Registry, to: LinkTo, artifact_id: str) -> tuple[Link, ModelVersion]:
    """Link an artifact version to a model version, which is created in the same commit if
    `to` asks for a new one (ZenML's get-or-create); linking twice is a no-op."""
    created = now()
    done: list[_Linking] = []

    def build(snap: Snapshot) -> tuple[list[Op], str, Link]:
        done.clear()
        reg.require_initialized(snap)
        av = artifacts.get(reg, artifact_id, snap=snap)  # before a model version is made
        done.append(_linking(reg, snap, to, av, created))
        return done[0].ops, done[0].message, done[0].link

    result = _commit(reg, build, done)
    return result, _view(reg, done[0])


def save_linked(
    reg: Registry,
    data: Any,
    new: artifacts.NewVersion,
    to: LinkTo,
    materializer: Materializer | None = None,
    progress: artifacts.Progress | None = None,
) -> tuple[ArtifactVersion, Link, ModelVersion]:
    """Save `data` as a new artifact version (bytes first, see `artifacts.save`) and link it
    to a model version (created if `to` asks for a new one), all in one commit."""
    from gitreg.services import models

    models.check_fetchable(reg, reg.snapshot(), to.version)
    created = now()
    done: list[_Linking] = []
    stored = artifacts.store(reg, data, new, materializer, progress)

    def build(snap: Snapshot) -> tuple[list[Op], str, ArtifactVersion]:
        done.clear()
        ops, message, av = stored.version_ops(reg, snap)
        linking = _linking(reg, snap, to, av, created)
        done.append(linking)
        return [*ops, *linking.ops], f"{message}; {linking.message.removeprefix('gitreg: ')}", av

    av = _commit(reg, build, done)
    return av, done[0].link, _view(reg, done[0])


def _commit(reg: Registry, build: Build[T], done: list[_Linking]) -> T:
    def extra(snap: Snapshot, commit: str, tree: str) -> list[NewTag]:
        return [t for lk in done for t in lk.tags(reg, snap, commit)]

    return reg.transact(build, extra)


def _view(reg: Registry, done: _Linking) -> ModelVersion:
    from gitreg.services import models

    mv = done.version.file
    return models.get_version(reg, mv.model, mv.name)


def dvc_yaml_with(
    raw: bytes | None,
    gto: str,
    model: str,
    data_path: str | None,
    artifact: str | None = None,
    artifact_version: str | None = None,
    production: bool = False,
) -> Put:
    """`dvc.yaml` (`raw`) with the entry of model `gto` at `data_path` (removed if None);
    `production`: the entry follows the production version (noted under meta, so that a
    merge of two branches' `dvc.yaml` can tell a promotion from a newer artifact)."""
    doc = (loads(raw, layout.DVC_YAML) if raw else None) or {}
    arts = dict(doc.get("artifacts") or {})
    if data_path is None:
        arts.pop(gto, None)
    else:
        if artifact is None:  # from the data path: artifacts/<name>/versions/x/y/<version>
            parts = data_path.split("/")
            artifact, artifact_version = layout.unescape(parts[1]), parts[-1]
        info: dict[str, object] = {
            "model": model,
            "artifact": artifact,
            "version": artifact_version,
        }
        if production:
            info["stage"] = ModelStages.PRODUCTION.value
        arts[gto] = {"path": data_path, "type": "model", "meta": {"gitreg": info}}
    doc["artifacts"] = dict(sorted(arts.items()))
    return Put(layout.DVC_YAML, dumps(doc))


def newest_model_link(
    reg: Registry,
    snap: Snapshot,
    model: str,
    versions: list[str],
    unlinked: tuple[str, str] | None = None,
) -> Link | None:
    """The newest model-kind link of some versions of a model (reads their links), leaving
    out links to `unlinked` (artifact, version)."""
    found = [
        lk
        for v in versions
        for lk in links(reg, model, v, snap)
        if lk.file.kind is LinkKind.MODEL and (lk.file.artifact, lk.file.version) != unlinked
    ]
    return max(found, key=lambda lk: (lk.file.created, lk.file.seq), default=None)


def dvc_yaml_for_stages(
    reg: Registry, snap: Snapshot, e: ModelEntity, stages: dict[str, str]
) -> list[Op]:
    """The `dvc.yaml` change a model's new `stages` call for: its entry at the production
    version's newest model artifact, else at the newest model-kind link of any version."""
    production = [v for v, s in stages.items() if s == ModelStages.PRODUCTION.value]
    before = [v for v, s in e.stages.items() if s == ModelStages.PRODUCTION.value]
    if production == before:
        return []
    lk = newest_model_link(reg, snap, e.name, production) if production else None
    if lk is None:
        if not production and not before:
            return []
        from gitreg.services import models

        every = [mv.file.name for mv in models.list_versions(reg, e.name, snap)]
        lk = newest_model_link(reg, snap, e.name, every)
    if lk is None:
        return []
    raw = snap.read(layout.DVC_YAML)
    put = _dvc_yaml_at(raw, e, lk, production)
    return [] if put.data == raw else [put]


def dvc_yaml_refreshed(
    reg: Registry,
    snap: Snapshot,
    e: ModelEntity,
    versions: list[str],
    stages: dict[str, str],
    raw: bytes | None,
    unlinked: tuple[str, str] | None = None,
) -> Put | None:
    """`dvc.yaml` (`raw`) with model `e`'s entry worked out again after a deletion: the
    production version's newest model artifact among `versions`, else the newest of any of
    them, else no entry; `unlinked` (artifact, version) is left out. None if unchanged."""
    from gitreg.services.tags import dvc_name_of

    production = [v for v in versions if stages.get(v) == ModelStages.PRODUCTION.value]
    lk = newest_model_link(reg, snap, e.name, production, unlinked) if production else None
    lk = lk or newest_model_link(reg, snap, e.name, versions, unlinked)
    if lk is None:
        put = dvc_yaml_with(raw, dvc_name_of(e), e.name, None)
    else:
        put = _dvc_yaml_at(raw, e, lk, production)
    return None if put.data == raw else put


def _dvc_yaml_at(raw: bytes | None, e: ModelEntity, lk: Link, production: list[str]) -> Put:
    """`dvc.yaml` (`raw`) with model `e`'s entry at the artifact of model-kind link `lk`."""
    from gitreg.services.tags import dvc_name_of

    lf = lk.file
    path = layout.artifact_version(lf.artifact, lf.version).removesuffix(".dvc")
    held = lk.model_version in production
    return dvc_yaml_with(raw, dvc_name_of(e), e.name, path, lf.artifact, lf.version, held)


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
