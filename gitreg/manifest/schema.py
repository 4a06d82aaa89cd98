"""Every file on the registry branch as a record class, plus the one parser and dumper.

The classes are compiled from the pydantic models in `models.py` (see `codegen.py`), so
reading and writing manifests needs pydantic-core only, never pydantic itself.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from gitreg.errors import ManifestError
from gitreg.manifest import yaml_io
from gitreg.manifest._generated import (
    ArtifactEntity,
    ArtifactMeta,
    ArtifactVersionFile,
    CacheEntry,
    CodeRef,
    DvcOut,
    IdEntry,
    LinkFile,
    MetadataFile,
    ModelEntity,
    ModelRef,
    ModelVersionFile,
    Ref,
    RegistryConfig,
    RunFile,
    StepRunEntry,
)
from gitreg.manifest.record import Record

__all__ = [
    "SCHEMA_VERSION",
    "ArtifactEntity",
    "ArtifactMeta",
    "ArtifactVersionFile",
    "CacheEntry",
    "CodeRef",
    "DvcOut",
    "IdEntry",
    "LinkFile",
    "MetadataFile",
    "ModelEntity",
    "ModelRef",
    "ModelVersionFile",
    "Record",
    "Ref",
    "RegistryConfig",
    "RunFile",
    "StepRunEntry",
    "dump",
    "now",
    "parse",
]

SCHEMA_VERSION = 1


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse(cls: type[Record], data: bytes, path: str) -> Any:
    """A record of type `cls` from a manifest's bytes; ManifestError names what is wrong."""
    from pydantic_core import ValidationError

    raw = yaml_io.loads(data, path)
    try:
        return cls.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top)"
        raise ManifestError(path, f"{loc}: {err['msg']}") from None


def dump(obj: Record) -> bytes:
    return yaml_io.dumps(obj.model_dump(mode="json", by_alias=True, exclude_none=True))
