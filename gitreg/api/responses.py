"""What the API returns: artifact and model versions (ZenML's response shapes)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from gitreg.enums import ArtifactType

if TYPE_CHECKING:
    from gitreg.api.client import Client
    from gitreg.api.model import Model
    from gitreg.services.records import ArtifactVersionRecord, ModelRecord, ModelVersionRecord


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class ArtifactVersionResponse:
    """One saved artifact version; `.load()` returns the object."""

    def __init__(self, record: ArtifactVersionRecord, client: Client) -> None:
        self._record = record
        self._client = client

    id = property(lambda self: UUID(self._record.id))
    name = property(lambda self: self._record.name)
    version = property(lambda self: self._record.version)
    md5 = property(lambda self: self._record.md5)
    size = property(lambda self: self._record.size)
    nfiles = property(lambda self: self._record.nfiles)
    data_type = property(lambda self: self._record.data_type)
    materializer = property(lambda self: self._record.materializer)
    tags = property(lambda self: list(self._record.tags))
    user_metadata = property(lambda self: dict(self._record.user_metadata))
    producer = property(lambda self: self._record.producer)
    manifest_path = property(lambda self: self._record.path)

    @property
    def type(self) -> ArtifactType:
        return self._record.type

    @property
    def created(self) -> datetime:
        return _ts(self._record.created)

    @property
    def run_metadata(self) -> dict[str, Any]:
        """Metadata saved with the version, then logged later (latest value per key)."""
        from gitreg.services import runs

        return runs.artifact_metadata(self._client._registry(), self._record)

    @property
    def uri(self) -> str:
        """Where the bytes live in the DVC remote."""
        remote = self._client._registry().data().remote.url.rstrip("/")
        md5 = self._record.md5
        return f"{remote}/files/md5/{md5[:2]}/{md5[2:]}"

    @property
    def data_path(self) -> str:
        """The path `dvc get REPO PATH --rev BRANCH` takes."""
        return self._record.data_path

    def load(self) -> Any:
        return self._client._load_record(self._record)

    def read(self) -> Any:
        return self.load()

    def to_dict(self) -> dict[str, Any]:
        r = self._record
        return {
            "id": r.id,
            "name": r.name,
            "version": r.version,
            "type": r.type.value,
            "data_type": r.data_type,
            "materializer": r.materializer,
            "md5": r.md5,
            "size": r.size,
            "nfiles": r.nfiles,
            "created": r.created,
            "tags": list(r.tags),
            "user_metadata": dict(r.user_metadata),
            "run_metadata": self.run_metadata,
            "uri": self.uri,
            "data_path": r.data_path,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArtifactVersionResponse) and other._record.id == self._record.id

    def __hash__(self) -> int:
        return hash(self._record.id)

    def __repr__(self) -> str:
        return f"ArtifactVersionResponse(name={self.name!r}, version={self.version!r}, id={self._record.id[:8]})"


class ModelResponse:
    """A registered model (all of its versions)."""

    def __init__(self, record: ModelRecord, client: Client) -> None:
        self._record = record
        self._client = client

    id = property(lambda self: UUID(self._record.id))
    name = property(lambda self: self._record.name)
    description = property(lambda self: self._record.description)
    tags = property(lambda self: list(self._record.tags))
    stages = property(lambda self: dict(self._record.stages))

    @property
    def created(self) -> datetime:
        return _ts(self._record.created)

    @property
    def latest_version_name(self) -> str | None:
        return self._record.latest

    @property
    def versions(self) -> list[ModelVersionResponse]:
        return self._client.list_model_versions(self.name)

    def to_dict(self) -> dict[str, Any]:
        r = self._record
        return {
            "id": r.id,
            "name": r.name,
            "description": r.description,
            "tags": list(r.tags),
            "versions": r.count,
            "latest": r.latest,
            "stages": dict(r.stages),
            "created": r.created,
        }

    def __repr__(self) -> str:
        return f"ModelResponse(name={self.name!r})"


class ModelVersionResponse:
    """One model version (ZenML: `.name` is the version's name, `.model` the model).

    From a listing it knows only its model, name, number and stage; the rest of its
    manifest is read on first use.
    """

    # No per-instance dict: a listing of 10,000 versions makes 10,000 of these.
    __slots__ = ("_client", "_loaded", "_model", "_name", "_number", "_stage")

    def __init__(
        self,
        record: ModelVersionRecord | None,
        client: Client,
        *,
        model: str | None = None,
        name: str | None = None,
        number: int | None = None,
        stage: str | None = None,
    ) -> None:
        self._loaded = record
        self._client = client
        self._model = record.model if record else model
        self._name = record.name if record else name
        self._number = record.number if record else number
        self._stage = record.stage if record else stage

    @property
    def _record(self) -> ModelVersionRecord:
        if self._loaded is None:
            self._loaded = self._client._registry().get_model_version(self._model, self._name)
        return self._loaded

    id = property(lambda self: UUID(self._record.id))
    name = property(lambda self: self._name)
    number = property(lambda self: self._number)
    stage = property(lambda self: self._stage)
    description = property(lambda self: self._record.description)
    tags = property(lambda self: list(self._record.tags))
    model_name = property(lambda self: self._model)

    @property
    def created(self) -> datetime:
        return _ts(self._record.created)

    @property
    def model(self) -> ModelResponse:
        return self._client.get_model(self._record.model)

    def to_model_class(self) -> Model:
        from gitreg.api.model import Model

        return Model._bound(self._record, self._client)

    @property
    def run_metadata(self) -> dict[str, Any]:
        return self._client._registry().model_metadata(self._record.model, self._record.name)

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
        r = self._record
        return {
            "id": r.id,
            "model": r.model,
            "name": r.name,
            "number": r.number,
            "stage": r.stage,
            "description": r.description,
            "tags": list(r.tags),
            "created": r.created,
        }

    def __repr__(self) -> str:
        return f"ModelVersionResponse(model={self.model_name!r}, name={self.name!r}, number={self.number})"
