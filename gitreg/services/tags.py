"""Model versions and stages as git tags in GTO's grammar (DESIGN.md, "Git tags").

Tags are projections: the manifests and the registry branch's history are the truth.

- A version is `NAME@vX.Y.Z`: its own name when it is SemVer (with or without a leading
  `v`), else `v0.0.<number>`. If another, older version already holds that tag name, the
  later one gets no tag (a warning; `gitreg validate` reports it).
- The tag points at the commit that created the version; once the version gets its first
  model-kind link, it is re-pointed at that commit, or at a *side commit* (that commit with
  `dvc.yaml` mapping NAME to the version's model artifact) when the branch's `dvc.yaml`
  maps NAME elsewhere (a production version exists), so that
  `dvc artifacts get REPO NAME --rev vX.Y.Z` finds the version's artifact.
- A stage change writes `NAME#STAGE#N` (assign) and `NAME#STAGE!#N` (a version leaving a
  stage), pointing at the commit of the version's tag; N grows per model; tagger times
  grow by at least one second per model (GTO orders by them); unassigns come first.

Public API (for push/pull and other callers): `gto_name`, `dvc_name_of`, `gto_version`,
`parse_tag`, `owned` (the tags gitreg owns), `wanted` (the tags the registry calls for),
`check` (what differs), `rebuild` (make the tags what `wanted` says), `forget` (drop this
process's tag cache, e.g. after tags were fetched or pushed).

gitreg owns a tag whose name parses in GTO's grammar and whose NAME is a model's GTO name
at the branch tip, or whose message starts with `gitreg:` (one it wrote). Nothing else
(a user's `v1.0`, GTO tags of artifacts that are not registry models) is touched.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, NamedTuple

from gitreg.enums import LinkKind
from gitreg.errors import ManifestError
from gitreg.manifest import layout
from gitreg.manifest.schema import LinkFile, ModelEntity, ModelVersionFile
from gitreg.manifest.yaml_io import loads
from gitreg.stores.git import Op, Snapshot
from gitreg.stores.git.tags import NewTag, TagRef, delete_refs, list_tags, write_refs

if TYPE_CHECKING:
    from gitreg.manifest.schema import M
    from gitreg.services.registry import Registry

log = logging.getLogger(__name__)

_PRE = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER = re.compile(rf"v?((?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-{_PRE}(?:\.{_PRE})*)?)")
_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9/_-]*[a-zA-Z0-9])?"
_TAG = re.compile(
    rf"(?P<name>{_NAME})(?:@(?P<version>v[0-9A-Za-z.-]+)(?P<dereg>!)?"
    rf"|#(?P<stage>[a-zA-Z0-9](?:[a-zA-Z0-9_-]*[a-zA-Z0-9])?)(?P<unassign>!)?#(?P<n>\d+))"
)
REGISTER = "gitreg: register"  # the subject of a version tag starts so
STAGE = "gitreg: stage"
AT_ARTIFACT = " at model artifact "  # in a version tag's subject: tied to its model artifact


# -- names ------------------------------------------------------------------------------------
def gto_name(model: str) -> str:
    """A model name as GTO and DVC accept it: lowercase, runs of other characters than
    [a-z0-9] as one '-', stripped ('model' if nothing is left)."""
    out = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")
    return out or "model"


def dvc_name_of(e: ModelEntity) -> str:
    """The model's name in `dvc.yaml` and its tags: fixed at creation; mapped for older
    manifests that do not record it."""
    return e.dvc_name or gto_name(e.name)


def new_dvc_name(taken: set[str], model: str) -> str:
    """The GTO name for a new model: its mapping, with `-2`, `-3`, ... if another model has it."""
    base = gto_name(model)
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    return name


def gto_version(version: str, number: int) -> str:
    """`vX.Y.Z` for a SemVer version name, else `v0.0.<number>`."""
    m = SEMVER.fullmatch(version)
    return f"v{m[1]}" if m else f"v0.0.{number}"


def version_tag(gto: str, version: str, number: int) -> str:
    return f"{gto}@{gto_version(version, number)}"


class ParsedTag(NamedTuple):
    gto: str
    version: str | None  # `vX.Y.Z` of a version tag
    stage: str | None  # the stage of a stage tag
    assign: bool  # False: a version deregistered, or leaving the stage
    n: int  # a stage tag's N (0 for a version tag)


def parse_tag(name: str) -> ParsedTag | None:
    """A tag's name in GTO's grammar, parsed; None if it is not in that grammar."""
    m = _TAG.fullmatch(name)
    if m is None:
        return None
    if m["version"]:
        return ParsedTag(m["name"], m["version"], None, not m["dereg"], 0)
    return ParsedTag(m["name"], None, m["stage"], not m["unassign"], int(m["n"]))


def stage_events(old: dict[str, str], new: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(version, stage, assign) of a change of a model's stages, in the order their tags
    are written: every unassign first (dvc takes the newest tag of a stage)."""
    out = [(v, s, False) for v, s in sorted(old.items()) if new.get(v) != s]
    return out + [(v, s, True) for v, s in sorted(new.items()) if old.get(v) != s]


