"""One repository's registry: its branch, its parsed manifests and its data store.

The use cases live beside this module (`artifacts`, `models`, `links`, `runs`, ...) as
functions of a `Registry`. Every write is one `GitStore.transact`: the batch is rebuilt
from the branch tip and committed with compare-and-swap, so numbers are never handed out
twice. `open_registry` shares one `Registry` per repository and branch in a process, so a
`Client()` made per query costs no more than a reused one.
"""

from __future__ import annotations

import configparser
import copy
import io
import logging
import os
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from gitreg.errors import (
    DamagedRepositoryError,
    ManifestError,
    NotARegistryError,
    RegistryNotInitializedError,
    RevisionNotFoundError,
    UsageError,
)
from gitreg.manifest import layout
from gitreg.manifest.schema import RegistryConfig, dump, parse
from gitreg.services import merge_files
from gitreg.stores.files import make_dirs
from gitreg.stores.git import GitStore, Op, Put, Snapshot, discover
from gitreg.stores.git.repository import Extra
from gitreg.stores.git.tags import NewTag

if TYPE_CHECKING:
    # the data store (hashing, dvc-data) is imported when bytes move, not for reads
    from gitreg.stores.data import DataStore, RemoteSpec

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)  # a manifest class
Build = Callable[[Snapshot], tuple[list[Op], str, T]]


@dataclass(frozen=True)
class InitResult:
    branch: str
    remote: str
    created: bool
    single_copy: bool  # the embedded default remote: it shares the cache's files


def new_id() -> str:
    return str(uuid.uuid4())


class _ParseCache:
    """Parsed manifests keyed by blob sha: content-addressed, so never stale.

    What reads parsed is kept up to `limit` entries, so a listing of 10,000 versions stays
    warm. What this process wrote is kept apart and only up to `written_limit`: reading a
    save back is free, but a loop of 10,000 saves does not keep every manifest it wrote.
    """

    def __init__(self, limit: int = 50_000, written_limit: int = 1024) -> None:
        self._read: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._written: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.limit = limit
        self.written_limit = written_limit

    def __len__(self) -> int:
        return len(self._read) + len(self._written)

    def get(self, cls: type, sha: str) -> Any:
        key = (cls.__name__, sha)
        found = self._read.get(key)
        return found if found is not None else self._written.get(key)

    def put(self, cls: type, sha: str, value: Any, written: bool = False) -> None:
        items, limit = (self._written, self.written_limit) if written else (self._read, self.limit)
        items[(cls.__name__, sha)] = value
        if len(items) > limit:
            try:
                items.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                pass


