"""Property-based tests (hypothesis): manifests round-trip through the one dumper and loader,
pydantic schemas round-trip through schema.dump/parse, and version numbering follows its
rules for any mix of automatic and explicit versions."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rel_helpers import make_repo

from gitreg import Client, names
from gitreg.enums import ArtifactType, ModelStages
from gitreg.errors import ArtifactVersionExistsError, ManifestError, ModelNotFoundError
from gitreg.manifest import yaml_io
from gitreg.manifest.schema import (
    ArtifactMeta,
    ArtifactVersionFile,
    DvcOut,
    ModelEntity,
    ModelRef,
    dump,
    parse,
)

SETTINGS = settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Characters YAML forbids raw inside double quotes or reads as line breaks, which the dumper
# must escape (C0 controls are escaped by json.dumps; these need their own care): DEL, the
# C1 controls (NEL among them), U+FFFE/U+FFFF, and U+2028/U+2029.
YAML_UNSAFE = {chr(0x7F), *map(chr, range(0x80, 0xA0)), "\ufffe", "\uffff", "\u2028", "\u2029"}

TRICKY = [
    "", " ", "null", "Null", "NULL", "~", "yes", "Yes", "no", "on", "off", "y", "n", "true",
    "False", "1e3", "1E3", "0x1F", "0o17", "1_000", "+1", "-0", "007", ".inf", "-.inf", ".nan",
    "nan", "inf", " lead", "trail ", "#", "# comment", "a #b", "a: b", "key:", ": ", "'q'",
    '"dq"', "it's", "- item", "-", "[x]", "{y}", "&anchor", "*alias", "!tag", "%YAML", "@at",
    "`tick", "|", ">", "?", "2001-12-14", "12:30:45", "=", "<<", "a\\b", "\\", "\t", "\n",
    "a\nb", "\r\n", "\x00", "\x1b[31m", "\ufeff", "\U0001f600", "é",
    "---", "...", "x" * 250,
]  # fmt: skip


def _text(allow_unsafe: bool) -> st.SearchStrategy[str]:
    exclude = "" if allow_unsafe else "".join(YAML_UNSAFE)
    base = st.text(st.characters(codec="utf-8", exclude_characters=exclude))
    return st.one_of(base, st.sampled_from(TRICKY))


def _values(text: st.SearchStrategy[str], finite: bool = False) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=not finite, allow_infinity=not finite),
        text,
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(text, children, max_size=4)
        ),
        max_leaves=24,
    )


def _documents(allow_unsafe: bool = False, finite: bool = False) -> st.SearchStrategy[dict]:
    text = _text(allow_unsafe)
    return st.dictionaries(text, _values(text, finite), min_size=1, max_size=6)


def same(a: Any, b: Any) -> bool:
    """Equal with types (True is not 1) and NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return bool(a == b)


@SETTINGS
@given(doc=_documents())
def test_yaml_round_trip(doc: dict, reliability_counts) -> None:
    reliability_counts.add("hypothesis examples")
    text = yaml_io.dumps(doc)
    back = yaml_io.loads(text, "doc.yaml")
    assert same(back, doc), text
    assert yaml_io.dumps(back) == text  # deterministic: a second write is byte-identical


@SETTINGS
@given(doc=_documents(allow_unsafe=True))
@example(doc={"note": "a\x7fb"})
@example(doc={"a\x85b": "key with NEL"})
@example(doc={"\u2028": None})
@example(doc={"-*0#": None})  # once refused as an alias: the `#` cut the quoted text short
def test_yaml_round_trip_any_unicode(doc: dict, reliability_counts) -> None:
    reliability_counts.add("hypothesis examples")
    assert same(yaml_io.loads(yaml_io.dumps(doc), "doc.yaml"), doc)


def _deep_documents() -> st.SearchStrategy[dict]:
    """Wider and deeper than _documents: more keys, lists of dicts of lists..."""
    text = _text(True)
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text)
    values = st.recursive(
        scalars,
        lambda c: st.one_of(st.lists(c, max_size=5), st.dictionaries(text, c, max_size=5)),
        max_leaves=60,
    )
    return st.dictionaries(text, values, min_size=1, max_size=8)


