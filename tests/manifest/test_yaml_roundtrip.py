"""The deterministic emitter (`yaml_io.dumps`) writes what ruamel's safe loader reads back as
the same value, for anything user metadata may hold; and the loader's guards refuse hostile
input with `path:line`."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gitreg import names
from gitreg.errors import ManifestError
from gitreg.manifest import yaml_io

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# any Unicode text but lone surrogates, which names.metadata refuses (YAML cannot hold them)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**100), 2**100), st.floats(), TEXT
)  # floats: nan, inf and -0.0 included
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=30,
)
DOCUMENTS = st.dictionaries(TEXT, VALUES, max_size=6)


def same(a: Any, b: Any) -> bool:
    """Equal with types (True is not 1), NaN equal to NaN and -0.0 not equal to 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or repr(a) == repr(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


@SETTINGS
@given(doc=DOCUMENTS)
@example(doc={"lr": 1e-05, "big": 1e16, "neg": -0.0, "nan": math.nan, "inf": -math.inf})
@example(doc={"yes": "no", "null": "~", "1": "0x1F", "on": ["off", "1_000", "1e3", "2001-12-14"]})
@example(doc={"a\x85b": "\u2028\u2029\x7f\ufeff\ufffe\uffff\x00", "\U0001f600": "é"})
@example(doc={"k": ["- x", "a: b", "", "*alias", "&anchor", "#", "-*0#", "'q'", '"dq"']})
@example(doc={"a": [[1, []], {}, {"b": [{"c": None}]}], "d": {"e": {}}, "x" * 250: "y" * 250})
def test_what_dumps_writes_ruamel_reads_back_as_written(
    doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert names.metadata(doc) is doc  # what the validator lets into a manifest
    data = yaml_io.dumps(doc)
    assert same(yaml_io.loads(data, "doc.yaml"), doc), data
    assert same(YAML(typ="safe").load(data), doc)  # ruamel's plain API (DVC reads this way)
    assert yaml_io.dumps(yaml_io.loads(data, "doc.yaml")) == data  # written again: same bytes
    monkeypatch.setattr(yaml_io, "_SafeLoader", None)  # no ruamel.yaml.clib: the pure loader
    assert same(yaml_io.loads(data, "doc.yaml"), doc)


@SETTINGS
@given(doc=DOCUMENTS)
def test_dumps_is_deterministic(doc: dict[str, Any]) -> None:
    import copy

    assert yaml_io.dumps(doc) == yaml_io.dumps(copy.deepcopy(doc))


def test_floats_are_written_as_any_yaml_reader_reads_them() -> None:
    data = yaml_io.dumps({"a": 1e-05, "b": 0.1, "c": math.inf, "d": math.nan, "e": 3.0})
    assert data == b"a: 1e-05\nb: 0.1\nc: .inf\nd: .nan\ne: 3.0\n"
    back = yaml_io.loads(data, "f.yaml")
    assert back["a"] == 1e-05 and math.isnan(back["d"])  # and no warning about YAML 1.1


# --------------------------------------------------------------------------- the guards


@pytest.mark.parametrize("clib", [True, False], ids=["C loader", "pure loader"])
@pytest.mark.parametrize(
    ("data", "problem", "line"),
    [
        (b"a: 1\nb: [1,\n", "invalid YAML", 3),
        (b"a: 1\na: 2\n", "invalid YAML: found duplicate key", 2),
        (b"a: 1\nb: !!python/object:os.system x\n", "invalid YAML", 2),
        (b"--- a\n--- b\n", "invalid YAML", 2),
        (b"a: 1\nb: &x [1]\nc: *x\n", "anchors and aliases are not allowed", 2),
        (b"a: ok\nb: caf\xe9\n", "not UTF-8", 2),
        (b"a:\n" + b"[" * 65 + b"]" * 65 + b"\n", "nested deeper than 64 levels", 2),
        (b"a: 1\n" + b"  " * 129 + b"b: 1\n", "indented deeper than 64 levels", 2),
        (b"a: x\n" * (1 << 18), "over the 1048576 limit", 209716),
    ],
)
def test_bad_yaml_is_a_manifest_error_naming_path_and_line(
    monkeypatch: pytest.MonkeyPatch, clib: bool, data: bytes, problem: str, line: int
) -> None:
    if not clib:
        monkeypatch.setattr(yaml_io, "_SafeLoader", None)
    with pytest.raises(ManifestError, match=problem) as e:
        yaml_io.loads(data, "models/m/model.yaml")
    assert (e.value.path, e.value.line) == ("models/m/model.yaml", line)
    assert str(e.value).startswith(f"models/m/model.yaml:{line}: ")


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"k: '*x # y'\n", {"k": "*x # y"}),
        (b"k: a&b\n", {"k": "a&b"}),
        (b"# only a comment\na: 1  # and another\n", {"a": 1}),
        (b"a: yes\nb: 010\nc: 1:30\n", {"a": "yes", "b": 10, "c": "1:30"}),  # YAML 1.2
    ],
)
def test_hand_written_yaml_reads_as_ruamel_reads_it(data: bytes, value: dict[str, Any]) -> None:
    assert yaml_io.loads(data, "f.yaml") == value == YAML(typ="safe").load(data)


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        (("b",), 2),
        (("b", "c"), 3),
        (("d", 1), 6),
        (("d", 1, "e"), 6),
        (("d", 5), 4),  # no such item: the deepest part that is there
        (("missing",), 1),
    ],
)
def test_line_of_finds_a_field(loc: tuple[str | int, ...], line: int) -> None:
    data = b"a: 1\nb:\n  c: x\nd:\n- 1\n- e: 2\n"
    assert yaml_io.line_of(data, loc) == line
    assert yaml_io.line_of(b"# a comment\n\n" + data, loc) == line + 2
