"""The pydantic models of `gitreg.manifest.schema` read every file gitreg writes and write it
back byte for byte; a broken file is a ManifestError naming file, line and field; and
pydantic is imported only when a registry is read or written."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pydantic
import pytest
from helpers import make_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitreg.errors import ManifestError
from gitreg.manifest import schema

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# the registry branch's files and their models (DESIGN.md; the rest are DVC's own files)
_S = r"[^/]+"
KINDS: list[tuple[str, type]] = [
    (r"gitreg\.yaml", schema.RegistryConfig),
    (rf"artifacts/{_S}/artifact\.yaml", schema.ArtifactEntity),
    (rf"artifacts/{_S}/versions/.+\.dvc", schema.ArtifactVersionFile),
    (r"(artifacts|models)/.+/metadata/.+\.yaml", schema.MetadataFile),
    (rf"models/{_S}/model\.yaml", schema.ModelEntity),
    (rf"models/{_S}/versions/.+/version\.yaml", schema.ModelVersionFile),
    (rf"models/{_S}/versions/.+/links/.+\.yaml", schema.LinkFile),
    (r"ids/.+", schema.IdEntry),
    (r"runs/.+\.yaml", schema.RunFile),
    (r"cache/.+\.yaml", schema.CacheEntry),
]

CORPUS_SCRIPT = """
from typing import Annotated, Any
from gitreg import Client, Model, log_metadata, pipeline, save_artifact, step

@step
def make_weights(scale: float) -> Annotated[dict[str, Any], "weights"]:
    log_metadata({"loss": 0.5, "nan": float("nan"), "lr": 1e-05})
    return {"w": [scale, 2 * scale]}

@pipeline(model=Model(name="corpus-model", description="for the schema corpus"))
def corpus_pipeline(scale: float = 1.0) -> None:
    make_weights(scale)

corpus_pipeline()
corpus_pipeline(scale=2.0)
corpus_pipeline(scale=2.0)  # cached
save_artifact(b"\\x00" * 100, "file-art", tags=["x"], user_metadata={"k": [1, {"n": None}]})
save_artifact({"a": "caf\\u00e9 \\u2028"}, "dict-art")
client = Client()
client.create_model_version("corpus-model", "named", description="d")
m = Model(name="corpus-model", version="named")
m.set_stage("production")
client.link_artifact_to_model(client.get_artifact_version("dict-art").id, m)
log_metadata({"acc": 0.9}, model_name="corpus-model", model_version="named")
"""


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[type, str, bytes]]:
    """(model, path, bytes) of every manifest a varied registry holds."""
    root = tmp_path_factory.mktemp("corpus")
    repo = make_repo(root / "repo")
    script = root / "make_corpus.py"
    script.write_text(CORPUS_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = []
    for path in _git(repo, "ls-tree", "-r", "--name-only", "gitreg").decode().splitlines():
        cls = next((c for pattern, c in KINDS if re.fullmatch(pattern, path)), None)
        if cls is not None:
            out.append((cls, path, _git(repo, "cat-file", "blob", f"gitreg:{path}")))
    assert {c for c, _, _ in out} == {c for _, c in KINDS}
    return out


def test_every_manifest_gitreg_writes_reads_and_writes_back_byte_for_byte(corpus) -> None:
    for cls, path, data in corpus:
        obj = schema.parse(cls, data, path)
        assert type(obj) is cls
        assert schema.dump(obj) == data, path


# ------------------------------------------------------------------------ broken files


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
def test_a_mutated_manifest_reads_as_a_model_or_a_manifest_error(
    corpus, data: st.DataObject, mutation: tuple[str, Any, int]
) -> None:
    from gitreg.manifest import yaml_io

    cls, path, original = data.draw(st.sampled_from(corpus))
    mutated = yaml_io.dumps(_mutate(yaml_io.loads(original, path), *mutation))
    try:
        obj = schema.parse(cls, mutated, path)
    except ManifestError as e:
        assert e.path == path and e.line is not None and 1 <= e.line <= mutated.count(b"\n")
    else:
        assert schema.parse(cls, schema.dump(obj), path) == obj


@pytest.mark.parametrize(
    ("cls", "data", "line", "message"),
    [
        (schema.DvcOut, b"md5: nope\nsize: 1\npath: x\n", 1, "md5: String should match pattern"),
        (schema.ModelEntity, b"schema: 1\nid: i\nname: m\ncreated: c\ncount: lots\n", 5, "count"),
        (schema.ModelEntity, b"schema: 1\nid: i\nname: m\ncreated: c\nbogus: 1\n", 5, "bogus"),
        (schema.ModelEntity, b"schema: 2\nid: i\nname: m\ncreated: c\n", 1, "schema: Input"),
        (schema.ModelEntity, b"schema: 1\nname: m\ncreated: c\n", 1, "id: Field required"),
        (
            schema.RunFile,
            b"schema: 1\nid: r\npipeline: p\nstatus: running\nstart: s\nsteps:\n"
            b"- id: s\n  name: n\n  status: running\n  start: s\n"
            b"- id: t\n  name: n\n  status: bad\n  start: s\n",
            13,
            "steps.1.status: Input should be",
        ),
    ],
)
def test_a_broken_manifest_is_an_error_naming_file_line_and_field(
    cls: type, data: bytes, line: int, message: str
) -> None:
    with pytest.raises(ManifestError, match=re.escape(message)) as e:
        schema.parse(cls, data, "models/m/model.yaml")
    assert (e.value.path, e.value.line) == ("models/m/model.yaml", line)
    assert str(e.value).startswith(f"models/m/model.yaml:{line}: ") and "gitreg validate" in str(
        e.value
    )


# ---------------------------------------------------------------------- the models


def test_defaults_are_not_shared_and_a_misspelt_field_is_refused() -> None:
    entity = schema.ModelEntity(id="i", name="m", created="c")
    other = schema.ModelEntity(id="i", name="m", created="c")
    other.tags.append("t")
    assert entity.tags == [] and other != entity
    run = schema.RunFile(id="r", pipeline="p", status="running", start="s")
    again = schema.RunFile(id="r", pipeline="p", status="running", start="s")
    assert run.code == schema.CodeRef() == again.code and run.code is not again.code
    with pytest.raises(ValueError, match='"ModelEntity" object has no field "descrption"'):
        entity.descrption = "x"  # type: ignore[attr-defined]
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        schema.ModelEntity(id="i", name="m", created="c", bogus=1)  # type: ignore[call-arg]


# --------------------------------------------------------- imports and the user's cache


def _run(code: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_importing_gitreg_imports_neither_pydantic_nor_ruamel(tmp_path: Path) -> None:
    code = """
        import sys
        import gitreg
        from gitreg import Client, Model, save_artifact
        from gitreg.cli.main import main
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "ruamel")))
    """
    assert _run(code, tmp_path) == "[]"


def test_reading_and_writing_a_registry_keeps_nothing_in_the_users_cache(
    repo: Path, tmp_path: Path
) -> None:
    cache, home = tmp_path / "cache", tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "HOME": str(home)}
    write = """
        from gitreg import Client, Model, save_artifact
        a = save_artifact({"x": 1}, "art")
        c = Client()
        c.create_model_version("m", None)
        c.link_artifact_to_model(a.id, Model(name="m", version="1"))
    """
    read = """
        from gitreg import Client, Model
        print([v.number for v in Client().list_model_versions("m")])
        print(Model(name="m", version="latest").load_artifact("art"))
    """
    _run(write, repo, env)
    assert _run(read, repo, env).splitlines() == ["[1]", "{'x': 1}"]
    assert not cache.exists() and list(home.iterdir()) == []
