"""`ArtifactConfig`: how a step output is named, versioned and typed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from gitreg.enums import ArtifactType


class ArtifactConfig(BaseModel):
    """Configuration of one step output; the name may be given positionally."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str | None = None
    version: int | str | None = None
    tags: list[str] | None = None
    run_metadata: dict[str, Any] | None = None
    artifact_type: ArtifactType | None = None
    is_model_artifact: bool = False
    is_deployment_artifact: bool = False

    def __init__(self, name: str | None = None, /, **data: Any) -> None:
        if name is not None:
            data["name"] = name
        super().__init__(**data)
