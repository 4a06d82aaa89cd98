"""pydantic v2 models as their JSON."""

from __future__ import annotations

import importlib
from typing import Any

from gitreg.enums import ArtifactType
from gitreg.errors import MaterializerError
from gitreg.materializers.base import RemembersExtra, type_name


def _import_qualified(name: str) -> Any:
    """The object named `module.qualname`, trying the longest importable module first."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:i])
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        try:
            for part in parts[i:]:
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    raise ImportError(name)


class PydanticMaterializer(RemembersExtra):
    """pydantic v2 models as their JSON (model_dump_json / model_validate_json)."""

    name = "pydantic"
    associated_types = ()  # the registry adds pydantic.BaseModel
    artifact_type = ArtifactType.DATA
    file_name = "model.json"

    def to_bytes(self, obj: Any) -> bytes:
        """The model's JSON (by alias, in round-trip mode)."""
        try:
            return obj.model_dump_json(by_alias=True, round_trip=True).encode("utf-8")
        except Exception as e:
            raise MaterializerError(
                f"cannot dump the pydantic model {type_name(obj)} as JSON ({e}): "
                "pass materializer='cloudpickle' or register a materializer for it "
                "with gitreg.register_materializer()"
            ) from e

    def extra(self, obj: Any) -> dict[str, Any]:
        """The model class as `module.qualname`."""
        t = type(obj)
        return {"class": f"{t.__module__}.{t.__qualname__}"}

    def _model_class(self, data_type: type | None) -> Any:
        from pydantic import BaseModel

        if isinstance(data_type, type) and issubclass(data_type, BaseModel):
            return data_type
        name = self._extra.get("class")
        if not name:
            raise MaterializerError(
                "no model class was recorded for this pydantic artifact: pass the class "
                "as the data type to load it"
            )
        try:
            cls = _import_qualified(str(name))
        except ImportError:
            raise MaterializerError(
                f"cannot import the pydantic model class {name!r}: install or import the "
                "module that defines it (classes defined inside functions cannot be imported), "
                "or pass the class as the data type"
            ) from None
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            raise MaterializerError(f"{name!r} is not a pydantic model class")
        return cls

    def load(self, path: str, data_type: type | None) -> Any:
        """Validate the JSON with the recorded class (or `data_type`)."""
        cls = self._model_class(data_type)
        with open(path, "rb") as f:
            data = f.read()
        try:
            return cls.model_validate_json(data)
        except Exception as e:
            raise MaterializerError(
                f"the stored JSON does not validate as {cls.__module__}.{cls.__qualname__}: {e}"
            ) from e
