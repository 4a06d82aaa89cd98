"""`gitreg.model.utils` (ZenML's module path): model metadata and links."""

from gitreg.api.artifacts import link_artifact_to_model, log_model_metadata

__all__ = ["link_artifact_to_model", "log_model_metadata"]