def claimant(snap: Snapshot, model: str, tag_version: str, version: str) -> str | None:
    """Another existing version of `model` whose tag would be `tag_version` (tree lookups)."""
    bare = tag_version[1:]
    for name in (bare, tag_version):
        if name != version and snap.exists(layout.model_version(model, name)):
            return name
    # a SemVer `0.0.N` against auto-number N (numbers are unique: only for SemVer names)
    m = re.fullmatch(r"0\.0\.(\d+)", bare) if SEMVER.fullmatch(version) else None
    if m:
        shard = f"{layout.model_numbers_dir(model)}/{layout.shard(m[1])}"
        for entry in snap.listdir(shard):
            number, _, name = entry.partition("@")
            if number == m[1] and name != version and SEMVER.fullmatch(name) is None:
                return name
    return None


# -- this process's view of a model's tags ------------------------------------------------------
@dataclass
class ModelTags:
    tags: dict[str, TagRef]
    last_time: int = 0
    last_n: int = 0

    def add(self, ref: TagRef) -> None:
        self.tags[ref.name] = ref
        self.last_time = max(self.last_time, ref.time or 0)
        parsed = parse_tag(ref.name)
        if parsed is not None:
            self.last_n = max(self.last_n, parsed.n)

    def next_time(self) -> int:
        self.last_time = max(int(time.time()), self.last_time + 1)
        return self.last_time


def model_tags(reg: Registry, gto: str) -> ModelTags:
    """The model's tags: one `git for-each-ref` per model and process, then kept up to date
    by the writes of this process."""
    cached = reg.tag_cache.get(gto)
    if cached is None:
        cached = ModelTags({})
        for ref in list_tags(reg.git, [f"{gto}@*", f"{gto}#*"]):
            cached.add(ref)
        reg.tag_cache[gto] = cached
    assert isinstance(cached, ModelTags)
    return cached


def forget(reg: Registry, gto: str | None = None) -> None:
    """Drop the cached tags of one model (all if None): they are read again when needed."""
    if gto is None:
        reg.tag_cache.clear()
    else:
        reg.tag_cache.pop(gto, None)


def remember(reg: Registry, made: list[NewTag]) -> None:
    """Record the tags a write made; a model with one that was not written is read again."""
    for tag in made:
        parsed = parse_tag(tag.name)
        gto = parsed.gto if parsed else tag.name
        cached = reg.tag_cache.get(gto)
        if cached is None:
            continue
        if not tag.written:
            forget(reg, gto)
            continue
        cached.add(TagRef(tag.name, tag.sha, "tag", tag.target, "commit", tag.time, tag.subject))


def _new(
    reg: Registry, name: str, target: str, at: int, subject: str, old: str | None = None
) -> NewTag:
    return NewTag(name, reg.git.write_tag(name, target, at, subject), target, at, subject, old)


