"""Pipeline runs, the step cache and lineage, as manifests on the registry branch."""

from __future__ import annotations

import logging
import subprocess
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitreg.errors import ArtifactNotFoundError, GitregError, ManifestError, RunNotFoundError
from gitreg.manifest import layout
from gitreg.manifest.schema import (
    CacheEntry,
    CodeRef,
    IdEntry,
    MetadataFile,
    RunFile,
    now,
)
from gitreg.stores.git import Op, Snapshot

if TYPE_CHECKING:
    from gitreg.services.records import ArtifactVersionRecord
    from gitreg.services.registry import Registry

log = logging.getLogger(__name__)


def code_ref(reg: Registry) -> CodeRef:
    """The user's HEAD commit and whether the working tree differs from it."""
    work = reg.git.work_tree
    if work is None:
        return CodeRef()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", work, *args], capture_output=True, text=True)

    head = run("rev-parse", "--verify", "-q", "HEAD").stdout.strip() or None
    branch = run("symbolic-ref", "-q", "--short", "HEAD").stdout.strip() or None
    dirty = bool(run("status", "--porcelain", "--untracked-files=no").stdout.strip())
    return CodeRef(commit=head, branch=branch, dirty=dirty)


def save_run(reg: Registry, run: RunFile, cache: dict[str, CacheEntry] | None = None) -> None:
    """Write (or rewrite) a run manifest, plus cache entries, as one commit."""
    path = layout.run_manifest(run.id)

    def build(snap: Snapshot) -> tuple[list[Op], str, None]:
        reg.require_initialized(snap)
        ops: list[Op] = [reg._put(path, run)]
        if not snap.exists(layout.id_entry(run.id)):
            ops.append(reg._put(layout.id_entry(run.id), IdEntry(kind="run", path=path)))
        for key, entry in (cache or {}).items():
            ops.append(reg._put(layout.cache_entry(key), entry))
        return ops, f"gitreg: run {run.pipeline} {run.id[:8]} {run.status}", None

    reg.git.transact(build)


def get_run(reg: Registry, run_id: str, snap: Snapshot | None = None) -> RunFile:
    snap = snap or reg.git.snapshot()
    path = layout.run_manifest(run_id)
    run = reg._load(snap, RunFile, path)
    if run is None:
        found = reg._resolve_id(snap, run_id.lower(), "run")
        run = reg._load(snap, RunFile, found) if found else None
    if run is None:
        raise RunNotFoundError(run_id)
    return run  # type: ignore[no-any-return]


def list_runs(reg: Registry, snap: Snapshot | None = None) -> list[RunFile]:
    snap = snap or reg.git.snapshot()
    out = []
    for path, sha in snap.walk_files(layout.RUNS):
        try:
            out.append(reg._load_sha(snap, RunFile, path, sha))
        except ManifestError as e:
            log.warning("skipping %s", e)
    out.sort(key=lambda r: r.start)
    return out


def cache_lookup(reg: Registry, key: str) -> CacheEntry | None:
    """Outputs cached under `key`, if every one of them still exists."""
    snap = reg.git.snapshot()
    try:
        entry = reg._load(snap, CacheEntry, layout.cache_entry(key))
    except ManifestError as e:
        log.warning("ignoring cache entry: %s", e)
        return None
    if entry is None:
        return None
    for art_id in entry.outputs.values():
        try:
            reg.get_artifact_version(art_id, snap=snap)
        except (ArtifactNotFoundError, GitregError):
            return None
    return entry  # type: ignore[no-any-return]


# -- artifact metadata --------------------------------------------------------------------
def log_artifact_metadata(
    reg: Registry, art: ArtifactVersionRecord, values: dict[str, Any]
) -> None:
    created = now()
    entry = MetadataFile(created=created, values=values)
    base = layout.artifact_metadata_dir(art.name, art.version)

    def build(snap: Snapshot) -> tuple[list[Op], str, None]:
        path = f"{base}/{created.replace(':', '')}-{uuid.uuid4().hex[:8]}.yaml"
        return [reg._put(path, entry)], f"gitreg: log metadata on {art.name}@{art.version}", None

    reg.git.transact(build)


