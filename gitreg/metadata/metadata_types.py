"""ZenML's special metadata types. They are plain `str`/`int` subclasses, so they are
stored as the plain value (the manifest keeps no type tag) and read back as such."""

from __future__ import annotations

from typing import Any


class Uri(str):
    """A URI-valued piece of metadata."""


class Path(str):
    """A path-valued piece of metadata."""


class DType(str):
    """A data type, e.g. "int64"."""


class StorageSize(int):
    """A size in bytes."""


MetadataType = str | int | float | bool | list[Any] | dict[str, Any] | tuple[Any, ...] | None
