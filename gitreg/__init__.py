"""gitreg: a git-native model and artifact registry with ZenML's Model Control Plane API.

Names are imported lazily so that `import gitreg` stays fast: `_EXPORTS` says where each
public name lives (a test checks that it, `__all__` and the TYPE_CHECKING imports agree).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Model": "gitreg.api.model",
    "Client": "gitreg.api.client",
    "ArtifactConfig": "gitreg.api.artifact_config",
    "save_artifact": "gitreg.api.artifacts",
    "load_artifact": "gitreg.api.artifacts",
    "link_artifact_to_model": "gitreg.api.artifacts",
    "log_metadata": "gitreg.api.artifacts",
    "log_artifact_metadata": "gitreg.api.artifacts",
    "log_model_metadata": "gitreg.api.artifacts",
    "log_step_metadata": "gitreg.api.artifacts",
    "register_artifact": "gitreg.api.artifacts",
    "ExternalArtifact": "gitreg.api.external_artifact",
    "get_pipeline_context": "gitreg.api.runner",
    "get_step_context": "gitreg.api.context",
    "step": "gitreg.api.decorators",
    "pipeline": "gitreg.api.decorators",
    "ArtifactType": "gitreg.enums",
    "ModelStages": "gitreg.enums",
    "GitregError": "gitreg.errors",
    "NotFoundError": "gitreg.errors",
    "ArtifactNotFoundError": "gitreg.errors",
    "ModelNotFoundError": "gitreg.errors",
    "RunNotFoundError": "gitreg.errors",
    "RevisionNotFoundError": "gitreg.errors",
    "InvalidNameError": "gitreg.errors",
    "InvalidMetadataError": "gitreg.errors",
    "UsageError": "gitreg.errors",
    "VersionExistsError": "gitreg.errors",
    "StageError": "gitreg.errors",
    "ManifestError": "gitreg.errors",
    "RegistryError": "gitreg.errors",
    "StorageError": "gitreg.errors",
    "ArtifactIntegrityError": "gitreg.errors",
    "MaterializerError": "gitreg.errors",
    "Materializer": "gitreg.materializers.base",
    "register_materializer": "gitreg.materializers.registry",
}

if TYPE_CHECKING:
    from gitreg.api.artifact_config import ArtifactConfig
    from gitreg.api.artifacts import (
        link_artifact_to_model,
        load_artifact,
        log_artifact_metadata,
        log_metadata,
        log_model_metadata,
        log_step_metadata,
        register_artifact,
        save_artifact,
    )
    from gitreg.api.client import Client
    from gitreg.api.context import get_step_context
    from gitreg.api.decorators import pipeline, step
    from gitreg.api.external_artifact import ExternalArtifact
    from gitreg.api.model import Model
    from gitreg.api.runner import get_pipeline_context
    from gitreg.enums import ArtifactType, ModelStages
    from gitreg.errors import (
        ArtifactIntegrityError,
        ArtifactNotFoundError,
        GitregError,
        InvalidMetadataError,
        InvalidNameError,
        ManifestError,
        MaterializerError,
        ModelNotFoundError,
        NotFoundError,
        RegistryError,
        RevisionNotFoundError,
        RunNotFoundError,
        StageError,
        StorageError,
        UsageError,
        VersionExistsError,
    )
    from gitreg.materializers.base import Materializer
    from gitreg.materializers.registry import register_materializer

__all__ = sorted(_EXPORTS)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gitreg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
