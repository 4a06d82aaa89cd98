"""The materializers gitreg ships: JSON, bytes, paths, numpy, pandas, pydantic, cloudpickle.

numpy, pandas, pyarrow and cloudpickle are imported only when an object needs them, so
importing this module stays cheap.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import os
import pathlib
import pickle
import platform
import shutil
import sys
import tempfile
import warnings
from typing import Any

from gitreg.enums import ArtifactType
from gitreg.errors import MaterializerError
from gitreg.materializers.base import Materializer
from gitreg.materializers.registry import register_materializer

logger = logging.getLogger(__name__)

__all__ = [
    "BuiltinJSONMaterializer",
    "BytesMaterializer",
    "CloudpickleMaterializer",
    "NumpyMaterializer",
    "PandasMaterializer",
    "PathMaterializer",
    "PydanticMaterializer",
    "decode_json",
    "encode_json",
    "json_safe",
    "register_all",
    "saves_dir",
]


def _type_name(obj: Any) -> str:
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def saves_dir(materializer: Materializer, obj: Any) -> bool:
    """Whether `materializer.save(obj, path)` creates a folder (per object when it can tell)."""
    per_object = getattr(materializer, "saves_dir", None)
    if callable(per_object):
        return bool(per_object(obj))
    return bool(materializer.is_dir)


class _RemembersExtra(Materializer):
    """Keeps what `check_load` was given, so `load` can use the recorded facts."""

    def __init__(self) -> None:
        self._extra: dict[str, Any] = {}

    def check_load(self, extra: dict[str, Any]) -> None:
        """Remember the recorded facts for `load`."""
        self._extra = dict(extra or {})


# --------------------------------------------------------------------------- JSON

_CONTAINERS = (dict, list, tuple, set, frozenset)
_TAGS = frozenset({"__tuple__", "__set__", "__frozenset__", "__dict__", "__float__"})


def _int_fits(value: int) -> bool:
    """False for ints too long for int<->str conversion (Python's 4300-digit limit)."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    return limit == 0 or abs(value).bit_length() * 0.30103 < limit - 1


def json_safe(obj: Any) -> bool:
    """True if `obj` is built only of exact str/int/float/bool/None/dict/list/tuple/set/frozenset.

    Such objects round-trip through `BuiltinJSONMaterializer` equal and of the same types.
    Subclasses (e.g. namedtuple, OrderedDict, IntEnum), other types and cycles give False.
    """
    active: set[int] = set()

    def walk(value: Any) -> bool:
        t = type(value)
        if t is float or t is str or t is bool or value is None:
            return True
        if t is int:
            return _int_fits(value)
        if t not in _CONTAINERS:
            return False
        if id(value) in active:
            return False  # a cycle
        active.add(id(value))
        try:
            if t is dict:
                return all(walk(k) and walk(v) for k, v in value.items())
            return all(walk(item) for item in value)
        finally:
            active.discard(id(value))

    try:
        return walk(obj)
    except RecursionError:
        return False


def _canonical(encoded: Any) -> str:
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _totally_ordered(values: list[Any]) -> bool:
    """True if `sorted(values)` is deterministic: all str, or all numbers without nan."""
    if all(type(v) is str for v in values):
        return True
    return all(type(v) in (int, bool) or (type(v) is float and not math.isnan(v)) for v in values)


def _encode(obj: Any) -> Any:
    t = type(obj)
    if obj is None or t is str or t is bool or t is int:
        return obj
    if t is float:
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if t is list:
        return [_encode(item) for item in obj]
    if t is tuple:
        return {"__tuple__": [_encode(item) for item in obj]}
    if t is set or t is frozenset:
        items = list(obj)
        if _totally_ordered(items):
            encoded = [_encode(item) for item in sorted(items)]
        else:
            encoded = sorted((_encode(item) for item in items), key=_canonical)
        return {"__set__" if t is set else "__frozenset__": encoded}
    if t is dict:
        if all(type(k) is str for k in obj) and not _TAGS.intersection(obj):
            return {k: _encode(v) for k, v in obj.items()}
        keys = list(obj)
        if _totally_ordered(keys):
            pairs = [[_encode(k), _encode(obj[k])] for k in sorted(keys)]
        else:
            pairs = sorted(
                ([_encode(k), _encode(v)] for k, v in obj.items()),
                key=lambda pair: (_canonical(pair[0]), _canonical(pair[1])),
            )
        return {"__dict__": pairs}
    raise TypeError(f"a {_type_name(obj)} cannot be stored as JSON")


def _decode_object(d: dict[str, Any]) -> Any:
    if len(d) == 1:
        ((key, value),) = d.items()
        if key == "__tuple__":
            return tuple(value)
        if key == "__set__":
            return set(value)
        if key == "__frozenset__":
            return frozenset(value)
        if key == "__dict__":
            return {k: v for k, v in value}
        if key == "__float__":
            return float(value)
    return d


def encode_json(obj: Any) -> bytes:
    """Deterministic JSON bytes of a `json_safe` object, tagged so it round-trips exactly."""
    if not json_safe(obj):
        raise MaterializerError(
            f"a {_type_name(obj)} that holds objects other than exact str/int/float/bool/None/"
            "dict/list/tuple/set/frozenset (or holds itself) cannot be stored as JSON: "
            "pass materializer='cloudpickle' or register a materializer for it "
            "with gitreg.register_materializer()"
        )
    text = json.dumps(
        _encode(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return text.encode("ascii")


def decode_json(data: bytes) -> Any:
    """The object `encode_json` encoded."""
    return json.loads(data, object_hook=_decode_object)


class BuiltinJSONMaterializer(Materializer):
    """Built-in values (str, numbers, None, dict, list, tuple, set) as one tagged JSON file."""

    name = "builtin-json"
    associated_types = (str, int, float, bool, type(None), dict, list, tuple, set, frozenset)
    artifact_type = ArtifactType.DATA
    file_name = "data.json"

    def to_bytes(self, obj: Any) -> bytes:
        """The JSON bytes (compact, sorted keys: equal objects give equal bytes)."""
        return encode_json(obj)

    def save(self, obj: Any, path: str) -> None:
        """Write the JSON file."""
        data = self.to_bytes(obj)
        with open(path, "wb") as f:
            f.write(data)

    def load(self, path: str, data_type: type | None) -> Any:
        """Read the JSON file back into the same types."""
        with open(path, "rb") as f:
            return decode_json(f.read())


# --------------------------------------------------------------------------- bytes


class BytesMaterializer(Materializer):
    """bytes and bytearray as a raw file."""

    name = "bytes"
    associated_types = (bytes, bytearray)
    artifact_type = ArtifactType.DATA
    file_name = "data.bin"

    def to_bytes(self, obj: Any) -> bytes:
        """The bytes themselves."""
        return bytes(obj)

    def save(self, obj: Any, path: str) -> None:
        """Write the raw file."""
        with open(path, "wb") as f:
            f.write(obj)

    def load(self, path: str, data_type: type | None) -> bytes | bytearray:
        """Read the raw file as `data_type` (bytes by default)."""
        with open(path, "rb") as f:
            data = f.read()
        if (
            isinstance(data_type, type)
            and data_type is not bytes
            and issubclass(data_type, (bytes, bytearray))
        ):
            return data_type(data)
        return data


# --------------------------------------------------------------------------- paths


class PathMaterializer(_RemembersExtra):
    """A pathlib.Path to a file or a folder: stores a copy of the file or the folder tree."""

    name = "path"
    associated_types = (pathlib.Path,)
    artifact_type = ArtifactType.DATA
    file_name = "data"

    @staticmethod
    def _check(obj: Any) -> pathlib.Path:
        src = pathlib.Path(obj)
        if not src.exists():
            raise MaterializerError(f"cannot save path {str(src)!r}: it does not exist")
        if not (src.is_file() or src.is_dir()):
            raise MaterializerError(
                f"cannot save path {str(src)!r}: it is neither a regular file nor a folder"
            )
        return src

    def saves_dir(self, obj: Any) -> bool:
        """True if `obj` is a folder (save() then creates a folder)."""
        return self._check(obj).is_dir()

    def save(self, obj: Any, path: str) -> None:
        """Copy the file, or the folder tree, to `path`."""
        src = self._check(obj)
        if src.is_dir():
            shutil.copytree(src, path, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, path)

    def extra(self, obj: Any) -> dict[str, Any]:
        """The original file or folder name."""
        return {"filename": pathlib.Path(obj).name}

    def load(self, path: str, data_type: type | None) -> pathlib.Path:
        """A folder copy as is; a file copied under its original name into a fresh temp dir."""
        src = pathlib.Path(path)
        if src.is_dir():
            return src
        if not src.is_file():
            raise MaterializerError(
                f"cannot load path artifact from {path!r}: it is neither a file nor a folder"
            )
        filename = pathlib.Path(str(self._extra.get("filename") or "")).name
        if filename in ("", ".", ".."):
            filename = "data"
        from gitreg.tempdirs import new_dir

        dest = pathlib.Path(new_dir()) / filename
        shutil.copyfile(src, dest)
        return dest


# --------------------------------------------------------------------------- numpy


class NumpyMaterializer(_RemembersExtra):
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


# --------------------------------------------------------------------------- pandas

_PARQUET_MAGIC = b"PAR1"
_SERIES_COLUMN = "__gitreg_series__"


def _have_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _simple_name(name: Any) -> bool:
    """A Series name the manifest can record as is."""
    if type(name) is float:
        return math.isfinite(name)
    return name is None or type(name) in (str, int, bool)


class PandasMaterializer(_RemembersExtra):
    """pandas DataFrame and Series as parquet (pyarrow), else as a pandas pickle.

    Parquet is used only when reading the file back gives an equal object (same dtypes,
    index, names, attrs); anything parquet cannot keep exactly is pickled instead.
    """

    name = "pandas"
    associated_types = ()  # matched lazily: pandas is imported only if the object is pandas'
    artifact_type = ArtifactType.DATA
    file_name = "data.parquet"

    def __init__(self) -> None:
        super().__init__()
        self._decided: tuple[int, dict[str, Any]] | None = None

    @classmethod
    def matches(cls, obj: Any) -> bool:
        """True for DataFrames and Series, without importing pandas for other objects."""
        module = type(obj).__module__
        if not (module == "pandas" or module.startswith("pandas.")):
            return False
        import pandas as pd

        return isinstance(obj, (pd.DataFrame, pd.Series))

    @staticmethod
    def _parquet_facts(obj: Any) -> dict[str, Any] | None:
        """The facts a parquet copy needs, or None if parquet cannot hold `obj`."""
        import pandas as pd

        facts: dict[str, Any] = {"format": "parquet"}
        if isinstance(obj, pd.Series):
            if not _simple_name(obj.name):
                return None
            facts.update(series=True, name=obj.name)
        freq = getattr(obj.index, "freqstr", None)
        if isinstance(obj.index, (pd.DatetimeIndex, pd.TimedeltaIndex)) and freq:
            facts["index_freq"] = freq
        return facts

    @staticmethod
    def _read_parquet(path: str, facts: dict[str, Any]) -> Any:
        import pandas as pd

        frame = pd.read_parquet(path, engine="pyarrow")
        freq = facts.get("index_freq")
        if freq:
            index_type = type(frame.index)
            if index_type in (pd.DatetimeIndex, pd.TimedeltaIndex):
                frame.index = index_type(frame.index, freq=freq)
        if facts.get("series"):
            series = frame.iloc[:, 0]
            series.name = facts.get("name")
            return series
        return frame

    @staticmethod
    def _same(original: Any, loaded: Any) -> bool:
        import pandas as pd
        from pandas import testing

        if type(original) is not type(loaded):
            return False
        try:
            if isinstance(original, pd.Series):
                testing.assert_series_equal(original, loaded, check_exact=True)
            else:
                testing.assert_frame_equal(original, loaded, check_exact=True)
            return bool(original.attrs == loaded.attrs)
        except Exception:
            return False

    def _write(self, obj: Any, path: str) -> dict[str, Any]:
        """Write parquet if it round-trips exactly, else a pickle; return the facts."""
        facts = self._parquet_facts(obj) if _have_pyarrow() else None
        if facts is not None:
            try:
                frame = obj.to_frame(name=_SERIES_COLUMN) if facts.get("series") else obj
                frame.to_parquet(path, engine="pyarrow")
                if self._same(obj, self._read_parquet(path, facts)):
                    return facts
            except Exception as e:  # pyarrow cannot hold some column: pickle it
                logger.debug("parquet cannot hold this %s (%s): pickling", _type_name(obj), e)
            if os.path.exists(path):
                os.remove(path)
        obj.to_pickle(path, compression=None)
        return {"format": "pickle"}

    def _decision(self, obj: Any) -> dict[str, Any] | None:
        if self._decided is not None and self._decided[0] == id(obj):
            return self._decided[1]
        return None

    def save(self, obj: Any, path: str) -> None:
        """Write `path` as parquet, or as a pickle if parquet would not round-trip."""
        decided = self._decision(obj)
        if decided is not None and decided["format"] == "pickle":
            obj.to_pickle(path, compression=None)
        elif decided is not None:
            frame = obj.to_frame(name=_SERIES_COLUMN) if decided.get("series") else obj
            frame.to_parquet(path, engine="pyarrow")
        else:
            self._decided = (id(obj), self._write(obj, path))

    def extra(self, obj: Any) -> dict[str, Any]:
        """The format written (parquet or pickle) and what parquet needs to rebuild `obj`."""
        decided = self._decision(obj)
        if decided is None:  # extra() before save(): decide on a scratch copy
            with tempfile.TemporaryDirectory(prefix="gitreg-") as scratch:
                decided = self._write(obj, os.path.join(scratch, self.file_name))
            self._decided = (id(obj), decided)
        return dict(decided)

    def load(self, path: str, data_type: type | None) -> Any:
        """Read the DataFrame or Series back."""
        import pandas as pd

        fmt = self._extra.get("format")
        if fmt is None:
            with open(path, "rb") as f:
                fmt = "parquet" if f.read(4) == _PARQUET_MAGIC else "pickle"
        if fmt == "pickle":
            return pd.read_pickle(path, compression=None)
        if not _have_pyarrow():
            raise MaterializerError(
                f"{path} is a parquet file: install pyarrow to load it (pip install pyarrow)"
            )
        return self._read_parquet(path, self._extra)


# --------------------------------------------------------------------------- pydantic


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


class PydanticMaterializer(_RemembersExtra):
    """pydantic v2 models as their JSON (model_dump_json / model_validate_json)."""

    name = "pydantic"
    associated_types = ()  # the registry adds pydantic.BaseModel once pydantic is imported
    artifact_type = ArtifactType.DATA
    file_name = "model.json"

    def to_bytes(self, obj: Any) -> bytes:
        """The model's JSON (by alias, in round-trip mode)."""
        try:
            return obj.model_dump_json(by_alias=True, round_trip=True).encode("utf-8")
        except Exception as e:
            raise MaterializerError(
                f"cannot dump the pydantic model {_type_name(obj)} as JSON ({e}): "
                "pass materializer='cloudpickle' or register a materializer for it "
                "with gitreg.register_materializer()"
            ) from e

    def save(self, obj: Any, path: str) -> None:
        """Write the model's JSON."""
        data = self.to_bytes(obj)
        with open(path, "wb") as f:
            f.write(data)

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


# --------------------------------------------------------------------------- cloudpickle

_MODEL_MODULES = frozenset({"sklearn", "torch", "xgboost", "lightgbm", "keras", "tensorflow"})


def _safe_hasattr(obj: Any, name: str) -> bool:
    try:
        return hasattr(obj, name)
    except Exception:
        return False


class CloudpickleMaterializer(_RemembersExtra):
    """Anything else, with cloudpickle (needs compatible Python and package versions to load)."""

    name = "cloudpickle"
    associated_types = ()  # the fallback: the registry picks it when nothing else matches
    artifact_type = ArtifactType.DATA
    file_name = "data.pkl"

    @staticmethod
    def _error(obj: Any, e: BaseException) -> MaterializerError:
        return MaterializerError(
            f"cannot pickle a {_type_name(obj)} ({type(e).__name__}: {e}): "
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


# --------------------------------------------------------------------------- registration


def register_all() -> None:
    """Register every built-in materializer (numpy and pandas lazily, via `matches`)."""
    register_materializer(BuiltinJSONMaterializer)
    register_materializer(BytesMaterializer)
    register_materializer(PathMaterializer)
    register_materializer(NumpyMaterializer)
    register_materializer(PandasMaterializer)
    register_materializer(CloudpickleMaterializer)
    # for BaseModel once the user imports pydantic (registry._register_pydantic): importing
    # it here would cost every fresh process ~150 ms
    register_materializer(PydanticMaterializer)
