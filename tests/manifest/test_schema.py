"""The record classes compiled from `models.py` behave as the pydantic models do, and
reading or writing manifests never imports pydantic."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pydantic_core
import pytest
from helpers import make_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitreg import Client, Model, log_metadata, pipeline, save_artifact, step
from gitreg.api import context
from gitreg.errors import ManifestError
from gitreg.manifest import _generated, codegen, models, record, schema, schema_cache, yaml_io
from gitreg.services.validate import _RULES

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@step
def make_weights(scale: float) -> Annotated[dict[str, Any], "weights"]:
    log_metadata({"loss": 0.5, "nan": float("nan")})
    return {"w": [scale, 2 * scale]}


@pipeline(model=Model(name="corpus-model", description="for the schema corpus"))
def corpus_pipeline(scale: float = 1.0) -> None:
    make_weights(scale)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[type, str, Any]]:
    """(record class, path, parsed YAML) of every manifest a varied registry holds."""
    root = tmp_path_factory.mktemp("corpus")
    repo = make_repo(root / "repo")
    old = Path.cwd()
    os.chdir(repo)
    try:
        context.forget_active_clients()
        corpus_pipeline()
        corpus_pipeline(scale=2.0)
        src = root / "data.bin"
        src.write_bytes(b"\x00" * 100)
        (root / "folder").mkdir()
        (root / "folder" / "a.txt").write_text("a")
        save_artifact(src, "file-art", tags=["x"], user_metadata={"k": [1, {"n": None}]})
        save_artifact(root / "folder", "dir-art")
        client = Client()
        client.create_model_version("corpus-model", "named", description="d")
        m = Model(name="corpus-model", version="named")
        m.set_stage("production")
        client.link_artifact_to_model(client.get_artifact_version("dir-art").id, m)
        log_metadata({"acc": 0.9}, model_name="corpus-model", model_version="named")
        reg = client.registry
        snap = reg.git.snapshot()
        out = []
        for path, sha in snap.walk_files():
            cls = next((c for pat, c in _RULES if pat.fullmatch(path)), None)
            if cls is not None:
                out.append((cls, path, yaml_io.loads(snap.objects.read_blob(sha), path)))
    finally:
        os.chdir(old)
        context.forget_active_clients()
    assert {c for c, _, _ in out} >= {
        schema.RegistryConfig,
        schema.ArtifactEntity,
        schema.ArtifactVersionFile,
        schema.MetadataFile,
        schema.ModelEntity,
        schema.ModelVersionFile,
        schema.LinkFile,
        schema.IdEntry,
        schema.RunFile,
        schema.CacheEntry,
    }
    return out


def _outcome(cls: type, raw: Any) -> Any:
    """What validating `raw` gives: the dumped data, or the errors (type, loc, msg)."""
    try:
        obj = cls.model_validate(raw)  # type: ignore[attr-defined]
    except pydantic_core.ValidationError as e:
        return [(x["type"], x["loc"], x["msg"]) for x in e.errors()]
    return json.dumps(obj.model_dump(mode="json", by_alias=True, exclude_none=True))


def _pydantic_model(cls: type) -> Any:
    return getattr(models, cls.__name__)


# ----------------------------------------------------------------------- generated code


def test_the_generated_module_is_up_to_date() -> None:
    assert pydantic_core.__version__ == _generated.PYDANTIC_CORE_VERSION, (
        "pydantic-core changed: run `python -m gitreg.manifest.codegen` and commit the result"
    )
    assert codegen.main(["--check"]) == 0, "run `python -m gitreg.manifest.codegen`"
    assert codegen.compile_schemas() == _generated.SCHEMAS


def test_every_model_has_a_record_with_its_fields() -> None:
    for model in codegen._model_classes():
        rec = getattr(schema, model.__name__)
        assert issubclass(rec, record.Record)
        assert list(rec.__annotations__) == list(model.model_fields)
    assert schema.ArtifactVersionFile.info.fget is not None  # properties come along


# ------------------------------------------------------------- same behaviour as pydantic


def test_every_manifest_of_a_real_registry_reads_as_pydantic_reads_it(corpus) -> None:
    for cls, path, raw in corpus:
        got = _outcome(cls, raw)
        assert isinstance(got, str), (path, got)  # valid
        assert got == _outcome(_pydantic_model(cls), raw), path


def _mutations() -> st.SearchStrategy[Any]:
    junk = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=True),
        st.text(max_size=40),
        st.sampled_from(["model", "data", "md5", "0" * 32, "0" * 32 + ".dir", "1", "gitreg"]),
        st.lists(st.text(max_size=5), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    )
    return st.tuples(st.sampled_from(["replace", "delete", "add"]), junk, st.integers(0, 10**6))


def _mutate(raw: Any, how: str, value: Any, pick: int) -> Any:
    """`raw` with one dict entry somewhere in it replaced, deleted or added."""
    doc = copy.deepcopy(raw)
    dicts: list[dict[str, Any]] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            dicts.append(node)
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(doc)
    target = dicts[pick % len(dicts)]
    keys = list(target)
    if how == "add" or not keys:
        target[f"extra{pick % 3}" if pick % 2 else "schema"] = value
    elif how == "delete":
        del target[keys[pick % len(keys)]]
    else:
        target[keys[pick % len(keys)]] = value
    return doc


@SETTINGS
@given(data=st.data(), mutation=_mutations())
def test_a_mutated_manifest_gets_the_same_result_or_error_as_pydantic(
    corpus, data: st.DataObject, mutation: tuple[str, Any, int]
) -> None:
    cls, path, raw = data.draw(st.sampled_from(corpus))
    doc = _mutate(raw, *mutation)
    assert _outcome(cls, doc) == _outcome(_pydantic_model(cls), doc), path


def test_construction_defaults_and_copies_match_pydantic() -> None:
    kwargs = {"id": "i", "name": "m", "created": "c"}
    rec, pyd = schema.ModelEntity(**kwargs), models.ModelEntity(**kwargs)
    assert rec.model_dump() == pyd.model_dump()
    assert rec.model_dump(mode="json", by_alias=True) == pyd.model_dump(mode="json", by_alias=True)
    other = schema.ModelEntity(**kwargs)
    other.tags.append("t")  # defaults are not shared between instances
    assert rec.tags == [] and other != rec
    changed = rec.model_copy(update={"count": 3})
    assert (changed.count, rec.count) == (3, 0)
    assert changed == rec.model_copy(update={"count": 3}) and changed != rec
    run = schema.RunFile(id="r", pipeline="p", status="running", start="s")
    again = schema.RunFile(id="r", pipeline="p", status="running", start="s")
    assert run.code == schema.CodeRef() == again.code and run.code is not again.code
    with pytest.raises(pydantic_core.ValidationError, match="Extra inputs are not permitted"):
        schema.ModelEntity(**kwargs, bogus=1)


def test_parse_names_the_file_and_field_that_is_wrong() -> None:
    with pytest.raises(ManifestError) as e:
        schema.parse(schema.DvcOut, b"md5: nope\nsize: 1\npath: x\n", "a/b.dvc")
    assert e.value.path == "a/b.dvc"
    assert "md5: String should match pattern" in str(e.value)


# ---------------------------------------------------------------- no pydantic at runtime


def _run(code: str, cwd: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_saving_listing_and_loading_never_import_pydantic(repo: Path) -> None:
    code = (
        "import sys\n"
        "from gitreg import Client, Model, save_artifact\n"
        "a = save_artifact({'x': 1}, 'art')\n"
        "c = Client()\n"
        "c.create_model_version('m', None)\n"
        "c.link_artifact_to_model(a.id, Model(name='m', version='1'))\n"
        "assert [v.number for v in c.list_model_versions('m')] == [1]\n"
        "assert Model(name='m', version='latest').load_artifact('art') == {'x': 1}\n"
        "print(sorted(m for m in ('pydantic', 'ruamel.yaml') if m in sys.modules))\n"
    )
    assert _run(code, repo) == "[]"


def _overwrite(path: Path, data: bytes) -> None:
    """Replace a (read-only) cache file, as another writer would."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def _forget_schemas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record, "_schemas", None)
    monkeypatch.setattr(record, "_validators", {})
    monkeypatch.setattr(record, "_serializers", {})


