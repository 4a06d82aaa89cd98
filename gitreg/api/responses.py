"""What the API returns: artifact versions, models, model versions and links (ZenML's
response shapes), each wrapping the manifest the services read."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from gitreg.enums import ArtifactType, LinkKind
from gitreg.errors import UsageError

if TYPE_CHECKING:
    from gitreg.api.client import Client
    from gitreg.api.model import Model
    from gitreg.manifest.schema import ModelEntity, ModelVersionFile, RunFile, StepRunEntry
    from gitreg.services.views import ArtifactVersion, Link, ModelVersion
    from gitreg.stores.git import Snapshot


# Each `.value` is the plain value: `property(int)` calls `int(self)`.
class _Int(int):
    value = property(int)


class _Float(float):
    value = property(float)


class _Str(str):
    value = property(str)


class _List(list):  # type: ignore[type-arg]
    value = property(list)


class _Dict(dict):  # type: ignore[type-arg]
    value = property(dict)


_READABLE: dict[type, type] = {int: _Int, float: _Float, str: _Str, list: _List, dict: _Dict}


def readable_metadata(values: dict[str, Any]) -> dict[str, Any]:
    """Metadata as ZenML's newer pages read it (plain values) and its older ones do
    (`run_metadata[key].value`): each value is its plain type with a `.value` too. `bool`
    and `None` cannot be subclassed: they come back plain."""
    out = {}
    for key, v in values.items():
        wrap = next((w for t, w in _READABLE.items() if isinstance(v, t)), None)
        out[key] = v if wrap is None or isinstance(v, bool) else wrap(v)
    return out


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class ArtifactVersionResponse:
    """One saved artifact version; `.load()` returns the object."""

    def __init__(self, view: ArtifactVersion, client: Client) -> None:
        self._view = view
        self._client = client

    @property
    def view(self) -> ArtifactVersion:
        """The manifest behind this response, and its path on the registry branch."""
        return self._view

    id = property(lambda self: UUID(self._view.meta.id))
    name = property(lambda self: self._view.meta.name)
    version = property(lambda self: self._view.meta.version)
    md5 = property(lambda self: self._view.out.md5)
    size = property(lambda self: self._view.out.size)
    nfiles = property(lambda self: self._view.out.nfiles)
    data_type = property(lambda self: self._view.meta.data_type)
    materializer = property(lambda self: self._view.meta.materializer)
    tags = property(lambda self: list(self._view.meta.tags))
    user_metadata = property(lambda self: dict(self._view.meta.user_metadata))
    producer = property(lambda self: self._view.meta.producer)
    manifest_path = property(lambda self: self._view.path)
    data_path = property(lambda self: self._view.data_path, doc="`dvc get REPO PATH` takes it")

    @property
    def type(self) -> ArtifactType:
        return self._view.meta.type

    @property
    def created(self) -> datetime:
        return _ts(self._view.meta.created)

    @property
    def run_metadata(self) -> dict[str, Any]:
        """Metadata saved with the version, then logged later (latest value per key)."""
        return readable_metadata(self._client.artifact_metadata(self))

    @property
    def uri(self) -> str:
        """Where the bytes live in the DVC remote."""
        return self._client.artifact_uri(self)

    def load(self) -> Any:
        return self._client.load_artifact_version(self)

    def read(self) -> Any:
        return self.load()

    def download_files(self, path: str, overwrite: bool = False) -> None:
        """ZenML's: the stored bytes (a file or a folder), unmaterialized, as a zip file."""
        self._client.download_artifact_files(self, path, overwrite)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "version": self.version,
            "type": self.type.value,
            "data_type": self.data_type,
            "materializer": self.materializer,
            "md5": self.md5,
            "size": self.size,
            "nfiles": self.nfiles,
            "created": self._view.meta.created,
            "tags": self.tags,
            "user_metadata": self.user_metadata,
            "run_metadata": self.run_metadata,
            "uri": self.uri,
            "data_path": self.data_path,
        }

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ArtifactVersionResponse) and other._view.meta.id == self._view.meta.id
        )

    def __hash__(self) -> int:
        return hash(self._view.meta.id)

    def __repr__(self) -> str:
        return f"ArtifactVersionResponse(name={self.name!r}, version={self.version!r}, id={self._view.meta.id[:8]})"


