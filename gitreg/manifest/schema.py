"""Every file on the registry branch as a pydantic model, plus the one parser and dumper.

These models are the one definition of each manifest's fields. pydantic is imported with
this module, and this module only when a registry is read or written (the services import
it, and the API imports the services lazily); `defer_build` builds each model's validator
on its first use, so a query pays only for the files it reads.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gitreg.enums import ArtifactType, LinkKind
from gitreg.errors import ManifestError
from gitreg.manifest import yaml_io

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


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, defer_build=True, ser_json_inf_nan="constants"
    )


class _Versioned(_Model):
    schema_: Literal[1] = Field(default=1, alias="schema")


class RegistryConfig(_Versioned):
    """`gitreg.yaml`: the registry's format version and settings."""

    kind: Literal["gitreg-registry"] = "gitreg-registry"
    remote: str = "gitreg"


class Ref(_Model):
    version: str
    id: str


class ArtifactEntity(_Versioned):
    """`artifacts/<name>/artifact.yaml`: one per artifact name."""

    name: str
    created: str
    next_number: int = 1
    count: int = 0
    latest: Ref | None = None
    tags: list[str] | None = None  # the artifact's own (ZenML's), not its versions'


class ArtifactMeta(_Versioned):
    """gitreg's fields of an artifact version, kept under `meta:` of its DVC pointer."""

    id: str
    name: str
    version: str
    seq: int
    type: ArtifactType
    data_type: str
    materializer: str
    created: str
    tags: list[str] = []
    user_metadata: dict[str, Any] = {}
    run_metadata: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    producer: dict[str, str] | None = None


MD5_PATTERN = r"^[0-9a-f]{32}(\.dir)?$"


class DvcOut(_Model):
    md5: str = Field(pattern=MD5_PATTERN)
    size: int
    hash: Literal["md5"] = "md5"
    path: str
    nfiles: int | None = None


class ArtifactVersionFile(_Model):
    """An artifact version's manifest: a valid DVC pointer with gitreg's fields under meta."""

    outs: list[DvcOut] = Field(min_length=1, max_length=1)
    meta: dict[Literal["gitreg"], ArtifactMeta]

    @property
    def info(self) -> ArtifactMeta:
        return self.meta["gitreg"]


class ModelRef(_Model):
    name: str
    number: int
    id: str


class ModelEntity(_Versioned):
    """`models/<name>/model.yaml`."""

    id: str
    name: str
    created: str
    description: str | None = None
    tags: list[str] = []
    next_number: int = 1
    count: int = 0
    latest: ModelRef | None = None
    stages: dict[str, str] = {}  # version name -> stage
    # its name in dvc.yaml and GTO tags, fixed at creation (None: older manifests, mapped)
    dvc_name: str | None = None
    # ZenML's model card
    license: str | None = None
    audience: str | None = None
    use_cases: str | None = None
    limitations: str | None = None
    trade_offs: str | None = None
    ethics: str | None = None
    save_models_to_registry: bool | None = None  # None: ZenML's default, True


class CodeRef(_Model):
    commit: str | None = None
    branch: str | None = None
    dirty: bool = False


class ModelVersionFile(_Versioned):
    """`models/<name>/versions/x/y/<version>/version.yaml`."""

    id: str
    model: str
    name: str
    number: int
    created: str
    description: str | None = None
    tags: list[str] = []
    code: CodeRef | None = None  # the user's commit it came from (None: not recorded)


class LinkFile(_Versioned):
    """One artifact version linked to one model version."""

    artifact: str
    version: str
    artifact_id: str
    seq: int = 0  # the artifact version's creation ordinal: the newest link wins
    kind: LinkKind
    created: str


class MetadataFile(_Versioned):
    """One `log_metadata` call: later files win per key."""

    created: str
    values: dict[str, Any]


class IdEntry(_Versioned):
    kind: Literal["artifact_version", "model_version", "model", "run"]
    path: str


class StepRunEntry(_Model):
    """One step of a run: what it consumed and produced."""

    id: str
    name: str
    status: Literal["running", "completed", "failed", "cached"]
    start: str
    end: str | None = None
    model: str | None = None  # "NAME@VERSION"
    parameters: dict[str, Any] = {}
    inputs: dict[str, str] = {}  # argument -> artifact version id
    external: dict[str, str] = {}  # argument -> "type md5" of values that are not artifacts
    outputs: dict[str, str] = {}  # output name -> artifact version id
    saved: list[str] = []  # artifact version ids saved inside the step
    cache_key: str | None = None
    cached_from: str | None = None  # run id the outputs were reused from
    metadata: dict[str, Any] = {}
    error: str | None = None


class RunFile(_Versioned):
    """`runs/xx/<id>.yaml`: one pipeline run (a step called alone is a one-step run)."""

    id: str
    pipeline: str
    status: Literal["running", "completed", "failed"]
    start: str
    end: str | None = None
    model: str | None = None
    parameters: dict[str, Any] = {}
    code: CodeRef = Field(default_factory=CodeRef)
    steps: list[StepRunEntry] = []


class CacheEntry(_Versioned):
    """`cache/xx/<key>.yaml`: a step's outputs for one (code, parameters, inputs) key."""

    step: str
    run: str
    outputs: dict[str, str]


M = TypeVar("M", bound=BaseModel)


def parse(cls: type[M], data: bytes, path: str) -> M:
    """A manifest of type `cls` from its bytes; ManifestError names the file, line and field."""
    raw = yaml_io.loads(data, path)
    try:
        return cls.model_validate(raw)
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        line = yaml_io.line_of(data, err["loc"])
        raise ManifestError(path, f"{where}: {err['msg']}", line) from None


def dump(obj: BaseModel) -> bytes:
    return yaml_io.dumps(obj.model_dump(mode="json", by_alias=True, exclude_none=True))