def test_another_pydantic_core_version_rebuilds_the_schemas_from_the_models_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(_generated, "PYDANTIC_CORE_VERSION", "0.0.0")
    _forget_schemas(monkeypatch)
    entity = schema.parse(schema.ModelEntity, b"schema: 1\nid: i\nname: m\ncreated: c\n", "p")
    assert entity.name == "m" and entity.next_number == 1
    assert record._schemas is not _generated.SCHEMAS
    assert record._schemas == _generated.SCHEMAS  # rebuilt, and the same
    assert schema.dump(entity) == b"schema: 1\nid: i\nname: m\ncreated: c\ntags: []\n" + (
        b"next_number: 1\ncount: 0\nstages: {}\n"
    )
    (kept,) = (tmp_path / "cache" / "gitreg").iterdir()

    # the next process reads them from the cache: no rebuild, no pydantic
    _forget_schemas(monkeypatch)
    monkeypatch.setattr(codegen, "compile_schemas", lambda: pytest.fail("rebuilt again"))
    assert schema.parse(schema.ModelEntity, schema.dump(entity), "p") == entity
    assert record._schemas == _generated.SCHEMAS

    # a damaged cache file is rebuilt, not trusted
    _overwrite(kept, b"not a pickle")
    _forget_schemas(monkeypatch)
    monkeypatch.undo()  # compile_schemas back, and PYDANTIC_CORE_VERSION too: set it again
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(_generated, "PYDANTIC_CORE_VERSION", "0.0.0")
    _forget_schemas(monkeypatch)
    assert schema.parse(schema.ModelEntity, schema.dump(entity), "p") == entity
    assert kept.read_bytes() != b"not a pickle"


