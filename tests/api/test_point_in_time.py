"""Point-in-time reads: `Client(at=...)` and `--at` give the registry as it was."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers import git, registry_state

from gitreg import Client, Model, RevisionNotFoundError, UsageError

GITREG = str(Path(sys.executable).with_name("gitreg"))


@pytest.fixture
def history(repo: Path) -> dict[str, str]:
    """v1 in production with artifact w@1 and acc=0.8; then (a second later) v2 takes
    production with w@2, and v1's metadata changes."""
    c = Client(repo)
    w1 = c.save_artifact({"w": 1}, "w")
    v1 = Model("m", "v1").bind(c)
    c.link_artifact_to_model(w1, v1)
    v1.log_metadata({"acc": 0.8})
    v1.set_stage("production")
    first = git(repo, "rev-parse", "gitreg")
    time.sleep(1.1)  # git dates have one-second resolution
    moment = datetime.now(timezone.utc).isoformat(timespec="seconds")
    time.sleep(1.1)
    w2 = c.save_artifact({"w": 2}, "w")
    v2 = Model("m", "v2").bind(c)
    c.link_artifact_to_model(w2, v2)
    v2.set_stage("production", force=True)
    v1.log_metadata({"acc": 0.9})
    return {"first": first, "moment": moment}


def test_a_client_at_a_commit_reads_versions_links_stages_and_metadata_then(
    repo: Path, history: dict[str, str]
) -> None:
    for at in (history["first"], history["first"][:10], history["moment"]):
        past = Client(repo, at=at)
        assert past.at == history["first"]
        assert [v.name for v in past.list_model_versions("m")] == ["v1"]
        assert past.get_model_version("m", "production").name == "v1"
        assert past.get_model_version("m", "v1").run_metadata == {"acc": 0.8}
        assert [a.version for a in past.list_artifact_versions("w")] == ["1"]
        assert Model("m", "production").bind(past).load_artifact("w") == {"w": 1}
    now = Client(repo)
    assert now.get_model_version("m", "production").name == "v2"
    assert now.get_model_version("m", "v1").run_metadata == {"acc": 0.9}
    assert now.get_model_version("m", "v1").stage == "archived"


def test_relative_revisions_work(repo: Path, history: dict[str, str]) -> None:
    back = Client(repo, at="gitreg~1")
    assert back.get_model_version("m", "v1").run_metadata == {"acc": 0.8}  # before the last log
    assert back.get_model_version("m", "production").name == "v2"


def test_an_unknown_revision_or_a_date_before_the_registry_is_an_error(
    repo: Path, history: dict[str, str]
) -> None:
    for at in ("typo", "gitreg~99", "2001-01-01"):
        with pytest.raises(RevisionNotFoundError) as info:
            Client(repo, at=at)
        assert repr(at) in str(info.value)


def test_a_past_client_is_read_only(repo: Path, history: dict[str, str]) -> None:
    before = registry_state(repo)
    past = Client(repo, at=history["first"])
    with pytest.raises(UsageError, match="read-only"):
        past.save_artifact({"x": 1}, "x")
    with pytest.raises(UsageError, match="read-only"):
        Model("m", "v1").bind(past).set_stage("staging")
    assert registry_state(repo) == before


def test_cli_at_on_read_commands(repo: Path, history: dict[str, str]) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([GITREG, "-C", str(repo), *args], capture_output=True, text=True)

    shown = json.loads(
        run("model", "show", "m@production", "--at", history["first"], "--json").stdout
    )
    assert shown["name"] == "v1" and shown["metadata"] == {"acc": 0.8}
    listed = json.loads(run("artifacts", "--name", "w", "--at", history["moment"], "--json").stdout)
    assert [a["version"] for a in listed] == ["1"]
    models = json.loads(run("models", "--at", "gitreg", "--json").stdout)
    assert models[0]["stages"] == {"v1": "archived", "v2": "production"}
    bad = run("models", "--at", "nope")
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("gitreg: error: unknown revision 'nope'")