class ArtifactResponse:
    """An artifact name and all of its versions, at least one (ZenML's `ArtifactResponse`)."""

    def __init__(self, name: str, versions: list[ArtifactVersionResponse], tags: list[str]) -> None:
        self._name = name
        self._versions = versions
        self._tags = tags

    name = property(lambda self: self._name)
    has_custom_name = True

    @property
    def versions(self) -> dict[str, ArtifactVersionResponse]:
        """Version name -> version, oldest first."""
        return {v.version: v for v in self._versions}

    latest_version_name = property(lambda self: self._versions[-1].version)
    latest_version_id = property(lambda self: self._versions[-1].id)
    tags = property(lambda self: list(self._tags))

    def load(self) -> Any:
        """The latest version's value (what `load_artifact(name)` returns)."""
        return self._versions[-1].load()

    def __repr__(self) -> str:
        return f"ArtifactResponse(name={self.name!r}, versions={len(self._versions)})"


class ModelResponse:
    """A registered model (all of its versions)."""

    def __init__(self, entity: ModelEntity, client: Client) -> None:
        self._entity = entity
        self._client = client

    id = property(lambda self: UUID(self._entity.id))
    name = property(lambda self: self._entity.name)
    description = property(lambda self: self._entity.description)
    tags = property(lambda self: list(self._entity.tags))
    stages = property(lambda self: dict(self._entity.stages))
    version_count = property(lambda self: self._entity.count)
    license = property(lambda self: self._entity.license)
    audience = property(lambda self: self._entity.audience)
    use_cases = property(lambda self: self._entity.use_cases)
    limitations = property(lambda self: self._entity.limitations)
    trade_offs = property(lambda self: self._entity.trade_offs)
    ethics = property(lambda self: self._entity.ethics)
    save_models_to_registry = property(
        lambda self: self._entity.save_models_to_registry is not False
    )

    @property
    def created(self) -> datetime:
        return _ts(self._entity.created)

    @property
    def latest_version_name(self) -> str | None:
        return self._entity.latest.name if self._entity.latest else None

    @property
    def versions(self) -> list[ModelVersionResponse]:
        return self._client.list_model_versions(self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "description": self.description,
            "license": self.license,
            "audience": self.audience,
            "use_cases": self.use_cases,
            "limitations": self.limitations,
            "trade_offs": self.trade_offs,
            "ethics": self.ethics,
            "save_models_to_registry": self.save_models_to_registry,
            "tags": self.tags,
            "versions": self.version_count,
            "latest": self.latest_version_name,
            "stages": self.stages,
            "created": self._entity.created,
        }

    def __repr__(self) -> str:
        return f"ModelResponse(name={self.name!r})"


