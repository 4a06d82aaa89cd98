"""The registry's history, read from git: who changed what and when (`log`), and what
changed between two states (`diff`), in the registry's words rather than file paths.

Both let git do the walking (`git log -- PATHS`, `git log -G`, `git diff-tree`), so their
cost follows the changes asked about, not the size of the registry.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from gitreg import names
from gitreg.enums import ModelStages
from gitreg.errors import ManifestError, RegistryNotInitializedError, UsageError
from gitreg.manifest import layout
from gitreg.manifest.schema import ModelEntity, RunFile
from gitreg.services.registry import Registry, resolve_point
from gitreg.stores.git import Snapshot
from gitreg.stores.git.repository import EMPTY_TREE

_SEP, _END = "\x1f", "\x1e"


@dataclass(frozen=True)
class Change:
    """One registry commit."""

    commit: str
    author: str
    email: str
    time: str  # ISO 8601, the author's time zone
    message: str


def log(
    reg: Registry,
    model: str | None = None,
    version: str | None = None,
    *,
    stage: str | None = None,
    artifact: str | None = None,
    artifact_version: str | None = None,
    limit: int = 50,
) -> list[Change]:
    """Registry commits, newest first: all of them, or those that changed a model, one
    model version (its files and its stage), a stage of a model, or an artifact (version)."""
    rev = _tip(reg)
    paths: list[str] = []
    pattern: str | None = None
    if artifact is not None:
        name = names.artifact_name(artifact)
        if artifact_version is None:
            paths = [layout.artifact_dir(name)]
        else:
            v = names.version(artifact_version)
            paths = [layout.artifact_version(name, v), layout.artifact_metadata_dir(name, v)]
    if model is not None:
        name = names.model_name(model)
        if version is not None:
            v = names.version(version)
            paths.append(layout.model_version_dir(name, v))
            pattern = rf"^  {_ere(v)}: "
        elif stage is not None:
            pattern = rf"^  [^ :]+: {_ere(names.stage(stage))}$"
        else:
            paths.append(layout.model_dir(name))
        if pattern is not None:
            found = _git_log(reg, rev, limit, [layout.model_entity(name)], pattern)
            if paths:
                found += _git_log(reg, rev, limit, paths)
            unique = {c.commit: c for c in found}
            return sorted(unique.values(), key=lambda c: c.time, reverse=True)[:limit]
    elif stage is not None or version is not None:
        raise UsageError("log", "a stage or version needs the model: give NAME@VERSION or NAME")
    return _git_log(reg, rev, limit, paths)


def _tip(reg: Registry) -> str:
    """Where `reg` is pinned, else the branch tip."""
    rev = reg.pinned_at or reg.git.read_head()
    if rev is None:
        raise RegistryNotInitializedError(reg.git.branch)
    return rev


def _ere(text: str) -> str:
    """`text` as a literal in a POSIX extended regex (names hold only [A-Za-z0-9._-])."""
    return re.sub(r"([.\\^$*+?()\[\]{}|])", r"\\\1", text)


def _git_log(
    reg: Registry, rev: str, limit: int, paths: list[str], pattern: str | None = None
) -> list[Change]:
    args = ["log", f"-n{max(limit, 0)}", f"--format=%H{_SEP}%an{_SEP}%ae{_SEP}%aI{_SEP}%s{_END}"]
    if pattern is not None:
        args += ["-E", f"-G{pattern}"]
    out = reg.git.git(*args, rev, "--", *paths)
    changes = []
    for record in out.split(_END):
        record = record.strip("\n")
        if record:
            commit, author, email, time, message = record.split(_SEP, 4)
            changes.append(Change(commit, author, email, time, message))
    return changes


# -- diff -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageMove:
    model: str
    stage: str
    before: str | None  # the version that held it (None: nobody)
    after: str | None


@dataclass
class Diff:
    """What changed from registry state `old` to `new`."""

    old: str | None
    new: str
    models_added: list[str] = field(default_factory=list)
    models_removed: list[str] = field(default_factory=list)
    versions_added: list[str] = field(default_factory=list)  # "MODEL@VERSION"
    versions_removed: list[str] = field(default_factory=list)
    artifacts_added: list[str] = field(default_factory=list)  # "NAME@VERSION"
    artifacts_removed: list[str] = field(default_factory=list)
    links_added: list[tuple[str, str]] = field(default_factory=list)  # (artifact, model version)
    links_removed: list[tuple[str, str]] = field(default_factory=list)
    stage_moves: list[StageMove] = field(default_factory=list)
    metadata_changed: list[str] = field(default_factory=list)  # "MODEL@VERSION" / "NAME@VERSION"
    runs: list[str] = field(default_factory=list)  # "PIPELINE run ID: STATUS", added or updated

    @property
    def empty(self) -> bool:
        return not any(v for k, v in asdict(self).items() if k not in ("old", "new"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff(reg: Registry, old: str | None = None, new: str | None = None) -> Diff:
    """What changed between two registry states (revisions or dates). Defaults: `new` is
    the tip (or where `reg` is pinned), `old` its first parent: the last change."""
    new_commit = resolve_point(reg.git, new) if new else _tip(reg)
    if old is None:
        parents = reg.git.commit_info(new_commit)[0]
        old_commit = parents[0] if parents else None
    else:
        old_commit = resolve_point(reg.git, old)
    out = Diff(old_commit, new_commit)
    base = old_commit or EMPTY_TREE
    raw = reg.git.git("diff-tree", "-r", "--no-renames", "--name-status", "-z", base, new_commit)
    items = raw.split("\0")
    before = reg.snapshot(old_commit) if old_commit else None
    after = reg.snapshot(new_commit)
    for status, path in zip(items[0::2], items[1::2]):
        _classify(reg, out, status, path, before, after)
    for lst in (out.versions_added, out.versions_removed, out.artifacts_added):
        lst.sort()
    out.metadata_changed = sorted(set(out.metadata_changed))
    return out


def _classify(
    reg: Registry, out: Diff, status: str, path: str, before: Snapshot | None, after: Snapshot
) -> None:
    added, removed = status == "A", status == "D"

    def record(added_to: list[Any], removed_from: list[Any], item: Any) -> None:
        if added:
            added_to.append(item)
        elif removed:
            removed_from.append(item)

    if m := layout.MODEL_ENTITY_RE.fullmatch(path):
        name = m[1]
        record(out.models_added, out.models_removed, name)
        old_stages = _stages(reg, before, name) if not added else {}
        new_stages = _stages(reg, after, name) if not removed else {}
        for stage in sorted({*old_stages.values(), *new_stages.values()}):
            was = [v for v, s in old_stages.items() if s == stage]
            now = [v for v, s in new_stages.items() if s == stage]
            if stage == ModelStages.ARCHIVED.value:  # each newly archived version
                for v in sorted(set(now) - set(was)):
                    out.stage_moves.append(StageMove(name, stage, None, v))
            elif was != now:
                out.stage_moves.append(StageMove(name, stage, _one(was), _one(now)))
    elif m := layout.MODEL_VERSION_RE.fullmatch(path):
        record(out.versions_added, out.versions_removed, f"{m[1]}@{m[2]}")
    elif m := layout.MODEL_LINK_RE.fullmatch(path):
        link = (f"{layout.unescape(m[3])}@{m[4]}", f"{m[1]}@{m[2]}")
        record(out.links_added, out.links_removed, link)
    elif m := layout.ARTIFACT_VERSION_RE.fullmatch(path):
        record(out.artifacts_added, out.artifacts_removed, f"{layout.unescape(m[1])}@{m[2]}")
    elif m := (
        layout.MODEL_METADATA_RE.fullmatch(path) or layout.ARTIFACT_METADATA_RE.fullmatch(path)
    ):
        out.metadata_changed.append(f"{layout.unescape(m[1])}@{m[2]}")
    elif (m := layout.RUN_RE.fullmatch(path)) and not removed:
        try:
            run = reg.load(after, RunFile, path)
        except ManifestError:
            run = None
        if run is not None:
            out.runs.append(f"{run.pipeline} run {run.id[:8]}: {run.status}")


def _stages(reg: Registry, snap: Snapshot | None, model: str) -> dict[str, str]:
    if snap is None:
        return {}
    try:
        entity = reg.load(snap, ModelEntity, layout.model_entity(model))
    except ManifestError:
        return {}
    return dict(entity.stages) if entity else {}


def _one(holders: list[str]) -> str | None:
    return ", ".join(sorted(holders)) or None


def describe(d: Diff) -> list[str]:
    """The diff as sentences a reviewer reads, one per change."""
    lines = [f"model {m} added" for m in d.models_added]
    lines += [f"model {m} removed" for m in d.models_removed]
    lines += [f"model version {v} added" for v in d.versions_added]
    lines += [f"model version {v} removed" for v in d.versions_removed]
    lines += [f"artifact version {a} added" for a in d.artifacts_added]
    lines += [f"artifact version {a} removed" for a in d.artifacts_removed]
    lines += [f"linked {a} to {mv}" for a, mv in d.links_added]
    lines += [f"unlinked {a} from {mv}" for a, mv in d.links_removed]
    lines += [
        f"{s.model} {s.stage}: {s.before or '(none)'} -> {s.after or '(none)'}"
        for s in d.stage_moves
    ]
    lines += [f"metadata logged on {x}" for x in d.metadata_changed]
    lines += [f"pipeline {r}" for r in d.runs]
    return lines


def to_markdown(d: Diff) -> str:
    """A pull-request comment: the changes as a list, and a mermaid picture of them."""
    title = f"### gitreg: {d.old[:8] if d.old else '(empty)'} → {d.new[:8]}"
    body = describe(d)
    if not body:
        return f"{title}\n\nNo registry changes.\n"
    out = [title, "", *[f"- {line}" for line in body], "", "```mermaid", "flowchart LR"]
    ids: dict[str, str] = {}

    def node(label: str) -> str:
        if label not in ids:
            ids[label] = f"n{len(ids)}"
            out.append(f'  {ids[label]}["{label}"]')
        return ids[label]

    for a, mv in d.links_added:
        out.append(f"  {node(a)} -->|linked| {node(mv)}")
    for a, mv in d.links_removed:
        out.append(f"  {node(a)} -.->|unlinked| {node(mv)}")
    for s in d.stage_moves:
        target = node(f"{s.model} {s.stage}")
        if s.before:
            out.append(f"  {node(f'{s.model}@{s.before}')} -.->|left| {target}")
        if s.after:
            out.append(f"  {node(f'{s.model}@{s.after}')} ==>|entered| {target}")
    for v in d.versions_added:
        node(v)
    out.append("```")
    return "\n".join(out) + "\n"
