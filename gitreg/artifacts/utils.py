"""`gitreg.artifacts.utils.save_artifact` and friends (ZenML's module path)."""

from gitreg.api.artifacts import (
    link_artifact_to_model,
    load_artifact,
    log_artifact_metadata,
    log_metadata,
    register_artifact,
    save_artifact,
)

__all__ = [
    "link_artifact_to_model",
    "load_artifact",
    "log_artifact_metadata",
    "log_metadata",
    "register_artifact",
    "save_artifact",
]