@settings(SETTINGS, max_examples=150)
@given(doc=_deep_documents())
@example(doc={"-*0#": None})
def test_deep_documents_read_back_and_ruamel_agrees(doc: dict, reliability_counts) -> None:
    reliability_counts.add("hypothesis examples")
    data = yaml_io.dumps(doc)
    assert same(yaml_io.loads(data, "doc.yaml"), doc)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"k: '*x # y'\n", {"k": "*x # y"}),
        (b'k: "ls *.txt # all"  # a comment\n', {"k": "ls *.txt # all"}),
        (b"k: a&b\n", {"k": "a&b"}),
    ],
)
def test_hand_written_yaml_with_star_or_ampersand_in_text_is_not_an_alias(
    text: bytes, value: dict
) -> None:
    assert yaml_io.loads(text, "doc.yaml") == value


@pytest.mark.parametrize(
    ("text", "line"),
    [(b"a: &x 1\nb: *x\n", 1), (b"a: 1\nb: [*x]\n", 2), (b"a: 1\n\nb: !!str &q z\n", 3)],
)
def test_anchors_and_aliases_are_refused_with_their_line(text: bytes, line: int) -> None:
    with pytest.raises(ManifestError, match="anchors and aliases are not allowed") as e:
        yaml_io.loads(text, "doc.yaml")
    assert e.value.line == line


def test_yaml_round_trip_empty_mapping() -> None:
    assert yaml_io.loads(yaml_io.dumps({}), "empty.yaml") == {}


# -- schema round-trips ----------------------------------------------------------------------

_part = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}", fullmatch=True).filter(
    lambda s: ".." not in s and not s.endswith(".") and not s.endswith(".lock")
)
NAMES = _part
ARTIFACT_NAMES = st.lists(_part, min_size=1, max_size=3).map("::".join)
IDS = st.uuids(version=4).map(str)
MD5S = st.binary(min_size=16, max_size=16).map(bytes.hex)
SAFE_TEXT = _text(allow_unsafe=False)
METADATA = st.dictionaries(SAFE_TEXT, _values(SAFE_TEXT, finite=True), max_size=4)


@st.composite
def artifact_version_files(draw: st.DrawFn) -> ArtifactVersionFile:
    name = draw(ARTIFACT_NAMES)
    names.artifact_name(name)
    version = draw(NAMES)
    is_dir = draw(st.booleans())
    return ArtifactVersionFile(
        outs=[
            DvcOut(
                md5=draw(MD5S) + (".dir" if is_dir else ""),
                size=draw(st.integers(0, 2**62)),
                path=version,
                nfiles=draw(st.integers(0, 10**6)) if is_dir else None,
            )
        ],
        meta={
            "gitreg": ArtifactMeta(
                id=draw(IDS),
                name=name,
                version=version,
                seq=draw(st.integers(1, 10**9)),
                type=draw(st.sampled_from(list(ArtifactType))),
                data_type=draw(st.sampled_from(["builtins.str", "numpy.ndarray", "x.Y"])),
                materializer=draw(st.sampled_from(["builtin-json", "path", "my.mod.Mat"])),
                created=draw(SAFE_TEXT),
                tags=draw(st.lists(NAMES, max_size=3)),
                user_metadata=draw(METADATA),
                run_metadata=draw(METADATA),
                extra=draw(METADATA),
                producer=draw(st.none() | st.dictionaries(NAMES, SAFE_TEXT, max_size=2)),
            )
        },
    )


@st.composite
def model_entities(draw: st.DrawFn) -> ModelEntity:
    name = draw(NAMES)
    versions = draw(st.lists(NAMES, max_size=4, unique=True))
    stages = [s.value for s in ModelStages if s not in (ModelStages.LATEST, ModelStages.NONE)]
    latest = None
    if versions:
        latest = ModelRef(name=versions[-1], number=draw(st.integers(1, 10**6)), id=draw(IDS))
    return ModelEntity(
        id=draw(IDS),
        name=name,
        created=draw(SAFE_TEXT),
        description=draw(st.none() | SAFE_TEXT),
        tags=draw(st.lists(NAMES, max_size=3)),
        next_number=draw(st.integers(1, 10**6)),
        count=draw(st.integers(0, 10**6)),
        latest=latest,
        stages={v: draw(st.sampled_from(stages)) for v in versions},
    )