def test_a_planted_or_misshapen_schema_cache_is_not_trusted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pickle

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(_generated, "PYDANTIC_CORE_VERSION", "0.0.0")
    path = schema_cache.cache_path(pydantic_core.__version__)
    assert path is not None and path.startswith(str(tmp_path / "cache"))
    Path(path).parent.mkdir(parents=True)
    ran = tmp_path / "ran"

    class Planted:
        def __reduce__(self) -> Any:
            return (os.system, (f"touch {ran}",))

    doc = b"schema: 1\nid: i\nname: m\ncreated: c\n"
    for planted in (Planted(), {"not": "schemas"}):
        _overwrite(Path(path), pickle.dumps(planted))
        _forget_schemas(monkeypatch)
        assert schema.parse(schema.ModelEntity, doc, "p").name == "m"
        assert not ran.exists()
        assert record._schemas == _generated.SCHEMAS  # rebuilt, and the cache rewritten
        assert schema_cache.read_cache(path) == _generated.SCHEMAS


def test_no_schema_cache_without_an_absolute_cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative-cache")  # ignored, as XDG says
    monkeypatch.setattr(os.path, "expanduser", lambda p: p)  # and no home directory
    assert schema_cache.cache_path("1.2.3") is None
    monkeypatch.setattr(_generated, "PYDANTIC_CORE_VERSION", "0.0.0")
    _forget_schemas(monkeypatch)
    assert schema.parse(schema.ModelEntity, b"schema: 1\nid: i\nname: m\ncreated: c\n", "p")
    assert list(tmp_path.iterdir()) == []  # nothing written in the current directory


# ------------------------------------------------------------------ record API details


