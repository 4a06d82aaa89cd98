"""Round trips through the built-in materializers."""

from __future__ import annotations

import math
import os
import pathlib
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from gitreg.enums import ArtifactType
from gitreg.errors import MaterializerError
from gitreg.materializers import jsonlike, pandas_frames, registry
from gitreg.materializers.base import Materializer, saves_dir
from gitreg.materializers.binary import BytesMaterializer
from gitreg.materializers.cloudpickle_objects import CloudpickleMaterializer
from gitreg.materializers.jsonlike import BuiltinJSONMaterializer, json_safe
from gitreg.materializers.numpy_arrays import NumpyMaterializer
from gitreg.materializers.pandas_frames import PandasMaterializer
from gitreg.materializers.paths import PathMaterializer
from gitreg.materializers.pydantic_models import PydanticMaterializer

ROOT = pathlib.Path(__file__).resolve().parents[2]


def round_trip(
    m: Materializer, obj: Any, tmp_path: pathlib.Path, data_type: type | None = None
) -> Any:
    """Save with a fresh materializer, load with another one, as the registry would."""
    path = str(tmp_path / "f")
    m.save(obj, path)
    extra = m.extra(obj)
    loader = type(m)()
    loader.check_load(extra)
    return loader.load(path, data_type if data_type is not None else type(obj))


