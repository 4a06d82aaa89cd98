"""Teams: push and pull the registry branch, merge a proposal branch, switch the DVC remote.

Push sends the bytes first (DVC objects of this clone's new artifact versions), then the
registry commits: when the remote moved, this clone's commits are replayed on its tip
(`replay`), and the result is pushed with git's plain fast-forward rule, so a push that
lost a race is rejected, fetched and replayed again. The local branch moves only after the
remote took the commits: a rejected push never leaves them disagreeing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitreg.errors import (
    ArtifactDataMissingError,
    PushRejectedError,
    RegistryConflictError,
    RegistryNotInitializedError,
    StorageError,
)
from gitreg.manifest import layout
from gitreg.manifest.schema import ArtifactVersionFile, parse
from gitreg.services.registry import Registry
from gitreg.services.replay import Rename, replay, replay_since_base
from gitreg.stores.git import remote as git_remote
from gitreg.stores.git.refs import RefMovedError

if TYPE_CHECKING:
    from gitreg.stores.data import StoredObject

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
PUSH_ATTEMPTS = 8
LOCAL_ATTEMPTS = 50  # moving the local branch while this clone's own writers move it


@dataclass
class SyncResult:
    """What a push, pull or merge did."""

    remote: str  # the git remote (or the merged branch)
    branch: str
    head: str | None  # the registry branch's commit afterwards
    sent: int = 0  # registry commits the remote received
    received: int = 0  # registry commits this clone received
    objects: int = 0  # DVC objects pushed
    renames: list[Rename] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # tags pushed or fetched

    @property
    def changed(self) -> bool:
        return bool(self.sent or self.received or self.objects or self.tags)


@dataclass
class RemoteSwitch:
    url: str
    objects: int  # objects copied (or already there)
    missing: list[str]  # objects found neither in the cache nor in the old remote


# -- tags ---------------------------------------------------------------------------------------
def tags_to_fetch(reg: Registry, remote_refs: dict[str, str]) -> list[str]:
    """Refspecs of the remote's GTO-style tags that this clone lacks or holds otherwise.
    Published tags win: a local one of the same name is a projection of commits that were
    not pushed yet, and `tags --rebuild` after the sync re-derives those."""
    from gitreg.services import tags
    from gitreg.stores.git.tags import list_tags

    have = {f"refs/tags/{t.name}": t.sha for t in list_tags(reg.git)}
    return [
        f"+{ref}:{ref}"
        for ref, sha in sorted(remote_refs.items())
        if ref.startswith("refs/tags/")
        and tags.parse_tag(ref.removeprefix("refs/tags/")) is not None
        and have.get(ref) != sha
    ]


def _sync_tags(reg: Registry, remote: str, remote_refs: dict[str, str]) -> list[str]:
    """After the branch moved: re-derive the tags (replayed commits are new commits), then
    publish the new ones (a tag the remote has is never changed); a push that lost a race
    fetches the winner's tags and retries."""
    from gitreg.services import tags

    git = reg.git
    for _ in range(PUSH_ATTEMPTS):
        tags.rebuild(reg)
        owned = {f"refs/tags/{t.name}": t.sha for t in tags.owned(reg)}
        send = {ref: sha for ref, sha in owned.items() if ref not in remote_refs}
        if not send or git_remote.push(git, remote, [f"{sha}:{r}" for r, sha in send.items()]):
            return sorted(send)
        remote_refs = git_remote.ls_remote(git, remote, "refs/tags/*")
        specs = tags_to_fetch(reg, remote_refs)
        if specs:
            git_remote.fetch(git, remote, specs)
        tags.forget(reg)
    raise PushRejectedError(remote, "refs/tags/*", PUSH_ATTEMPTS)


# -- fetching ------------------------------------------------------------------------------
def _fetch(reg: Registry, remote: str) -> tuple[str | None, dict[str, str], list[str]]:
    """Fetch the remote's registry branch and the gitreg tags we lack: (its tip or None,
    the remote's refs, the tags fetched)."""
    git = reg.git
    refs = git_remote.ls_remote(git, remote, git.ref, "refs/tags/*")
    tip = refs.get(git.ref)
    specs = [f"+{git.ref}:{git.tracking_ref(remote)}"] if tip else []
    fetched = tags_to_fetch(reg, refs)
    specs += fetched
    if specs:
        git_remote.fetch(git, remote, specs)
    return tip, refs, [s.rpartition(":")[2] for s in fetched]


