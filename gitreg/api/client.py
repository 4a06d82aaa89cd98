"""`Client`: the one object that does the work; module functions wrap the active one."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any
from uuid import UUID

from gitreg import names
from gitreg.api.context import current_step
from gitreg.api.model import Model
from gitreg.api.responses import ArtifactVersionResponse, ModelResponse, ModelVersionResponse
from gitreg.enums import ArtifactType, LinkKind
from gitreg.enums import artifact_type as to_artifact_type
from gitreg.errors import ArtifactNotFoundError, GitregError
from gitreg.services.records import ArtifactVersionRecord

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


class Client:
    """A registry in one git repository: found from the current directory or `repo`."""

    def __init__(
        self, repo: str | os.PathLike[str] | None = None, branch: str | None = None
    ) -> None:
        from gitreg.services.registry import Registry

        self._reg = Registry(repo, branch)

    def _registry(self) -> Any:
        return self._reg

    @property
    def root(self) -> str | None:
        """The repository's work tree (None for a bare repository)."""
        return self._reg.git.work_tree

    @property
    def branch(self) -> str:
        return str(self._reg.git.branch)

    def init(self, remote: str | None = None, remote_options: dict[str, str] | None = None) -> Any:
        return self._reg.init(remote, remote_options)

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
    ) -> ArtifactVersionResponse:
        """Store `data` and register it as a new version of artifact `name`."""
        from gitreg.materializers import registry as materializers

        name = names.artifact_name(name)
        ver = None if version is None else names.version(version)
        tag_list = [names.tag(t) for t in tags or []]
        atype = None if artifact_type is None else to_artifact_type(artifact_type)
        meta = names.metadata(dict(user_metadata or {}), "user_metadata")
        if run_metadata is not None:
            run_metadata = names.metadata(dict(run_metadata), "run_metadata")
        reg = self._reg
        reg.ensure_initialized()
        snap = reg.git.snapshot()
        if ver is not None:
            from gitreg.errors import ArtifactVersionExistsError
            from gitreg.manifest import layout

            if snap.exists(layout.artifact_version(name, ver)):
                raise ArtifactVersionExistsError(name, ver)
        mat = (
            materializers.resolve(materializer) if materializer else materializers.for_object(data)
        )
        if atype is None:
            atype = mat.artifact_type_for(data)
        data_type = f"{type(data).__module__}.{type(data).__qualname__}"
        extra = mat.extra(data)
        ds = reg.data(snap)
        try:
            stored = self._store(data, mat, ds, progress)
        except OSError as e:
            from gitreg.errors import StorageError
            from gitreg.stores.data.storage import why_failed

            raise StorageError(
                "write the local cache in",
                reg.gitreg_dir,
                why_failed(e),
                "nothing was registered. Free some space and retry.",
            ) from e
        ds.push(stored, progress)  # data first: the manifest is committed only after this
        ctx = current_step()
        if producer is None and ctx is not None:
            producer = {
                "run": ctx.pipeline_run.id,
                "step": ctx.step_run.name,
                "step_run": ctx.step_run.id,
            }
        rec = reg.add_artifact_version(
            name=name,
            version=ver,
            stored=stored,
            artifact_type=atype,
            data_type=data_type,
            materializer=mat.name,
            tags=tag_list,
            user_metadata=meta,
            run_metadata=run_metadata,
            extra=extra,
            producer=producer,
        )
        response = ArtifactVersionResponse(rec, self)
        if link and ctx is not None:
            ctx.saved.append(response)
            if ctx.model is not None:
                self.link_artifact_to_model(rec.id, ctx.model)
        return response

    def log_artifact_metadata(
        self, artifact: ArtifactVersionResponse | str | UUID, metadata: dict[str, Any]
    ) -> None:
        """Attach metadata to an artifact version (later values win per key)."""
        from gitreg.services import runs

        metadata = names.metadata(dict(metadata))
        if not isinstance(artifact, ArtifactVersionResponse):
            artifact = self.get_artifact_version(artifact)
        runs.log_artifact_metadata(self._reg, artifact._record, metadata)

    def _store(self, data: Any, mat: Any, ds: Any, progress: Progress | None) -> Any:
        """Put `data`'s bytes into the local cache; returns the stored object."""
        fast = mat.to_bytes(data)
        if fast is not None:
            return ds.add_bytes(fast)
        if mat.name == "path":
            return ds.add_path(os.fspath(data), progress)
        import shutil
        import tempfile

        tmp = tempfile.mkdtemp(prefix="save-", dir=_tmp_root(self._reg.gitreg_dir))
        try:
            target = os.path.join(tmp, mat.file_name)
            mat.save(data, target)
            return ds.add_path(target, progress)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _load_record(self, rec: ArtifactVersionRecord, progress: Progress | None = None) -> Any:
        from gitreg.materializers import registry as materializers
        from gitreg.stores.data import StoredObject

        mat = materializers.by_name(rec.materializer)
        mat.check_load(rec.extra)
        ds = self._reg.data()
        obj = StoredObject(rec.md5, rec.size, rec.nfiles)
        data_type = _import_type(rec.data_type)
        if obj.is_dir:
            from gitreg.tempdirs import new_dir

            dest = new_dir()
            ds.checkout(obj, dest, progress)
            return mat.load(dest, data_type)
        path = ds.ensure(rec.md5, progress)
        size = os.path.getsize(path)
        if size != rec.size:  # the manifest and the object disagree: never return it
            from gitreg.errors import ArtifactIntegrityError

            raise ArtifactIntegrityError(
                rec.md5, "manifest", f"{rec.path} records {rec.size} bytes, the object has {size}"
            )
        return mat.load(path, data_type)

    def load_artifact(self, name_or_id: str | UUID, version: str | int | None = None) -> Any:
        """Load an artifact version (latest by default) as the object that was saved."""
        return self._load_record(self._get_artifact_record(name_or_id, version))

    def _get_artifact_record(
        self, name_id_or_prefix: str | UUID, version: str | int | None = None
    ) -> ArtifactVersionRecord:
        key = str(name_id_or_prefix)
        ver = None if version is None else names.version(version)
        return self._reg.get_artifact_version(key, ver)  # type: ignore[no-any-return]

    def get_artifact_version(
        self, name_id_or_prefix: str | UUID, version: str | int | None = None
    ) -> ArtifactVersionResponse:
        return ArtifactVersionResponse(self._get_artifact_record(name_id_or_prefix, version), self)

    def list_artifact_versions(
        self,
        name: str | None = None,
        model: str | Model | None = None,
        tag: str | None = None,
        version: str | int | None = None,
    ) -> list[ArtifactVersionResponse]:
        """Artifact versions, oldest first per name; filter by name, linked model or tag."""
        if model is not None:
            m = model if isinstance(model, Model) else Model(model, version=None)
            if isinstance(model, str):
                m.version = "latest"
            m._client = m._client or self
            rec = m._get_model_version()
            ids = {link.artifact_id for link in self._reg.links(m.name, rec.name)}
            out = [self.get_artifact_version(i) for i in ids]
            if name is not None:
                out = [a for a in out if a.name == name]
            if tag is not None:
                out = [a for a in out if tag in a.tags]
            out.sort(key=lambda a: (a.name, a._record.seq))
        else:
            out = [
                ArtifactVersionResponse(r, self)
                for r in self._reg.list_artifact_versions(name, tag)
            ]
        if version is not None:
            out = [a for a in out if a.version == str(version)]
        return out

    def list_artifacts(self) -> list[str]:
        return list(self._reg.artifact_names())

    # -- models --------------------------------------------------------------------------
    def get_model(self, model_name_or_id: str | UUID) -> ModelResponse:
        return ModelResponse(self._reg.get_model(str(model_name_or_id)), self)

    def list_models(self) -> list[ModelResponse]:
        return [ModelResponse(r, self) for r in self._reg.list_models()]

    def get_model_version(
        self,
        model_name_or_id: str | UUID,
        model_version_name_or_number_or_id: str | int | UUID | None = None,
    ) -> ModelVersionResponse:
        """A version by name, number, id, `"latest"` or stage (latest when omitted)."""
        spec = model_version_name_or_number_or_id
        spec = None if spec is None else names.version(str(getattr(spec, "value", spec)))
        model = self.get_model(model_name_or_id).name
        return ModelVersionResponse(self._reg.get_model_version(model, spec), self)

    def list_model_versions(self, model_name_or_id: str | UUID) -> list[ModelVersionResponse]:
        """Versions by number; only names, numbers and stages are read up front."""
        model = self.get_model(model_name_or_id).name
        numbers, stages = self._reg.model_version_numbers(model)
        return [
            ModelVersionResponse(None, self, model=model, name=n, number=i, stage=stages.get(n))
            for i, n in numbers
        ]

    def create_model_version(
        self, model: str, version: str | None = None, description: str | None = None
    ) -> ModelVersionResponse:
        self._reg.ensure_initialized()
        return ModelVersionResponse(
            self._reg.ensure_model_version(model, version, description=description), self
        )

    def validate(self, rev: str | None = None, remote: bool = False) -> Any:
        """Check the registry (schemas, references; with `remote`, every object's md5)."""
        from gitreg.services.validate import validate

        return validate(self._reg, rev, remote)

    # -- runs and lineage -------------------------------------------------------------------
    def list_runs(self) -> list[Any]:
        """Pipeline runs, oldest first (run manifests)."""
        from gitreg.services import runs

        return runs.list_runs(self._reg)

    def get_run(self, run_id_or_prefix: str) -> Any:
        from gitreg.services import runs

        return runs.get_run(self._reg, run_id_or_prefix)

    def lineage(self, name_or_id: str, version: str | None = None, model: bool = False) -> Any:
        """What produced an artifact (or model) version and what that consumed, to the roots."""
        from gitreg.services import runs

        snap = self._reg.git.snapshot()
        if model:
            return runs.lineage_of_model_version(self._reg, name_or_id, version or "latest", snap)
        rec = self._get_artifact_record(name_or_id, version)
        return runs.lineage_of_artifact(self._reg, rec.id, snap)

    def link_artifact_to_model(
        self,
        artifact_version_id: str | UUID | ArtifactVersionResponse,
        model: Model | None = None,
        is_model_artifact: bool = False,
        is_deployment_artifact: bool = False,
    ) -> Any:
        """Link an artifact version to a model version (the step's model when omitted)."""
        if isinstance(artifact_version_id, ArtifactVersionResponse):
            artifact_version_id = artifact_version_id._record.id
        if model is None:
            ctx = current_step()
            if ctx is None or ctx.model is None:
                raise GitregError(
                    "link_artifact_to_model() needs model=Model(...) outside a step "
                    "(or inside a step without a model)"
                )
            model = ctx.model
        if model._client is None:
            model._client = self
        art = names.normalize_id(str(artifact_version_id))
        if art is None:
            raise ArtifactNotFoundError(
                str(artifact_version_id),
                hint=": artifact_version_id must be a full id (artifact.id)",
            )
        if model._record is None:
            self._reg.get_artifact_version(art)  # fail before creating a model version
        rec = model._get_or_create_model_version()
        kind = None
        if is_model_artifact:
            kind = LinkKind.MODEL
        elif is_deployment_artifact:
            kind = LinkKind.DEPLOYMENT
        return self._reg.link(model.name, rec.name, art, kind)


def _tmp_root(gitreg_dir: str) -> str:
    path = os.path.join(gitreg_dir, "tmp")
    os.makedirs(path, exist_ok=True)
    return path


def _import_type(qualified: str) -> type | None:
    module, _, qual = qualified.rpartition(".")
    import sys

    mod = sys.modules.get(module)
    if mod is None:
        return None
    obj: Any = mod
    for part in qual.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if isinstance(obj, type) else None
