"""numpy arrays as .npy files; numpy is imported only for objects that are numpy's."""

from __future__ import annotations

from typing import Any

from gitreg.enums import ArtifactType
from gitreg.errors import MaterializerError
from gitreg.materializers.base import RemembersExtra


class NumpyMaterializer(RemembersExtra):
    """numpy.ndarray as one .npy file (object arrays are pickled inside it)."""

    name = "numpy"
    associated_types = ()  # matched lazily: numpy is imported only if the object is numpy's
    artifact_type = ArtifactType.DATA
    file_name = "array.npy"

    @classmethod
    def matches(cls, obj: Any) -> bool:
        """True for numpy arrays, without importing numpy for other objects."""
        if type(obj).__module__ != "numpy":
            return False
        import numpy as np

        return isinstance(obj, np.ndarray)

    def save(self, obj: Any, path: str) -> None:
        """np.save to `path` (allow_pickle only for object dtypes)."""
        import numpy as np

        with open(path, "wb") as f:
            np.save(f, obj, allow_pickle=bool(obj.dtype.hasobject))

    def extra(self, obj: Any) -> dict[str, Any]:
        """dtype, shape, and allow_pickle for object arrays."""
        facts: dict[str, Any] = {"dtype": str(obj.dtype), "shape": list(obj.shape)}
        if obj.dtype.hasobject:
            facts["allow_pickle"] = True
        return facts

    def load(self, path: str, data_type: type | None) -> Any:
        """np.load the array (as `data_type` if that is an ndarray subclass)."""
        import numpy as np

        allow_pickle = bool(self._extra.get("allow_pickle", False))
        try:
            with open(path, "rb") as f:
                array = np.load(f, allow_pickle=allow_pickle)
        except ValueError as e:
            if allow_pickle or "allow_pickle" not in str(e):
                raise
            raise MaterializerError(
                f"{path} holds an object array but no allow_pickle was recorded for it: "
                "call check_load({'allow_pickle': True}) first if you trust this data"
            ) from e
        if (
            isinstance(data_type, type)
            and data_type is not np.ndarray
            and issubclass(data_type, np.ndarray)
        ):
            array = array.view(data_type)
        return array