def test_a_misspelt_field_is_refused_and_a_real_one_is_written() -> None:
    entity = schema.ModelEntity(id="i", name="m", created="c")
    with pytest.raises(ValueError, match='"ModelEntity" object has no field "descrption"'):
        entity.descrption = "x"  # type: ignore[attr-defined]
    entity.description = "d"
    assert b"description: d\n" in schema.dump(entity)
    assert "description" in entity.__pydantic_fields_set__


def test_records_pickle_copy_and_dump_json_like_pydantic_models() -> None:
    import pickle

    rec = schema.ModelEntity(
        id="i", name="m", created="c", latest=schema.ModelRef(name="m", number=1, id="x")
    )
    pyd = models.ModelEntity.model_validate(rec.model_dump())
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(rec, protocol)) == rec
    shallow = copy.copy(rec)
    shallow.count = 7
    assert (shallow.count, rec.count) == (7, 0) and shallow.latest is rec.latest
    deep = rec.model_copy(deep=True)
    assert deep == rec and deep.latest is not rec.latest
    assert copy.deepcopy(rec) == rec
    for kwargs in ({}, {"by_alias": True, "exclude_none": True}, {"indent": 2}):
        assert rec.model_dump_json(**kwargs) == pyd.model_dump_json(**kwargs)


# ---------------------------------------------------------------------- codegen limits


def _models_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Any:
    """A stand-in for gitreg.manifest.models holding `body`, as codegen would see it."""
    import importlib.util

    import gitreg.manifest

    src = tmp_path / "models.py"
    src.write_text(
        "from __future__ import annotations\n"
        "from typing import Any, ClassVar\n"
        "from pydantic import BaseModel, ConfigDict, Field\n"
        "class _Model(BaseModel):\n"
        "    model_config = ConfigDict(extra='forbid', defer_build=True)\n" + body
    )
    spec = importlib.util.spec_from_file_location("gitreg.manifest.models", src)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "gitreg.manifest.models", mod)
    monkeypatch.setattr(gitreg.manifest, "models", mod)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    "member",
    [
        "    @classmethod\n    def make(cls) -> None:\n        pass\n",
        "    @staticmethod\n    def helper() -> int:\n        return 1\n",
        "    def method(self) -> int:\n        return 1\n",
        "    KIND: ClassVar[str] = 'a'\n",
        "    @property\n    def double(self) -> int:\n        return 2 * self.x\n"
        "    @double.setter\n    def double(self, v: int) -> None:\n        self.x = v // 2\n",
        "    @property\n    def shown(self) -> str:\n        return helper(self.x)\n",
    ],
    ids=["classmethod", "staticmethod", "method", "classvar", "setter", "module-helper"],
)
def test_codegen_refuses_members_a_record_could_not_offer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, member: str
) -> None:
    _models_module(
        tmp_path,
        monkeypatch,
        "def helper(x: int) -> str:\n    return str(x)\n"
        "class A(_Model):\n    x: int = 0\n" + member,
    )
    with pytest.raises(RuntimeError, match=r"A\.\w+: (only fields|records can only)"):
        codegen.render()


def test_codegen_keeps_default_values_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mod = _models_module(
        tmp_path,
        monkeypatch,
        "class A(_Model):\n"
        "    opts: dict[str, Any] = {'metadata': {'a': 1}, 'ref': 'main:42'}\n"
        "    tags: list[str] = Field(default_factory=list)\n",
    )
    compiled = codegen._transform(codegen._core_schema(mod.A), {})
    fields = compiled["schema"]["fields"]
    assert fields["opts"]["schema"]["default"] == {"metadata": {"a": 1}, "ref": "main:42"}
    assert "default_factory=list" not in codegen.render()  # written, by name
    assert "'default_factory': list" in codegen.render().replace('"', "'")


def test_codegen_says_so_when_it_cannot_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with pytest.raises(RuntimeError, match="could not format the generated code with ruff"):
        codegen._format("x = 1\n")