def artifact_metadata(
    reg: Registry, art: ArtifactVersionRecord, snap: Snapshot | None = None
) -> dict[str, Any]:
    """The artifact's run metadata: what it was saved with, then later logs (latest wins)."""
    snap = snap or reg.git.snapshot()
    merged = dict(art.run_metadata)
    base = layout.artifact_metadata_dir(art.name, art.version)
    for path, sha in sorted(snap.walk_files(base)):
        try:
            merged.update(reg._load_sha(snap, MetadataFile, path, sha).values)
        except ManifestError as e:
            log.warning("skipping %s", e)
    return merged


# -- lineage ------------------------------------------------------------------------------
@dataclass
class LineageNode:
    """An artifact version, or a model version, and what produced it."""

    kind: str  # "artifact" | "model" | "step"
    label: str
    id: str
    children: list[LineageNode] = field(default_factory=list)


def lineage_of_artifact(
    reg: Registry, art_id: str, snap: Snapshot, seen: set[str] | None = None
) -> LineageNode:
    seen = set() if seen is None else seen
    art = reg.get_artifact_version(art_id, snap=snap)
    node = LineageNode("artifact", f"{art.name}@{art.version}", art.id)
    if art.id in seen:
        node.label += " (see above)"
        return node
    seen.add(art.id)
    producer = art.producer or {}
    run_id = producer.get("run")
    if not run_id:
        return node
    try:
        run = get_run(reg, run_id, snap)
    except RunNotFoundError:
        return node
    step_run = producer.get("step_run")
    step = next(
        (
            s
            for s in run.steps
            if (s.id == step_run if step_run else s.name == producer.get("step"))
        ),
        None,
    )
    if step is None:
        return node
    label = f"step {run.pipeline}/{step.name} (run {run.id[:8]}, {step.status})"
    if step.cached_from:
        label += f", cached from {step.cached_from[:8]}"
    step_node = LineageNode("step", label, step.id)
    node.children.append(step_node)
    for arg, input_id in sorted(step.inputs.items()):
        try:
            child = lineage_of_artifact(reg, input_id, snap, seen)
        except (ArtifactNotFoundError, GitregError):
            child = LineageNode("artifact", f"{arg}: missing {input_id[:8]}", input_id)
        child.label = f"{arg} <- {child.label}"
        step_node.children.append(child)
    return node


def lineage_of_model_version(
    reg: Registry, model: str, version: str, snap: Snapshot
) -> LineageNode:
    mv = reg.get_model_version(model, version, snap=snap)
    node = LineageNode("model", f"model {mv.model}@{mv.name}", mv.id)
    seen: set[str] = set()
    for link in reg.links(mv.model, mv.name, snap=snap):
        child = lineage_of_artifact(reg, link.artifact_id, snap, seen)
        child.label = f"[{link.kind.value}] {child.label}"
        node.children.append(child)
    return node


def to_mermaid(root: LineageNode) -> str:
    """A mermaid flowchart (renders on GitHub/GitLab): edges point from input to output."""
    lines = ["flowchart LR"]
    ids: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()

    def nid(node: LineageNode) -> str:
        if node.id not in ids:
            ids[node.id] = f"n{len(ids)}"
            shape = ("([", "])") if node.kind == "step" else ("[", "]")
            text = node.label.replace('"', "'")
            lines.append(f'  {ids[node.id]}{shape[0]}"{text}"{shape[1]}')
        return ids[node.id]

    def walk(node: LineageNode) -> None:
        me = nid(node)
        for child in node.children:
            edge = (nid(child), me)
            if edge not in edges:
                edges.add(edge)
                lines.append(f"  {edge[0]} --> {edge[1]}")
            walk(child)

    walk(root)
    return "\n".join(lines) + "\n"