class Registry:
    """The registry branch of one repository, read and written through its git store."""

    def __init__(
        self, repo: str | os.PathLike[str] | None = None, branch: str | None = None
    ) -> None:
        self.git = GitStore(repo, branch)
        self.parsed = _ParseCache()
        self._data: DataStore | None = None
        self._data_key: str | None = None
        self._initialized = False
        self._pinned: Snapshot | None = None
        # model's GTO name -> its tags as last read or written (services/tags.py)
        self.tag_cache: dict[str, Any] = {}
        self.code_ref_cache: tuple[str, float, Any] | None = None  # services/runs.py

    @property
    def gitreg_dir(self) -> str:
        """gitreg's folder in the git directory: the local cache and the default remote."""
        return os.path.join(self.git.common_dir, "gitreg")

    @property
    def default_remote(self) -> str:
        return os.path.join(self.gitreg_dir, "remote")

    def snapshot(self, rev: str | None = None) -> Snapshot:
        """The registry at `rev`, else where this registry is pinned, else the branch tip."""
        if rev is None and self._pinned is not None:
            return self._pinned
        return self.git.snapshot(rev)

    @property
    def pinned_at(self) -> str | None:
        """The commit a point-in-time registry reads (None: the live branch)."""
        return self._pinned.commit if self._pinned is not None else None

    def at(self, when: str) -> Registry:
        """This registry as it was at `when`: a revision (commit, tag, `gitreg~5`, a proposal
        branch) or a date (`2026-12-01`, `2026-12-01T10:00`, `3 days ago`), meaning the last
        registry commit at or before it. Read-only; shares this registry's caches."""
        commit = resolve_point(self.git, when)
        view = copy.copy(self)
        view._pinned = self.git.snapshot(commit)
        return view

    # -- reading and writing manifests -------------------------------------------------
    def load(self, snap: Snapshot, cls: type[M], path: str) -> M | None:
        """The manifest at `path` as a `cls`, None if there is no file; ManifestError if broken."""
        sha = snap.blob_sha(path)
        return None if sha is None else self.load_sha(snap, cls, path, sha)

    def load_sha(self, snap: Snapshot, cls: type[M], path: str, sha: str) -> M:
        obj: M | None = self.parsed.get(cls, sha)
        if obj is None:
            try:
                data = snap.objects.read_blob(sha)
            except DamagedRepositoryError as e:  # a damaged repository, or a submodule entry
                raise ManifestError(path, unreadable(e)) from None
            obj = parse(cls, data, path)
            self.parsed.put(cls, sha, obj)
        return obj

    def load_all(
        self, snap: Snapshot, cls: type[M], base: str, suffix: str = ""
    ) -> list[tuple[str, M]]:
        """(path, manifest) of every file below `base` ending with `suffix`, in path order; a
        broken one is skipped with a warning, so one bad file never hides the others."""
        out = []
        for path, sha in snap.walk_files(base):
            if not path.endswith(suffix):
                continue
            try:
                out.append((path, self.load_sha(snap, cls, path, sha)))
            except ManifestError as e:
                log.warning("skipping %s", e)
        out.sort(key=lambda item: item[0])
        return out

    def put(self, path: str, obj: Any) -> Put:
        """A Put of `obj` as YAML; remembers the parsed form so reading it back is free."""
        from gitreg.stores.git.objects import blob_sha

        data = dump(obj)
        self.parsed.put(type(obj), blob_sha(data), obj, written=True)
        return Put(path, data)

    def transact(self, build: Build[T], extra: Extra | None = None) -> T:
        """Commit what `build(tip)` returns (ops, message, result), redone if the tip moved;
        `extra` adds tags to the commit (see `GitStore.transact`)."""
        self.require_writable()
        made: list[NewTag] = []

        def tagged(snap: Snapshot, commit: str, tree: str) -> list[NewTag]:
            assert extra is not None
            made[:] = extra(snap, commit, tree)
            return made

        result, _ = self.git.transact(build, extra=None if extra is None else tagged)
        if made:  # this process's view of the tags follows its own writes
            from gitreg.services import tags

            tags.remember(self, made)
        return result

    def require_writable(self) -> None:
        if self._pinned is not None:
            raise UsageError(
                "write",
                f"this client reads the registry at {self._pinned.commit}: it is read-only; "
                "use a Client without at= (a command without --at) to change the registry",
            )

    # -- initialisation ----------------------------------------------------------------
    def is_initialized(self, snap: Snapshot | None = None) -> bool:
        return (snap or self.snapshot()).exists(layout.CONFIG)

    def init(
        self, remote_url: str | None = None, remote_options: dict[str, str] | None = None
    ) -> InitResult:
        url = remote_url or self.default_remote
        if "://" not in url:
            url = os.path.abspath(url)

        def build(snap: Snapshot) -> tuple[list[Op], str, bool]:
            exists = snap.exists(layout.CONFIG)
            if not exists and snap.commit is not None:
                raise NotARegistryError(self.git.branch)
            ops: list[Op] = []
            if not exists:
                ops.append(self.put(layout.CONFIG, RegistryConfig()))
                ops.append(Put(layout.DVC_YAML, b"artifacts: {}\n"))
            if not snap.exists(layout.GITATTRIBUTES):
                ops.append(Put(layout.GITATTRIBUTES, merge_files.ATTRIBUTES))
            current = self.remote_of(snap)
            if not exists or (remote_url is not None and current.url != url):
                # the embedded remote's path is this machine's: it is never committed
                shared = url != self.default_remote
                config = _dvc_config("gitreg", url if shared else None, remote_options or {})
                ops.append(Put(layout.DVC_CONFIG, config))
            message = "gitreg: initialise registry" if not exists else "gitreg: set remote"
            return ops, message, not exists

        created = self.transact(build)
        self.install_merge_driver()
        if (
            self.git.branch != "gitreg"
            and self.git.config().get("gitreg.branch") != self.git.branch
        ):
            self.git.set_config("gitreg.branch", self.git.branch)
        url = self.remote_of(self.snapshot()).url
        if url == self.default_remote:
            make_dirs(os.path.join(url, "files", "md5"))
        self._data = None
        self._initialized = True
        return InitResult(self.git.branch, url, created, url == self.default_remote)

    def install_merge_driver(self) -> None:
        """Register gitreg's merge driver in this repository's git config (machine-local),
        so a plain `git merge` of registry branches merges the derived files field by field."""
        import shlex
        import sys

        key = f"merge.{merge_files.DRIVER}.driver"
        driver = f"{shlex.quote(sys.executable)} -m gitreg.cli.main merge-file %O %A %B %P"
        if self.git.config().get(key) != driver:
            self.git.set_config(f"merge.{merge_files.DRIVER}.name", "gitreg registry files")
            self.git.set_config(key, driver)

    def ensure_initialized(self) -> None:
        if self._pinned is not None:
            self.require_initialized(self._pinned)
            return
        if self._initialized:
            return  # a registry branch is never un-initialised under a running client
        if not self.is_initialized():
            self.init()
        self._initialized = True

    def require_initialized(self, snap: Snapshot) -> None:
        if not snap.exists(layout.CONFIG):
            raise RegistryNotInitializedError(self.git.branch)

    # -- the data store ------------------------------------------------------------------
    def remote_of(self, snap: Snapshot) -> RemoteSpec:
        """The DVC remote named by `.dvc/config` at `snap`; a remote `gitreg` without a url
        (or with another clone's embedded path) is this clone's embedded remote."""
        from gitreg.stores.data import RemoteSpec

        raw = snap.read(layout.DVC_CONFIG)
        if raw is None:
            return RemoteSpec("gitreg", self.default_remote)
        parser = configparser.ConfigParser()
        try:
            parser.read_string(raw.decode())
        except (configparser.Error, UnicodeDecodeError) as e:
            raise ManifestError(layout.DVC_CONFIG, f"invalid DVC config: {e}") from None
        name = parser.get("core", "remote", fallback="gitreg")
        section = f"'remote \"{name}\"'"
        if not parser.has_section(section):
            if name == EMBEDDED:
                return RemoteSpec(name, self.default_remote)
            raise ManifestError(
                layout.DVC_CONFIG, f"core.remote names {name!r}, which has no section"
            )
        opts = dict(parser.items(section))
        url = opts.pop("url", None)
        if not url and name == EMBEDDED:
            return RemoteSpec(name, self.default_remote, opts)
        if not url:
            raise ManifestError(layout.DVC_CONFIG, f"remote {name!r} has no url")
        if name == EMBEDDED and "://" not in url and _EMBEDDED_PATH.search(url):
            # an older registry committed the embedded path of the clone that made it
            return RemoteSpec(name, self.default_remote, opts)
        return RemoteSpec(name, url, opts)

    def is_embedded(self, spec: RemoteSpec) -> bool:
        """True if `spec` is this clone's embedded remote (bytes no other clone can reach)."""
        return spec.url == self.default_remote

    def data_store(self, spec: RemoteSpec) -> DataStore:
        """A data store on this clone's cache for another remote (e.g. one being switched to)."""
        from gitreg.stores.data import DataStore

        return DataStore(os.path.join(self.gitreg_dir, "cache"), spec)

    def data(self, snap: Snapshot | None = None) -> DataStore:
        """The data store for the remote `snap` names (the tip's by default)."""
        snap = snap or self.snapshot()
        key = snap.blob_sha(layout.DVC_CONFIG) or ""
        if self._data is None or self._data_key != key:
            from gitreg.stores.data import DataStore

            self._data = DataStore(os.path.join(self.gitreg_dir, "cache"), self.remote_of(snap))
            self._data_key = key
        return self._data

    def close(self) -> None:
        self.git.objects.close()


