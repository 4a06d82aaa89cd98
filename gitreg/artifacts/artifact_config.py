"""`gitreg.artifacts.artifact_config.ArtifactConfig` (ZenML's module path)."""

from gitreg.api.artifact_config import ArtifactConfig

__all__ = ["ArtifactConfig"]
