"""`gitreg gc`: remove from the DVC remote and the local cache the objects no registry
commit references.

What is kept: every object an artifact version pointer names (and, for a folder, every file
its `.dir` listing names) in any commit reachable from a ref whose tip is a registry: the
registry branch, proposal branches, remote-tracking branches and gitreg's tags. Deleting a
version is a commit, so its bytes stay while history holds it; gc frees the bytes of pushes
whose manifest never landed (a lost race, a crash between push and commit), of deleted
proposal branches and of rewritten history.

History is read in one `git log` over the artifact pointers, and each distinct pointer blob
once (one `git cat-file --batch`). An unreferenced object younger than `older_than` (two
weeks, as git's `gc.pruneExpire`) is kept: it may belong to a save whose commit is still on
its way. A save that re-uses an old unreferenced object while gc runs can still lose it, so
run gc with `older_than=0` only when nobody is saving.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitreg.errors import DamagedRepositoryError, GarbageCollectionError, GitregError, ManifestError
from gitreg.manifest import layout
from gitreg.manifest.yaml_io import loads

if TYPE_CHECKING:
    from gitreg.services.registry import Registry
    from gitreg.stores.data import DataStore, Listed

log = logging.getLogger(__name__)
TWO_WEEKS = 14 * 24 * 3600.0
_POINTER = re.compile(rf"{layout.ARTIFACTS}/[^/]+/versions/.+\.dvc")
_NULL_SHA = "0" * 40


@dataclass
class GcReport:
    dry_run: bool
    remote: str  # the remote's URL
    refs: list[str]  # the refs whose history was kept
    referenced: int  # distinct objects some commit references
    listed: int  # objects found in the remote and the cache
    removed_remote: list[Listed] = field(default_factory=list)  # removed, or to be (dry run)
    removed_cache: list[Listed] = field(default_factory=list)
    kept_recent: int = 0  # unreferenced, but younger than `older_than`

    @property
    def removed_remote_bytes(self) -> int:
        return sum(o.size for o in self.removed_remote)

    @property
    def removed_cache_bytes(self) -> int:
        return sum(o.size for o in self.removed_cache)

    @property
    def nothing_to_do(self) -> bool:
        return not self.removed_remote and not self.removed_cache


def registry_refs(reg: Registry) -> list[tuple[str, str]]:
    """(ref name, object id) of every ref whose tip is a registry commit (its tree has
    `gitreg.yaml`), the registry branch first; two git calls for any number of refs."""
    listing = reg.git.git("for-each-ref", "--format=%(objectname) %(refname)")
    pairs = [(name, sha) for sha, _, name in (line.partition(" ") for line in listing.splitlines())]
    if not pairs:
        return []
    query = "".join(f"{sha}:{layout.CONFIG}\n" for _, sha in pairs).encode()
    kinds = reg.git.git("cat-file", "--batch-check=%(objecttype)", input=query).splitlines()
    refs = [pair for pair, kind in zip(pairs, kinds) if kind == "blob"]
    refs.sort(key=lambda p: (p[0] != reg.git.ref, p[0]))
    return refs


def pointer_blobs(reg: Registry, tips: Iterable[str]) -> dict[str, str]:
    """blob sha -> path of every artifact version pointer in any commit reachable from
    `tips`: one `git log` that shows each commit's changes below `artifacts/` (both sides of
    a merge, the root commit too), so each pointer is seen where it was written."""
    out = reg.git.git(
        "log", "--stdin", "--full-history", "--diff-merges=separate", "--root",
        "--no-renames", "--raw", "-z", "--no-abbrev", "--format=tformat:",
        "--", layout.ARTIFACTS,
        input="".join(f"{t}\n" for t in tips).encode(),
    )  # fmt: skip
    blobs: dict[str, str] = {}
    tokens = out.split("\0")
    for i, token in enumerate(tokens[:-1]):
        head = token.lstrip("\n")
        if not head.startswith(":"):
            continue
        path = tokens[i + 1]
        fields = head.split(" ")
        if len(fields) >= 4 and fields[3] != _NULL_SHA and _POINTER.fullmatch(path):
            blobs.setdefault(fields[3], path)
    return blobs


def read_pointers(reg: Registry, tips: Iterable[str]) -> list[tuple[str, bytes]]:
    """(path, bytes) of every distinct artifact version pointer in the history of `tips`
    (`gc` keeps what they name, `remote set` copies it)."""
    blobs = pointer_blobs(reg, tips)
    shas = list(blobs)
    out = []
    for sha, data in zip(shas, reg.git.objects.read_blobs(shas)):
        if data is None:
            raise DamagedRepositoryError(sha, reg.git.git_dir, f"the pointer {blobs[sha]}")
        out.append((blobs[sha], data))
    return out


def _pointer_oids(data: bytes, path: str) -> list[str]:
    """The objects one pointer names; read loosely (any `outs[].md5`), so that an old
    pointer the schema would refuse still keeps its bytes."""
    try:
        doc = loads(data, path)
    except ManifestError as e:
        log.warning("gc: %s (it names no object gc can see)", e)
        return []
    outs = doc.get("outs") if isinstance(doc, dict) else None
    return [
        str(o["md5"])
        for o in (outs if isinstance(outs, list) else [])
        if isinstance(o, dict) and isinstance(o.get("md5"), str)
    ]


def referenced_objects(reg: Registry, store: DataStore, tips: Iterable[str]) -> set[str]:
    """Every object a commit reachable from `tips` references, with folders' files."""
    oids: dict[str, str] = {}  # oid -> a pointer that names it
    for path, data in read_pointers(reg, tips):
        for oid in _pointer_oids(data, path):
            oids.setdefault(oid, path)
    referenced = set(oids)
    for oid, path in oids.items():
        if oid.endswith(".dir"):
            try:
                referenced.update(e["md5"] for e in store.dir_entries(oid))
            except GitregError as e:
                raise GarbageCollectionError(oid, path, str(e).split(";")[0]) from e
    return referenced