_RELATIVE_DATE = re.compile(
    r"\d+ (second|minute|hour|day|week|month|year)s? ago|yesterday|today|now", re.IGNORECASE
)


def resolve_point(git: GitStore, when: str) -> str:
    """The registry commit `when` names: a revision, else the last commit at a date."""
    from datetime import datetime

    try:
        return git.resolve(when)
    except RevisionNotFoundError:
        pass
    try:
        datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        if _RELATIVE_DATE.fullmatch(when.strip()) is None:
            raise RevisionNotFoundError(when) from None
    tip = git.read_head()
    if tip is None:
        raise RegistryNotInitializedError(git.branch)
    found = git.git("rev-list", "-1", f"--before={when}", tip).strip()
    if not found:
        raise RevisionNotFoundError(when)  # the registry did not exist yet then
    return found


def unreadable(e: DamagedRepositoryError) -> str:
    """Why a manifest's git object cannot be read, and what to do."""
    return (
        f"its git object {e.sha} is missing or damaged (or is a submodule): run `git fsck`; "
        "`git index-pack` rebuilds a lost .idx, `git fetch` from a clone restores objects"
    )


EMBEDDED = "gitreg"  # the DVC remote name gitreg writes
_EMBEDDED_PATH = re.compile(r"[/\\]\.git[/\\]gitreg[/\\]remote[/\\]?$")


