"""git's merge driver for the registry's derived files, so a plain `git merge` of two
registry branches merges them field by field instead of conflicting as text.

`model.yaml` and `artifact.yaml` hold counters, the latest version and the stages, and
`dvc.yaml` one entry per model: files that two branches both change whenever each adds a
version. git hands such a file to `gitreg merge-file BASE OURS THEIRS PATH` (registered in
the repository's git config by `gitreg init`; `.gitattributes` on the branch names the
files). A change made on one side only wins; counters take the larger; `count` adds both
sides' additions; a stage taken on both sides goes to theirs (the branch merged in, as
`gitreg merge` replays it last) and our holder is archived. What one file cannot decide
(the same field changed two ways, or both sides adding the same version number, which
`gitreg merge` renumbers) is left to git as a text conflict.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from gitreg.enums import ModelStages
from gitreg.errors import ManifestError
from gitreg.manifest import layout
from gitreg.manifest.schema import ArtifactEntity, ModelEntity, dump, parse
from gitreg.manifest.yaml_io import dumps, loads

DRIVER = "gitreg"
ATTRIBUTES = (
    "# gitreg: derived files are merged field by field (the driver `gitreg init` registers)\n"
    f"/{layout.DVC_YAML} merge={DRIVER}\n"
    f"/{layout.MODELS}/*/model.yaml merge={DRIVER}\n"
    f"/{layout.ARTIFACTS}/*/artifact.yaml merge={DRIVER}\n"
).encode()
_COUNTERS = {"next_number", "count", "latest", "stages"}


class Conflict(Exception):
    """The two sides changed one thing two ways: git's text merge shows it."""


def _three_way(base: Any, ours: Any, theirs: Any) -> Any:
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    raise Conflict


def dvc_yaml(raw: bytes | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """`dvc.yaml`'s document (empty if there is none) and a copy of its `artifacts:`."""
    doc = (loads(raw, layout.DVC_YAML) if raw else None) or {}
    return doc, dict(doc.get("artifacts") or {})


def merge_dvc_yaml(base: bytes, ours: bytes, theirs: bytes) -> bytes:
    (_, b), (doc_o, o), (doc_t, t) = (dvc_yaml(raw) for raw in (base, ours, theirs))
    merged = {}
    for key in sorted(set(b) | set(o) | set(t)):
        try:
            value = _three_way(b.get(key), o.get(key), t.get(key))
        except Conflict:  # both moved one model's entry: a promotion beats a newer artifact
            value = o[key] if _promoted(o.get(key)) and not _promoted(t.get(key)) else t.get(key)
        if value is not None:
            merged[key] = value
    doc = doc_o or doc_t
    doc["artifacts"] = merged
    return dumps(doc)


def _promoted(entry: Any) -> bool:
    info = ((entry or {}).get("meta") or {}).get("gitreg") or {}
    return bool(info.get("stage") == ModelStages.PRODUCTION.value)


def _numbered_latest(b: Any, o: Any, t: Any) -> Any:
    """The newer of two latest versions each side moved (by number: a model's `number`,
    an artifact's auto-numbered version)."""
    if o in (b, t) or t == b:
        return _three_way(b, o, t)
    if o is None or t is None:
        raise Conflict
    key = [getattr(r, "number", None) or r.version for r in (o, t)]
    if not all(isinstance(k, int) or k.isdigit() for k in key) or int(key[0]) == int(key[1]):
        raise Conflict  # the same number on both sides: `gitreg merge` renumbers
    return o if int(key[0]) > int(key[1]) else t


def _stages(b: dict[str, str], o: dict[str, str], t: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for version in set(b) | set(o) | set(t):
        stage = _three_way(b.get(version), o.get(version), t.get(version))
        if stage is not None:
            merged[version] = stage
    archived = ModelStages.ARCHIVED.value
    for version, stage in list(merged.items()):
        if stage == archived or t.get(version) != stage or b.get(version) == stage:
            continue
        for other, held in list(merged.items()):  # their new holder wins, ours is archived
            if other != version and held == stage:
                merged[other] = archived
    return dict(sorted(merged.items()))


def _entity(
    cls: type[ModelEntity] | type[ArtifactEntity],
    base: bytes,
    ours: bytes,
    theirs: bytes,
    path: str,
) -> bytes:
    b: Any = parse(cls, base, path) if base else None
    o: Any = parse(cls, ours, path)
    t: Any = parse(cls, theirs, path)
    fields: dict[str, Any] = {}
    for name in cls.model_fields:
        if name not in _COUNTERS:
            fields[name] = _three_way(*(getattr(x, name, None) for x in (b, o, t)))
    fields["next_number"] = max(o.next_number, t.next_number)
    fields["count"] = o.count + t.count - (b.count if b else 0)
    fields["latest"] = _numbered_latest(getattr(b, "latest", None), o.latest, t.latest)
    if cls is ModelEntity:
        fields["stages"] = _stages(b.stages if b else {}, o.stages, t.stages)
    return dump(cls.model_validate(fields))


def merge(base: bytes, ours: bytes, theirs: bytes, path: str) -> bytes | None:
    """The merged file, or None if only a person can decide (a text conflict)."""
    try:
        if path == layout.DVC_YAML:
            return merge_dvc_yaml(base, ours, theirs)
        if layout.MODEL_ENTITY_RE.fullmatch(path):
            return _entity(ModelEntity, base, ours, theirs, path)
        if layout.ARTIFACT_ENTITY_RE.fullmatch(path):
            return _entity(ArtifactEntity, base, ours, theirs, path)
    except (Conflict, ManifestError):
        pass
    return None


def merge_file(base_path: str, ours_path: str, theirs_path: str, path: str) -> bool:
    """What git's driver protocol asks: write the result over OURS; False (with git's own
    conflict markers in OURS) when it is a conflict."""
    base, ours, theirs = (Path(p).read_bytes() for p in (base_path, ours_path, theirs_path))
    merged = merge(base, ours, theirs, path)
    if merged is None:
        proc = subprocess.run(
            ["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs",
             ours_path, base_path, theirs_path],
            capture_output=True,
        )  # fmt: skip
        return proc.returncode == 0
    Path(ours_path).write_bytes(merged)
    return True
