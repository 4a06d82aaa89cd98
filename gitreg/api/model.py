"""`Model`: a model name plus a version spec, resolved against the registry on use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from gitreg import names
from gitreg.enums import LinkKind

if TYPE_CHECKING:
    from gitreg.api.client import Client
    from gitreg.api.responses import ArtifactVersionResponse, ModelVersionResponse
    from gitreg.manifest.schema import CodeRef
    from gitreg.services.models import VersionRequest


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
        self._resolved: ModelVersionResponse | None = None
        self._client: Client | None = None

    @classmethod
    def of(cls, version: ModelVersionResponse, client: Client) -> Model:
        """A Model bound to an existing version."""
        m = cls(version.model_name, version.name).bind(client)
        m._resolved = version
        return m

    def bind(self, client: Client) -> Model:
        """Resolve this model in `client`'s registry (default: the current directory's)."""
        self._client = client
        return self

    @property
    def card(self) -> dict[str, Any]:
        """ZenML's model card fields given to this Model (stored when it creates the model)."""
        from gitreg.api.client import model_card

        return model_card(
            self.license,
            self.audience,
            self.use_cases,
            self.limitations,
            self.trade_offs,
            self.ethics,
            self.save_models_to_registry,
        )

    @property
    def is_bound(self) -> bool:
        return self._client is not None

    @property
    def client(self) -> Client:
        if self._client is None:
            from gitreg.api.context import active_client

            self._client = active_client()
        return self._client

    # -- resolution ----------------------------------------------------------------
    @property
    def resolved(self) -> ModelVersionResponse | None:
        """The version this model stands for, once a call has resolved or created it."""
        return self._resolved

    def ensure_version(self) -> ModelVersionResponse:
        """The version this model stands for, created if ZenML's rules say so (a new number
        for `version=None`, a new name once); numbers, 'latest' and stages only fetch."""
        if self._resolved is not None:
            return self._resolved
        return self.adopt(
            self.client.create_model_version(
                self.name,
                self.version,
                description=self.description,
                tags=self.tags,
                model_card=self.card,
            )
        )

    def request(self, code: CodeRef | None = None) -> VersionRequest:
        """The get-or-create of the version this model stands for, for one service call
        (`code`: the code commit a new version records; default: the checkout now)."""
        from gitreg.services.models import VersionRequest

        return VersionRequest(
            self.name, self.version, self.description, tuple(self.tags), self.card, code
        )

    def adopt(self, version: ModelVersionResponse) -> ModelVersionResponse:
        """Stand for `version`, which a client call fetched or created for this model (a
        link that created the version in its own commit); returns it."""
        self._resolved = version
        if self.version is None:
            self.version = version.name
        return version

    def get_version(self) -> ModelVersionResponse:
        """The version this model stands for, fetched without creating it."""
        if self._resolved is None:
            self._resolved = self.client.get_model_version(self.name, self.version)
        return self._resolved

    # as ZenML's Model: its id and number get or create the version it names
    @property
    def id(self) -> UUID:
        return self.ensure_version().id

    @property
    def number(self) -> int:
        return self.ensure_version().number

    @property
    def stage(self) -> str | None:
        return self.client.get_model_version(self.name, self.get_version().name).stage

    @property
    def model_version(self) -> str:
        return self.get_version().name

    # -- artifacts -----------------------------------------------------------------
    def _linked(
        self, name: str, version: str | None, kind: LinkKind | None
    ) -> ArtifactVersionResponse | None:
        mv = self.get_version()
        return self.client.newest_linked_artifact(mv.model_name, mv.name, name, version, kind)

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
        self.client.log_model_version_metadata(self.ensure_version(), metadata)

    @property
    def run_metadata(self) -> dict[str, Any]:
        return self.get_version().run_metadata

    def set_stage(self, stage: str, force: bool = False) -> str | None:
        """Put this version in `stage`; returns the version archived by `force`, if any."""
        from gitreg.services.models import check_stage

        stage_name = check_stage(self.name, stage)  # before a version is created for it
        mv = self.ensure_version()
        return self.client.set_model_version_stage(self.name, mv.name, stage_name, force)

    def __repr__(self) -> str:
        return f"Model(name={self.name!r}, version={self.version!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and (other.name, other.version) == (self.name, self.version)

    def __hash__(self) -> int:
        return hash((self.name, self.version))