class ModelVersionResponse:
    """One model version (ZenML: `.name` is the version's name, `.model` the model).

    From a listing it knows only its model, name, number and stage; the rest of its
    manifest is read on first use.
    """

    # No per-instance dict: a listing of 10,000 versions makes 10,000 of these.
    __slots__ = ("_client", "_loaded", "_model", "_name", "_number", "_snap", "_stage")

    def __init__(
        self,
        view: ModelVersion | None,
        client: Client,
        *,
        model: str | None = None,
        name: str | None = None,
        number: int | None = None,
        stage: str | None = None,
        snap: Snapshot | None = None,
    ) -> None:
        self._loaded = view
        self._client = client
        self._snap = snap  # the listing's registry state: the rest is read from it
        self._model: str = view.file.model if view else model  # type: ignore[assignment]
        self._name: str = view.file.name if view else name  # type: ignore[assignment]
        self._number = view.file.number if view else number
        self._stage = view.stage if view else stage

    @property
    def view(self) -> ModelVersion:
        """The manifest behind this response (read on first use), with its stage and path."""
        if self._loaded is None:  # only a listing's responses: they carry its `snap`
            from gitreg.services import models

            reg = self._client.registry
            self._loaded = models.get_version(reg, self._model, self._name, self._snap)
        return self._loaded

    @property
    def _file(self) -> ModelVersionFile:
        return self.view.file

    id = property(lambda self: UUID(self._file.id))
    name = property(lambda self: self._name)
    number = property(lambda self: self._number)
    stage = property(lambda self: self._stage)
    description = property(lambda self: self._file.description)
    tags = property(lambda self: list(self._file.tags))
    model_name = property(lambda self: self._model)
    # the user's code commit it came from (sha, branch, dirty); None if not recorded
    code = property(lambda self: self._file.code)

    @property
    def created(self) -> datetime:
        return _ts(self._file.created)

    @property
    def model(self) -> ModelResponse:
        return self._client.get_model(self._model)

    def to_model_class(self) -> Model:
        from gitreg.api.model import Model

        return Model.of(self, self._client)

    @property
    def run_metadata(self) -> dict[str, Any]:
        """Logged metadata (latest value per key), as of the listing's state if from one."""
        from gitreg.services import models

        reg = self._client.registry
        return readable_metadata(models.metadata(reg, self._model, self._name, self._snap))

    @property
    def links(self) -> list[LinkResponse]:
        """The artifact versions linked to this version, oldest first."""
        return self._client.list_links(self._model, self._name)

    def get_artifact(self, name: str, version: str | None = None) -> ArtifactVersionResponse | None:
        return self.to_model_class().get_artifact(name, version)

    def load_artifact(self, name: str, version: str | None = None) -> Any:
        return self.to_model_class().load_artifact(name, version)

    def get_model_artifact(
        self, name: str, version: str | None = None
    ) -> ArtifactVersionResponse | None:
        return self.to_model_class().get_model_artifact(name, version)

    def get_data_artifact(
        self, name: str, version: str | None = None
    ) -> ArtifactVersionResponse | None:
        return self.to_model_class().get_data_artifact(name, version)

    def get_deployment_artifact(
        self, name: str, version: str | None = None
    ) -> ArtifactVersionResponse | None:
        return self.to_model_class().get_deployment_artifact(name, version)

    def set_stage(self, stage: str, force: bool = False) -> None:
        self.to_model_class().set_stage(stage, force)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "model": self._model,
            "name": self._name,
            "number": self._number,
            "stage": self._stage,
            "description": self.description,
            "tags": self.tags,
            "created": self._file.created,
            "code": self.code.model_dump() if self.code else None,
        }

    def __repr__(self) -> str:
        return f"ModelVersionResponse(model={self.model_name!r}, name={self.name!r}, number={self.number})"


class LinkResponse:
    """One artifact version linked to one model version."""

    def __init__(self, view: Link, client: Client) -> None:
        self._view = view
        self._client = client

    model_name = property(lambda self: self._view.model)
    model_version = property(lambda self: self._view.model_version)
    artifact = property(lambda self: self._view.file.artifact, doc="the artifact's name")
    version = property(lambda self: self._view.file.version, doc="the artifact's version")
    artifact_id = property(lambda self: UUID(self._view.file.artifact_id))

    @property
    def kind(self) -> LinkKind:
        return self._view.file.kind

    @property
    def created(self) -> datetime:
        return _ts(self._view.file.created)

    @property
    def artifact_version(self) -> ArtifactVersionResponse:
        return self._client.get_artifact_version(self._view.file.artifact_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_name,
            "model_version": self.model_version,
            "artifact": self.artifact,
            "version": self.version,
            "artifact_id": str(self.artifact_id),
            "kind": self.kind.value,
            "created": self._view.file.created,
        }

    def __repr__(self) -> str:
        return (
            f"LinkResponse({self.artifact}@{self.version} -> "
            f"{self.model_name}@{self.model_version}, {self.kind.value})"
        )


