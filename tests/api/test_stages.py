"""Model stages: one version per stage, `force` archives the holder, stage names resolve,
and `gitreg stage` on the command line."""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import assert_one_line_error, registry_state

from gitreg import Client, GitregError, Model, ModelStages, pipeline, step
from gitreg.cli.main import cli
from gitreg.errors import InvalidNameError, ModelNotFoundError, StageError

WIDE = {"COLUMNS": "200"}


@step(enable_cache=False)
def predict() -> list[float]:
    return [0.5]


@pipeline(model=Model("staged", ModelStages.PRODUCTION), enable_cache=False)
def inference() -> None:
    predict()


@pytest.fixture
def versions(client: Client) -> list[str]:
    """Model `staged` with versions 1, 2 and 3."""
    return [client.create_model_version("staged").name for _ in range(3)]


def stages(model: str = "staged") -> dict[str, str | None]:
    return {v.name: v.stage for v in Client().list_model_versions(model)}


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), env=WIDE)


# --------------------------------------------------------------------------- Python API


def test_set_stage_then_resolve_by_stage(versions: list[str]) -> None:
    assert Model("staged", 2).set_stage("production") is None  # nothing archived
    assert Model("staged", ModelStages.PRODUCTION).number == 2
    assert Model("staged", "production").model_version == "2"
    assert Client().get_model_version("staged", ModelStages.PRODUCTION).name == "2"
    assert stages() == {"1": None, "2": "production", "3": None}
    assert Client().get_model("staged").stages == {"2": "production"}
    assert Model("staged", 2).stage == "production"


def test_stage_enum_and_string_are_the_same(versions: list[str]) -> None:
    Model("staged", 1).set_stage(ModelStages.STAGING)
    assert Model("staged", "staging").number == 1
    Model("staged", 1).set_stage("staging")  # again: no change, no error
    assert stages() == {"1": "staging", "2": None, "3": None}


def test_second_holder_without_force_is_refused_and_changes_nothing(
    versions: list[str], repo: Path
) -> None:
    Model("staged", 1).set_stage("production")
    before = registry_state(repo)
    with pytest.raises(StageError, match=r"force=True") as info:
        Model("staged", 2).set_stage("production")
    assert isinstance(info.value, GitregError)
    assert "'1'" in str(info.value) and "production" in str(info.value)
    assert registry_state(repo) == before
    assert stages() == {"1": "production", "2": None, "3": None}
    assert Model("staged", "production").number == 1


def test_force_moves_the_stage_and_archives_the_old_holder(versions: list[str]) -> None:
    Model("staged", 1).set_stage("production")
    assert Model("staged", 2).set_stage("production", force=True) == "1"
    assert stages() == {"1": "archived", "2": "production", "3": None}
    assert Model("staged", ModelStages.PRODUCTION).number == 2
    assert Model("staged", 3).set_stage("production", force=True) == "2"
    assert stages() == {"1": "archived", "2": "archived", "3": "production"}


def test_archived_and_none_stages(versions: list[str]) -> None:
    Model("staged", 1).set_stage("production")
    Model("staged", 1).set_stage("archived")
    Model("staged", 2).set_stage("archived")  # many versions may be archived
    Model("staged", 3).set_stage("production")  # no holder left: no force needed
    assert stages() == {"1": "archived", "2": "archived", "3": "production"}
    Model("staged", 3).set_stage(ModelStages.NONE)
    assert stages()["3"] is None
    with pytest.raises(ModelNotFoundError, match="'production' not found"):
        Model("staged", "production").number  # noqa: B018


def test_moving_a_version_to_another_stage_frees_the_first(versions: list[str]) -> None:
    Model("staged", 1).set_stage("staging")
    Model("staged", "staging").set_stage("production")  # found by its stage
    assert stages() == {"1": "production", "2": None, "3": None}
    Model("staged", 2).set_stage("staging")  # staging is free again
    assert stages() == {"1": "production", "2": "staging", "3": None}


@pytest.mark.parametrize("bad", ["latest", ModelStages.LATEST, "bogus", "Production", "prod"])
def test_latest_and_unknown_stage_names_are_rejected(
    versions: list[str], repo: Path, bad: Any
) -> None:
    before = registry_state(repo)
    with pytest.raises(StageError, match="is not a stage: use one of") as info:
        Model("staged", 1).set_stage(bad)
    assert "production" in str(info.value) and "staging" in str(info.value)
    assert registry_state(repo) == before


@pytest.mark.parametrize("bad", ["", "a/b", "x y", "a@b"])
def test_malformed_stage_names_are_rejected(versions: list[str], repo: Path, bad: str) -> None:
    before = registry_state(repo)
    with pytest.raises(InvalidNameError):
        Model("staged", 1).set_stage(bad)
    assert registry_state(repo) == before