def gc(
    reg: Registry,
    dry_run: bool = False,
    older_than: float = TWO_WEEKS,
    progress: Callable[[int], None] | None = None,
) -> GcReport:
    """Remove (or with `dry_run` only report) the objects in the remote and the local cache
    that no registry commit references and that are older than `older_than` seconds."""
    reg.require_writable()
    snap = reg.snapshot()
    reg.require_initialized(snap)
    store = reg.data(snap)
    # listed before history is read: an object pushed after this is never a candidate, and
    # one pushed before it whose manifest has landed meanwhile is seen as referenced
    in_remote = _listed(store.remote_objects(), progress)
    in_cache = _listed(store.cached_objects(), progress)
    refs = registry_refs(reg)
    tips = [sha for _, sha in refs] or [snap.commit or ""]
    referenced = referenced_objects(reg, store, tips)
    report = GcReport(
        dry_run, store.remote.url, [name for name, _ in refs], len(referenced),
        len(in_remote) + len(in_cache),
    )  # fmt: skip
    now = time.time()
    for found, removed in ((in_remote, report.removed_remote), (in_cache, report.removed_cache)):
        for obj in found:
            if obj.oid in referenced:
                continue
            if older_than > 0 and (obj.mtime is None or now - obj.mtime < older_than):
                report.kept_recent += 1
            else:
                removed.append(obj)
    if not dry_run:
        # a folder's listing before its files, so no listing outlives what it names
        order = sorted(report.removed_remote, key=lambda o: not o.is_dir)
        store.remove_remote([o.oid for o in order])
        store.remove_cached([o.oid for o in report.removed_cache])
        log.info(
            "gc removed %d object(s) from %s and %d from the cache",
            len(report.removed_remote), report.remote, len(report.removed_cache),
        )  # fmt: skip
    return report


def _listed(objects: Iterable[Listed], progress: Callable[[int], None] | None) -> list[Listed]:
    out = []
    for obj in objects:
        out.append(obj)
        if progress:
            progress(1)
    return out
