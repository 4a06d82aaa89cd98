"""Pipeline runs and the step cache, as manifests on the registry branch."""

from __future__ import annotations

import logging
import subprocess
import time
from typing import TYPE_CHECKING

from gitreg.errors import GitregError, ManifestError, RunNotFoundError
from gitreg.manifest import layout
from gitreg.manifest.schema import CacheEntry, CodeRef, IdEntry, RunFile, now
from gitreg.services import artifacts
from gitreg.services.registry import Registry
from gitreg.services.views import ModelVersion
from gitreg.stores.git import Op, Snapshot
from gitreg.stores.git.tags import NewTag

if TYPE_CHECKING:
    from gitreg.services.models import VersionRequest

log = logging.getLogger(__name__)


def code_ref(reg: Registry) -> CodeRef:
    """The user's HEAD commit and branch, and whether the working tree differs from it
    (one `git status`, which reports all three)."""
    work = reg.git.work_tree
    if work is None:
        return CodeRef()
    proc = subprocess.run(
        ["git", "-C", work, "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
        capture_output=True,
        text=True,
    )
    head = branch = None
    dirty = False
    for line in proc.stdout.splitlines():
        if line.startswith("# branch.oid "):
            oid = line[len("# branch.oid ") :]
            head = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            name = line[len("# branch.head ") :]
            branch = None if name == "(detached)" else name
        elif not line.startswith("#"):
            dirty = True
    return CodeRef(commit=head, branch=branch, dirty=dirty)


CODE_REF_AGE = 2.0  # seconds a code commit read is reused for new model versions


def recent_code_ref(reg: Registry) -> CodeRef:
    """`code_ref`, reused for CODE_REF_AGE seconds while HEAD stays put, so that a loop
    creating versions pays one `git status` every few seconds, not one per version."""
    head = reg.git.user_head()
    cached = reg.code_ref_cache
    now = time.monotonic()
    if cached is not None and cached[0] == head and now - cached[1] < CODE_REF_AGE:
        return cached[2]
    ref = code_ref(reg)
    reg.code_ref_cache = (head, now, ref)
    return ref


def code_ref_of(reg: Registry, rev: str) -> CodeRef:
    """The user's commit `rev` names (a sha, tag or branch), as a clean code commit."""
    from gitreg.errors import RevisionNotFoundError

    work = reg.git.work_tree
    proc = subprocess.run(
        ["git", "-C", work or reg.git.git_dir, "rev-parse", "--verify", "--quiet",
         f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    sha = proc.stdout.strip()
    if proc.returncode != 0 or not sha:
        raise RevisionNotFoundError(rev)
    branch = rev if _is_branch(reg, rev) else None
    return CodeRef(commit=sha, branch=branch, dirty=False)


def _is_branch(reg: Registry, rev: str) -> bool:
    proc = subprocess.run(
        ["git", "--git-dir", reg.git.git_dir, "show-ref", "--verify", "--quiet",
         f"refs/heads/{rev}"],
        capture_output=True,
    )  # fmt: skip
    return proc.returncode == 0


def save_run(
    reg: Registry,
    run: RunFile,
    cache: dict[str, CacheEntry] | None = None,
    version: VersionRequest | None = None,
) -> ModelVersion | None:
    """Write (or rewrite) a run manifest, plus cache entries, as one commit; `version`: the
    run's model version, fetched or created in that commit (returned)."""
    from gitreg.services import models

    path = layout.run_manifest(run.id)
    created = now()
    found: list[models.VersionOps] = []

    def build(snap: Snapshot) -> tuple[list[Op], str, None]:
        found.clear()
        reg.require_initialized(snap)
        manifest, ops = run, []
        if version is not None:
            v = models.version_ops(reg, snap, version, created)
            found.append(v)
            ops += v.ops
            manifest = run.model_copy(update={"model": f"{v.file.model}@{v.file.name}"})
        ops.append(reg.put(path, manifest))
        if not snap.exists(layout.id_entry(run.id)):
            ops.append(reg.put(layout.id_entry(run.id), IdEntry(kind="run", path=path)))
        for key, entry in (cache or {}).items():
            ops.append(reg.put(layout.cache_entry(key), entry))
        message = f"gitreg: run {run.pipeline} {run.id[:8]} {run.status}"
        if found and found[0].created:
            message += f"; create model version {found[0].file.model}@{found[0].file.name}"
        return ops, message, None

    def extra(snap: Snapshot, commit: str, tree: str) -> list[NewTag]:
        return [t for v in found for t in v.tags(reg, snap, commit)]

    reg.transact(build, extra)
    if not found:
        return None
    return models.get_version(reg, found[0].file.model, found[0].file.name)


def get_run(reg: Registry, run_id: str, snap: Snapshot | None = None) -> RunFile:
    snap = snap or reg.snapshot()
    run = reg.load(snap, RunFile, layout.run_manifest(run_id))
    if run is None:
        found = artifacts.resolve_id(reg, snap, run_id.lower(), "run")
        run = reg.load(snap, RunFile, found) if found else None
        if run is not None and not run.id.startswith(run_id.lower()):
            run = None  # an `ids/` entry pointing at another run's manifest
    if run is None:
        raise RunNotFoundError(run_id)
    return run


def list_runs(reg: Registry, snap: Snapshot | None = None) -> list[RunFile]:
    snap = snap or reg.snapshot()
    out = [run for _, run in reg.load_all(snap, RunFile, layout.RUNS)]
    out.sort(key=lambda r: r.start)
    return out


def cache_lookup(reg: Registry, key: str) -> CacheEntry | None:
    """Outputs cached under `key`, if every one of them still exists."""
    snap = reg.snapshot()
    try:
        entry = reg.load(snap, CacheEntry, layout.cache_entry(key))
    except ManifestError as e:
        log.warning("ignoring cache entry: %s", e)
        return None
    if entry is None:
        return None
    for art_id in entry.outputs.values():
        try:
            artifacts.get(reg, art_id, snap=snap)
        except GitregError:
            return None
    return entry
