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
        """Write `to_bytes(obj)` to `path`; override it when there is no `to_bytes`."""
        data = self.to_bytes(obj)
        if data is None:
            raise NotImplementedError
        with open(path, "wb") as f:
            f.write(data)

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


class RemembersExtra(Materializer):
    """Keeps what `check_load` was given, so `load` can use the recorded facts."""

    def __init__(self) -> None:
        self._extra: dict[str, Any] = {}

    def check_load(self, extra: dict[str, Any]) -> None:
        """Remember the recorded facts for `load`."""
        self._extra = dict(extra or {})


def saves_dir(materializer: Materializer, obj: Any) -> bool:
    """Whether `materializer.save(obj, path)` creates a folder (per object when it can tell)."""
    per_object = getattr(materializer, "saves_dir", None)
    if callable(per_object):
        return bool(per_object(obj))
    return bool(materializer.is_dir)


def type_name(obj: Any) -> str:
    """`obj`'s type as a user would write it (`dict`, `numpy.ndarray`)."""
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
