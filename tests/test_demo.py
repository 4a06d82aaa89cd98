"""`gitreg demo`: runs the seed's examples in a scratch repository and shows the result."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import git

from gitreg.cli.main import cli

WIDE = {"COLUMNS": "200"}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One demo run shared by the read-only checks below."""
    target = tmp_path_factory.mktemp("demo") / "scratch"
    res = CliRunner().invoke(cli, ["demo", "--dir", str(target)], env=WIDE)
    assert res.exit_code == 0, (res.stdout, res.stderr, res.exception)
    assert "Traceback" not in res.stdout + res.stderr
    return target, res.stdout


def test_demo_prints_registered_versions(demo_run: tuple[Path, str]) -> None:
    target, out = demo_run
    assert f"Scratch repository: {target}" in out
    assert "Registry branch: gitreg" in out
    for name in ("existing_artifact", "manual_artifact", "trained_model", "training_checkpoint"):
        assert name in out
    for version in ("1.2.42_0", "1.2.42_1", "1.2.42_2"):
        assert version in out
    for mv in ("MyModel@1.2.42", "MyModel@0.2.42", "MyModel@0.0.42"):
        assert re.search(rf"model {re.escape(mv)}\s+\(number\s+\d+\)", out), mv


def test_demo_registry_matches_output(demo_run: tuple[Path, str]) -> None:
    from gitreg import Client

    target, out = demo_run
    client = Client(target)
    arts = client.list_artifact_versions()
    assert {(a.name, a.version) for a in arts} >= {
        ("existing_artifact", "1"),
        ("manual_artifact", "1"),
        ("trained_model", "1"),
        ("training_checkpoint", "1.2.42_0"),
        ("training_checkpoint", "1.2.42_1"),
        ("training_checkpoint", "1.2.42_2"),
    }
    for a in arts:
        assert str(a.id)[:8] in out
    links = {(lk.artifact, lk.version) for lk in client.list_links("MyModel", "0.0.42")}
    assert links == {("manual_artifact", "1")}
    links = {(lk.artifact, lk.version) for lk in client.list_links("MyModel", "0.2.42")}
    assert links == {("existing_artifact", "1")}
    kinds = {lk.artifact: lk.kind.value for lk in client.list_links("MyModel", "1.2.42")}
    assert kinds["trained_model"] == "model"


def test_demo_repo_passes_fsck(demo_run: tuple[Path, str]) -> None:
    target, _ = demo_run
    assert git(target, "rev-parse", "--verify", "refs/heads/gitreg")
    git(target, "fsck", "--no-dangling")
    assert git(target, "fsck", "--no-dangling", "gitreg") == ""
    files = git(target, "ls-tree", "-r", "--name-only", "gitreg").splitlines()
    assert {".dvc/config", "dvc.yaml", "gitreg.yaml"} <= set(files)
    # the scratch repo's own working tree was not written to
    assert git(target, "status", "--porcelain") == ""


def test_demo_in_existing_repo_dir(cli_runner: CliRunner, tmp_path: Path) -> None:
    from helpers import make_repo

    target = make_repo(tmp_path / "existing")
    head = git(target, "rev-parse", "HEAD")
    res = cli_runner.invoke(cli, ["demo", "--dir", str(target)], env=WIDE)
    assert res.exit_code == 0, (res.stdout, res.stderr, res.exception)
    assert git(target, "rev-parse", "HEAD") == head
    assert git(target, "status", "--porcelain") == ""
    git(target, "fsck", "--no-dangling")


def test_demo_shows_block1_model(demo_run: tuple[Path, str]) -> None:
    """Block 1's pipeline-level model version is registered even though its body runs no step."""
    from gitreg import Client

    target, out = demo_run
    # rich wraps a title wider than its (empty) table, hence \s+
    assert re.search(r"model my_model@1\.0\.0\s+\(number\s+\d+\)", out)
    assert Client(target).get_model_version("my_model", "1.0.0").number == 1