# -- data first -------------------------------------------------------------------------------
def _objects(pointers: Iterable[tuple[str, bytes]]) -> list[StoredObject]:
    """The DVC objects that artifact version pointers, as (path, bytes), name: each once."""
    from gitreg.stores.data import StoredObject

    objects: dict[str, StoredObject] = {}
    for path, data in pointers:
        out = parse(ArtifactVersionFile, data, path).outs[0]
        objects[out.md5] = StoredObject(out.md5, out.size, out.nfiles)
    return list(objects.values())


# -- push -------------------------------------------------------------------------------------
def push(
    reg: Registry,
    remote: str | None = None,
    progress: Progress | None = None,
    on_objects: Callable[[int], None] | None = None,
) -> SyncResult:
    """Publish this clone's registry commits on the remote's registry branch.

    `on_objects(total_bytes)` is called before the bytes move (for a progress bar)."""
    git = reg.git
    name = remote or git.upstream_remote()
    result = SyncResult(name, git.branch, None)
    for _ in range(PUSH_ATTEMPTS):
        remote_tip, remote_refs, _ = _fetch(reg, name)
        local = git.head()
        if local is None and remote_tip is not None:  # a fresh clone wrote nothing yet
            result.head = remote_tip
            return result
        if local is None:
            raise RegistryNotInitializedError(git.branch)
        base = git.merge_base(local, remote_tip) if remote_tip else None
        if remote_tip is not None and base == local:  # nothing of ours the remote lacks
            result.head = local
            result.tags = _sync_tags(reg, name, remote_refs)  # unless a tag push failed
            return result
        objects = _objects(
            (path, git.objects.read_blob(sha))
            for path, sha in git.changed_files(base, local)
            if sha is not None and layout.ARTIFACT_VERSION_RE.fullmatch(path)
        )
        if on_objects is not None:
            on_objects(sum(o.size for o in objects))
        store = reg.data()
        for obj in objects:  # data before manifests
            store.push(obj)  # a no-op for objects the remote has
            if progress is not None:
                progress(obj.size)
        result.objects = len(objects)
        if remote_tip is None or base == remote_tip:
            new, renames = local, []
            sent = len(git.commits_between(remote_tip, local))
        else:
            replayed = replay(reg, git.commits_between(base, local), remote_tip)
            new, renames, sent = replayed.head, replayed.renames, replayed.commits
        if not git_remote.push(git, name, [f"{new}:{git.ref}"]):
            log.info("the remote's %s moved meanwhile: fetching and replaying again", git.ref)
            continue
        git.git("update-ref", git.tracking_ref(name), new)
        result.head = _advance_local(reg, local, new)
        result.sent, result.renames = sent, renames
        result.tags = _sync_tags(reg, name, remote_refs)
        return result
    raise PushRejectedError(name, git.branch, PUSH_ATTEMPTS)


def _advance_local(reg: Registry, old: str | None, new: str) -> str:
    """Move the local branch from `old` to `new`; commits written locally meanwhile are
    replayed on top (they stay local until the next push)."""
    git = reg.git
    for _ in range(LOCAL_ATTEMPTS):
        try:
            git.move_branch(old, new, "gitreg: sync")
            return new
        except RefMovedError:
            current = git.head()
            if current is None or current == new:
                return new
            extra = git.commits_between(old, current) if old else []
            new = replay(reg, extra, new).head
            old = current
    raise RegistryConflictError(git.ref, LOCAL_ATTEMPTS)


def _rebuild_tags(reg: Registry) -> None:
    """Tags for commits that arrived or were replayed here (published ones were fetched)."""
    from gitreg.services import tags

    tags.forget(reg)
    tags.rebuild(reg)