def _stage_tag(
    reg: Registry,
    gto: str,
    model: str,
    version: str,
    stage: str,
    assign: bool,
    n: int,
    target: str,
    at: int,
) -> NewTag:
    """`NAME#STAGE#N` (`version` assigned `stage`) or `NAME#STAGE!#N` (it left the stage)."""
    name = f"{gto}#{stage}{'' if assign else '!'}#{n}"
    subject = f"{STAGE} {model}@{version} {'' if assign else 'un'}assigned {stage}"
    return _new(reg, name, target, at, subject)


def _version_target(
    reg: Registry,
    model: str,
    gto: str,
    version: str,
    commit: str,
    artifact: tuple[str, bytes | None] | None,
) -> tuple[str, str]:
    """(target, subject) of a version's tag: `commit`, or once `commit` linked its model
    artifact (`artifact`: data path, that commit's `dvc.yaml`), a side commit of it whose
    `dvc.yaml` maps the model to that artifact if the commit's own does not."""
    subject = f"{REGISTER} {model}@{version}"
    if artifact is None:
        return commit, subject
    path, dvc_yaml = artifact
    if not dvc_maps(dvc_yaml, gto, path):
        from gitreg.services.links import dvc_yaml_with

        ops: list[Op] = [dvc_yaml_with(dvc_yaml, gto, model, path)]
        commit = reg.git.side_commit(commit, ops, f"gitreg: {model}@{version} for its tag")
    return commit, f"{subject}{AT_ARTIFACT}{path}"


def dvc_maps(raw: bytes | None, gto: str, path: str) -> bool:
    """Whether a `dvc.yaml` maps `gto` to `path`."""
    doc = (loads(raw, layout.DVC_YAML) if raw else None) or {}
    entry = (doc.get("artifacts") or {}).get(gto)
    return isinstance(entry, dict) and entry.get("path") == path


def _stage_refs(cache: ModelTags, commit: str | None) -> list[TagRef]:
    """The model's stage tags at `commit` (the commit of a version's tag)."""
    return [
        r
        for r in cache.tags.values()
        if (p := parse_tag(r.name)) and p.stage and r.commit == commit
    ]


# -- tags a write adds (called inside its commit's batch) --------------------------------------
def version_created(
    reg: Registry,
    snap: Snapshot,
    e: ModelEntity,
    mv: ModelVersionFile,
    commit: str,
    artifact: tuple[str, bytes | None] | None = None,
) -> list[NewTag]:
    """The tag of a version created by `commit` (`snap`: the tip it was built on);
    `artifact` (data path, `dvc.yaml`): the model artifact the same commit linked to it."""
    if not reg.git.is_main:
        return []  # a proposal's versions are tagged once it is merged
    gto = dvc_name_of(e)
    tv = gto_version(mv.name, mv.number)
    other = claimant(snap, e.name, tv, mv.name)
    if other is not None:
        log.warning(
            "%s@%s gets no git tag: %s@%s belongs to version %r", e.name, mv.name, gto, tv, other
        )
        return []
    cache = model_tags(reg, gto)
    current = cache.tags.get(f"{gto}@{tv}")
    target, subject = _version_target(reg, e.name, gto, mv.name, commit, artifact)
    old = current.sha if current else None
    return [_new(reg, f"{gto}@{tv}", target, cache.next_time(), subject, old)]


def model_linked(
    reg: Registry,
    e: ModelEntity,
    version: str,
    number: int,
    artifact_path: str,
    dvc_yaml: bytes | None,
    commit: str,
) -> list[NewTag]:
    """Re-point a version's tag at `commit`, which gave it its first model-kind link
    (`dvc_yaml`: that commit's `dvc.yaml`), with its stage tags; nothing if it is already
    tied to a model artifact or has no tag."""
    if not reg.git.is_main:
        return []
    gto = dvc_name_of(e)
    cache = model_tags(reg, gto)
    name = version_tag(gto, version, number)
    current = cache.tags.get(name)
    if current is None or AT_ARTIFACT in current.subject or current.commit is None:
        return []
    artifact = (artifact_path, dvc_yaml)
    target, subject = _version_target(reg, e.name, gto, version, commit, artifact)
    out = [_new(reg, name, target, current.time or cache.next_time(), subject, current.sha)]
    for ref in _stage_refs(cache, current.commit):
        out.append(_new(reg, ref.name, target, ref.time or 0, ref.subject, ref.sha))
    return out


