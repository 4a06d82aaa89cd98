"""`Client`: the one object that does the work; module functions wrap the active one.

Each method validates its arguments (names, versions, metadata) and makes one service
call. Clients of one repository share that repository's caches (`open_registry`), so
`Client()` per call, as ZenML code writes it, is cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from gitreg import names
from gitreg.api.context import current_step
from gitreg.api.model import Model
from gitreg.api.responses import (
    ArtifactResponse,
    ArtifactVersionResponse,
    LinkResponse,
    ModelResponse,
    ModelVersionResponse,
    PipelineRunResponse,
)
from gitreg.enums import ArtifactType, LinkKind
from gitreg.enums import artifact_type as to_artifact_type
from gitreg.errors import ArtifactNotFoundError, UsageError

if TYPE_CHECKING:
    from gitreg.manifest.schema import RunFile
    from gitreg.materializers.base import Materializer
    from gitreg.services.gc import GcReport
    from gitreg.services.history import Change, Diff
    from gitreg.services.lineage import LineageNode
    from gitreg.services.links import LinkTo
    from gitreg.services.registry import InitResult, Registry
    from gitreg.services.sync import RemoteSwitch, SyncResult
    from gitreg.services.tags import RebuildResult, TagInfo
    from gitreg.services.validate import Report

Progress = Callable[[int], None]


def _bar_for(data: Any, name: str, progress: Progress | None, reg: Registry) -> Any:
    """The caller's `progress`, else a progress bar for saving a large file (hashing and
    copying it, then the push) when someone would see it, else None; as a context manager."""
    import contextlib
    import pathlib

    from gitreg import progress as bars

    if progress is None and isinstance(data, pathlib.PurePath) and bars.wanted():
        try:
            size = os.stat(data).st_size if os.path.isfile(data) else 0
        except OSError:
            size = 0
        if size > bars.LARGE:  # hashed and copied into the cache, then copied to a remote
            embedded = reg.is_embedded(reg.remote_of(reg.snapshot()))
            return bars.Bar(name, size * (1 if embedded else 2))
    return contextlib.nullcontext(progress)


ArtifactRef = str | UUID | ArtifactVersionResponse


def model_card(
    license: str | None = None,
    audience: str | None = None,
    use_cases: str | None = None,
    limitations: str | None = None,
    trade_offs: str | None = None,
    ethics: str | None = None,
    save_models_to_registry: bool = True,
) -> dict[str, Any]:
    """ZenML's model card fields, checked: text or None (and one flag)."""
    card: dict[str, Any] = {
        "license": license,
        "audience": audience,
        "use_cases": use_cases,
        "limitations": limitations,
        "trade_offs": trade_offs,
        "ethics": ethics,
    }
    for key, value in card.items():
        if value is not None and not isinstance(value, str):
            raise UsageError("model card", f"{key}= must be text, got {type(value).__name__}")
    if not isinstance(save_models_to_registry, bool):
        raise UsageError("model card", "save_models_to_registry= must be True or False")
    # stored only when it is not ZenML's default, so a model without a card reads as before
    card["save_models_to_registry"] = None if save_models_to_registry else False
    return card


def _tags(tags: list[str] | None) -> list[str]:
    return [names.tag(t) for t in tags or []]


