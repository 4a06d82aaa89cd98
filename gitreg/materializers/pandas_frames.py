"""pandas DataFrame and Series as parquet, else a pickle; pandas and pyarrow are imported
only for objects that are pandas'."""

from __future__ import annotations

import logging
import math
import os
import tempfile
from typing import Any

from gitreg.enums import ArtifactType
from gitreg.errors import MaterializerError
from gitreg.materializers.base import RemembersExtra, type_name

logger = logging.getLogger(__name__)

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


class PandasMaterializer(RemembersExtra):
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
                logger.debug("parquet cannot hold this %s (%s): pickling", type_name(obj), e)
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
