"""Materializers turn Python objects into files and back."""

from __future__ import annotations

from typing import Any, ClassVar

from gitreg.enums import ArtifactType


class Materializer:
    """Base class: subclass it, set `associated_types`, and register it.

    `save(obj, path)` creates `path` as one file or one folder; `load(path, data_type)`
    reads it back. `path` given to `load` is read-only (a verified cache copy for files,
    a fresh copy for folders).
    """

    name: ClassVar[str] = ""
    associated_types: ClassVar[tuple[type, ...]] = ()
    artifact_type: ClassVar[ArtifactType] = ArtifactType.DATA
    is_dir: ClassVar[bool] = False  # True if save() writes a folder
    file_name: ClassVar[str] = "data"  # suggested name of the saved file

    def save(self, obj: Any, path: str) -> None:
        raise NotImplementedError

    def load(self, path: str, data_type: type | None) -> Any:
        raise NotImplementedError

    def extra(self, obj: Any) -> dict[str, Any]:
        """Extra facts to record with the artifact version (e.g. a Python version)."""
        return {}

    def check_load(self, extra: dict[str, Any]) -> None:
        """Called before load with what `extra` recorded; may warn."""

    def to_bytes(self, obj: Any) -> bytes | None:
        """Optional fast path for small objects: the file's bytes, or None to use save()."""
        return None

    def artifact_type_for(self, obj: Any) -> ArtifactType:
        """The artifact type to record for `obj`: the class's `artifact_type` by default."""
        return self.artifact_type
