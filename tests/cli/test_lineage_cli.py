"""`gitreg lineage` (tree, mermaid, json; artifacts and model versions) and `gitreg runs`."""

import json
import re
from pathlib import Path
from typing import Annotated, Any

import pytest
from click.testing import CliRunner, Result
from helpers import assert_one_line_error

from gitreg import ArtifactConfig, ArtifactType, Client, Model, pipeline, save_artifact, step
from gitreg.cli.main import cli

WIDE = {"COLUMNS": "200"}  # rich must not wrap or truncate labels in these tests


@step
def raw_data(n: int) -> Annotated[list[int], "raw"]:
    return list(range(n))


@step
def make_features(raw: list[int]) -> Annotated[list[int], "feats"]:
    return [x * 2 for x in raw]


@step
def make_labels(raw: list[int]) -> Annotated[list[int], "labels"]:
    return [x % 2 for x in raw]


@step
def fit(
    features: list[int], labels: list[int]
) -> Annotated[dict[str, int], ArtifactConfig("clf_model", artifact_type=ArtifactType.MODEL)]:
    return {"n": len(features) + len(labels)}


@pipeline(model=Model("lin"))
def lineage_pipeline(n: int = 4) -> None:
    raw = raw_data(n)
    fit(make_features(raw), make_labels(raw))


@step(enable_cache=False)
def explode() -> int:
    raise RuntimeError("exploded")


@pipeline
def failing_pipeline() -> None:
    explode()


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args), env=WIDE)


def ok(res: Result) -> Result:
    assert res.exit_code == 0, (res.exit_code, res.stdout, res.stderr, res.exception)
    assert "Traceback" not in res.stdout + res.stderr
    return res


@pytest.fixture
def ran(repo: Path) -> Any:
    """One run of `lineage_pipeline`; returns the run manifest."""
    lineage_pipeline()
    return Client().list_runs()[-1]