class Client:
    """A registry in one git repository: found from the current directory or `repo`.

    `branch` names the registry branch (default: git config `gitreg.branch`, else
    `gitreg`); `at` reads the registry as it was at a revision or a date (read-only).
    """

    def __init__(
        self,
        repo: str | os.PathLike[str] | None = None,
        branch: str | None = None,
        at: str | None = None,
    ) -> None:
        from gitreg.services.registry import open_registry

        self._reg = open_registry(repo, branch)
        if at is not None:
            self._reg = self._reg.at(at)

    @property
    def at(self) -> str | None:
        """The commit this client reads, if it was made with `at=`."""
        return self._reg.pinned_at

    @property
    def registry(self) -> Registry:
        """The services layer behind this client (for gitreg's own API modules)."""
        return self._reg

    @property
    def root(self) -> str | None:
        """The repository's work tree (None for a bare repository)."""
        return self._reg.git.work_tree

    @property
    def branch(self) -> str:
        return self._reg.git.branch

    @property
    def active_stack(self) -> Any:
        """ZenML's stack: gitreg has none (no artifact store to write into in place)."""
        raise UsageError(
            "Client().active_stack",
            "gitreg has no stacks or artifact store path: write the files anywhere local and "
            "pass them to register_artifact() or save_artifact(pathlib.Path(...)), which store "
            "a copy in the registry's DVC remote",
        )

    def init(
        self, remote: str | None = None, remote_options: dict[str, str] | None = None
    ) -> InitResult:
        """Create the registry branch (harmless to repeat); `remote` sets the DVC remote."""
        return self._reg.init(remote, remote_options)

    # -- teams -------------------------------------------------------------------------
    def push(
        self,
        remote: str | None = None,
        progress: Progress | None = None,
        on_objects: Progress | None = None,
    ) -> SyncResult:
        """Publish this clone's registry commits (bytes first) on `remote` (default: the
        branch's upstream, else `origin`); versions renumbered on the way are in `renames`."""
        from gitreg.services import sync

        self._reg.require_writable()
        return sync.push(self._reg, remote, progress, on_objects)

    def pull(self, remote: str | None = None) -> SyncResult:
        """Bring the remote's registry commits here (this clone's own are kept on top)."""
        from gitreg.services import sync

        self._reg.require_writable()
        return sync.pull(self._reg, remote)

    def merge(self, branch: str) -> SyncResult:
        """Merge the registry branch `branch` (e.g. a proposal) into this client's branch,
        as if its commits had been written here."""
        from gitreg.services import sync

        self._reg.require_writable()
        return sync.merge(self._reg, branch)

    def set_remote(
        self,
        url: str,
        options: dict[str, str] | None = None,
        progress: Progress | None = None,
        on_objects: Progress | None = None,
    ) -> RemoteSwitch:
        """Copy every object the registry references to the DVC remote `url`, then commit
        the switch (a shared remote's URL is committed; the embedded one's path never)."""
        from gitreg.services import sync

        return sync.set_remote(self._reg, url, options, progress, on_objects)

    # -- artifacts ---------------------------------------------------------------------
    def save_artifact(
        self,
        data: Any,
        name: str,
        version: int | str | None = None,
        tags: list[str] | None = None,
        user_metadata: dict[str, Any] | None = None,
        artifact_type: ArtifactType | str | None = None,
        materializer: Any = None,
        *,
        run_metadata: dict[str, Any] | None = None,
        producer: dict[str, str] | None = None,
        progress: Progress | None = None,
        link: bool = True,
        model: Model | None = None,
        is_model_artifact: bool = False,
        is_deployment_artifact: bool = False,
    ) -> ArtifactVersionResponse:
        """Store `data` and register it as a new version of artifact `name`, linked in the
        same commit to `model`'s version (inside a step: by default the step's model, unless
        `link=False`), which ZenML's get-or-create may make in that commit too."""
        from gitreg.materializers import registry as materializers
        from gitreg.services import artifacts, links

        ctx = current_step()
        if producer is None and ctx is not None:
            producer = {
                "run": ctx.pipeline_run.id,
                "step": ctx.step_run.name,
                "step_run": ctx.step_run.id,
            }
        new = artifacts.NewVersion(
            name=names.artifact_name(name),
            version=None if version is None else names.version(version),
            tags=tuple(_tags(tags)),
            user_metadata=names.metadata(dict(user_metadata or {}), "user_metadata"),
            run_metadata=(
                None if run_metadata is None else names.metadata(dict(run_metadata), "run_metadata")
            ),
            artifact_type=None if artifact_type is None else to_artifact_type(artifact_type),
            producer=producer,
        )
        mat: Materializer | None = materializers.resolve(materializer) if materializer else None
        if model is None and link and ctx is not None:
            model = ctx.model
        to = None if model is None else self._link_to(model, is_model_artifact, is_deployment_artifact)  # fmt: skip
        with _bar_for(data, new.name, progress, self._reg) as bar:
            if to is None:
                saved = artifacts.save(self._reg, data, new, mat, bar)
            else:
                saved, _, mv = links.save_linked(self._reg, data, new, to, mat, bar)
                if model is not None and model.resolved is None:
                    model.adopt(ModelVersionResponse(mv, self))
        response = ArtifactVersionResponse(saved, self)
        if link and ctx is not None:
            ctx.saved.append(response)
        return response

    def load_artifact(self, name_or_id: str | UUID, version: str | int | None = None) -> Any:
        """Load an artifact version (latest by default) as the object that was saved."""
        return self.load_artifact_version(self.get_artifact_version(name_or_id, version))

    def load_artifact_version(
        self, artifact: ArtifactVersionResponse, progress: Progress | None = None
    ) -> Any:
        from gitreg.services import artifacts

        return artifacts.load(self._reg, artifact.view, progress)

    def export_artifact_version(
        self, artifact: ArtifactVersionResponse, path: str, progress: Progress | None = None
    ) -> None:
        """Write the stored bytes (a file or a folder) to `path`, which must not exist (or be
        an empty folder)."""
        from gitreg.services import artifacts

        if os.path.exists(path) and not (os.path.isdir(path) and not os.listdir(path)):
            raise UsageError("export", f"{path} already exists: choose a new path or remove it")
        artifacts.export(self._reg, artifact.view, path, progress)

    def artifact_uri(self, artifact: ArtifactVersionResponse) -> str:
        from gitreg.services import artifacts

        return artifacts.uri(self._reg, artifact.view)

    def get_artifact_version(
        self, name_id_or_prefix: str | UUID, version: str | int | None = None
    ) -> ArtifactVersionResponse:
        """The latest version of a name, a given version, or the version with an id (prefix)."""
        from gitreg.services import artifacts

        ver = None if version is None else names.version(version)
        return ArtifactVersionResponse(artifacts.get(self._reg, str(name_id_or_prefix), ver), self)

    def list_artifact_versions(
        self,
        name: str | None = None,
        model: str | Model | None = None,
        tag: str | None = None,
        version: str | int | None = None,
    ) -> list[ArtifactVersionResponse]:
        """Artifact versions, oldest first per name; filter by name, linked model or tag."""
        from gitreg.services import artifacts

        if model is not None:
            m = model if isinstance(model, Model) else Model(model, version="latest")
            mv = self._own(m).get_version()
            out = [lk.artifact_version for lk in self.list_links(mv.model_name, mv.name)]
            out = list({a.id: a for a in out}.values())
            if name is not None:
                out = [a for a in out if a.name == name]
            if tag is not None:
                out = [a for a in out if tag in a.tags]
            out.sort(key=lambda a: (a.name, a.view.meta.seq))
        else:
            out = [
                ArtifactVersionResponse(av, self)
                for av in artifacts.list_versions(self._reg, name, tag)
            ]
        if version is not None:
            out = [a for a in out if a.version == str(version)]
        return out

    def get_artifact(self, name_id_or_prefix: str) -> ArtifactResponse:
        """An artifact (a name) with all of its versions."""
        from gitreg.services import artifacts

        name = names.artifact_name(str(name_id_or_prefix))
        found = [
            ArtifactVersionResponse(av, self) for av in artifacts.list_versions(self._reg, name)
        ]
        entity = artifacts.entity(self._reg, name)
        if not found or entity is None:
            raise ArtifactNotFoundError(name)
        return ArtifactResponse(name, found, list(entity.tags or []))

    def download_artifact_files(
        self, artifact: ArtifactVersionResponse, path: str, overwrite: bool = False
    ) -> None:
        """The stored bytes of a version as a zip file at `path` (ZenML's download_files)."""
        import tempfile
        import zipfile

        if not path.endswith(".zip"):
            raise UsageError("download_files()", f"{path!r} must end with .zip")
        if os.path.exists(path) and not overwrite:
            raise UsageError(
                "download_files()", f"{path} already exists: pass overwrite=True or a new path"
            )
        with tempfile.TemporaryDirectory() as tmp:
            dest = os.path.join(tmp, "data")
            self.export_artifact_version(artifact, dest)
            with zipfile.ZipFile(path, "w") as zf:
                if os.path.isfile(dest):
                    zf.write(dest, os.path.basename(artifact.view.data_path))
                for root, _, files in os.walk(dest):
                    for f in sorted(files):
                        full = os.path.join(root, f)
                        zf.write(full, os.path.relpath(full, dest))

    def list_artifacts(self) -> list[str]:
        """Names of every artifact."""
        from gitreg.services import artifacts

        return artifacts.names_at(self._reg.snapshot())

    def log_artifact_metadata(
        self, artifact: ArtifactVersionResponse | str | UUID, metadata: dict[str, Any]
    ) -> None:
        """Attach metadata to an artifact version (later values win per key)."""
        from gitreg.services import artifacts

        metadata = names.metadata(dict(metadata))
        if not isinstance(artifact, ArtifactVersionResponse):
            artifact = self.get_artifact_version(artifact)
        artifacts.log_metadata(self._reg, artifact.view, metadata)

    def artifact_metadata(self, artifact: ArtifactVersionResponse) -> dict[str, Any]:
        from gitreg.services import artifacts

        return artifacts.metadata(self._reg, artifact.view)

    # -- models --------------------------------------------------------------------------
    def get_model(self, model_name_or_id: str | UUID) -> ModelResponse:
        from gitreg.services import models

        return ModelResponse(models.get(self._reg, str(model_name_or_id)), self)

    def create_model(
        self,
        name: str,
        license: str | None = None,
        description: str | None = None,
        audience: str | None = None,
        use_cases: str | None = None,
        limitations: str | None = None,
        trade_offs: str | None = None,
        ethics: str | None = None,
        tags: list[str] | None = None,
        save_models_to_registry: bool = True,
    ) -> ModelResponse:
        """A new model with its card and no versions yet (an existing name is an error)."""
        from gitreg.services import models

        card = model_card(
            license, audience, use_cases, limitations, trade_offs, ethics, save_models_to_registry
        )
        entity = models.create(self._reg, names.model_name(name), description, _tags(tags), card)
        return ModelResponse(entity, self)

    def list_models(self, tag: str | None = None) -> list[ModelResponse]:
        """Models by name; with `tag`, only those carrying it."""
        from gitreg.services import models

        found = models.list_all(self._reg)
        return [ModelResponse(e, self) for e in found if tag is None or tag in e.tags]

    def get_model_version(
        self,
        model_name_or_id: str | UUID,
        model_version_name_or_number_or_id: str | int | UUID | None = None,
    ) -> ModelVersionResponse:
        """A version by name, number, id, `"latest"` or stage (latest when omitted)."""
        from gitreg.services import models

        spec = model_version_name_or_number_or_id
        spec = None if spec is None else names.version(str(getattr(spec, "value", spec)))
        model = self.get_model(model_name_or_id).name
        return ModelVersionResponse(models.get_version(self._reg, model, spec), self)

    def list_model_versions(
        self, model_name_or_id: str | UUID, tag: str | None = None, stage: str | None = None
    ) -> list[ModelVersionResponse]:
        """Versions by number; only names, numbers and stages are read up front (with
        `tag`, every version's manifest is read)."""
        from gitreg.services import models

        model = self.get_model(model_name_or_id).name
        if tag is not None:
            views = models.list_versions(self._reg, model)
            return [
                ModelVersionResponse(v, self)
                for v in views
                if tag in v.file.tags and (stage is None or v.stage == stage)
            ]
        snap = self._reg.snapshot()
        numbers, stages = models.version_numbers(self._reg, model, snap)
        return [
            ModelVersionResponse(
                None, self, model=model, name=n, number=i, stage=stages.get(n), snap=snap
            )
            for i, n in numbers
            if stage is None or stages.get(n) == stage
        ]

    def create_model_version(
        self,
        model_name_or_id: str,
        name: str | int | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
        *,
        model_card: dict[str, Any] | None = None,
        source: str | None = None,
    ) -> ModelVersionResponse:
        """ZenML's get-or-create: None makes the next number, a new name is created once;
        a number, 'latest' or a stage only fetch. `model_card` (from `model_card()`) is
        stored if this call creates the model. A new version records the code commit it
        came from: `source` (a commit, tag or branch of this repository), else HEAD."""
        from gitreg.services import models, runs

        req = models.VersionRequest(
            model=names.model_name(model_name_or_id),
            version=None if name is None else names.version(getattr(name, "value", name)),
            description=description,
            tags=tuple(_tags(tags)),
            card=model_card,
            code=None if source is None else runs.code_ref_of(self._reg, source),
        )
        return ModelVersionResponse(models.ensure_version(self._reg, req), self)

    def set_model_version_stage(
        self, model: str, version: str, stage: str, force: bool = False
    ) -> str | None:
        """Put a version in a stage (ZenML's rules); returns the version `force` archived."""
        from gitreg.services import models

        return models.set_stage(
            self._reg, names.model_name(model), names.version(version), stage, force
        )

    def log_model_version_metadata(
        self, version: ModelVersionResponse, metadata: dict[str, Any]
    ) -> None:
        from gitreg.services import models

        metadata = names.metadata(dict(metadata))
        models.log_metadata(self._reg, version.model_name, version.name, metadata)

    def model_version_metadata(self, version: ModelVersionResponse) -> dict[str, Any]:
        from gitreg.services import models

        return models.metadata(self._reg, version.model_name, version.name)

    def _own(self, model: Model) -> Model:
        """`model`, resolved in this client's registry unless bound to another."""
        return model if model.is_bound else model.bind(self)

    # -- links ---------------------------------------------------------------------------
    def link_artifact_to_model(
        self,
        artifact_version_id: ArtifactRef,
        model: Model | None = None,
        is_model_artifact: bool = False,
        is_deployment_artifact: bool = False,
    ) -> LinkResponse:
        """Link an artifact version to a model version (the step's model when omitted)."""
        from gitreg.services import links

        if isinstance(artifact_version_id, ArtifactVersionResponse):
            art = artifact_version_id.view.meta.id
        else:
            found = names.normalize_id(str(artifact_version_id))
            if found is None:
                raise ArtifactNotFoundError(
                    str(artifact_version_id),
                    hint=": artifact_version_id must be a full id (artifact.id)",
                )
            art = found
        if model is None:
            ctx = current_step()
            if ctx is None or ctx.model is None:
                raise UsageError(
                    "link_artifact_to_model()",
                    "needs model=Model(...) outside a step (or inside a step without a model)",
                )
            model = ctx.model
        to = self._link_to(model, is_model_artifact, is_deployment_artifact)
        lk, mv = links.link_to(self._reg, to, art)
        if model.resolved is None:
            model.adopt(ModelVersionResponse(mv, self))
        return LinkResponse(lk, self)

    def _link_to(
        self, model: Model, is_model_artifact: bool, is_deployment_artifact: bool
    ) -> LinkTo:
        """Where a link to `model` goes: its version, or the one ZenML's get-or-create makes
        for it in the link's own commit."""
        from gitreg.services import links, models

        mv = self._own(model).resolved
        if mv is None:
            req = model.request()
        else:
            req = models.VersionRequest(mv.model_name, mv.name, create=False)
        if is_model_artifact:
            return links.LinkTo(req, LinkKind.MODEL)
        return links.LinkTo(req, LinkKind.DEPLOYMENT if is_deployment_artifact else None)

    def list_links(self, model: str, version: str) -> list[LinkResponse]:
        """The artifact versions linked to a model version, oldest first."""
        from gitreg.services import links

        mv = self.get_model_version(model, version)
        return [LinkResponse(lk, self) for lk in links.links(self._reg, mv.model_name, mv.name)]

    def newest_linked_artifact(
        self,
        model: str,
        version: str,
        artifact: str,
        artifact_version: str | int | None = None,
        kind: LinkKind | None = None,
    ) -> ArtifactVersionResponse | None:
        """The newest version of `artifact` linked to a model version (of one `kind`)."""
        from gitreg.services import artifacts, links

        snap = self._reg.snapshot()
        name = names.artifact_name(artifact)
        ver = None if artifact_version is None else names.version(artifact_version)
        found = links.newest(self._reg, model, version, name, ver, kind, snap)
        if found is None:
            return None
        view = artifacts.get(self._reg, found.file.artifact_id, snap=snap)
        return ArtifactVersionResponse(view, self)

    # -- changes after the fact: tags, cards, deletion ------------------------------------
    def update_artifact_version(
        self,
        name_id_or_prefix: str | UUID,
        version: str | int | None = None,
        add_tags: list[str] | None = None,
        remove_tags: list[str] | None = None,
    ) -> ArtifactVersionResponse:
        """Add or remove tags of an artifact version (one registry commit)."""
        from gitreg.services import edits

        add, remove = _tags(add_tags), _tags(remove_tags)
        av = self.get_artifact_version(name_id_or_prefix, version)
        return ArtifactVersionResponse(
            edits.update_artifact_version(self._reg, av.view, add, remove), self
        )

    def update_artifact(
        self,
        name_id_or_prefix: str,
        new_name: str | None = None,
        add_tags: list[str] | None = None,
        remove_tags: list[str] | None = None,
    ) -> ArtifactResponse:
        """Add or remove the tags of an artifact (the name, not one version)."""
        from gitreg.services import edits

        if new_name is not None:
            raise UsageError(
                "update_artifact(new_name=...)",
                "artifact names are paths on the registry branch and cannot change: "
                "save the versions under the new name instead",
            )
        name = names.artifact_name(name_id_or_prefix)
        edits.update_artifact(self._reg, name, _tags(add_tags), _tags(remove_tags))
        return self.get_artifact(name)

    def update_model(
        self,
        model_name_or_id: str | UUID,
        name: str | None = None,
        license: str | None = None,
        description: str | None = None,
        audience: str | None = None,
        use_cases: str | None = None,
        limitations: str | None = None,
        trade_offs: str | None = None,
        ethics: str | None = None,
        add_tags: list[str] | None = None,
        remove_tags: list[str] | None = None,
        save_models_to_registry: bool | None = None,
    ) -> ModelResponse:
        """Change a model's card fields (the ones given) and tags."""
        from gitreg.services import edits

        if name is not None:
            raise UsageError(
                "update_model(name=...)",
                "model names are paths on the registry branch and cannot change: "
                "create a model with the new name",
            )
        given = model_card(
            license, audience, use_cases, limitations, trade_offs, ethics,
            save_models_to_registry is not False,
        )  # fmt: skip
        changes = {k: v for k, v in given.items() if v is not None}
        if save_models_to_registry is not None:  # True is stored as None (ZenML's default)
            changes["save_models_to_registry"] = given["save_models_to_registry"]
        if description is not None:
            changes["description"] = description
        model = self.get_model(model_name_or_id).name
        entity = edits.update_model(self._reg, model, changes, _tags(add_tags), _tags(remove_tags))
        return ModelResponse(entity, self)

    def update_model_version(
        self,
        model_name_or_id: str | UUID,
        version_name_or_id: str | int | UUID,
        stage: str | None = None,
        force: bool = False,
        name: str | None = None,
        description: str | None = None,
        add_tags: list[str] | None = None,
        remove_tags: list[str] | None = None,
    ) -> ModelVersionResponse:
        """Change a model version's stage, description and tags."""
        from gitreg.services import edits

        if name is not None:
            raise UsageError(
                "update_model_version(name=...)",
                "version names are immutable (they are git tags): create a new version",
            )
        add, remove = _tags(add_tags), _tags(remove_tags)
        mv = self.get_model_version(model_name_or_id, version_name_or_id)
        if stage is not None:
            self.set_model_version_stage(mv.model_name, mv.name, stage, force)
        if add or remove or description is not None:
            edits.update_model_version(self._reg, mv.model_name, mv.name, description, add, remove)
        return self.get_model_version(mv.model_name, mv.name)

    def delete_model(self, model_name_or_id: str | UUID) -> None:
        """Remove a model and all of its versions and links (one commit; history keeps them)."""
        from gitreg.services import edits

        edits.delete_model(self._reg, self.get_model(model_name_or_id).name)

    def delete_model_version(self, model_version_id: str | UUID) -> None:
        """Remove one model version and its links, by id (ZenML's signature)."""
        from gitreg.services import edits

        f = edits.model_version_by_id(self._reg, str(model_version_id))
        edits.delete_model_version(self._reg, f.model, f.name)

    def delete_artifact_version(
        self, name_id_or_prefix: str | UUID, version: str | int | None = None
    ) -> None:
        """Remove an artifact version and every link to it; its bytes stay in the remote."""
        from gitreg.services import edits

        edits.delete_artifact_version(
            self._reg, self.get_artifact_version(name_id_or_prefix, version).view
        )

    # -- checks, runs and lineage -----------------------------------------------------------
    def validate(self, rev: str | None = None, remote: bool = False) -> Report:
        """Check the registry (schemas, references; with `remote`, every object's md5)."""
        from gitreg.services.validate import validate

        return validate(self._reg, rev, remote)

    def gc(
        self,
        dry_run: bool = False,
        older_than: float | None = None,
        progress: Progress | None = None,
    ) -> GcReport:
        """Remove from the remote and the local cache the objects no registry commit (of
        the branch, a proposal branch or a gitreg tag) references; `dry_run` only reports
        them. Unreferenced objects younger than `older_than` seconds (default: two weeks)
        are kept, as they may belong to a save still in progress."""
        from gitreg.services import gc

        if older_than is not None and (
            isinstance(older_than, bool)
            or not isinstance(older_than, (int, float))
            or older_than < 0
        ):
            raise UsageError("gc", f"older_than= must be seconds >= 0, got {older_than!r}")
        return gc.gc(
            self._reg, dry_run, gc.TWO_WEEKS if older_than is None else older_than, progress
        )

    def list_tags(self) -> list[TagInfo]:
        """The git tags gitreg owns (GTO's grammar): name, commit, model, version, stage."""
        from gitreg.services import tags

        return tags.describe(self._reg)

    def rebuild_tags(self) -> RebuildResult:
        """Re-derive every gitreg tag from the manifests and history: create missing ones,
        re-point wrong ones, delete those no version or stage change has. Tags gitreg does
        not own stay."""
        from gitreg.services import tags

        self._reg.require_writable()
        return tags.rebuild(self._reg)

    def list_runs(self) -> list[RunFile]:
        """Pipeline runs, oldest first (run manifests)."""
        from gitreg.services import runs

        return runs.list_runs(self._reg)

    def get_run(self, run_id_or_prefix: str) -> RunFile:
        from gitreg.services import runs

        return runs.get_run(self._reg, run_id_or_prefix)

    def list_pipeline_runs(self, pipeline_name: str | None = None) -> list[PipelineRunResponse]:
        """Pipeline runs, oldest first (ZenML's name); filter by pipeline name."""
        from gitreg.services import runs

        return [
            PipelineRunResponse(r, self)
            for r in runs.list_runs(self._reg)
            if pipeline_name is None or r.pipeline == pipeline_name
        ]

    def get_pipeline_run(self, name_id_or_prefix: str | UUID) -> PipelineRunResponse:
        """A pipeline run by id or id prefix (at least 4 hex digits)."""
        from gitreg.services import runs

        return PipelineRunResponse(runs.get_run(self._reg, str(name_id_or_prefix)), self)

    def lineage(
        self, name_or_id: str, version: str | None = None, model: bool | None = False
    ) -> LineageNode:
        """What produced an artifact (or model) version and what that consumed, to the roots.
        `model=None`: a model version if `name_or_id` names a model and no artifact."""
        from gitreg.services import artifacts, lineage, models

        snap = self._reg.snapshot()
        if model is None:
            is_artifact = names.looks_like_id_prefix(name_or_id.lower()) or bool(
                artifacts.latest_version(self._reg, snap, names.artifact_name(name_or_id))
            )
            model = not is_artifact and models.entity(self._reg, snap, name_or_id) is not None
        if model:
            spec = names.version(version) if version else "latest"
            return lineage.lineage_of_model_version(
                self._reg, names.model_name(name_or_id), spec, snap
            )
        art = self.get_artifact_version(name_or_id, version)
        return lineage.lineage_of_artifact(self._reg, art.view.meta.id, snap)

    # -- history -------------------------------------------------------------------------
    def history(
        self,
        model: str | None = None,
        version: str | None = None,
        *,
        stage: str | None = None,
        artifact: str | None = None,
        artifact_version: str | None = None,
        limit: int = 50,
    ) -> list[Change]:
        """Who changed what and when, newest first: the whole registry, a model, a model
        version (its files and stage), a model's stage, or an artifact (version)."""
        from gitreg.services import history

        return history.log(
            self._reg,
            model,
            version,
            stage=stage,
            artifact=artifact,
            artifact_version=artifact_version,
            limit=limit,
        )

    def diff(self, old: str | None = None, new: str | None = None) -> Diff:
        """What changed between two registry states (revisions or dates; default: the last
        change), in the registry's words: versions, links, stage moves, metadata."""
        from gitreg.services import history

        return history.diff(self._reg, old, new)
