"""Enumerations shared by every layer (ZenML's values)."""

from __future__ import annotations

from enum import Enum


class StrEnum(str, Enum):
    def __str__(self) -> str:
        return str(self.value)


class ArtifactType(StrEnum):
    DATA = "data"
    MODEL = "model"
    SERVICE = "service"
    DATA_ANALYSIS = "data_analysis"
    BASE = "base"


class ModelStages(StrEnum):
    NONE = "none"
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"
    LATEST = "latest"


class LinkKind(StrEnum):
    DATA = "data"
    MODEL = "model"
    DEPLOYMENT = "deployment"

    @classmethod
    def for_type(cls, artifact_type: ArtifactType | str) -> LinkKind:
        t = ArtifactType(artifact_type)
        if t is ArtifactType.MODEL:
            return cls.MODEL
        if t is ArtifactType.SERVICE:
            return cls.DEPLOYMENT
        return cls.DATA


def artifact_type(value: object) -> ArtifactType:
    from gitreg.errors import InvalidNameError

    try:
        return ArtifactType(getattr(value, "value", value))
    except ValueError:
        raise InvalidNameError(
            "artifact type", value, f"use one of {', '.join(t.value for t in ArtifactType)}"
        ) from None
