"""`ExternalArtifact`: a value (or a stored version) passed to a step from outside the
pipeline; it becomes an artifact version the step records as an input."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from gitreg.errors import UsageError


class ExternalArtifact:
    """ZenML's `ExternalArtifact(value=...)`: saved (as `external_<uuid>`, as ZenML names
    it) when the step that takes it runs; `id=` or `name=`/`version=` name a stored one."""

    def __init__(
        self,
        value: Any = None,
        id: UUID | str | None = None,
        name: str | None = None,
        version: str | int | None = None,
        materializer: Any = None,
    ) -> None:
        given = sum(x is not None for x in (value, id, name))
        if given != 1:
            raise UsageError(
                "ExternalArtifact()",
                "give exactly one of value=, id= or name= (with version=)",
            )
        if version is not None and name is None:
            raise UsageError("ExternalArtifact()", "version= needs name= too")
        self.value = value
        self.id = None if id is None else str(id)
        self.name = name
        self.version = version
        self.materializer = materializer

    def __repr__(self) -> str:
        shown = f"id={self.id}" if self.id else f"name={self.name!r}" if self.name else "value"
        return f"ExternalArtifact({shown})"