def _dvc_config(name: str, url: str | None, options: dict[str, str]) -> bytes:
    """`.dvc/config` naming the remote; without `url` (the embedded remote) only its name,
    which each clone resolves to its own `.git/gitreg/remote`."""
    buf = io.StringIO()
    buf.write(f"[core]\n    remote = {name}\n")
    if url is None:
        return buf.getvalue().encode()
    buf.write(f"['remote \"{name}\"']\n    url = {url}\n")
    for k, v in sorted(options.items()):
        buf.write(f"    {k} = {v}\n")
    return buf.getvalue().encode()


# -- one Registry per repository and branch in a process ----------------------------------
_OPEN: OrderedDict[tuple[str | None, str, str | None], Registry] = OrderedDict()
_OPEN_LOCK = threading.Lock()
OPEN_LIMIT = 16  # repositories kept open at once (each holds a `git cat-file` process)


def open_registry(
    repo: str | os.PathLike[str] | None = None, branch: str | None = None
) -> Registry:
    """The process's `Registry` for the repository around `repo` (the current directory by
    default) and `branch`, made on first use: its caches serve every client of it."""
    work_tree, git_dir, _ = discover(repo)
    key = (work_tree, git_dir, branch)
    with _OPEN_LOCK:
        reg = _OPEN.get(key)
        if reg is not None:
            _OPEN.move_to_end(key)
            return reg
    reg = Registry(repo, branch)
    with _OPEN_LOCK:
        reg = _OPEN.setdefault(key, reg)
        while len(_OPEN) > OPEN_LIMIT:
            _, old = _OPEN.popitem(last=False)
            old.close()  # its reader restarts if a client still uses it
    return reg


def close_registries() -> None:
    """Forget every open registry (their caches and `git cat-file` processes)."""
    with _OPEN_LOCK:
        regs = list(_OPEN.values())
        _OPEN.clear()
    for reg in regs:
        reg.close()
