"""Module-level functions: thin wrappers over the active client."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from gitreg import names
from gitreg.api.context import active_client, current_step
from gitreg.api.model import Model
from gitreg.api.responses import ArtifactVersionResponse
from gitreg.enums import ArtifactType
from gitreg.errors import UsageError


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
    step_name: str | None = None,
    artifact_version_id: str | UUID | None = None,
    artifact_name: str | None = None,
    artifact_version: str | None = None,
    model: Model | None = None,
    model_name: str | None = None,
    model_version: str | None = None,
    infer_model: bool = False,
) -> None:
    """Attach metadata, as ZenML does: to an artifact version, a model version, or (inside
    a step, with no target given) the current step run. Later values win per key."""
    if model_version is not None and model_name is None and model is None:
        raise UsageError("log_metadata()", "model_version= needs model_name= too")
    client = active_client()
    ctx = current_step()
    to_artifact = artifact_version_id is not None or artifact_name is not None
    if to_artifact:
        art = client.get_artifact_version(
            str(artifact_version_id or artifact_name),
            None if artifact_version_id is not None else artifact_version,
        )
        client.log_artifact_metadata(art, metadata)
    if model is None and model_name is not None:
        if model_version is None:
            raise UsageError(
                "log_metadata()",
                "model_name= needs model_version= too (a name, a number, 'latest' or a stage)",
            )
        model = Model(model_name, model_version).bind(client)
        model.get_version()  # a target named here must exist: fetch, never create
    if model is None and infer_model:
        if ctx is None or ctx.model is None:
            raise UsageError(
                "log_metadata(infer_model=True)", "works only inside a step with a model"
            )
        model = ctx.model
    if model is not None:
        if not model.is_bound:
            model.bind(client)
        model.log_metadata(metadata)
    if not to_artifact and model is None:
        if ctx is None or (step_name is not None and step_name != ctx.step_run.name):
            raise UsageError(
                "log_metadata()",
                "needs a target outside a step: pass model=, model_name= and model_version=, "
                "or artifact_version_id= / artifact_name=",
            )
        ctx.metadata.update(metadata)


def log_step_metadata(
    metadata: dict[str, Any],
    step_name: str | None = None,
    pipeline_name_id_or_prefix: str | None = None,
    run_id: str | None = None,
) -> None:
    """ZenML's `log_step_metadata`: inside a step, to the running step. A finished run's
    manifest is the record of what happened and is not edited afterwards."""
    ctx = current_step()
    if ctx is None or pipeline_name_id_or_prefix is not None or run_id is not None:
        raise UsageError(
            "log_step_metadata()",
            "works only inside the running step (a finished run is not edited): log it from "
            "the step, or attach it to the run's outputs with log_artifact_metadata() or its "
            "model version with log_model_metadata()",
        )
    log_metadata(metadata, step_name=step_name)


def log_artifact_metadata(
    metadata: dict[str, Any],
    artifact_name: str | None = None,
    artifact_version: str | None = None,
) -> None:
    """ZenML's `log_artifact_metadata`: inside a step, to one of its outputs (the only one
    when no name is given); else to a stored version (the latest when no version is given)."""
    metadata = names.metadata(dict(metadata))
    ctx = current_step()
    if ctx is not None and (artifact_name is None or artifact_name in ctx.output_names):
        ctx.add_output_metadata(metadata, artifact_name)
        return
    if artifact_name is None:
        raise UsageError(
            "log_artifact_metadata()",
            "needs artifact_name= outside a step (and artifact_version=, else the latest)",
        )
    client = active_client()
    client.log_artifact_metadata(
        client.get_artifact_version(artifact_name, artifact_version), metadata
    )


def log_model_metadata(
    metadata: dict[str, Any],
    model_name: str | None = None,
    model_version: str | int | None = None,
) -> None:
    """ZenML's `log_model_metadata`: to the named model version (the latest when no version
    is given), or inside a step (with no name) to the step's model version."""
    if model_name is None and model_version is None:
        log_metadata(metadata, infer_model=True)
    elif model_name is None:
        raise UsageError("log_model_metadata()", "model_version= needs model_name= too")
    else:  # as ZenML: an omitted version is the latest
        version = "latest" if model_version is None else str(model_version)
        log_metadata(metadata, model_name=model_name, model_version=version)


def register_artifact(
    folder_or_file_uri: str,
    name: str,
    version: int | str | None = None,
    artifact_type: ArtifactType | str | None = None,
    tags: list[str] | None = None,
    has_custom_name: bool = True,
    is_model_artifact: bool = False,
    is_deployment_artifact: bool = False,
    artifact_metadata: dict[str, Any] | None = None,
) -> ArtifactVersionResponse:
    """ZenML's `register_artifact` for a local file or folder: gitreg keeps no artifact
    store to register in place, so it stores a copy (loaded back as a `pathlib.Path`)."""
    import os
    import pathlib

    if "://" in folder_or_file_uri or not os.path.exists(folder_or_file_uri):
        raise UsageError(
            "register_artifact()",
            f"{folder_or_file_uri!r} is not a local file or folder: gitreg stores bytes in its "
            "DVC remote itself, so download the data first and register the local copy",
        )
    if is_model_artifact:
        artifact_type = ArtifactType.MODEL
    elif is_deployment_artifact:
        artifact_type = ArtifactType.SERVICE
    return save_artifact(
        pathlib.Path(folder_or_file_uri),
        name,
        version,
        tags,
        artifact_type=artifact_type,
        run_metadata=artifact_metadata,
    )
