"""The fallback: any other object with cloudpickle (imported when first needed)."""

from __future__ import annotations

import logging
import os
import pickle
import platform
import warnings
from typing import Any

from gitreg.enums import ArtifactType
from gitreg.errors import MaterializerError
from gitreg.materializers.base import RemembersExtra, type_name

logger = logging.getLogger(__name__)

_MODEL_MODULES = frozenset({"sklearn", "torch", "xgboost", "lightgbm", "keras", "tensorflow"})


def _safe_hasattr(obj: Any, name: str) -> bool:
    try:
        return hasattr(obj, name)
    except Exception:
        return False


class CloudpickleMaterializer(RemembersExtra):
    """Anything else, with cloudpickle (needs compatible Python and package versions to load)."""

    name = "cloudpickle"
    associated_types = ()  # the fallback: the registry picks it when nothing else matches
    artifact_type = ArtifactType.DATA
    file_name = "data.pkl"

    @staticmethod
    def _error(obj: Any, e: BaseException) -> MaterializerError:
        return MaterializerError(
            f"cannot pickle a {type_name(obj)} ({type(e).__name__}: {e}): "
            "register a materializer for it with gitreg.register_materializer() "
            "or pass materializer="
        )

    def artifact_type_for(self, obj: Any) -> ArtifactType:
        """MODEL for estimators (fit and predict) and ML framework objects, else DATA."""
        if _safe_hasattr(obj, "fit") and _safe_hasattr(obj, "predict"):
            return ArtifactType.MODEL
        mro = type(obj).__mro__
        if any(klass.__name__ == "Tensor" for klass in mro):
            return ArtifactType.DATA  # torch / tensorflow tensors are data
        for klass in mro:
            if klass.__module__.split(".")[0] in _MODEL_MODULES:
                return ArtifactType.MODEL
        return ArtifactType.DATA

    def to_bytes(self, obj: Any) -> bytes:
        """cloudpickle.dumps(obj)."""
        import cloudpickle

        try:
            return bytes(cloudpickle.dumps(obj))
        except Exception as e:
            raise self._error(obj, e) from e

    def save(self, obj: Any, path: str) -> None:
        """Pickle `obj` into `path` (removed again if pickling fails)."""
        import cloudpickle

        try:
            with open(path, "wb") as f:
                cloudpickle.dump(obj, f)
        except Exception as e:
            if os.path.exists(path):
                os.remove(path)
            raise self._error(obj, e) from e

    def extra(self, obj: Any) -> dict[str, Any]:
        """The Python and cloudpickle versions that pickled it."""
        import cloudpickle

        return {"python": platform.python_version(), "cloudpickle": cloudpickle.__version__}

    def check_load(self, extra: dict[str, Any]) -> None:
        """Warn (RuntimeWarning and log) if the recorded Python major.minor is not this one."""
        super().check_load(extra)
        recorded = str(self._extra.get("python") or "")
        if not recorded:
            return
        running = platform.python_version()
        if recorded.split(".")[:2] != running.split(".")[:2]:
            message = (
                f"this artifact was pickled with Python {recorded} and is loaded with Python "
                f"{running}: unpickling may fail or give a subtly different object"
            )
            logger.warning(message)
            warnings.warn(message, RuntimeWarning, stacklevel=2)

    def load(self, path: str, data_type: type | None) -> Any:
        """Unpickle `path`."""
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except Exception as e:
            recorded = self._extra.get("python")
            pickled_with = f" (pickled with Python {recorded})" if recorded else ""
            raise MaterializerError(
                f"cannot unpickle {path}{pickled_with}: {type(e).__name__}: {e}; install the "
                "packages its classes come from, in compatible versions"
            ) from e
