"""ZenML's model commands under their gitreg names, `gitreg tag`, deletion, and the CLI read
as a tool: lineage of a model without --model, --json, full names when piped, empty lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from click.testing import CliRunner, Result
from helpers import registry_state

from gitreg import Client, Model, pipeline, save_artifact, step
from gitreg.cli.main import cli


def run(repo: Path, *args: str, wide: bool = True, stdin: str | None = None) -> Result:
    env = {"COLUMNS": "200"} if wide else {"COLUMNS": ""}
    return CliRunner().invoke(cli, ["-C", str(repo), *args], env=env, input=stdin)


def ok(res: Result) -> str:
    assert res.exit_code == 0, (res.exit_code, res.stdout, res.stderr, res.exception)
    return res.stdout


def js(res: Result) -> Any:
    return json.loads(ok(res))


def test_model_register_list_and_show_the_card(repo: Path) -> None:
    ok(run(repo, "model", "register", "churn", "--license", "MIT", "--audience", "ops",
           "--ethics", "none known", "-t", "tabular"))  # fmt: skip
    assert [m["name"] for m in js(run(repo, "model", "list", "--json"))] == ["churn"]
    assert js(run(repo, "model", "list", "--tag", "nope", "--json")) == []
    assert "no models" in ok(run(repo, "model", "list", "--tag", "nope"))
    shown = ok(run(repo, "model", "show", "churn"))
    assert "MIT" in shown and "none known" in shown and "tabular" in shown
    res = run(repo, "model", "register", "churn")
    assert res.exit_code == 1 and "already exists" in res.stderr
    assert "no versions" in ok(run(repo, "model", "version", "list", "churn"))


def test_model_version_list_update_and_artifacts_by_kind(repo: Path) -> None:
    w = save_artifact("w", "weights", artifact_type="model")
    d = save_artifact([1], "rows")
    Client().link_artifact_to_model(w.id, Model("clf", "v1"))
    Client().link_artifact_to_model(d.id, Model("clf", "v1"))
    Client().create_model_version("clf", "v2")
    ok(run(repo, "model", "version", "update", "clf", "v1", "--stage", "production"))
    out = ok(run(repo, "model", "version", "update", "clf", "v2", "--stage", "production",
                 "--force", "--tag", "best"))  # fmt: skip
    assert "clf@v2 (stage: production)" in out
    versions = js(run(repo, "model", "version", "list", "clf", "--stage", "production", "--json"))
    assert [v["name"] for v in versions] == ["v2"]
    assert [v["name"] for v in js(run(repo, "model", "version", "list", "clf", "--tag", "best",
                                      "--json"))] == ["v2"]  # fmt: skip
    models = js(run(repo, "model", "model_artifacts", "clf", "--version", "v1", "--json"))
    assert [a["artifact"] for a in models] == ["weights"]
    data = js(run(repo, "model", "data_artifacts", "clf", "--version", "v1", "--json"))
    assert [a["artifact"] for a in data] == ["rows"]
    empty = ok(run(repo, "model", "deployment_artifacts", "clf", "--version", "v1"))
    assert "no deployment artifacts" in empty


def test_tag_command_adds_and_removes_and_listings_filter(repo: Path) -> None:
    save_artifact(1, "data")
    Model("m", "v1").log_metadata({"a": 1})
    assert "data@1: tags gold" in ok(run(repo, "tag", "artifact", "data@1", "gold"))
    assert js(run(repo, "tag", "artifact", "data", "shared", "--json"))["tags"] == ["shared"]
    ok(run(repo, "tag", "model", "m", "tabular"))
    ok(run(repo, "tag", "model", "m@v1", "candidate"))
    assert Client().get_model("m").tags == ["tabular"]
    assert Client().get_model_version("m", "v1").tags == ["candidate"]
    assert [a.version for a in Client().list_artifact_versions(tag="gold")] == ["1"]
    ok(run(repo, "tag", "artifact", "data@1", "gold", "--remove"))
    assert Client().list_artifact_versions(tag="gold") == []
    before = registry_state(repo)
    res = run(repo, "tag", "artifact", "data@1", "bad tag")
    assert res.exit_code == 1 and "invalid tag" in res.stderr
    assert registry_state(repo) == before


def test_delete_commands_ask_then_remove_in_one_commit(repo: Path) -> None:
    save_artifact(1, "data")
    save_artifact(2, "data")
    Model("m", "v1").log_metadata({"a": 1})
    Model("m", "v2").log_metadata({"a": 1})
    before = registry_state(repo)
    assert run(repo, "artifact", "delete", "data@2", stdin="n\n").exit_code == 1  # aborted
    assert registry_state(repo) == before
    assert "Deleted data@2" in ok(run(repo, "artifact", "delete", "data@2", "--yes"))
    assert [a.version for a in Client().list_artifact_versions("data")] == ["1"]
    ok(run(repo, "model", "delete", "m@v2", "-y"))
    assert [v.name for v in Client().list_model_versions("m")] == ["v1"]
    ok(run(repo, "model", "delete", "m", "-y"))
    assert Client().list_models() == []
    assert Client().validate().ok


@step(model=Model("LinMod", "1.2.42"), enable_cache=False)
def producer() -> tuple[Annotated[int, "output_0"], Annotated[int, "output_1"]]:
    return 1, 2


@pipeline(enable_cache=False)
def p() -> None:
    producer()


def test_lineage_of_a_model_needs_no_flag_and_takes_json(repo: Path) -> None:
    p()
    tree = ok(run(repo, "lineage", "LinMod@1.2.42"))
    assert "LinMod" in tree and "output_0" in tree
    node = js(run(repo, "lineage", "LinMod@1.2.42", "--json"))
    assert "LinMod" in node["label"]


@step(enable_cache=False)
def b() -> tuple[int, int]:
    return 1, 2


@pipeline(enable_cache=False)
def long_names_pipeline_with_a_long_name() -> None:
    b()


def test_piped_tables_keep_full_names(repo: Path) -> None:
    long_names_pipeline_with_a_long_name()
    out = ok(run(repo, "artifacts", wide=False))
    assert "long_names_pipeline_with_a_long_name::b::output_0" in out
    assert "long_names_pipeline_with_a_long_name::b::output_1" in out


def test_model_update_and_version_update_tag_as_zenml_spells_them(repo: Path) -> None:
    # the "Organizing data with tags" page's CLI block, with gitreg for zenml
    Client().create_model("iris_logistic_regression")
    Client().create_model_version("iris_logistic_regression", "v2")
    ok(run(repo, "model", "update", "iris_logistic_regression", "--tag", "classification"))
    ok(run(repo, "model", "version", "update", "iris_logistic_regression", "v2",
           "--tag", "experiment3"))  # fmt: skip
    assert Client().get_model("iris_logistic_regression").tags == ["classification"]
    assert Client().get_model_version("iris_logistic_regression", "v2").tags == ["experiment3"]
    ok(run(repo, "model", "update", "iris_logistic_regression", "-r", "classification",
           "--license", "MIT"))  # fmt: skip
    m = Client().get_model("iris_logistic_regression")
    assert (m.tags, m.license) == ([], "MIT")


def test_sizes_use_iec_units_and_empty_listings_say_so(repo: Path) -> None:
    Client().init()
    assert ok(run(repo, "artifacts")) == "no artifact versions\n"
    assert ok(run(repo, "models")) == "no models\n"
    assert ok(run(repo, "runs")) == "no pipeline runs\n"
    assert ok(run(repo, "log", "nothing_here")) == "No changes.\n"
    save_artifact(b"x" * 10260, "blob")
    assert "10.0 KiB" in ok(run(repo, "artifacts"))
    assert "kB" not in ok(run(repo, "artifact", "show", "blob"))


def test_artifact_add_saves_a_file_as_save_artifact_does(repo: Path, tmp_path: Path) -> None:
    src = tmp_path / "weights.bin"
    src.write_bytes(b"w" * 2000)
    out = ok(run(repo, "artifact", "add", str(src), "--name", "weights", "-t", "raw"))
    assert out == "Saved weights@1 (2.0 KiB)\n"
    av = Client().get_artifact_version("weights")
    assert av.tags == ["raw"] and av.load().read_bytes() == b"w" * 2000


def test_errors_that_suggest_an_argument_name_the_cli_flag(repo: Path, tmp_path: Path) -> None:
    src = tmp_path / "w.bin"
    src.write_bytes(b"w")
    ok(run(repo, "artifact", "add", str(src), "--name", "w", "--version", "v1"))
    Client().create_model_version("clf", "v1")
    Client().create_model_version("clf", "v2")
    ok(run(repo, "stage", "clf@v1", "production"))
    before = registry_state(repo)
    res = run(repo, "artifact", "add", str(src), "--name", "w", "--version", "v1")
    assert res.exit_code == 1 and "no `--version`" in res.stderr
    res = run(repo, "stage", "clf@v2", "production")
    assert res.exit_code == 1 and "`--force`" in res.stderr
    res = run(repo, "model", "version", "update", "clf", "v2", "--stage", "production")
    assert res.exit_code == 1 and "`--force`" in res.stderr
    assert registry_state(repo) == before


def test_link_prints_the_model_version_it_linked_to(repo: Path) -> None:
    save_artifact([1], "rows")
    out = ok(run(repo, "link", "rows@1", "clf@v3"))
    assert out == "Linked rows@1 to clf@v3 as data\n"


def test_artifact_add_shows_progress_when_forced(
    repo: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(b"b" * (3 * 1024 * 1024))
    monkeypatch.setenv("GITREG_PROGRESS", "1")  # what a terminal on stderr turns on
    res = run(repo, "artifact", "add", str(src), "--name", "big")
    assert res.exit_code == 0, res.stderr
    assert "big" in res.stderr and "3.0 MiB/3.0 MiB" in res.stderr
    monkeypatch.setenv("GITREG_PROGRESS", "0")
    src.write_bytes(b"c" * (3 * 1024 * 1024))
    res = run(repo, "artifact", "add", str(src), "--name", "big")
    assert res.exit_code == 0 and res.stderr == ""


def test_save_artifact_of_a_large_file_shows_a_bar_from_python(
    repo: Path, tmp_path: Path, monkeypatch: Any, capfd: Any
) -> None:
    import gitreg.progress

    monkeypatch.setattr(gitreg.progress, "LARGE", 1024 * 1024)  # keep the test file small
    monkeypatch.setenv("GITREG_PROGRESS", "1")
    small, large = tmp_path / "small.bin", tmp_path / "large.bin"
    small.write_bytes(b"s" * (512 * 1024))
    large.write_bytes(b"l" * (2 * 1024 * 1024))
    save_artifact(small, "small")
    assert capfd.readouterr().err == ""  # below the threshold: no bar
    save_artifact(large, "large")
    assert "2.0 MiB/2.0 MiB" in capfd.readouterr().err
    # the hook behind the bar: a callback sees the bytes as they are hashed and copied
    seen: list[int] = []
    large.write_bytes(b"m" * (2 * 1024 * 1024))
    Client().save_artifact(large, "large", progress=seen.append)
    assert sum(seen) == 2 * 1024 * 1024 and len(seen) > 1
    assert capfd.readouterr().err == ""  # the caller's own callback replaces the bar


def test_a_save_to_a_named_remote_shows_the_push_too(
    repo: Path, tmp_path: Path, monkeypatch: Any, capfd: Any
) -> None:
    import gitreg.progress

    monkeypatch.setattr(gitreg.progress, "LARGE", 1024 * 1024)
    monkeypatch.setenv("GITREG_PROGRESS", "1")
    Client().init(str(tmp_path / "shared"))
    large = tmp_path / "large.bin"
    large.write_bytes(b"l" * (2 * 1024 * 1024))
    save_artifact(large, "large")
    # hashed and copied into the cache (2 MiB), then copied to the shared remote (2 MiB)
    assert "4.0 MiB/4.0 MiB" in capfd.readouterr().err
