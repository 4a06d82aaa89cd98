"""What the services hand to the API: manifests as read, with where they were found.

The fields themselves are the manifests' (`gitreg.manifest.schema`); a view adds only
what the file cannot say about itself (its path, a model version's stage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitreg.manifest.schema import (
        ArtifactMeta,
        ArtifactVersionFile,
        DvcOut,
        LinkFile,
        ModelVersionFile,
    )


@dataclass(frozen=True)
class ArtifactVersion:
    file: ArtifactVersionFile
    path: str  # the DVC pointer on the registry branch

    @property
    def meta(self) -> ArtifactMeta:
        return self.file.info

    @property
    def out(self) -> DvcOut:
        return self.file.outs[0]

    @property
    def data_path(self) -> str:
        """Where `dvc get <repo> <data_path> --rev <branch>` finds the bytes."""
        return self.path.removesuffix(".dvc")


@dataclass(frozen=True)
class ModelVersion:
    file: ModelVersionFile
    stage: str | None  # kept on the model's manifest, not the version's
    path: str


@dataclass(frozen=True)
class Link:
    model: str
    model_version: str
    file: LinkFile