# -- pull -------------------------------------------------------------------------------------
def pull(reg: Registry, remote: str | None = None) -> SyncResult:
    """Bring the remote's registry commits here: fast-forward, or replay this clone's
    commits on the remote's tip."""
    git = reg.git
    name = remote or git.upstream_remote()
    reg.install_merge_driver()  # a fresh clone's plain `git merge` then merges like ours
    remote_tip, _, fetched = _fetch(reg, name)
    result = SyncResult(name, git.branch, git.head(), tags=fetched)
    if remote_tip is None:
        return result
    for _ in range(LOCAL_ATTEMPTS):
        local = git.head()
        if local is not None and git.is_ancestor(remote_tip, local):
            result.head = local
            _rebuild_tags(reg)
            return result
        if local is None or git.is_ancestor(local, remote_tip):
            new, renames = remote_tip, []
        else:
            replayed = replay_since_base(reg, local, remote_tip)
            new, renames = replayed.head, replayed.renames
        try:
            git.move_branch(local, new, f"gitreg: pull from {name}")
        except RefMovedError:
            continue
        base = git.merge_base(local, remote_tip) if local else None
        result.received = len(git.commits_between(base, remote_tip))
        result.head, result.renames = new, renames
        _rebuild_tags(reg)
        return result
    raise RegistryConflictError(git.ref, LOCAL_ATTEMPTS)


# -- merge a proposal -------------------------------------------------------------------------
def merge(reg: Registry, branch: str) -> SyncResult:
    """Merge registry branch `branch` (a proposal) into this registry branch by replaying
    its commits since the merge-base, as if they had been written here."""
    git = reg.git
    source = git.resolve(branch if branch.startswith("refs/") else f"refs/heads/{branch}")
    result = SyncResult(branch, git.branch, git.head())
    for _ in range(LOCAL_ATTEMPTS):
        git.start_from_tracking()
        local = git.head()
        if local is None:
            raise RegistryNotInitializedError(git.branch)
        if git.is_ancestor(source, local):
            return result
        if git.is_ancestor(local, source):
            new, renames = source, []
            count = len(git.commits_between(local, source))
        else:
            replayed = replay_since_base(reg, source, local)
            new, renames, count = replayed.head, replayed.renames, replayed.commits
        try:
            git.move_branch(local, new, f"gitreg: merge {branch}")
        except RefMovedError:
            continue
        result.head, result.received, result.renames = new, count, renames
        _rebuild_tags(reg)
        return result
    raise RegistryConflictError(git.ref, LOCAL_ATTEMPTS)


# -- switching the DVC remote -------------------------------------------------------------------
def set_remote(
    reg: Registry,
    url: str,
    options: dict[str, str] | None = None,
    progress: Progress | None = None,
    on_objects: Callable[[int], None] | None = None,
) -> RemoteSwitch:
    """Copy every object the registry references to `url`, then commit the switch."""
    from gitreg.services.gc import read_pointers
    from gitreg.stores.data import RemoteSpec

    reg.require_writable()
    reg.ensure_initialized()
    if "://" not in url:
        url = os.path.abspath(url)
    spec = RemoteSpec("gitreg", url, options or {})
    new = reg.data_store(spec)
    try:
        if spec.is_local:
            os.makedirs(os.path.join(spec.local_path, "files", "md5"), exist_ok=True)
        new.backend.exists("0" * 32)  # reachable, with these options?
    except Exception as e:  # any backend's failure: bad URL, scheme, credentials
        raise StorageError(
            "reach the remote", url, str(e).splitlines()[0] if str(e) else type(e).__name__,
            "nothing was changed. Check the URL and its options (-o KEY=VALUE)",
        ) from None  # fmt: skip
    old = reg.data()
    head = reg.snapshot().commit  # every object the branch's history points at
    objects = _objects(read_pointers(reg, [head])) if head else []
    if on_objects is not None:
        on_objects(sum(o.size for o in objects))
    missing = []
    for obj in objects:
        try:
            old.ensure(obj.md5)
            if obj.is_dir:
                for entry in old.dir_entries(obj.md5):
                    old.ensure(entry["md5"])
        except ArtifactDataMissingError:
            missing.append(obj.md5)
            continue
        new.push(obj)
        if progress is not None:
            progress(obj.size)
    if missing:
        log.warning(
            "%d object(s) are neither in the cache nor in the old remote: "
            "push them from a clone that has them",
            len(missing),
        )
    reg.init(url, options)
    return RemoteSwitch(url, len(objects) - len(missing), missing)
