"""Replay: re-apply commits of one registry on top of another tip, as a registry server would
have ordered them (used by push, pull and merge).

Each commit's changes (against its first parent) become one new commit on the running tip,
with its message and author. Ids never change. An auto-numbered version (its name is its
number) that the tip handed out already gets the tip's next number, and every file that
names it is rewritten; an explicit version name on both sides is the same version when the
ids agree, else a `SyncConflictError`. Files derived from others (entity counters, latest,
stages, `numbers/`, `dvc.yaml`) are merged field by field, never as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gitreg import names
from gitreg.enums import ModelStages
from gitreg.errors import SyncConflictError
from gitreg.manifest import layout
from gitreg.manifest.schema import (
    ArtifactEntity,
    ArtifactVersionFile,
    IdEntry,
    LinkFile,
    ModelEntity,
    ModelRef,
    ModelVersionFile,
    Ref,
    RunFile,
    parse,
)
from gitreg.manifest.yaml_io import dumps
from gitreg.services.merge_files import dvc_yaml
from gitreg.services.registry import Registry
from gitreg.stores.git import Delete, Op, Put, Snapshot
from gitreg.stores.git.objects import blob_sha
from gitreg.stores.git.repository import CommitWriter

Snaps = tuple[Snapshot, Snapshot, Snapshot]  # one commit's parent, the commit, the tip
_USER_FIELDS = (
    "description", "tags", "license", "audience", "use_cases", "limitations", "trade_offs",
    "ethics", "save_models_to_registry",
)  # fmt: skip


@dataclass(frozen=True)
class Rename:
    """An auto-numbered version that got another number in replay."""

    kind: str  # "artifact" or "model"
    name: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name} {self.old} is now {self.name} {self.new}"


@dataclass
class ReplayResult:
    head: str  # the last new commit (the target tip if nothing was replayed)
    commits: int  # commits written
    renames: list[Rename] = field(default_factory=list)


@dataclass
class _Counter:
    """An artifact's or a model's counters as the replay moves them."""

    next: int
    count: int
    added: list[tuple[int, str, str]] = field(default_factory=list)  # (number/seq, name, id)
    numbers: dict[int, str] = field(default_factory=dict)  # models: number -> version name


class _Replay:
    def __init__(self, reg: Registry, writer: CommitWriter) -> None:
        self.reg = reg
        self.writer = writer
        self.art: dict[tuple[str, str], str] = {}  # (artifact, old version) -> new version
        self.art_ids: dict[str, tuple[str, int]] = {}  # artifact version id -> (version, seq)
        self.model: dict[tuple[str, str], tuple[str, int]] = {}  # (model, old) -> (new, number)
        self.on_tip: set[str] = set()  # ids of versions the tip holds already
        self.renames: list[Rename] = []

    # -- names of renamed things in paths and files ------------------------------------
    def _art(self, artifact: str, version: str) -> str:
        return self.art.get((artifact, version), version)

    def _model(self, model: str, version: str) -> str:
        return self.model.get((model, version), (version, 0))[0]

    def path(self, path: str) -> str:
        if m := layout.ARTIFACT_VERSION_RE.fullmatch(path):
            a = layout.unescape(m[1])
            return layout.artifact_version(a, self._art(a, m[2]))
        if m := layout.ARTIFACT_METADATA_RE.fullmatch(path):
            a = layout.unescape(m[1])
            return f"{layout.artifact_metadata_dir(a, self._art(a, m[2]))}/{m[3]}"
        if m := layout.MODEL_LINK_RE.fullmatch(path):
            a = layout.unescape(m[3])
            return layout.model_link(m[1], self._model(m[1], m[2]), a, self._art(a, m[4]))
        if m := layout.MODEL_VERSION_FILE_RE.fullmatch(path):
            return f"{layout.model_version_dir(m[1], self._model(m[1], m[2]))}/{m[3]}"
        return path

    def model_ref(self, ref: str | None) -> str | None:
        if ref is None:
            return None
        model, sep, ver = ref.partition("@")
        found = self.model.get((model, ver)) if sep else None
        return ref if found is None else f"{model}@{found[0]}"

    def content(self, path: str, data: bytes) -> bytes:
        """The bytes of a file with every renamed version it names rewritten."""
        new = self._renamed(path, data)
        return data if new is None else self.reg.put(path, new).data

    def _renamed(self, path: str, data: bytes) -> Any:
        """The manifest at `path` with renamed versions rewritten; None if it names none."""
        if layout.ARTIFACT_VERSION_RE.fullmatch(path):
            f = parse(ArtifactVersionFile, data, path)
            found = self.art_ids.get(f.info.id)
            if found is None or (f.info.version, f.info.seq) == found:
                return None
            ver, seq = found
            meta = f.info.model_copy(update={"version": ver, "seq": seq})
            out = f.outs[0].model_copy(update={"path": ver})
            return f.model_copy(update={"outs": [out], "meta": {"gitreg": meta}})
        if layout.MODEL_LINK_RE.fullmatch(path):
            lf = parse(LinkFile, data, path)
            found = self.art_ids.get(lf.artifact_id)
            if found is None or (lf.version, lf.seq) == found:
                return None
            return lf.model_copy(update={"version": found[0], "seq": found[1]})
        if layout.MODEL_VERSION_RE.fullmatch(path):
            mv = parse(ModelVersionFile, data, path)
            renamed = self.model.get((mv.model, mv.name))
            if renamed is None or (mv.name, mv.number) == renamed:
                return None
            return mv.model_copy(update={"name": renamed[0], "number": renamed[1]})
        if layout.ID_RE.fullmatch(path):
            entry = parse(IdEntry, data, path)
            new = self.path(entry.path)
            return None if new == entry.path else entry.model_copy(update={"path": new})
        if layout.RUN_RE.fullmatch(path):
            run = parse(RunFile, data, path)
            steps = [s.model_copy(update={"model": self.model_ref(s.model)}) for s in run.steps]
            new_run = run.model_copy(update={"model": self.model_ref(run.model), "steps": steps})
            return None if new_run == run else new_run
        return None

    # -- one commit ----------------------------------------------------------------------
    def commit(self, commit: str, tip: str) -> str:
        """Write `commit`'s changes on `tip` as one new commit (`tip` if none are left)."""
        git, load = self.reg.git, self.reg.load
        parents, author, message = git.commit_info(commit)
        parent = parents[0] if parents else None
        changes = git.changed_files(parent, commit)
        snaps: Snaps = (
            git.snapshot(parent) if parent else Snapshot(git.objects, None, None),
            git.snapshot(commit),
            self.writer.snapshot(tip),
        )
        snap_p, snap_c, snap_t = snaps
        added = [p for p, new in changes if new is not None and not snap_p.exists(p)]
        arts: dict[str, _Counter] = {}
        models: dict[str, _Counter] = {}
        dropped_ids: set[str] = set()

        # 1. new versions: same, renumbered, or a conflict (before anything is written)
        new_art = [
            load(snap_c, ArtifactVersionFile, p)
            for p in added
            if layout.ARTIFACT_VERSION_RE.fullmatch(p)
        ]
        for f in sorted((f for f in new_art if f), key=lambda f: f.info.seq):
            self._new_artifact_version(snap_t, f, arts)
        new_mv = [
            load(snap_c, ModelVersionFile, p) for p in added if layout.MODEL_VERSION_RE.fullmatch(p)
        ]
        for mv in sorted((mv for mv in new_mv if mv), key=lambda mv: mv.number):
            self._new_model_version(snap_t, mv, models)
        for p in added:
            if layout.MODEL_ENTITY_RE.fullmatch(p):
                ours, theirs = load(snap_c, ModelEntity, p), load(snap_t, ModelEntity, p)
                if ours and theirs and ours.id != theirs.id:
                    dropped_ids.add(layout.id_entry(ours.id))  # one model by name: the tip's

        # 2. files keyed by ids or version names: ours wins, renamed where needed
        ops: list[Op] = []
        touched_art: set[str] = set(arts)
        touched_model: set[str] = set(models)
        deleted_numbers: dict[str, list[int]] = {}
        for p, new in changes:
            if p == layout.DVC_YAML:
                continue
            if m := layout.ARTIFACT_ENTITY_RE.fullmatch(p):
                touched_art.add(layout.unescape(m[1]))
                continue
            if m := layout.MODEL_ENTITY_RE.fullmatch(p):
                touched_model.add(m[1])
                continue
            if m := layout.MODEL_NUMBER_RE.fullmatch(p):
                if new is None:
                    ver, number = self.model.get((m[1], m[3]), (m[3], int(m[2])))
                    target = layout.model_number(m[1], number, ver)
                    if snap_t.exists(target):
                        ops.append(Delete(target))
                        deleted_numbers.setdefault(m[1], []).append(number)
                        touched_model.add(m[1])
                continue  # added ones are regenerated below
            if p in dropped_ids:
                continue
            target = self.path(p)
            on_tip = snap_t.blob_sha(target)
            if new is None:
                if on_tip is not None:
                    ops.append(Delete(target))
                continue
            if on_tip is not None and not snap_p.exists(p):
                continue  # added on both sides: the tip's stays (same version, or settings)
            data = self.content(target, git.objects.read_blob(new))
            if on_tip != blob_sha(data):
                ops.append(Put(target, data))

        # 3. derived files, field by field
        for a in sorted(touched_art):
            ops += self._artifact_entity(snaps, a, arts)
        for name in sorted(touched_model):
            ops += self._model_entity(snaps, name, models, deleted_numbers.get(name, []))
        if any(p == layout.DVC_YAML for p, _ in changes):
            ops += self._dvc_yaml(snaps)
        return self.writer.commit(ops, message, tip, author)

    def _new_artifact_version(
        self, snap_t: Snapshot, f: ArtifactVersionFile, arts: dict[str, _Counter]
    ) -> None:
        info = f.info
        a, v = info.name, info.version
        theirs = self.reg.load(snap_t, ArtifactVersionFile, layout.artifact_version(a, v))
        if theirs is not None and theirs.info.id == info.id:
            self.on_tip.add(info.id)
            return  # the tip has this very version already
        same = self._tip_version(snap_t, ArtifactVersionFile, info.id)
        if same is not None and same.info.id == info.id:  # replayed here before, renumbered
            self.on_tip.add(info.id)
            self.art[(a, v)] = same.info.version
            self.art_ids[info.id] = (same.info.version, same.info.seq)
            return
        auto = names.is_number(v)
        if theirs is not None and not auto:
            raise SyncConflictError("artifact", a, v, info.id, theirs.info.id)
        c = arts.get(a)
        if c is None:
            e = self.reg.load(snap_t, ArtifactEntity, layout.artifact_entity(a))
            c = arts[a] = _Counter(e.next_number if e else 1, e.count if e else 0)
        ver = v
        if auto and (theirs is not None or int(v) < c.next):
            n = c.next
            while snap_t.exists(layout.artifact_version(a, str(n))):
                n += 1
            ver = str(n)
        if names.is_number(ver):
            c.next = max(c.next, int(ver) + 1)
        c.count += 1
        c.added.append((c.count, ver, info.id))
        if ver != v:
            self.art[(a, v)] = ver
            self.renames.append(Rename("artifact", a, v, ver))
        self.art_ids[info.id] = (ver, c.count)

    def _new_model_version(
        self, snap_t: Snapshot, mv: ModelVersionFile, models: dict[str, _Counter]
    ) -> None:
        m, v = mv.model, mv.name
        theirs = self.reg.load(snap_t, ModelVersionFile, layout.model_version(m, v))
        if theirs is not None and theirs.id == mv.id:
            return
        same = self._tip_version(snap_t, ModelVersionFile, mv.id)
        if same is not None and same.id == mv.id:  # replayed here before, renumbered
            self.model[(m, v)] = (same.name, same.number)
            return
        auto = v == str(mv.number)
        if theirs is not None and not auto:
            raise SyncConflictError("model", m, v, mv.id, theirs.id)
        c = models.get(m)
        if c is None:
            e = self.reg.load(snap_t, ModelEntity, layout.model_entity(m))
            c = models[m] = _Counter(e.next_number if e else 1, 0, numbers=_numbers(snap_t, m))
        n = mv.number
        if n < c.next or n in c.numbers or theirs is not None:
            n = c.next
            while n in c.numbers or (auto and snap_t.exists(layout.model_version(m, str(n)))):
                n += 1
        ver = str(n) if auto else v
        c.next = max(c.next, n + 1)
        c.numbers[n] = ver
        c.added.append((n, ver, mv.id))
        if (ver, n) != (v, mv.number):
            self.model[(m, v)] = (ver, n)
            if ver != v:
                self.renames.append(Rename("model", m, v, ver))

    def _tip_version(self, snap_t: Snapshot, cls: Any, obj_id: str) -> Any:
        """The tip's manifest that its `ids/` entry for `obj_id` names (the caller checks
        the manifest's own id: DESIGN.md's merge trap)."""
        entry = self.reg.load(snap_t, IdEntry, layout.id_entry(obj_id))
        return self.reg.load(snap_t, cls, entry.path) if entry is not None else None

    def _artifact_entity(self, snaps: Snaps, a: str, arts: dict[str, _Counter]) -> list[Op]:
        path = layout.artifact_entity(a)
        par, ours, theirs = (self.reg.load(s, ArtifactEntity, path) for s in snaps)
        if ours is None:  # we deleted its last version: gone unless the tip has others
            others = snaps[2].fanout_names(layout.artifact_versions_dir(a))
            return [Delete(layout.artifact_dir(a))] if theirs and not others else []
        base = theirs or ours
        update: dict[str, Any] = {}
        if theirs is not None and ours.tags != (par.tags if par else None):
            update["tags"] = ours.tags
        c = arts.get(a)
        if c is not None and c.added:
            _, ver, vid = max(c.added)
            update.update(next_number=c.next, count=c.count, latest=Ref(version=ver, id=vid))
        elif theirs is None or (
            par is not None
            and ours.latest != par.latest
            and (ours.latest is None or ours.latest.id not in self.on_tip)
        ):  # a version the tip holds already does not make it the latest again
            latest = ours.latest
            if latest is not None and latest.id in self.art_ids:
                latest = Ref(version=self.art_ids[latest.id][0], id=latest.id)
            update["latest"] = latest
        new = base.model_copy(update=update)
        return [] if new == theirs else [self.reg.put(path, new)]

    def _model_entity(
        self, snaps: Snaps, m: str, models: dict[str, _Counter], deleted: list[int]
    ) -> list[Op]:
        snap_t = snaps[2]
        path = layout.model_entity(m)
        par, ours, theirs = (self.reg.load(s, ModelEntity, path) for s in snaps)
        if ours is None:  # we deleted the model
            return [Delete(path)] if theirs is not None and par and theirs.id == par.id else []
        base = theirs or ours
        update: dict[str, Any] = {}
        if theirs is not None and par is not None:  # user-edited fields, three ways
            for name in _USER_FIELDS:
                if getattr(ours, name) != getattr(par, name):
                    update[name] = getattr(ours, name)
        c = models.get(m)
        added = c.added if c is not None else []
        numbers = dict(c.numbers) if c is not None else _numbers(snap_t, m)
        for n in deleted:
            numbers.pop(n, None)
        ops: list[Op] = [Put(layout.model_number(m, n, ver), b"") for n, ver, _ in added]
        update["next_number"] = max(base.next_number, c.next if c else 0)
        update["count"] = len(numbers)
        if numbers:
            top = max(numbers)
            vid = next((i for n, _, i in added if n == top), None)
            if vid is None:
                f = self.reg.load(snap_t, ModelVersionFile, layout.model_version(m, numbers[top]))
                vid = f.id if f else (base.latest.id if base.latest else "")
            update["latest"] = ModelRef(name=numbers[top], number=top, id=vid)
        else:
            update["latest"] = None
        update["stages"] = self._stages(par, ours, theirs, m, set(numbers.values()))
        new = base.model_copy(update=update)
        if new != theirs:
            ops.append(self.reg.put(path, new))
        return ops

    def _stages(
        self, par: ModelEntity | None, ours: ModelEntity, theirs: ModelEntity | None, m: str,
        existing: set[str],
    ) -> dict[str, str]:  # fmt: skip
        """The tip's stages with our changes applied, one holder per stage (the later change
        wins; the one it displaces is archived, as `set_stage(force=True)` does)."""
        stages = {v: s for v, s in (theirs or ours).stages.items() if v in existing}
        before = par.stages if par else {}
        changed = [
            (self._model(m, v), ours.stages.get(v))
            for v in sorted(set(before) | set(ours.stages))
            if before.get(v) != ours.stages.get(v)
        ]
        archived = ModelStages.ARCHIVED.value
        # archiving first, so that an assignment made in the same change decides the holder
        changed.sort(key=lambda vs: vs[1] not in (None, archived))
        for ver, stage in changed:
            if ver not in existing:
                continue
            if stage is None:
                stages.pop(ver, None)
                continue
            if stage != archived:
                for holder, held in list(stages.items()):
                    if held == stage and holder != ver:
                        stages[holder] = archived
            stages[ver] = stage
        return dict(sorted(stages.items()))

    def _dvc_yaml(self, snaps: Snaps) -> list[Op]:
        (_, par), (_, ours), (doc, theirs) = (dvc_yaml(s.read(layout.DVC_YAML)) for s in snaps)
        result = dict(theirs)
        for key in set(par) | set(ours):
            if par.get(key) == ours.get(key):
                continue
            if key not in ours:
                result.pop(key, None)
                continue
            entry = ours[key]
            info = ((entry.get("meta") or {}).get("gitreg")) or {}
            a, v = info.get("artifact"), info.get("version")
            if isinstance(a, str) and isinstance(v, str) and (a, v) in self.art:
                new_v = self.art[(a, v)]
                info = {**info, "version": new_v}
                entry = {
                    **entry,
                    "path": layout.artifact_version(a, new_v).removesuffix(".dvc"),
                    "meta": {**entry.get("meta", {}), "gitreg": info},
                }
            result[key] = entry
        if result == theirs and snaps[2].exists(layout.DVC_YAML):
            return []
        doc["artifacts"] = dict(sorted(result.items()))
        return [Put(layout.DVC_YAML, dumps(doc))]


def replay(reg: Registry, commits: Iterable[str], onto: str) -> ReplayResult:
    """Re-apply `commits` (oldest first) on top of commit `onto`; no ref is moved (the
    caller moves one to `head`). SyncConflictError, with nothing changed, on a conflict."""

    def build(writer: CommitWriter) -> ReplayResult:
        state = _Replay(reg, writer)
        tip, written = onto, 0
        for c in commits:
            new = state.commit(c, tip)
            written += new != tip
            tip = new
        return ReplayResult(tip, written, state.renames)

    return reg.git.write_commits(build)


def replay_since_base(reg: Registry, local: str, onto: str) -> ReplayResult:
    """Replay the commits of `local` since its merge-base with `onto` on top of `onto`."""
    base = reg.git.merge_base(local, onto)
    return replay(reg, reg.git.commits_between(base, local), onto)


def _numbers(snap: Snapshot, model: str) -> dict[int, str]:
    """number -> version name of the model's versions, from its `numbers/` entries."""
    out = {}
    for entry in snap.fanout_names(layout.model_numbers_dir(model)):
        number, sep, name = entry.partition("@")
        if sep and number.isdigit():
            out[int(number)] = name
    return out
