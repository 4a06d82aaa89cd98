"""ZenML's calls at ZenML's import paths, with ZenML's signatures and behaviour; where gitreg
cannot mean the same thing, a GitregError that says what to use instead."""

import json
import pathlib
import zipfile
from pathlib import Path
from typing import Annotated, Any

import pytest
from click.testing import CliRunner
from helpers import registry_state

import gitreg
from gitreg import (
    ArtifactConfig,
    Client,
    Model,
    ModelNotFoundError,
    UsageError,
    get_pipeline_context,
    get_step_context,
    pipeline,
    save_artifact,
    step,
)
from gitreg.artifacts.external_artifact import ExternalArtifact
from gitreg.artifacts.utils import log_artifact_metadata, register_artifact
from gitreg.cli.main import cli
from gitreg.client import Client as ClientAtZenmlPath
from gitreg.errors import ArtifactNotFoundError, ModelExistsError, StepContextError
from gitreg.metadata.metadata_types import DType, StorageSize, Uri
from gitreg.model.model import Model as ModelAtZenmlPath
from gitreg.model.utils import link_artifact_to_model, log_model_metadata

CARD: dict[str, Any] = {
    "license": "Apache 2.0",
    "description": "churn classifier",
    "audience": "the retention team",
    "use_cases": "weekly churn scores",
    "limitations": "trained on 2023 data only",
    "trade_offs": "recall over precision",
    "ethics": "no protected attributes used",
    "tags": ["tabular", "churn"],
}


def test_zenml_module_paths_name_the_same_objects() -> None:
    assert ClientAtZenmlPath is Client
    assert ModelAtZenmlPath is Model
    assert gitreg.ExternalArtifact is ExternalArtifact
    assert gitreg.log_model_metadata is log_model_metadata
    assert gitreg.log_artifact_metadata is log_artifact_metadata
    assert gitreg.register_artifact is register_artifact
    for name in ("get_pipeline_context", "log_artifact_metadata", "ExternalArtifact"):
        assert name in dir(gitreg) and name in gitreg.__all__