@SETTINGS
@given(obj=artifact_version_files())
def test_artifact_version_file_round_trip(obj: ArtifactVersionFile, reliability_counts) -> None:
    reliability_counts.add("hypothesis examples")
    data = dump(obj)
    back = parse(ArtifactVersionFile, data, "artifacts/x/versions/a/b/1.dvc")
    assert back == obj
    assert dump(back) == data


@SETTINGS
@given(obj=model_entities())
def test_model_entity_round_trip(obj: ModelEntity, reliability_counts) -> None:
    reliability_counts.add("hypothesis examples")
    data = dump(obj)
    back = parse(ModelEntity, data, "models/m/model.yaml")
    assert back == obj
    assert dump(back) == data


# -- version numbering -------------------------------------------------------------------------

_counter = itertools.count()


@pytest.fixture(scope="module")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One registry for all examples; each example uses its own artifact / model name."""
    repo = make_repo(tmp_path_factory.mktemp("props") / "repo")
    client = Client(repo)
    client.init()
    yield client


NON_NUMERIC = NAMES.filter(lambda s: not names.is_number(s) and s != "latest")
ARTIFACT_OPS = st.lists(
    st.one_of(st.none(), NON_NUMERIC, st.integers(1, 40), st.integers(1, 40).map(str)),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(ops=ARTIFACT_OPS)
def test_artifact_version_numbering(shared_client: Client, ops: list, reliability_counts) -> None:
    reliability_counts.add("hypothesis examples")
    client = shared_client
    name = f"prop-art-{next(_counter)}"
    created: list[tuple[str, str]] = []  # (version, content) in creation order
    highest = 0
    autos: list[str] = []
    for i, op in enumerate(ops):
        content = f"{name} op {i}"
        existing = {v for v, _ in created}
        if op is not None and str(op) in existing:
            with pytest.raises(ArtifactVersionExistsError):
                client.save_artifact(content, name, version=op)
            continue
        art = client.save_artifact(content, name, version=op)
        if op is None:
            expected = str(highest + 1)  # next number: one above every numeric version so far
            autos.append(art.version)
        else:
            expected = str(op)
        assert art.version == expected, (ops, i)
        if names.is_number(art.version):
            highest = max(highest, int(art.version))
        created.append((art.version, content))

    if not any(op is not None and names.is_number(str(op)) for op in ops):
        assert autos == [str(n) for n in range(1, len(autos) + 1)]
    listed = client.list_artifact_versions(name)
    assert [a.version for a in listed] == [v for v, _ in created]  # creation order
    assert [a.view.meta.seq for a in listed] == list(range(1, len(created) + 1))
    assert client.get_artifact_version(name).version == created[-1][0]  # latest = last created
    assert client.load_artifact(name) == created[-1][1]


MODEL_OPS = st.lists(
    st.one_of(st.none(), NON_NUMERIC, st.integers(1, 12).map(str)), min_size=1, max_size=8
)


@settings(
    max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(ops=MODEL_OPS)
def test_model_version_numbering(shared_client: Client, ops: list, reliability_counts) -> None:
    reliability_counts.add("hypothesis examples")
    client = shared_client
    model = f"prop-model-{next(_counter)}"
    versions: dict[str, int] = {}  # name -> number, in creation order
    for op in ops:
        if op is not None and op in versions:  # an existing name or number is fetched
            got = client.create_model_version(model, op)
            assert (got.name, got.number) == (op, versions[op])
            continue
        if op is not None and names.is_number(op):
            by_number = {str(n): v for v, n in versions.items()}
            if op in by_number:
                assert client.create_model_version(model, op).name == by_number[op]
            else:  # numbers only fetch
                with pytest.raises(ModelNotFoundError):
                    client.create_model_version(model, op)
            continue
        got = client.create_model_version(model, op)
        number = len(versions) + 1
        assert got.number == number, (ops, versions)
        assert got.name == (op if op is not None else str(number))
        versions[got.name] = number
    if not versions:
        return
    listed = client.list_model_versions(model)
    assert [(v.name, v.number) for v in listed] == list(versions.items())
    assert client.get_model_version(model).name == list(versions)[-1]  # latest = last created
    assert client.get_model(model).latest_version_name == list(versions)[-1]