def stages_changed(
    reg: Registry, e: ModelEntity, old: dict[str, str], new: dict[str, str], numbers: dict[str, int]
) -> list[NewTag]:
    """Stage tags for a change of a model's stages (`numbers`: version -> number)."""
    if not reg.git.is_main:
        return []
    gto = dvc_name_of(e)
    cache = model_tags(reg, gto)
    out: list[NewTag] = []
    n = cache.last_n
    for version, stage, assign in stage_events(old, new):
        ref = cache.tags.get(version_tag(gto, version, numbers[version]))
        if ref is None or ref.commit is None:
            log.warning("%s@%s has no git tag: no stage tag for it", e.name, version)
            continue
        n += 1
        at = cache.next_time()
        out.append(_stage_tag(reg, gto, e.name, version, stage, assign, n, ref.commit, at))
    return out


def version_deleted(reg: Registry, e: ModelEntity, version: str, number: int) -> None:
    """Delete the tags of a deleted version (its version and stage tags)."""
    if not reg.git.is_main:
        return
    gto = dvc_name_of(e)
    cache = model_tags(reg, gto)
    ref = cache.tags.get(version_tag(gto, version, number))
    if ref is None:
        return
    delete_refs(reg.git, {r.name: r.sha for r in [ref, *_stage_refs(cache, ref.commit)]})
    forget(reg, gto)


def model_deleted(reg: Registry, e: ModelEntity) -> None:
    if not reg.git.is_main:
        return
    gto = dvc_name_of(e)
    delete_refs(reg.git, {r.name: r.sha for r in model_tags(reg, gto).tags.values()})
    forget(reg, gto)


# -- what the registry calls for ------------------------------------------------------------------
@dataclass
class WantedVersion:
    model: str
    version: str
    number: int
    tag: str | None  # None: `holder`, another version, holds its tag name
    holder: str | None
    created_in: str  # the commit that created it
    time: int  # that commit's time
    commit: str  # the commit its tag is tied to: `created_in`, or the first model link's
    artifact: str | None = None  # its model artifact's data path, once linked


@dataclass
class WantedStage:
    version: str
    stage: str
    assign: bool
    time: int


@dataclass
class WantedModel:
    """The tags the manifests and history call for, for one model."""

    gto: str
    versions: dict[str, WantedVersion]
    stages: list[WantedStage]


