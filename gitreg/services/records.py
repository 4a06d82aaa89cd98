"""Plain records the services hand to the API layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitreg.enums import ArtifactType, LinkKind


@dataclass(frozen=True)
class ArtifactVersionRecord:
    id: str
    name: str
    version: str
    seq: int
    md5: str
    size: int
    nfiles: int | None
    type: ArtifactType
    data_type: str
    materializer: str
    created: str
    path: str  # manifest path on the registry branch
    tags: list[str] = field(default_factory=list)
    user_metadata: dict[str, Any] = field(default_factory=dict)
    run_metadata: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    producer: dict[str, str] | None = None

    @property
    def data_path(self) -> str:
        """Where `dvc get <repo> <data_path> --rev <branch>` finds the bytes."""
        return self.path.removesuffix(".dvc")


@dataclass(frozen=True)
class ModelRecord:
    id: str
    name: str
    created: str
    description: str | None
    tags: list[str]
    count: int
    latest: str | None
    stages: dict[str, str]


@dataclass(frozen=True)
class ModelVersionRecord:
    id: str
    model: str
    name: str
    number: int
    created: str
    description: str | None
    tags: list[str]
    stage: str | None
    path: str


@dataclass(frozen=True)
class LinkRecord:
    model: str
    model_version: str
    artifact: str
    version: str
    artifact_id: str
    kind: LinkKind
    created: str
    seq: int = 0
