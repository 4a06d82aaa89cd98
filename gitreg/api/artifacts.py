"""Module-level functions: thin wrappers over the active client."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from gitreg.api.context import active_client, current_step
from gitreg.api.model import Model
from gitreg.api.responses import ArtifactVersionResponse
from gitreg.enums import ArtifactType


def save_artifact(
    data: Any,
    name: str,
    version: int | str | None = None,
    tags: list[str] | None = None,
    user_metadata: dict[str, Any] | None = None,
    artifact_type: ArtifactType | str | None = None,
    materializer: Any = None,
    **kwargs: Any,
) -> ArtifactVersionResponse:
    """Save `data` as a new version of artifact `name`; inside a step it is linked to the
    step's model."""
    return active_client().save_artifact(
        data, name, version, tags, user_metadata, artifact_type, materializer, **kwargs
    )


def load_artifact(name_or_id: str | UUID, version: str | int | None = None) -> Any:
    return active_client().load_artifact(name_or_id, version)


def link_artifact_to_model(
    artifact_version_id: str | UUID | ArtifactVersionResponse,
    model: Model | None = None,
    is_model_artifact: bool = False,
    is_deployment_artifact: bool = False,
) -> Any:
    return active_client().link_artifact_to_model(
        artifact_version_id, model, is_model_artifact, is_deployment_artifact
    )


def log_metadata(
    metadata: dict[str, Any],
    *,
    model: Model | None = None,
    model_name: str | None = None,
    model_version: str | None = None,
    infer_model: bool = False,
) -> None:
    """Attach metadata to a model version (given, or the current step's model)."""
    if model is None and model_name is not None:
        model = Model(model_name, model_version)
    if model is None:
        ctx = current_step()
        if ctx is not None and ctx.model is not None:
            model = ctx.model
    if model is None:
        from gitreg.errors import GitregError

        raise GitregError(
            "log_metadata() needs model=, or model_name= and model_version=, outside a step with a model"
        )
    if model._client is None:
        model._client = active_client()
    model.log_metadata(metadata)