class StepRunResponse:
    """One step of a pipeline run (ZenML's shape): `outputs` maps each output's name to
    its artifact versions, `output` is the only one."""

    def __init__(self, entry: StepRunEntry, client: Client) -> None:
        self._entry = entry
        self._client = client

    id = property(lambda self: UUID(self._entry.id))
    name = property(lambda self: self._entry.name)
    status = property(lambda self: self._entry.status)
    parameters = property(lambda self: dict(self._entry.parameters))
    run_metadata = property(lambda self: dict(self._entry.metadata))
    cache_key = property(lambda self: self._entry.cache_key)
    error = property(lambda self: self._entry.error)

    @property
    def start_time(self) -> datetime:
        return _ts(self._entry.start)

    @property
    def end_time(self) -> datetime | None:
        return _ts(self._entry.end) if self._entry.end else None

    @property
    def inputs(self) -> dict[str, ArtifactVersionResponse]:
        return {k: self._client.get_artifact_version(v) for k, v in self._entry.inputs.items()}

    @property
    def outputs(self) -> dict[str, list[ArtifactVersionResponse]]:
        return {k: [self._client.get_artifact_version(v)] for k, v in self._entry.outputs.items()}

    @property
    def output(self) -> ArtifactVersionResponse:
        if len(self._entry.outputs) != 1:
            raise UsageError(
                f"step {self.name!r}.output",
                f"the step has {len(self._entry.outputs)} outputs: use "
                ".outputs[NAME][0] with one of " + (", ".join(self._entry.outputs) or "none"),
            )
        return self._client.get_artifact_version(next(iter(self._entry.outputs.values())))

    def __repr__(self) -> str:
        return f"StepRunResponse(name={self.name!r}, status={self.status!r})"


class PipelineRunResponse:
    """One pipeline run, as a pipeline call returns it and `Client().get_pipeline_run()`
    reads it back: id, status, steps by name, their outputs."""

    def __init__(self, run: RunFile, client: Client) -> None:
        self._run = run
        self._client = client

    id = property(lambda self: UUID(self._run.id))
    name = property(lambda self: self._run.pipeline, doc="the pipeline's name")
    pipeline_name = name
    status = property(lambda self: self._run.status)
    config = property(lambda self: {"parameters": dict(self._run.parameters)})
    parameters = property(lambda self: dict(self._run.parameters))
    code = property(lambda self: self._run.code)
    model = property(lambda self: self._run.model, doc='"NAME@VERSION" of the run\'s model')

    @property
    def start_time(self) -> datetime:
        return _ts(self._run.start)

    @property
    def end_time(self) -> datetime | None:
        return _ts(self._run.end) if self._run.end else None

    @property
    def steps(self) -> dict[str, StepRunResponse]:
        return {s.name: StepRunResponse(s, self._client) for s in self._run.steps}

    @property
    def outputs(self) -> dict[str, dict[str, list[ArtifactVersionResponse]]]:
        """Every step's outputs: step name -> output name -> artifact versions."""
        return {name: s.outputs for name, s in self.steps.items()}

    @property
    def model_version(self) -> ModelVersionResponse | None:
        if self._run.model is None or "@" not in self._run.model:
            return None
        model, _, version = self._run.model.partition("@")
        return self._client.get_model_version(model, version)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self._run.id,
            "pipeline": self._run.pipeline,
            "status": self._run.status,
            "start": self._run.start,
            "end": self._run.end,
            "model": self._run.model,
            "steps": {s.name: s.status for s in self._run.steps},
        }

    def __repr__(self) -> str:
        return f"PipelineRunResponse(name={self.name!r}, id={self._run.id[:8]}, status={self.status!r})"