def test_stage_of_missing_version_is_not_found(versions: list[str], repo: Path) -> None:
    before = registry_state(repo)
    with pytest.raises(ModelNotFoundError):
        Model("staged", 9).set_stage("production")
    with pytest.raises(ModelNotFoundError):
        Model("staged", "staging").set_stage("production")
    assert registry_state(repo) == before


def test_set_stage_on_a_version_name_creates_it(client: Client) -> None:
    Model("fresh", "v1").set_stage("staging")
    assert stages("fresh") == {"v1": "staging"}


def test_model_version_response_set_stage(versions: list[str]) -> None:
    Client().get_model_version("staged", 3).set_stage("staging")
    assert Client().get_model_version("staged", "staging").number == 3


def test_pipeline_with_stage_model_links_to_the_stage_holder(versions: list[str]) -> None:
    Model("staged", 2).set_stage("production")
    inference()
    art = Client().get_artifact_version("inference::predict::output")
    links = Client().list_links("staged", "2")
    assert [str(lk.artifact_id) for lk in links] == [str(art.id)]
    assert [v.name for v in Client().list_model_versions("staged")] == ["1", "2", "3"]
    assert Client().list_runs()[-1].model == "staged@2"

    Model("staged", 3).set_stage("production", force=True)
    inference()
    newest = Client().get_artifact_version("inference::predict::output")
    assert [str(lk.artifact_id) for lk in Client().list_links("staged", "3")] == [str(newest.id)]


# --------------------------------------------------------------------------- CLI


def test_cli_stage_sets_and_forces(cli_runner: CliRunner, versions: list[str]) -> None:
    res = invoke(cli_runner, "stage", "staged@1", "production")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() == "staged@1 is now in stage production"
    res = invoke(cli_runner, "stage", "staged@2", "production", "--force")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() == "staged@2 is now in stage production (1 archived)"
    assert stages() == {"1": "archived", "2": "production", "3": None}


def test_cli_stage_json(cli_runner: CliRunner, versions: list[str]) -> None:
    Model("staged", 1).set_stage("staging")
    res = invoke(cli_runner, "stage", "staged@3", "staging", "--force", "--json")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout) == {
        "model": "staged",
        "version": "3",
        "stage": "staging",
        "archived": "1",
    }


def test_cli_stage_by_stage_name(cli_runner: CliRunner, versions: list[str]) -> None:
    Model("staged", 2).set_stage("staging")
    res = invoke(cli_runner, "stage", "staged@staging", "production")
    assert res.exit_code == 0, res.stderr
    assert stages() == {"1": None, "2": "production", "3": None}


def test_cli_stage_conflict_is_one_line_exit_1(
    cli_runner: CliRunner, versions: list[str], repo: Path
) -> None:
    Model("staged", 1).set_stage("production")
    before = registry_state(repo)
    line = assert_one_line_error(invoke(cli_runner, "stage", "staged@2", "production"), "force")
    assert "'1'" in line
    assert registry_state(repo) == before


@pytest.mark.parametrize(
    ("ref", "needle"),
    [("staged@9", "'9' not found"), ("ghost@1", "'ghost' not found"), ("staged@a/b", "a/b")],
)
def test_cli_stage_unknown_version_is_one_line_exit_1(
    cli_runner: CliRunner, versions: list[str], repo: Path, ref: str, needle: str
) -> None:
    before = registry_state(repo)
    assert_one_line_error(invoke(cli_runner, "stage", ref, "production"), needle)
    assert registry_state(repo) == before


@pytest.mark.parametrize("bad", ["latest", "bogus"])
def test_cli_stage_rejects_latest_and_unknown_stages(
    cli_runner: CliRunner, versions: list[str], repo: Path, bad: str
) -> None:
    before = registry_state(repo)
    res = invoke(cli_runner, "stage", "staged@1", bad)
    assert res.exit_code != 0
    assert bad in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""
    assert registry_state(repo) == before


def test_cli_stage_needs_a_version(cli_runner: CliRunner, versions: list[str]) -> None:
    res = invoke(cli_runner, "stage", "staged", "production")
    assert res.exit_code != 0
    assert "MODEL@VERSION" in res.stderr
    assert stages() == {"1": None, "2": None, "3": None}


def test_archived_stage_resolves_by_creation_order_not_string_order(client: Client) -> None:
    for _ in range(10):
        client.create_model_version("many")
    for number in range(1, 11):
        Model("many", number).set_stage("archived")
    assert Model("many", ModelStages.ARCHIVED).number == 10