def wanted(reg: Registry) -> dict[str, WantedModel]:
    """The tags the registry branch calls for, per model, from its manifests and history
    (one `git log` of `models/`)."""
    from gitreg.services import models

    tip = reg.git.snapshot()
    if tip.commit is None:
        return {}
    log_out = reg.git.git(
        "log", "--reverse", "--topo-order", "--no-renames", "--raw", "--format=%x01%H %ct",
        tip.commit, "--", layout.MODELS,
    )  # fmt: skip
    versions: dict[str, dict[str, WantedVersion]] = {}
    stages: dict[str, list[WantedStage]] = {}

    def load(cls: type[M], path: str, sha: str) -> M | None:
        try:
            return reg.load_sha(tip, cls, path, sha)
        except ManifestError as e:
            log.warning("tags: skipping %s", e)
            return None

    for record in log_out.split("\x01")[1:]:
        lines = record.strip("\n").split("\n")
        commit, _, when = lines[0].partition(" ")
        ct = int(when) if when.isdigit() else 0
        changes = []
        for line in lines[1:]:
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if len(parts) == 5:
                changes.append((parts[4][0], parts[2], parts[3], path))
        stage_changes = []
        for status, old, new, path in changes:  # a model made or removed: start again
            m = layout.MODEL_ENTITY_RE.fullmatch(path)
            if m and status in "AD":
                versions.pop(m[1], None)
                stages.pop(m[1], None)
            if m and status in "AM":
                stage_changes.append((m[1], old if status == "M" else None, new))
        for status, _old, new, path in changes:
            m = layout.MODEL_VERSION_RE.fullmatch(path)
            if m is None:
                continue
            model, version = m[1], m[2]
            held = versions.setdefault(model, {})
            if status == "D":
                held.pop(version, None)
                stages[model] = [s for s in stages.get(model, []) if s.version != version]
            # (M: a version's description or tags rewritten; its tag stays)
            elif status == "A" and (f := load(ModelVersionFile, path, new)) is not None:
                tag = gto_version(f.name, f.number)
                holder = next((w.version for w in held.values() if w.tag == tag), None)
                held[version] = WantedVersion(
                    model, version, f.number, None if holder else tag, holder,
                    created_in=commit, time=ct, commit=commit,
                )  # fmt: skip
        for status, _old, new, path in changes:
            m = layout.MODEL_LINK_RE.fullmatch(path)
            w = versions.get(m[1], {}).get(m[2]) if m and status == "A" else None
            if w is None or w.artifact is not None:
                continue
            lf = load(LinkFile, path, new)
            if lf is not None and lf.kind is LinkKind.MODEL:
                w.commit = commit
                w.artifact = layout.artifact_version(lf.artifact, lf.version).removesuffix(".dvc")
        for model, old_sha, new_sha in stage_changes:
            path = layout.model_entity(model)
            old_e = load(ModelEntity, path, old_sha) if old_sha else None
            new_e = load(ModelEntity, path, new_sha)
            if new_e is None:
                continue
            held = versions.get(model, {})
            before = old_e.stages if old_e is not None else {}
            for version, stage, assign in stage_events(before, new_e.stages):
                w = held.get(version)
                if w is not None and w.tag is not None:
                    stages.setdefault(model, []).append(WantedStage(version, stage, assign, ct))
    return {
        e.name: WantedModel(dvc_name_of(e), versions.get(e.name, {}), stages.get(e.name, []))
        for e in models.list_all(reg, tip)
    }


# -- checking and rebuilding ------------------------------------------------------------------------
def owned(reg: Registry, gto_names: set[str] | None = None) -> list[TagRef]:
    """The tags gitreg owns (see the module docstring), in one `git for-each-ref`."""
    if gto_names is None:
        from gitreg.services import models

        gto_names = {dvc_name_of(e) for e in models.list_all(reg)}
    out = []
    for ref in list_tags(reg.git):
        parsed = parse_tag(ref.name)
        if parsed and (parsed.gto in gto_names or ref.subject.startswith("gitreg:")):
            out.append(ref)
    return out


@dataclass(frozen=True)
class TagProblem:
    tag: str
    message: str
    fixable: bool = True  # by `gitreg tags --rebuild`
    # only missing (the newest tags of a write that stopped after its commit, as a crash
    # or a lost race can leave): `validate` does not count it, `rebuild` writes it
    missing: bool = False


@dataclass
class _Plan:
    have: dict[str, TagRef]  # the tags gitreg owns, by name
    problems: list[TagProblem] = field(default_factory=list)
    delete: dict[str, str] = field(default_factory=dict)  # name -> sha
    # version tags to (re)write: (w, GTO name, the tag now)
    versions: list[tuple[WantedVersion, str, TagRef | None]] = field(default_factory=list)
    # (model, version) -> the commit of its tag, for the version tags kept
    targets: dict[tuple[str, str], str] = field(default_factory=dict)
    # model -> (stage events to tag, stage tags kept before them, the newest kept tagger time)
    stages: dict[str, tuple[list[WantedStage], int, int]] = field(default_factory=dict)