# -- model card (item 2) ------------------------------------------------------------------
def test_create_model_stores_the_card_and_model_show_prints_it(repo: Path) -> None:
    m = Client().create_model(name="churn", save_models_to_registry=False, **CARD)
    again = Client().get_model("churn")
    for key, value in CARD.items():
        assert getattr(m, key) == value
        assert getattr(again, key) == value
    assert again.save_models_to_registry is False
    assert again.versions == []
    res = CliRunner().invoke(cli, ["model", "show", "churn"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for value in ("Apache 2.0", "the retention team", "trained on 2023 data only"):
        assert value in res.stdout
    shown = json.loads(CliRunner().invoke(cli, ["model", "show", "churn", "--json"]).stdout)
    assert shown["ethics"] == CARD["ethics"] and shown["save_models_to_registry"] is False


def test_model_card_fields_from_model_are_stored_when_it_creates_the_model(repo: Path) -> None:
    Model(name="card_model", **CARD).log_metadata({"k": 1})  # creates version 1
    m = Client().get_model("card_model")
    assert (m.license, m.use_cases, m.trade_offs) == (
        "Apache 2.0",
        "weekly churn scores",
        "recall over precision",
    )
    assert m.save_models_to_registry is True


def test_create_model_twice_is_an_error_and_changes_nothing(repo: Path) -> None:
    Client().create_model("twice", license="MIT")
    before = registry_state(repo)
    with pytest.raises(ModelExistsError, match=r"already exists: use Client\(\)\.get_model"):
        Client().create_model("twice", license="GPL")
    assert registry_state(repo) == before
    assert Client().get_model("twice").license == "MIT"


def test_card_field_of_the_wrong_type_is_refused_before_anything_changes(repo: Path) -> None:
    Client().init()
    before = registry_state(repo)
    with pytest.raises(UsageError, match="license= must be text"):
        Client().create_model("bad", license=3)  # type: ignore[arg-type]
    assert registry_state(repo) == before


# -- artifacts --------------------------------------------------------------------------
def test_get_artifact_lists_its_versions(repo: Path) -> None:
    save_artifact(1, "counts")
    save_artifact(2, "counts", tags=["x"])
    art = Client().get_artifact("counts")
    assert art.name == "counts"
    assert list(art.versions) == ["1", "2"]
    assert art.latest_version_name == "2"
    assert art.versions["2"].load() == 2
    assert art.latest_version_id == Client().get_artifact_version("counts").id
    assert art.tags == []  # the artifact's own tags, not its versions'
    with pytest.raises(ArtifactNotFoundError, match="nothing"):
        Client().get_artifact("nothing")


def test_register_artifact_stores_a_local_folder(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    av = register_artifact(str(folder), name="raw_data", is_model_artifact=True)
    assert av.type == "model"
    loaded = av.load()
    assert isinstance(loaded, pathlib.Path) and (loaded / "a.txt").read_text() == "a"


def test_register_artifact_of_a_remote_uri_says_to_download_it_first(repo: Path) -> None:
    Client().init()
    before = registry_state(repo)
    with pytest.raises(UsageError, match="download the data first"):
        register_artifact("s3://bucket/data", name="remote_data")
    assert registry_state(repo) == before


def test_download_files_writes_a_zip(repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "b.txt").write_text("b")
    av = save_artifact(folder, "tree")
    target = tmp_path / "out.zip"
    av.download_files(str(target))
    with zipfile.ZipFile(target) as zf:
        assert zf.read("sub/b.txt") == b"b"
    with pytest.raises(UsageError, match="overwrite=True"):
        av.download_files(str(target))
    av.download_files(str(target), overwrite=True)
    with pytest.raises(UsageError, match=r"must end with \.zip"):
        av.download_files(str(tmp_path / "out.tar"))


def test_metadata_reads_back_plain_and_with_value(repo: Path) -> None:
    av = save_artifact(
        [1], "m", user_metadata={}, run_metadata={"size": StorageSize(10), "uri": Uri("s3://x")}
    )
    log_artifact_metadata({"acc": 0.9, "cfg": {"a": 1}, "dtype": DType("int64")}, "m")
    md = Client().get_artifact_version("m").run_metadata
    assert md == {"size": 10, "uri": "s3://x", "acc": 0.9, "cfg": {"a": 1}, "dtype": "int64"}
    assert md["size"].value == 10 and md["acc"].value == 0.9 and md["cfg"].value == {"a": 1}
    assert av.run_metadata["uri"].value == "s3://x"
    assert json.dumps(md, sort_keys=True).startswith('{"acc": 0.9')


def test_log_artifact_metadata_outside_a_step_needs_a_name(repo: Path) -> None:
    with pytest.raises(UsageError, match="needs artifact_name= outside a step"):
        log_artifact_metadata({"a": 1})


def test_log_model_metadata_by_name_and_in_a_step(repo: Path) -> None:
    Model("mm", "v1").log_metadata({"x": 1})
    log_model_metadata({"y": 2}, model_name="mm", model_version="v1")
    assert Client().get_model_version("mm", "v1").run_metadata == {"x": 1, "y": 2}
    assert Client().get_model_version("mm", "v1").run_metadata["y"].value == 2
    with pytest.raises(UsageError, match="inside a step with a model"):
        log_model_metadata({"z": 3})
    with pytest.raises(ModelNotFoundError):
        log_model_metadata({"z": 3}, model_name="mm", model_version="v9")


def test_model_utils_link_artifact_to_model(repo: Path) -> None:
    av = save_artifact("w", "weights")
    link_artifact_to_model(av.id, Model("linked", "1.0"))
    assert Client().get_model_version("linked", "1.0").get_artifact("weights") == av


# -- steps and pipelines ------------------------------------------------------------------
SEEN: dict[str, Any] = {}


@step(enable_cache=False)
def annotated_step() -> tuple[Annotated[int, "first"], Annotated[str, "second"]]:
    ctx = get_step_context()
    SEEN["pipeline"] = ctx.pipeline.name
    SEEN["step_name"] = ctx.step_name
    ctx.add_output_metadata({"rows": 3}, output_name="first")
    ctx.add_output_tags(["fresh"], output_name="second")
    log_artifact_metadata({"cols": 2}, artifact_name="first")
    with pytest.raises(UsageError, match="pass output_name= one of first, second"):
        ctx.add_output_metadata({"a": 1})
    with pytest.raises(UsageError, match="has no output 'third'"):
        ctx.add_output_tags(["a"], output_name="third")
    with pytest.raises(UsageError, match=r"read \.uri of the saved version"):
        ctx.get_output_artifact_uri("first")
    with pytest.raises(UsageError, match="register_materializer"):
        ctx.get_output_materializer("first")
    return 1, "b"


@step(model=Model("step_model", "s1"), enable_cache=False)
def metadata_step() -> Annotated[int, ArtifactConfig("only", run_metadata={"base": 0})]:
    log_artifact_metadata({"logged": 1})  # the step's only output
    log_model_metadata({"quality": "good"})  # the step's model
    return 5


@step(enable_cache=False)
def consume(x: int) -> int:
    SEEN["x"] = x
    return x * 2


@pipeline(model=Model("pipe_model", "p1"), enable_cache=False)
def context_pipeline() -> None:
    ctx = get_pipeline_context()
    SEEN["ctx"] = (ctx.name, ctx.model.name if ctx.model else None, ctx.enable_cache)
    annotated_step()
    metadata_step()
    consume(ExternalArtifact(value=21))


def test_step_and_pipeline_context_calls(repo: Path) -> None:
    run = context_pipeline()
    assert SEEN["ctx"] == ("context_pipeline", "pipe_model", False)
    assert SEEN["pipeline"] == "context_pipeline"
    assert SEEN["step_name"] == "annotated_step"
    first = Client().get_artifact_version("first")
    assert first.run_metadata == {"rows": 3, "cols": 2}
    assert Client().get_artifact_version("second").tags == ["fresh"]
    assert Client().get_artifact_version("only").run_metadata == {"base": 0, "logged": 1}
    assert Client().get_model_version("step_model", "s1").run_metadata == {"quality": "good"}
    # the external value became an artifact version, recorded as the step's input
    assert SEEN["x"] == 21
    ext = run.steps["consume"].inputs["x"]
    assert ext.name.startswith("external_") and ext.load() == 21
    assert run.steps["consume"].parameters == {}


def test_get_pipeline_context_outside_a_pipeline_says_where_it_works() -> None:
    with pytest.raises(StepContextError, match="only inside a running @pipeline"):
        get_pipeline_context()


def test_external_artifact_needs_exactly_one_source() -> None:
    with pytest.raises(UsageError, match="exactly one of value=, id= or name="):
        ExternalArtifact()
    with pytest.raises(UsageError, match="version= needs name="):
        ExternalArtifact(id="abcd", version="1")


@step(enable_cache=False)
def read_external(x: list[int]) -> int:
    return sum(x)


@pipeline(enable_cache=False)
def external_by_name() -> None:
    read_external(ExternalArtifact(name="stored", version="1"))


def test_external_artifact_by_name_is_the_stored_version(repo: Path) -> None:
    stored = save_artifact([1, 2], "stored")
    run = external_by_name()
    assert run.steps["read_external"].inputs["x"] == stored
    assert run.steps["read_external"].output.load() == 3
