"""`gitreg validate`: every manifest parses and matches its schema and its path, every
reference points at something that exists, and (with `--remote`) every object is in the
remote with the right md5."""

from __future__ import annotations

import configparser
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitreg import names
from gitreg.errors import DamagedRepositoryError, GitregError, ManifestError
from gitreg.manifest import layout
from gitreg.manifest.schema import (
    ArtifactEntity,
    ArtifactVersionFile,
    CacheEntry,
    IdEntry,
    LinkFile,
    MetadataFile,
    ModelEntity,
    ModelVersionFile,
    RegistryConfig,
    RunFile,
)
from gitreg.manifest.yaml_io import loads
from gitreg.services.registry import unreadable

if TYPE_CHECKING:
    from gitreg.services.registry import Registry

_RULES: list[tuple[re.Pattern[str], type | None]] = [
    (re.compile(re.escape(layout.CONFIG)), RegistryConfig),
    (re.compile(re.escape(layout.DVC_CONFIG)), None),
    (re.compile(re.escape(layout.DVC_YAML)), None),
    (re.compile(re.escape(layout.GITATTRIBUTES)), None),
    (layout.ARTIFACT_ENTITY_RE, ArtifactEntity),
    (layout.ARTIFACT_VERSION_RE, ArtifactVersionFile),
    (layout.ARTIFACT_METADATA_RE, MetadataFile),
    (layout.MODEL_ENTITY_RE, ModelEntity),
    (layout.MODEL_NUMBER_RE, None),
    (layout.MODEL_VERSION_RE, ModelVersionFile),
    (layout.MODEL_LINK_RE, LinkFile),
    (layout.MODEL_METADATA_RE, MetadataFile),
    (layout.ID_RE, IdEntry),
    (layout.RUN_RE, RunFile),
    (layout.CACHE_RE, CacheEntry),
]


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass
class Report:
    revision: str | None
    files: int
    artifact_versions: int
    objects_checked: int
    problems: list[Problem]
    single_copy: list[str] = field(default_factory=list)  # objects whose only copy is local

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(
    reg: Registry,
    rev: str | None = None,
    remote: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Report:
    snap = reg.git.snapshot(rev)
    problems: list[Problem] = []
    parsed: dict[str, Any] = {}
    broken: set[str] = set()
    files = 0
    if snap.commit is None:
        return Report(None, 0, 0, 0, [Problem(reg.git.ref, "the registry branch does not exist")])
    for path, sha in snap.walk_files():
        files += 1
        matched = [cls for pat, cls in _RULES if pat.fullmatch(path)]
        if not matched:
            problems.append(Problem(path, "unexpected file on the registry branch"))
            continue
        rule = matched[0]
        try:
            if rule is None:
                try:
                    data = snap.objects.read_blob(sha)
                except DamagedRepositoryError as e:
                    raise ManifestError(path, unreadable(e)) from None
                _check_plain(path, data)
                parsed[path] = None
            else:
                parsed[path] = reg.load_sha(snap, rule, path, sha)
        except ManifestError as e:
            broken.add(path)
            problems.append(Problem(e.path, _strip_hint(str(e), e), e.line))
    for prefix, err in snap.damaged:
        broken.add(prefix)
        problems.append(
            Problem(prefix + "/", f"tree {err.sha} is missing or damaged: run `git fsck`")
        )
    if layout.CONFIG not in parsed and layout.CONFIG not in broken:
        why = f"{rev} is not a registry commit" if rev is not None else "run `gitreg init`"
        problems.append(Problem(layout.CONFIG, f"missing: {why}"))
    problems += _check_references(parsed, broken)
    if rev is None:  # tags are checked against the tip's manifests and history
        problems += _check_tags(reg)
    versions = [(p, f) for p, f in parsed.items() if isinstance(f, ArtifactVersionFile)]
    checked = 0
    single: list[str] = []
    if remote and versions:
        try:
            store = reg.data(snap)
        except GitregError as e:
            problems.append(Problem(layout.DVC_CONFIG, str(e)))
        else:
            for path, f in versions:
                out = f.outs[0]
                for oid in _objects_of(store, out.md5, path, problems):
                    checked += 1
                    wrong = store.remote_check(
                        oid, out.size if oid == out.md5 and out.nfiles is None else None
                    )
                    if wrong:
                        problems.append(Problem(path, f"object {oid} is {wrong}"))
                    elif store.single_copy(oid):
                        single.append(oid)
                if progress:
                    progress(1)
    return Report(snap.commit, files, len(versions), checked, problems, sorted(set(single)))


def _check_tags(reg: Registry) -> list[Problem]:
    """Every gitreg tag matches a model version or a stage change, and every version has
    its tag (`services/tags.py`)."""
    from gitreg.services import tags

    out = []
    try:
        found = tags.check(reg)
    except GitregError as e:  # a damaged history: the other checks say where
        return [Problem("refs/tags/", f"tags not checked: {e}")]
    for p in found:
        if p.missing:  # a write stopped between its commit and its tags: not wrong
            continue
        hint = "; run `gitreg tags --rebuild`" if p.fixable else ""
        out.append(Problem(f"refs/tags/{p.tag}", p.message + hint))
    return out


def _strip_hint(message: str, e: ManifestError) -> str:
    where = f"{e.path}:{e.line}: " if e.line is not None else f"{e.path}: "
    message = message.removeprefix(where)
    return message.split(" (fix or revert", 1)[0]


def _check_plain(path: str, data: bytes) -> None:
    if path == layout.DVC_CONFIG:
        parser = configparser.ConfigParser()
        try:
            parser.read_string(data.decode())
        except (configparser.Error, UnicodeDecodeError) as e:
            raise ManifestError(path, f"invalid DVC config: {e}") from None
        if not parser.has_option("core", "remote"):
            raise ManifestError(path, "no [core] remote")
    elif path == layout.DVC_YAML:
        doc = loads(data, path)
        if not isinstance(doc, dict) or not isinstance(doc.get("artifacts", {}), dict):
            raise ManifestError(path, "expected a mapping with an `artifacts:` mapping")
    elif "/numbers/" in path:
        version = path.rpartition("@")[2]
        try:
            names.version(version)
        except GitregError:
            raise ManifestError(path, f"not a version name: {version[:40]!r}") from None


def _check_references(parsed: dict[str, Any], broken: set[str]) -> list[Problem]:
    """Every reference between manifests; a target that exists but did not parse is called
    broken (and reported on its own), not missing."""
    out: list[Problem] = []

    def absent(target: str) -> str:
        return "broken" if target in broken else "missing"

    by_id: dict[str, str] = {}
    for path, f in parsed.items():
        if isinstance(f, ArtifactVersionFile):
            m = f.info
            expected = layout.artifact_version(m.name, m.version)
            if expected != path:
                out.append(Problem(path, f"name/version {m.name}@{m.version} belong at {expected}"))
            if f.outs[0].path != m.version:
                out.append(Problem(path, f"outs path {f.outs[0].path!r} should be {m.version!r}"))
            by_id[m.id] = path
        elif isinstance(f, ModelVersionFile):
            expected = layout.model_version(f.model, f.name)
            if expected != path:
                out.append(Problem(path, f"model version {f.model}@{f.name} belongs at {expected}"))
            by_id[f.id] = path
        elif isinstance(f, ModelEntity):
            by_id[f.id] = path
            if layout.model_entity(f.name) != path:
                out.append(
                    Problem(path, f"model {f.name!r} belongs at {layout.model_entity(f.name)}")
                )
            for version in f.stages:
                target = layout.model_version(f.name, version)
                if target not in parsed:
                    out.append(Problem(path, f"stage of {absent(target)} version {version!r}"))
            target = layout.model_version(f.name, f.latest.name) if f.latest else ""
            if f.latest and target not in parsed:
                out.append(
                    Problem(path, f"latest points at {absent(target)} version {f.latest.name!r}")
                )
        elif isinstance(f, ArtifactEntity):
            target = layout.artifact_version(f.name, f.latest.version) if f.latest else ""
            if f.latest and target not in parsed:
                out.append(
                    Problem(path, f"latest points at {absent(target)} version {f.latest.version!r}")
                )
        elif isinstance(f, RunFile):
            by_id[f.id] = path
    for path in plain_numbers(parsed):
        model = path.split("/")[1]
        number, _, version = path.rpartition("/")[2].partition("@")
        target = layout.model_version(model, version)
        mv = parsed.get(target)
        if not isinstance(mv, ModelVersionFile):
            out.append(Problem(path, f"number {number} names {absent(target)} version {version!r}"))
        elif str(mv.number) != number:
            out.append(Problem(path, f"version {version!r} has number {mv.number}, not {number}"))
    for path, f in parsed.items():
        if isinstance(f, LinkFile):
            linked = by_id.get(f.artifact_id)
            if linked is None:
                where = absent(layout.artifact_version(f.artifact, f.version))
                out.append(Problem(path, f"links {where} artifact version {f.artifact_id}"))
            elif parsed[linked].info.name != f.artifact or parsed[linked].info.version != f.version:
                out.append(
                    Problem(path, f"artifact id {f.artifact_id} is not {f.artifact}@{f.version}")
                )
        elif isinstance(f, IdEntry):
            obj_id = path.rsplit("/", 1)[-1]
            target_id = _id_of(parsed.get(f.path))
            if f.path not in parsed:
                out.append(Problem(path, f"points at {absent(f.path)} {f.path}"))
            elif target_id != obj_id:
                out.append(
                    Problem(
                        path,
                        f"points at {f.path}, whose id is {target_id}"
                        + (f"; id {obj_id} is {by_id[obj_id]}" if obj_id in by_id else ""),
                    )
                )
        elif isinstance(f, CacheEntry):
            for key, art_id in f.outputs.items():
                if art_id not in by_id:
                    out.append(Problem(path, f"output {key!r} names missing artifact {art_id}"))
    return out


def _id_of(manifest: Any) -> str | None:
    if isinstance(manifest, ArtifactVersionFile):
        return manifest.info.id
    return getattr(manifest, "id", None)


def plain_numbers(parsed: dict[str, Any]) -> list[str]:
    return [p for p, f in parsed.items() if f is None and "/numbers/" in p]


def _objects_of(data: Any, oid: str, path: str, problems: list[Problem]) -> list[str]:
    """The object and, for a folder, every file object it lists (entries checked too)."""
    if not oid.endswith(".dir"):
        return [oid]
    try:
        children = data.dir_entries(oid)
    except GitregError as e:
        problems.append(Problem(path, str(e).split(" no data was returned")[0]))
        return []  # already reported: the listing is unusable
    return [oid, *(c["md5"] for c in children)]