def tree_lines(res: Result) -> list[str]:
    """The tree's labels with their depth: (depth, label)."""
    out = []
    for line in ok(res).stdout.splitlines():
        m = re.match(r"^([│ ]*(?:[├└]── )?)(.*)$", line)
        assert m is not None
        out.append((len(m.group(1)) // 4, m.group(2)))
    return out


def parse_mermaid(text: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(node id -> label, edges as (from label, to label)) of a mermaid flowchart."""
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for line in text.splitlines():
        node = re.fullmatch(r'\s+(n\d+)\(?\["(.*)"\]\)?', line)
        edge = re.fullmatch(r"\s+(n\d+) --> (n\d+)", line)
        if node:
            nodes[node.group(1)] = node.group(2)
        elif edge:
            edges.append((edge.group(1), edge.group(2)))
    return nodes, [(nodes[a], nodes[b]) for a, b in edges]


# --------------------------------------------------------------------------- lineage: tree


def test_lineage_tree_goes_from_artifact_to_roots(cli_runner: CliRunner, ran: Any) -> None:
    short = ran.id[:8]
    lines = tree_lines(invoke(cli_runner, "lineage", "clf_model"))
    step = f"(run {short}, completed)"
    assert lines == [
        (0, "clf_model@1"),
        (1, f"step lineage_pipeline/fit {step}"),
        (2, "features <- feats@1"),
        (3, f"step lineage_pipeline/make_features {step}"),
        (4, "raw <- raw@1"),
        (5, f"step lineage_pipeline/raw_data {step}"),
        (2, "labels <- labels@1"),
        (3, f"step lineage_pipeline/make_labels {step}"),
        (4, "raw <- raw@1 (see above)"),
    ]


def test_lineage_with_version_and_by_id(cli_runner: CliRunner, ran: Any) -> None:
    by_version = ok(invoke(cli_runner, "lineage", "feats@1")).stdout
    art = Client().get_artifact_version("feats")
    by_id = ok(invoke(cli_runner, "lineage", str(art.id))).stdout
    assert by_version == by_id
    assert by_version.splitlines()[0] == "feats@1"
    assert "raw <- raw@1" in by_version
    assert "fit" not in by_version  # lineage looks upstream only


def test_lineage_of_an_artifact_saved_outside_a_run(cli_runner: CliRunner, repo: Path) -> None:
    save_artifact([1], "loose")
    assert tree_lines(invoke(cli_runner, "lineage", "loose@1")) == [(0, "loose@1")]


def test_lineage_of_a_cached_step_names_the_original_run(cli_runner: CliRunner, ran: Any) -> None:
    lineage_pipeline()
    out = ok(invoke(cli_runner, "lineage", "clf_model")).stdout
    assert f"(run {ran.id[:8]}, completed)" in out


# --------------------------------------------------------------------------- lineage: mermaid


def test_lineage_mermaid_block_with_edges(cli_runner: CliRunner, ran: Any) -> None:
    out = ok(invoke(cli_runner, "lineage", "clf_model", "--format", "mermaid")).stdout
    lines = out.splitlines()
    assert lines[0] == "```mermaid"
    assert lines[1] == "flowchart LR"
    assert lines[-1] == "```"
    nodes, edges = parse_mermaid(out)
    step = f"(run {ran.id[:8]}, completed)"
    fit_step = f"step lineage_pipeline/fit {step}"
    feat_step = f"step lineage_pipeline/make_features {step}"
    label_step = f"step lineage_pipeline/make_labels {step}"
    raw_step = f"step lineage_pipeline/raw_data {step}"
    assert set(edges) == {
        (fit_step, "clf_model@1"),
        ("features <- feats@1", fit_step),
        ("labels <- labels@1", fit_step),
        (feat_step, "features <- feats@1"),
        (label_step, "labels <- labels@1"),
        ("raw <- raw@1", feat_step),
        ("raw <- raw@1", label_step),  # one node for raw@1, used twice
        (raw_step, "raw <- raw@1"),
    }
    assert len(edges) == len(set(edges))
    assert len(nodes) == 8
    assert sum("raw@1" in label for label in nodes.values()) == 1
    steps = [line for line in lines if "step lineage_pipeline/" in line]
    assert all('(["' in line for line in steps)  # steps are drawn as stadiums


def test_lineage_mermaid_of_a_model_version(cli_runner: CliRunner, ran: Any) -> None:
    out = ok(invoke(cli_runner, "lineage", "--model", "lin@latest", "--format", "mermaid")).stdout
    _, edges = parse_mermaid(out)
    into_model = sorted(a for a, b in edges if b == "model lin@1")
    assert into_model == [
        "[data] feats@1",
        "[data] labels@1",
        "[data] raw@1",
        "[model] clf_model@1",
    ]


# --------------------------------------------------------------------------- lineage: model


def test_lineage_of_model_latest_lists_linked_artifacts(cli_runner: CliRunner, ran: Any) -> None:
    lines = tree_lines(invoke(cli_runner, "lineage", "--model", "lin@latest"))
    assert lines[0] == (0, "model lin@1")
    top = [label for depth, label in lines if depth == 1]
    assert top == ["[data] raw@1", "[data] feats@1", "[data] labels@1", "[model] clf_model@1"]
    same = ok(invoke(cli_runner, "lineage", "lin@1", "--model")).stdout
    assert same == ok(invoke(cli_runner, "lineage", "--model", "lin@latest")).stdout
    assert ok(invoke(cli_runner, "lineage", "--model", "lin")).stdout == same  # latest by default


def test_lineage_tree_of_model_shows_link_kinds(cli_runner: CliRunner, ran: Any) -> None:
    out = ok(invoke(cli_runner, "lineage", "--model", "lin@latest")).stdout
    assert "[model] clf_model@1" in out
    assert "[data] raw@1" in out


# --------------------------------------------------------------------------- lineage: json


def test_lineage_json_is_parseable(cli_runner: CliRunner, ran: Any) -> None:
    doc = json.loads(ok(invoke(cli_runner, "lineage", "clf_model", "--format", "json")).stdout)
    art = Client().get_artifact_version("clf_model")
    assert doc["kind"] == "artifact"
    assert doc["label"] == "clf_model@1"
    assert doc["id"] == str(art.id)
    (fit_node,) = doc["children"]
    assert fit_node["kind"] == "step"
    assert fit_node["id"] == {s.name: s.id for s in ran.steps}["fit"]
    assert [c["label"] for c in fit_node["children"]] == [
        "features <- feats@1",
        "labels <- labels@1",
    ]
    model_doc = json.loads(
        ok(invoke(cli_runner, "lineage", "--model", "lin@1", "--format", "json")).stdout
    )
    assert model_doc["kind"] == "model"
    assert model_doc["id"] == str(Client().get_model_version("lin", 1).id)
    assert len(model_doc["children"]) == 4


# --------------------------------------------------------------------------- lineage: errors


def test_lineage_of_missing_artifact_is_one_line_error(cli_runner: CliRunner, ran: Any) -> None:
    assert_one_line_error(invoke(cli_runner, "lineage", "nope"), "'nope' not found")
    assert_one_line_error(invoke(cli_runner, "lineage", "raw@7"), "'raw' version '7' not found")


def test_lineage_of_missing_model_is_one_line_error(cli_runner: CliRunner, ran: Any) -> None:
    assert_one_line_error(invoke(cli_runner, "lineage", "--model", "nope@1"), "'nope' not found")
    assert_one_line_error(invoke(cli_runner, "lineage", "--model", "lin@9"), "'9' not found")


def test_lineage_bad_format_is_usage_error(cli_runner: CliRunner, ran: Any) -> None:
    res = invoke(cli_runner, "lineage", "clf_model", "--format", "dot")
    assert res.exit_code == 2
    assert "Traceback" not in res.stderr


# --------------------------------------------------------------------------- log


def test_log_lists_runs_newest_first(cli_runner: CliRunner, ran: Any, repo: Path) -> None:
    with pytest.raises(RuntimeError):
        failing_pipeline()
    failed = Client().list_runs()[-1]
    out = ok(invoke(cli_runner, "runs")).stdout
    assert ran.id[:8] in out and failed.id[:8] in out
    assert out.index(failed.id[:8]) < out.index(ran.id[:8])  # newest first
    row = next(line for line in out.splitlines() if ran.id[:8] in line)
    assert "lineage_pipeline" in row and "completed" in row and "lin@1" in row
    assert ran.code.commit[:8] in row
    failed_row = next(line for line in out.splitlines() if failed.id[:8] in line)
    assert "failing_pipeline" in failed_row and "failed" in failed_row


def test_log_json(cli_runner: CliRunner, ran: Any, repo: Path) -> None:
    lineage_pipeline(n=6)
    docs = json.loads(ok(invoke(cli_runner, "runs", "--json")).stdout)
    runs = Client().list_runs()
    assert [d["id"] for d in docs] == [r.id for r in reversed(runs)]
    newest = docs[0]
    assert newest["pipeline"] == "lineage_pipeline"
    assert newest["status"] == "completed"
    assert newest["parameters"] == {"n": 6}
    assert newest["model"] == "lin@2"
    assert newest["code"]["commit"] == runs[-1].code.commit
    assert [s["name"] for s in newest["steps"]] == [
        "raw_data",
        "make_features",
        "make_labels",
        "fit",
    ]
    assert docs[1]["steps"][0]["outputs"]["raw"] == str(Client().get_artifact_version("raw", 1).id)
    limited = json.loads(ok(invoke(cli_runner, "runs", "-n", "1", "--json")).stdout)
    assert [d["id"] for d in limited] == [runs[-1].id]


def test_log_of_registry_without_runs(cli_runner: CliRunner, client: Client) -> None:
    assert json.loads(ok(invoke(cli_runner, "runs", "--json")).stdout) == []
    ok(invoke(cli_runner, "runs"))


def test_log_n_zero_lists_nothing(cli_runner: CliRunner, ran: Any) -> None:
    assert json.loads(ok(invoke(cli_runner, "runs", "-n", "0", "--json")).stdout) == []
