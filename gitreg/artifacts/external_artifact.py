"""`gitreg.artifacts.external_artifact.ExternalArtifact` (ZenML's module path)."""

from gitreg.api.external_artifact import ExternalArtifact

__all__ = ["ExternalArtifact"]
