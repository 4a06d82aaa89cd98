"""`Model`: a model name plus a version spec, resolved against the registry on use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from gitreg import names
from gitreg.enums import LinkKind

if TYPE_CHECKING:
    from gitreg.api.client import Client
    from gitreg.api.responses import ArtifactVersionResponse
    from gitreg.services.records import ModelVersionRecord


class Model:
    """ZenML's `Model`: `version=None` makes a new numbered version on first use; a version
    name is created once and reused; a number, `"latest"` or a stage only fetch."""

    def __init__(
        self,
        name: str,
        version: str | int | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
        license: str | None = None,
        audience: str | None = None,
        use_cases: str | None = None,
        limitations: str | None = None,
        trade_offs: str | None = None,
        ethics: str | None = None,
        save_models_to_registry: bool = True,
        suppress_class_validation_warnings: bool = False,
        model_version_id: UUID | str | None = None,
    ) -> None:
        self.name = names.model_name(name)
        v = getattr(version, "value", version)
        self.version: str | None = None if v is None else names.version(v)
        self.description = description
        self.tags = [names.tag(t) for t in tags or []]
        self.license = license
        self.audience = audience
        self.use_cases = use_cases
        self.limitations = limitations
        self.trade_offs = trade_offs
        self.ethics = ethics
        self.save_models_to_registry = save_models_to_registry
        self.model_version_id = str(model_version_id) if model_version_id else None
        self._record: ModelVersionRecord | None = None
        self._client: Client | None = None

    @classmethod
    def _bound(cls, record: ModelVersionRecord, client: Client) -> Model:
        m = cls(record.model, record.name)
        m._record = record
        m._client = client
        return m

    # -- resolution ----------------------------------------------------------------
    def _get_client(self) -> Client:
        if self._client is None:
            from gitreg.api.context import active_client

            self._client = active_client()
        return self._client

    def _get_or_create_model_version(self) -> ModelVersionRecord:
        if self._record is None:
            client = self._get_client()
            reg = client._registry()
            reg.ensure_initialized()
            self._record = reg.ensure_model_version(
                self.name, self.version, description=self.description, tags=self.tags
            )
            if self.version is None:
                self.version = self._record.name
        return self._record

    def _get_model_version(self) -> ModelVersionRecord:
        """Fetch without creating (numbers, 'latest', stages, existing names)."""
        if self._record is None:
            self._record = self._get_client()._registry().get_model_version(self.name, self.version)
        return self._record

    def _refresh(self) -> ModelVersionRecord:
        rec = self._get_model_version()
        self._record = self._get_client()._registry().get_model_version(self.name, rec.name)
        return self._record

    @property
    def id(self) -> UUID:
        return UUID(self._get_model_version().id)

    @property
    def number(self) -> int:
        return self._get_model_version().number

    @property
    def stage(self) -> str | None:
        return self._refresh().stage

    @property
    def model_version(self) -> str:
        return self._get_model_version().name

    # -- artifacts -----------------------------------------------------------------
    def _linked(
        self, name: str, version: str | None, kind: LinkKind | None
    ) -> ArtifactVersionResponse | None:
        client = self._get_client()
        rec = self._get_model_version()
        name = names.artifact_name(name)
        links = [
            link
            for link in client._registry().links(self.name, rec.name, artifact=name)
            if (version is None or link.version == str(version))
            and (kind is None or link.kind is kind)
        ]
        if not links:
            return None
        newest = max(links, key=lambda link: (link.seq, link.created))
        return client.get_artifact_version(newest.artifact_id)

    def get_artifact(self, name: str, version: str | None = None) -> ArtifactVersionResponse | None:
        """The artifact version named `name` linked to this model version (newest if several)."""
        return self._linked(name, version, None)

    def load_artifact(self, name: str, version: str | None = None) -> Any:
        art = self.get_artifact(name, version)
        if art is None:
            from gitreg.errors import ArtifactNotFoundError

            raise ArtifactNotFoundError(
                name,
                version,
                f" among the artifacts linked to model {self.name}@{self.model_version}",
            )
        return art.load()

    def get_model_artifact(
        self, name: str, version: str | None = None
    ) -> ArtifactVersionResponse | None:
        return self._linked(name, version, LinkKind.MODEL)

    def get_data_artifact(
        self, name: str, version: str | None = None
    ) -> ArtifactVersionResponse | None:
        return self._linked(name, version, LinkKind.DATA)

    def get_deployment_artifact(
        self, name: str, version: str | None = None
    ) -> ArtifactVersionResponse | None:
        return self._linked(name, version, LinkKind.DEPLOYMENT)

    # -- metadata and stages -------------------------------------------------------------
    def log_metadata(self, metadata: dict[str, Any]) -> None:
        metadata = names.metadata(dict(metadata))
        rec = self._get_or_create_model_version()
        self._get_client()._registry().log_model_metadata(self.name, rec.name, dict(metadata))

    @property
    def run_metadata(self) -> dict[str, Any]:
        rec = self._get_model_version()
        return self._get_client()._registry().model_metadata(self.name, rec.name)

    def set_stage(self, stage: str, force: bool = False) -> str | None:
        """Put this version in `stage`; returns the version archived by `force`, if any."""
        from gitreg.services.registry import check_stage

        stage_name = check_stage(self.name, stage)  # before a version is created for it
        rec = self._get_or_create_model_version()
        registry = self._get_client()._registry()
        return registry.set_stage(self.name, rec.name, stage_name, force)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Model(name={self.name!r}, version={self.version!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and (other.name, other.version) == (self.name, self.version)

    def __hash__(self) -> int:
        return hash((self.name, self.version))