def _target_ok(reg: Registry, w: WantedVersion, gto: str, ref: TagRef) -> bool:
    commit = ref.commit
    if commit is None:
        return False
    if w.artifact is None or dvc_maps(_dvc_yaml_at(reg, w.commit), gto, w.artifact):
        return commit == w.commit
    try:
        _, parents, _, _ = reg.git.objects.commit_info(commit)
    except Exception:
        return False
    return parents[:1] == [w.commit] and dvc_maps(_dvc_yaml_at(reg, commit), gto, w.artifact)


def _dvc_yaml_at(reg: Registry, commit: str) -> bytes | None:
    objects = reg.git.objects
    return Snapshot(objects, commit, objects.commit_tree(commit)).read(layout.DVC_YAML)


def _plan(reg: Registry, want: dict[str, WantedModel]) -> _Plan:
    plan = _Plan({r.name: r for r in owned(reg, {wm.gto for wm in want.values()})})
    expected: set[str] = set()
    for model, wm in want.items():
        gto = wm.gto
        commits: dict[str, str] = {}  # tag commit -> version
        rewritten: set[str] = set()
        for w in wm.versions.values():
            if w.tag is None:
                plan.problems.append(
                    TagProblem(
                        f"{gto}@{gto_version(w.version, w.number)}",
                        f"version {model}@{w.version} has no tag: its tag name belongs to "
                        f"version {w.holder!r}; rename one of them to tag both",
                        fixable=False,
                    )
                )
                continue
            name = f"{gto}@{w.tag}"
            expected.add(name)
            ref = plan.have.get(name)
            if ref is not None and _target_ok(reg, w, gto, ref):
                commits[ref.commit or ""] = w.version
                plan.targets[(model, w.version)] = ref.commit or ""
                continue
            if ref is None:
                plan.problems.append(TagProblem(name, f"missing for {model}@{w.version}", missing=True))  # fmt: skip
            else:
                where = ref.commit or f"a {ref.target_kind or ref.kind} (not a commit)"
                stale = ref.commit == w.created_in  # not yet re-pointed at its model artifact
                plan.problems.append(TagProblem(name, f"points at {where}, not {model}@{w.version}'s commit", missing=stale))  # fmt: skip
            plan.versions.append((w, gto, ref))
            rewritten.add(w.version)
        actual = [
            (r, p)
            for r in plan.have.values()
            if (p := parse_tag(r.name)) and p.gto == gto and p.stage
        ]
        actual.sort(key=lambda rp: (rp[0].time or 0, rp[1].n))
        seq = [(commits.get(r.commit or ""), p.stage, p.assign) for r, p in actual]
        want_seq = [(s.version, s.stage, s.assign) for s in wm.stages]
        times = [r.time or 0 for r, _ in actual]
        shas = {r.name: r.sha for r, _ in actual}
        in_order = all(a < b for a, b in pairwise(times))
        matches = in_order and seq == want_seq
        prefix = in_order and seq == want_seq[: len(seq)]  # only the last ones missing
        # kept as they are unless one is not annotated or its version's tag is rewritten
        keep = all(r.kind == "tag" for r, _ in actual) and not any(
            s.version in rewritten for s in wm.stages
        )
        if keep and prefix and len(seq) < len(want_seq):
            # new events after the published ones (a crash, or commits replayed on another
            # clone's): add their tags, keep the others, so pushed tags never change
            plan.problems.append(TagProblem(f"{gto}#...", f"the newest stage tags of {model} are missing", missing=True))  # fmt: skip
            plan.stages[model] = (wm.stages[len(seq) :], len(seq), max(times, default=0))
            expected.update(shas)
        elif not (keep and matches):
            if not matches:
                plan.problems.append(TagProblem(f"{gto}#...", f"stage tags of {model} do not match its stage history", missing=prefix))  # fmt: skip
            plan.stages[model] = (wm.stages, 0, 0)
            plan.delete.update(shas)
        else:
            expected.update(shas)
    for name, ref in plan.have.items():
        if name not in expected and name not in plan.delete:
            plan.problems.append(TagProblem(name, "no model version or stage change has this tag"))  # fmt: skip
            plan.delete[name] = ref.sha
    return plan


