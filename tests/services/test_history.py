"""`gitreg log` and `gitreg diff`: who changed what and when, and what changed between two
registry states, in the registry's words."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git

from gitreg import Client, Model, RevisionNotFoundError, UsageError

GITREG = str(Path(sys.executable).with_name("gitreg"))


@pytest.fixture
def reg(repo: Path) -> Client:
    c = Client(repo)
    w1 = c.save_artifact({"w": 1}, "w")
    v1 = Model("m", "v1").bind(c)
    c.link_artifact_to_model(w1, v1)
    v1.set_stage("production")
    w2 = c.save_artifact({"w": 2}, "w")
    v2 = Model("m", "v2").bind(c)
    c.link_artifact_to_model(w2, v2)
    v2.log_metadata({"acc": 0.9})
    v2.set_stage("production", force=True)
    Model("other", "x").bind(c).set_stage("staging")
    return c


def test_log_of_the_registry_a_model_a_version_and_a_stage(reg: Client, repo: Path) -> None:
    everything = reg.history()
    assert len(everything) == int(git(repo, "rev-list", "--count", "gitreg"))
    assert everything[0].message == "gitreg: other@x -> staging"
    assert everything[0].author == "Test User" and everything[0].email == "test@example.com"
    model = [c.message for c in reg.history("m")]
    assert "gitreg: other@x -> staging" not in model
    assert model[0] == "gitreg: m@v2 -> production (v1 archived)"
    v1 = [c.message for c in reg.history("m", "v1")]
    assert v1 == [
        "gitreg: m@v2 -> production (v1 archived)",  # v1 left production
        "gitreg: m@v1 -> production",
        "gitreg: create model version m@v1, link w@1 to m@v1",  # one commit
    ]
    production = [c.message for c in reg.history("m", stage="production")]
    assert production == ["gitreg: m@v2 -> production (v1 archived)", "gitreg: m@v1 -> production"]
    assert [c.message for c in reg.history(artifact="w", artifact_version="2")] == [
        "gitreg: save artifact w@2"
    ]
    assert len(reg.history(artifact="w")) == 2
    assert len(reg.history(limit=2)) == 2


def test_log_needs_a_model_for_a_stage(reg: Client) -> None:
    with pytest.raises(UsageError, match="needs the model"):
        reg.history(stage="production")


def test_diff_of_the_last_change_is_a_stage_move(reg: Client) -> None:
    d = Client(reg.root, at="gitreg~2").diff()  # the stage move before other@x
    assert [(s.model, s.stage, s.before, s.after) for s in d.stage_moves] == [
        ("m", "archived", None, "v1"),
        ("m", "production", "v1", "v2"),
    ]
    assert d.versions_added == [] and d.links_added == []


def test_diff_between_two_states_in_words(reg: Client, repo: Path) -> None:
    first = git(repo, "rev-list", "--reverse", "gitreg").splitlines()[3]  # v1 in production
    d = reg.diff(first)
    assert d.versions_added == ["m@v2", "other@x"]
    assert d.artifacts_added == ["w@2"]
    assert d.links_added == [("w@2", "m@v2")]
    assert d.metadata_changed == ["m@v2"]
    assert d.models_added == ["other"]
    from gitreg.services.history import describe, to_markdown

    words = describe(d)
    assert "m production: v1 -> v2" in words and "linked w@2 to m@v2" in words
    assert "other staging: (none) -> x" in words
    md = to_markdown(d)
    assert md.startswith("### gitreg: ") and "- m production: v1 -> v2" in md
    assert "```mermaid\nflowchart LR" in md and "-->|linked|" in md


def test_diff_of_a_proposal_branch_against_the_registry(reg: Client, repo: Path) -> None:
    git(repo, "branch", "proposals/promote", "gitreg")
    proposal = Client(repo, branch="proposals/promote")
    Model("m", "v1").bind(proposal).set_stage("staging")
    d = reg.diff("gitreg", "proposals/promote")
    assert [(s.stage, s.before, s.after) for s in d.stage_moves] == [("staging", None, "v1")]
    assert reg.get_model_version("m", "v1").stage == "archived"  # the registry is unchanged


def test_an_unknown_revision_is_an_error(reg: Client) -> None:
    with pytest.raises(RevisionNotFoundError):
        reg.diff("typo")


def test_cli_log_and_diff(reg: Client, repo: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([GITREG, "-C", str(repo), *args], capture_output=True, text=True)

    logged = json.loads(run("log", "m@v1", "--json").stdout)
    assert logged[0]["message"] == "gitreg: m@v2 -> production (v1 archived)"
    table = run("log", "m", "--stage", "production").stdout
    assert "m@v1 -> production" in table and "Test User" in table
    text = run("diff").stdout
    assert "other staging: (none) -> x" in text
    md = run("diff", "gitreg~3", "gitreg", "--format", "markdown").stdout
    assert "```mermaid" in md and "m production: v1 -> v2" in md
    bad = run("diff", "nope")
    assert bad.returncode == 1 and bad.stderr.startswith("gitreg: error: unknown revision 'nope'")


def test_diff_names_a_pipeline_run(repo: Path) -> None:
    from gitreg import pipeline, step

    @step
    def one() -> int:
        return 1

    @pipeline
    def tiny() -> None:
        one()

    tiny()
    d = Client(repo).diff()
    assert (
        len(d.runs) == 1 and d.runs[0].startswith("tiny run ") and d.runs[0].endswith(": completed")
    )
    from gitreg.services.history import describe

    assert describe(d)[-1] == f"pipeline {d.runs[0]}"