def same(a: Any, b: Any) -> bool:
    """Equal and of exactly the same types, recursively (nan equals nan)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return (math.isnan(a) and math.isnan(b)) or (a == b and str(a) == str(b))
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        if a.keys() != b.keys():
            return False
        return all(same(k, next(k2 for k2 in b if k2 == k)) and same(a[k], b[k]) for k in a)
    if type(a) in (set, frozenset):
        return a == b and all(same(x, next(y for y in b if y == x)) for x in a)
    return bool(a == b)


# --------------------------------------------------------------------------- JSON

JSON_VALUES = [
    "text",
    "",
    "ünïcødé ✓",
    "\ud800 lone surrogate",
    0,
    -17,
    2**100,
    1.5,
    -0.0,
    1e308,
    True,
    False,
    None,
    [],
    {},
    (),
    set(),
    frozenset(),
    [1, 2.0, True, None, "x"],
    (1, (2, (3, "x")), [4, (5,)]),
    {"a": (1, 2), "b": [(3, 4)], "c": {"d": (5,)}},
    {1: "int key", 2: "two"},
    {True: "bool key", None: "none key", 1.5: "float key", (1, 2): "tuple key"},
    {"__tuple__": [1, 2]},
    {"__set__": "not a tag", "x": 1},
    {1, 2, 3},
    {"b", "a", "c"},
    {1, "a", (2, 3), None, frozenset({4})},
    frozenset({(1, 2), (3, 4)}),
    {frozenset({1}): {2}, (True, 1.0): [{3: 4}]},
    [True, 1, 1.0, False, 0, 0.0],
    {"n": [float("inf"), float("-inf")]},
]


@pytest.mark.parametrize("value", JSON_VALUES, ids=lambda v: type(v).__name__)
def test_json_round_trip_keeps_values_and_types(value: Any, tmp_path: pathlib.Path) -> None:
    assert json_safe(value)
    loaded = round_trip(BuiltinJSONMaterializer(), value, tmp_path)
    assert same(value, loaded), (value, loaded)


def test_json_nan() -> None:
    m = BuiltinJSONMaterializer()
    loaded = jsonlike.decode_json(m.to_bytes({"x": float("nan"), "t": (float("nan"),)}))
    assert math.isnan(loaded["x"]) and type(loaded["t"]) is tuple and math.isnan(loaded["t"][0])


def test_json_bool_stays_bool_and_int_stays_int(tmp_path: pathlib.Path) -> None:
    loaded = round_trip(BuiltinJSONMaterializer(), {"b": True, "i": 1, "f": 1.0}, tmp_path)
    assert type(loaded["b"]) is bool and type(loaded["i"]) is int and type(loaded["f"]) is float


def test_json_is_deterministic_and_valid_json() -> None:
    import json

    m = BuiltinJSONMaterializer()
    a = {"b": 1, "a": {3, 1, 2}, "s": {"y", "x", "z"}, 2: None}
    b = {2: None, "s": {"z", "x", "y"}, "a": {2, 3, 1}, "b": 1}
    assert m.to_bytes(a) == m.to_bytes(b)
    assert m.to_bytes({"x": float("nan")}) == m.to_bytes({"x": float("nan")})
    json.loads(m.to_bytes({"x": float("inf")}).decode("ascii"))  # strict JSON, no NaN literal
    assert m.to_bytes({"a": [1, 2]}) == b'{"a":[1,2]}'


def test_json_save_writes_to_bytes(tmp_path: pathlib.Path) -> None:
    m = BuiltinJSONMaterializer()
    m.save((1, "a"), str(tmp_path / "f"))
    assert (tmp_path / "f").read_bytes() == m.to_bytes((1, "a"))
    assert m.file_name == "data.json"


class Custom:
    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Custom) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


def test_json_safe_rejects_what_json_cannot_hold() -> None:
    from collections import OrderedDict, namedtuple

    cyclic: list[Any] = []
    cyclic.append(cyclic)
    point = namedtuple("point", "x y")
    for value in [
        {"a": np.arange(3)},
        [Custom(1)],
        {Custom(1): 1},
        OrderedDict(a=1),
        point(1, 2),
        cyclic,
        b"bytes",
        np.int64(3),
        10**5000,
    ]:
        assert not json_safe(value), value
    shared = [1]
    assert json_safe([shared, shared])  # shared, not cyclic


def test_json_to_bytes_of_non_json_raises() -> None:
    with pytest.raises(MaterializerError, match="cloudpickle"):
        BuiltinJSONMaterializer().to_bytes({"a": Custom(1)})


# --------------------------------------------------------------------------- bytes


@pytest.mark.parametrize("value", [b"", b"\x00\xffabc", bytearray(b"xyz")])
def test_bytes_round_trip(value: bytes | bytearray, tmp_path: pathlib.Path) -> None:
    m = BytesMaterializer()
    loaded = round_trip(m, value, tmp_path)
    assert loaded == value and type(loaded) is type(value)
    assert m.to_bytes(value) == bytes(value)
    assert type(m.load(str(tmp_path / "f"), None)) is bytes


# --------------------------------------------------------------------------- paths


def test_path_file_round_trip(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "src" / "report.csv"
    src.parent.mkdir()
    src.write_text("a,b\n1,2\n")
    m = PathMaterializer()
    assert not saves_dir(m, src)
    assert m.extra(src) == {"filename": "report.csv"}
    stored = tmp_path / "stored"
    stored.mkdir()
    loaded = round_trip(m, src, stored)
    assert isinstance(loaded, pathlib.Path)
    assert loaded.name == "report.csv" and loaded.read_text() == "a,b\n1,2\n"
    # a fresh copy in this process's own temp folder, removed when the process exits
    assert loaded.parent.parent.name.startswith("gitreg-") and loaded != src


def test_path_file_without_recorded_name(tmp_path: pathlib.Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    loaded = PathMaterializer().load(str(tmp_path / "f"), pathlib.Path)
    assert loaded.name == "data" and loaded.read_bytes() == b"x"


def test_path_folder_round_trip(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "model_dir"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "sub" / "b.bin").write_bytes(b"\x00b")
    m = PathMaterializer()
    assert saves_dir(m, src)
    saved = tmp_path / "saved"
    m.save(src, str(saved))
    assert (saved / "a.txt").read_text() == "a"
    assert (saved / "sub" / "b.bin").read_bytes() == b"\x00b"
    # load is given a fresh folder copy
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(saved, copy)
    loader = PathMaterializer()
    loader.check_load(m.extra(src))
    loaded = loader.load(str(copy), pathlib.Path)
    assert loaded == copy and sorted(p.name for p in loaded.rglob("*")) == [
        "a.txt",
        "b.bin",
        "sub",
    ]


def test_path_missing_raises(tmp_path: pathlib.Path) -> None:
    m = PathMaterializer()
    with pytest.raises(MaterializerError, match="does not exist"):
        m.save(tmp_path / "nope", str(tmp_path / "f"))
    with pytest.raises(MaterializerError, match="does not exist"):
        saves_dir(m, tmp_path / "nope")
    with pytest.raises(MaterializerError, match="neither"):
        m.load(str(tmp_path / "nope"), pathlib.Path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a fifo")
def test_path_neither_file_nor_folder_raises(tmp_path: pathlib.Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(MaterializerError, match="neither"):
        PathMaterializer().save(fifo, str(tmp_path / "f"))


def test_saves_dir_falls_back_to_is_dir() -> None:
    assert saves_dir(BytesMaterializer(), b"x") is False

    class Folder(Materializer):
        is_dir = True

    assert saves_dir(Folder(), object()) is True


# --------------------------------------------------------------------------- numpy

ARRAYS = [
    np.arange(12, dtype=np.int32).reshape(3, 4),
    np.array([1.5, np.nan, np.inf], dtype=np.float64),
    np.array([1, 2], dtype=np.float16),
    np.array([True, False]),
    np.array([1 + 2j]),
    np.array(["a", "bcd"]),
    np.array(["2020-01-01", "2021-06-30"], dtype="datetime64[D]"),
    np.zeros((2, 3), dtype=[("x", "i4"), ("y", "f8")]),
    np.asfortranarray(np.arange(6, dtype=np.uint8).reshape(2, 3)),
    np.array(3.0),
    np.empty((0, 5)),
]


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: str(a.dtype))
def test_numpy_round_trip(array: np.ndarray, tmp_path: pathlib.Path) -> None:
    m = NumpyMaterializer()
    assert NumpyMaterializer.matches(array)
    loaded = round_trip(m, array, tmp_path)
    assert type(loaded) is np.ndarray and loaded.dtype == array.dtype
    assert loaded.shape == array.shape
    assert loaded.flags.f_contiguous == array.flags.f_contiguous
    np.testing.assert_array_equal(loaded, array)
    assert "allow_pickle" not in m.extra(array)
    assert not (tmp_path / "f.npy").exists()  # np.save must not append .npy


def test_numpy_object_array(tmp_path: pathlib.Path) -> None:
    array = np.array([{"a": 1}, (1, 2), None, "x"], dtype=object)
    m = NumpyMaterializer()
    assert m.extra(array)["allow_pickle"] is True
    loaded = round_trip(m, array, tmp_path)
    assert loaded.dtype == object and list(loaded) == list(array)
    # without the recorded allow_pickle, loading refuses with a clear error
    with pytest.raises(MaterializerError, match="allow_pickle"):
        NumpyMaterializer().load(str(tmp_path / "f"), np.ndarray)


def test_numpy_matches_only_arrays() -> None:
    assert not NumpyMaterializer.matches(np.float64(1.0))
    assert not NumpyMaterializer.matches([1, 2])
    assert not NumpyMaterializer.matches(np.ma.masked_array([1, 2], mask=[0, 1]))
    assert NumpyMaterializer.artifact_type is ArtifactType.DATA
    assert NumpyMaterializer.file_name == "array.npy"


# --------------------------------------------------------------------------- pandas

FRAMES = {
    "basic": pd.DataFrame(
        {"i": [1, 2, 3], "f": [1.5, np.nan, 3.0], "s": ["x", "y", None], "b": [True, False, True]}
    ),
    "datetimes": pd.DataFrame(
        {
            "t": pd.to_datetime(["2020-01-01", "2021-01-01"]),
            "tz": pd.to_datetime(["2020-01-01", "2021-01-01"]).tz_localize("UTC"),
            "td": pd.to_timedelta([1, 2], unit="s"),
        }
    ),
    "category": pd.DataFrame({"c": pd.Categorical(["a", "b", "a"])}),
    "named_index": pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="k")),
    "multiindex": pd.DataFrame(
        {"a": [1, 2]}, index=pd.MultiIndex.from_tuples([("x", 1), ("y", 2)], names=["k", "n"])
    ),
    "date_range_index": pd.DataFrame({"a": [1, 2, 3]}, index=pd.date_range("2020", periods=3)),
    "nullable": pd.DataFrame(
        {
            "i": pd.array([1, None], dtype="Int64"),
            "s": pd.array(["a", None], dtype="string"),
            "b": pd.array([True, None], dtype="boolean"),
        }
    ),
    "int_columns": pd.DataFrame({0: [1], 1: [2]}),
    "small_types": pd.DataFrame(
        {"u": np.array([1, 2], dtype="uint8"), "f": np.array([1, 2], dtype="float32")}
    ),
    "range_index_step": pd.DataFrame({"a": [1, 2]}, index=pd.RangeIndex(10, 14, 2)),
    "empty": pd.DataFrame(),
    # parquet cannot keep these exactly: they are pickled
    "object_strings": pd.DataFrame({"s": pd.Series(["a", None], dtype=object)}),
    "lists": pd.DataFrame({"l": [[1, 2], [3]]}),
    "mixed": pd.DataFrame({"m": [1, "a"]}),
    "complex": pd.DataFrame({"c": [1 + 2j]}),
    "duplicate_columns": pd.DataFrame([[1, 2]], columns=["a", "a"]),
    "seconds": pd.DataFrame({"t": np.array(["2020-01-01"], dtype="datetime64[s]")}),
}


@pytest.mark.parametrize("key", list(FRAMES))
def test_pandas_dataframe_round_trip(key: str, tmp_path: pathlib.Path) -> None:
    df = FRAMES[key]
    m = PandasMaterializer()
    assert PandasMaterializer.matches(df)
    loaded = round_trip(m, df, tmp_path)
    assert type(loaded) is pd.DataFrame
    assert_frame_equal(loaded, df)
    fmt = m.extra(df)["format"]
    assert fmt in ("parquet", "pickle")
    with open(tmp_path / "f", "rb") as f:
        assert (f.read(4) == b"PAR1") == (fmt == "parquet")


def test_pandas_common_frames_use_parquet(tmp_path: pathlib.Path) -> None:
    m = PandasMaterializer()
    for key in ("basic", "datetimes", "category", "multiindex", "date_range_index", "nullable"):
        m.save(FRAMES[key], str(tmp_path / key))
        assert m.extra(FRAMES[key])["format"] == "parquet", key
    assert m.extra(FRAMES["lists"])["format"] == "pickle"  # extra() before save() decides too


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([1, 2, 3], name="values"),
        pd.Series([1.5, np.nan], name=None),
        pd.Series(["a", "b"], name=7, index=pd.Index(["x", "y"], name="k")),
        pd.Series([1, 2], name=("a", "b")),  # not a simple name: pickled
        pd.Series([[1], [2]], name="lists"),  # not parquet-able: pickled
    ],
    ids=["named", "unnamed", "int_name", "tuple_name", "lists"],
)
def test_pandas_series_round_trip(series: pd.Series, tmp_path: pathlib.Path) -> None:
    m = PandasMaterializer()
    loaded = round_trip(m, series, tmp_path)
    assert type(loaded) is pd.Series
    assert_series_equal(loaded, series)
    extra = m.extra(series)
    if extra["format"] == "parquet":
        assert extra["series"] is True and extra["name"] == series.name


def test_pandas_pickle_when_no_pyarrow(tmp_path: pathlib.Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(pandas_frames, "_have_pyarrow", lambda: False)
    df = FRAMES["basic"]
    m = PandasMaterializer()
    loaded = round_trip(m, df, tmp_path)
    assert m.extra(df) == {"format": "pickle"}
    assert_frame_equal(loaded, df)


def test_pandas_load_sniffs_format_without_extra(tmp_path: pathlib.Path) -> None:
    m = PandasMaterializer()
    m.save(FRAMES["basic"], str(tmp_path / "p"))
    m2 = PandasMaterializer()
    m2.save(FRAMES["lists"], str(tmp_path / "k"))
    assert_frame_equal(PandasMaterializer().load(str(tmp_path / "p"), None), FRAMES["basic"])
    assert_frame_equal(PandasMaterializer().load(str(tmp_path / "k"), None), FRAMES["lists"])


def test_pandas_matches() -> None:
    assert PandasMaterializer.matches(pd.Series([1]))
    assert not PandasMaterializer.matches(pd.Index([1]))
    assert not PandasMaterializer.matches({"a": 1})
    assert PandasMaterializer.artifact_type is ArtifactType.DATA
    assert PandasMaterializer.file_name == "data.parquet"


# --------------------------------------------------------------------------- pydantic


class Inner(pydantic.BaseModel):
    x: int
    tags: list[str] = []


class Outer(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    name: str
    inner: Inner
    pair: tuple[int, str]
    aliased: float = pydantic.Field(default=0.0, alias="aliasedField")


def test_pydantic_round_trip(tmp_path: pathlib.Path) -> None:
    model = Outer(name="m", inner=Inner(x=1, tags=["a"]), pair=(1, "b"), aliasedField=2.5)
    m = PydanticMaterializer()
    assert type(registry.for_object(model)) is PydanticMaterializer
    assert m.extra(model) == {"class": f"{__name__}.Outer"}
    loaded = round_trip(m, model, tmp_path, data_type=object)  # class comes from extra
    assert type(loaded) is Outer and loaded == model
    loaded2 = PydanticMaterializer().load(str(tmp_path / "f"), Outer)  # or from data_type
    assert loaded2 == model


def test_pydantic_models_keep_precedence_over_materializers_of_other_bases() -> None:
    with registry.isolated():
        _check_pydantic_precedence()


def _check_pydantic_precedence() -> None:

    class Mixin:
        pass

    class WithMixin(pydantic.BaseModel, Mixin):
        a: int = 1

    class Special(pydantic.BaseModel):
        a: int = 1

    class CatchAll(Materializer):
        name = "test-catch-all"
        associated_types = (object,)

    class MixinMat(Materializer):
        name = "test-mixin"
        associated_types = (Mixin,)

    class SpecialMat(PydanticMaterializer):
        name = "test-special"

    for cls in (CatchAll, MixinMat):
        registry.register_materializer(cls)
    registry.register_materializer(SpecialMat, Special)
    assert type(registry.for_object(WithMixin())) is PydanticMaterializer
    assert type(registry.for_object(Inner(x=1))) is PydanticMaterializer
    assert type(registry.for_object(Special())) is SpecialMat
    assert type(registry.for_object(Mixin())) is MixinMat
    assert type(registry.for_object(3 + 4j)) is CatchAll


def test_pydantic_unimportable_class(tmp_path: pathlib.Path) -> None:
    class Local(pydantic.BaseModel):
        a: int

    m = PydanticMaterializer()
    m.save(Local(a=1), str(tmp_path / "f"))
    loader = PydanticMaterializer()
    loader.check_load(m.extra(Local(a=1)))
    with pytest.raises(MaterializerError, match="cannot import the pydantic model class"):
        loader.load(str(tmp_path / "f"), None)
    loader.check_load({"class": "no_such_module_xyz.Model"})
    with pytest.raises(MaterializerError, match="no_such_module_xyz"):
        loader.load(str(tmp_path / "f"), None)
    assert loader.load(str(tmp_path / "f"), Local) == Local(a=1)


# --------------------------------------------------------------------------- cloudpickle


def test_cloudpickle_custom_class_and_closure(tmp_path: pathlib.Path) -> None:
    m = CloudpickleMaterializer()
    obj = {"custom": Custom(3), "array": np.arange(3)}
    loaded = round_trip(m, obj, tmp_path)
    assert loaded["custom"] == Custom(3)
    np.testing.assert_array_equal(loaded["array"], obj["array"])

    k = 5
    (tmp_path / "fn").mkdir()
    loaded_fn = round_trip(m, lambda x: x + k, tmp_path / "fn")
    assert loaded_fn(1) == 6
    assert m.to_bytes(Custom(1))[:1] == b"\x80"


def test_cloudpickle_extra_records_versions() -> None:
    import platform

    import cloudpickle

    assert CloudpickleMaterializer().extra(1) == {
        "python": platform.python_version(),
        "cloudpickle": cloudpickle.__version__,
    }


def test_cloudpickle_warns_on_other_python(caplog: Any) -> None:
    m = CloudpickleMaterializer()
    with pytest.warns(RuntimeWarning, match="2.7.18"):
        m.check_load({"python": "2.7.18"})
    assert "2.7.18" in caplog.text


def test_cloudpickle_same_python_does_not_warn() -> None:
    import warnings

    m = CloudpickleMaterializer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.check_load(m.extra(None))
        m.check_load({})


@pytest.mark.parametrize(
    "factory",
    [threading.Lock, lambda: (i for i in range(3))],
    ids=["lock", "generator"],
)
def test_cloudpickle_unpicklable_raises(factory: Any, tmp_path: pathlib.Path) -> None:
    obj = factory()
    m = CloudpickleMaterializer()
    with pytest.raises(MaterializerError, match=r"register_materializer\(\) or pass materializer="):
        m.save(obj, str(tmp_path / "f"))
    assert not (tmp_path / "f").exists()
    with pytest.raises(MaterializerError, match=type(obj).__qualname__):
        m.to_bytes(obj)


def test_cloudpickle_load_error_is_clear(tmp_path: pathlib.Path) -> None:
    (tmp_path / "f").write_bytes(b"not a pickle")
    with pytest.raises(MaterializerError, match="cannot unpickle"):
        CloudpickleMaterializer().load(str(tmp_path / "f"), None)


def test_cloudpickle_artifact_type_for() -> None:
    class Estimator:
        def fit(self) -> None: ...

        def predict(self) -> None: ...

    m = CloudpickleMaterializer()
    assert m.artifact_type_for(Estimator()) is ArtifactType.MODEL
    assert m.artifact_type_for(Custom(1)) is ArtifactType.DATA
    assert m.artifact_type_for({"a": 1}) is ArtifactType.DATA
    assert BuiltinJSONMaterializer().artifact_type_for([1]) is ArtifactType.DATA


# --------------------------------------------------------------------------- registration


def test_register_builtins_names() -> None:
    registry.register_builtins()
    for name, cls in [
        ("builtin-json", BuiltinJSONMaterializer),
        ("bytes", BytesMaterializer),
        ("path", PathMaterializer),
        ("numpy", NumpyMaterializer),
        ("pandas", PandasMaterializer),
        ("pydantic", PydanticMaterializer),
        ("cloudpickle", CloudpickleMaterializer),
    ]:
        assert type(registry.by_name(name)) is cls
    assert type(registry.for_object(pathlib.Path("x"))) is PathMaterializer
    assert type(registry.for_object(b"x")) is BytesMaterializer
    assert type(registry.for_object(Inner(x=1))) is PydanticMaterializer


def test_registering_the_builtins_imports_no_third_party_library() -> None:
    code = (
        "import sys, gitreg.materializers.registry as r; r.register_builtins(); "
        "r.for_object({'a': 1}); r.for_object(b'x'); "
        "print(*(m in sys.modules for m in "
        "('numpy', 'pandas', 'pyarrow', 'cloudpickle')))"
    )  # pydantic is not in the list: the manifests are pydantic models, loaded with them
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False"] * 4


def test_a_materializer_with_only_to_bytes_saves_those_bytes(tmp_path: pathlib.Path) -> None:
    class Upper(Materializer):
        def to_bytes(self, obj: Any) -> bytes:
            return str(obj).upper().encode()

    Upper().save("shout", str(tmp_path / "f"))
    assert (tmp_path / "f").read_bytes() == b"SHOUT"
    with pytest.raises(NotImplementedError):
        Materializer().save("no bytes", str(tmp_path / "g"))