def check(reg: Registry) -> list[TagProblem]:
    """How gitreg's tags differ from what the registry calls for (a proposal branch has
    none of its own)."""
    if not reg.git.is_main:
        return []
    return _plan(reg, wanted(reg)).problems


@dataclass(frozen=True)
class RebuildResult:
    created: list[str]
    deleted: list[str]
    problems: list[TagProblem]  # what the rebuild cannot fix (tag names two versions share)


def rebuild(reg: Registry) -> RebuildResult:
    """Make gitreg's tags what the manifests and history call for: missing ones created,
    wrong ones re-pointed (rewritten), stray ones deleted; tags gitreg does not own stay.
    Only the registry branch proper has tags: on a proposal branch this does nothing."""
    if not reg.git.is_main:
        return RebuildResult([], [], [])
    want = wanted(reg)
    plan = _plan(reg, want)
    forget(reg)
    unfixable = [p for p in plan.problems if not p.fixable]
    if not plan.versions and not plan.stages and not plan.delete:
        return RebuildResult([], [], unfixable)
    used: dict[str, set[int]] = {}  # GTO name -> tagger times its kept tags have
    for ref in plan.have.values():
        p = parse_tag(ref.name)
        if p and ref.name not in plan.delete and ref.time:
            used.setdefault(p.gto, set()).add(ref.time)

    def free(gto: str, t: int) -> int:
        taken = used.setdefault(gto, set())
        while t in taken:
            t += 1
        taken.add(t)
        return t

    made: list[NewTag] = []

    def build() -> None:
        targets = dict(plan.targets)
        for w, gto, old in plan.versions:
            raw = (w.artifact, _dvc_yaml_at(reg, w.commit)) if w.artifact is not None else None
            target, subject = _version_target(reg, w.model, gto, w.version, w.commit, raw)
            at = old.time if old is not None and old.time else free(gto, w.time)
            made.append(_new(reg, f"{gto}@{w.tag}", target, at, subject, old.sha if old else None))
            targets[(w.model, w.version)] = target
        for model, (events, start, last) in plan.stages.items():
            gto = want[model].gto
            for n, s in enumerate(events, start + 1):
                last = free(gto, max(s.time, last + 1))
                target = targets[(model, s.version)]
                made.append(_stage_tag(reg, gto, model, s.version, s.stage, s.assign, n, target, last))  # fmt: skip

    def publish(_: None) -> None:
        delete_refs(reg.git, plan.delete)
        write_refs(reg.git, made, False)

    reg.git.write_pack(build, publish)
    forget(reg)
    names_made = {t.name for t in made}
    return RebuildResult(
        sorted(t.name for t in made if t.written),
        sorted(n for n in plan.delete if n not in names_made),
        unfixable,
    )


@dataclass(frozen=True)
class TagInfo:
    """One tag gitreg owns, as `gitreg tags` lists it."""

    name: str
    commit: str | None  # the commit it points at (None: not an annotated tag of a commit)
    model: str | None  # the registry model with this GTO name (None: no such model now)
    version: str | None  # `vX.Y.Z` of a version tag
    stage: str | None
    assign: bool
    time: int | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def describe(reg: Registry) -> list[TagInfo]:
    """The tags gitreg owns, by name."""
    from gitreg.services import models

    by_gto = {dvc_name_of(e): e.name for e in models.list_all(reg)}
    out = []
    for ref in owned(reg, set(by_gto)):
        p = parse_tag(ref.name)
        assert p is not None
        out.append(
            TagInfo(ref.name, ref.commit, by_gto.get(p.gto), p.version, p.stage, p.assign, ref.time)
        )
    return sorted(out, key=lambda t: t.name)
