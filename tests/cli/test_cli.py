"""The `gitreg` command line: CliRunner for most cases, a few real subprocess runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import GIT_ENV, git, make_repo, registry_state

from gitreg.cli.main import cli

WIDE = {"COLUMNS": "200"}  # rich tables must not truncate names in these tests


def gitreg_exe() -> str:
    exe = Path(sys.executable).with_name("gitreg")
    if exe.exists():
        return str(exe)
    found = shutil.which("gitreg")
    if found is None:  # pragma: no cover - the package is installed with its script
        pytest.skip("the gitreg console script is not installed")
    return found


def run_exe(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [gitreg_exe(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, **WIDE},
        timeout=120,
    )


def invoke(runner: CliRunner, repo: Path | None, *args: str) -> Result:
    prefix = ["-C", str(repo)] if repo is not None else []
    return runner.invoke(cli, [*prefix, *args], env=WIDE)


def ok(res: Result) -> Result:
    assert res.exit_code == 0, (res.exit_code, res.stdout, res.stderr, res.exception)
    assert "Traceback" not in res.stdout + res.stderr
    return res


def as_json(res: Result) -> Any:
    ok(res)
    return json.loads(res.stdout)


def assert_user_error(res: Result, *needles: str) -> str:
    """A GitregError: exit 1, exactly one line on stderr, nothing on stdout, no traceback."""
    assert res.exit_code == 1, (res.exit_code, res.stdout, res.stderr, res.exception)
    assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("gitreg: error: "), lines[0]
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def runner(cli_runner: CliRunner) -> CliRunner:
    return cli_runner


@pytest.fixture
def populated(client: Any, tmp_path: Path) -> dict[str, Any]:
    """An initialised registry with a file, a folder and a value artifact and one link."""
    from gitreg import Model

    src = tmp_path / "src"
    src.mkdir()
    weights = src / "weights.bin"
    weights.write_bytes(bytes(range(256)) * 40 + b"\x00tail")
    folder = src / "dataset"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / "a.csv").write_text("x,y\n1,2\n")
    (folder / "sub" / "b.bin").write_bytes(b"\xff\x00" * 500)
    (folder / "sub" / "deeper" / "c.txt").write_text("deep\n")

    file_v1 = client.save_artifact(weights, "weights")
    weights.write_bytes(b"second version")
    file_v2 = client.save_artifact(weights, "weights")
    weights.write_bytes(bytes(range(256)) * 40 + b"\x00tail")  # v1's bytes again, for checks
    folder_v = client.save_artifact(folder, "dataset", version="2024-01")
    note = client.save_artifact("hello", "note", tags=["greeting"])
    client.link_artifact_to_model(file_v1.id, Model("clf", "1.0.0"), is_model_artifact=True)
    client.link_artifact_to_model(folder_v.id, Model("clf", "1.0.0"))
    return {
        "client": client,
        "weights_src": weights,
        "folder_src": folder,
        "file_v1": file_v1,
        "file_v2": file_v2,
        "folder": folder_v,
        "note": note,
    }


# ------------------------------------------------------------------- help


def test_help_lists_commands(runner: CliRunner) -> None:
    res = ok(runner.invoke(cli, ["--help"]))
    for name in ("init", "artifacts", "artifact", "models", "model", "link", "demo"):
        assert f"  {name} " in res.stdout or f"  {name}\n" in res.stdout, name
    assert ok(runner.invoke(cli, ["-h"])).stdout == res.stdout


def _all_commands() -> list[list[str]]:
    import click

    out: list[list[str]] = []

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name, cmd in group.commands.items():
            out.append([*prefix, name])
            if isinstance(cmd, click.Group):
                walk(cmd, [*prefix, name])

    walk(cli, [])
    return out


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p))
def test_every_subcommand_has_help(runner: CliRunner, path: list[str]) -> None:
    res = ok(runner.invoke(cli, [*path, "--help"]))
    assert res.stdout.startswith("Usage: "), res.stdout
    assert " ".join(path) in res.stdout.splitlines()[0]


def test_expected_subcommands_exist() -> None:
    paths = {" ".join(p) for p in _all_commands()}
    for expected in (
        "init",
        "artifacts",
        "artifact show",
        "artifact get",
        "models",
        "model show",
        "link",
        "demo",
    ):
        assert expected in paths


def test_version_option(runner: CliRunner) -> None:
    from gitreg import __version__

    res = ok(runner.invoke(cli, ["--version"]))
    assert __version__ in res.stdout


# --------------------------------------------------------- init (real processes)


def test_init_subprocess_creates_registry_branch(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    head = git(repo, "rev-parse", "HEAD")
    index = (repo / ".git" / "index").read_bytes()
    proc = run_exe(repo, "init")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Initialised" in proc.stdout and "'gitreg'" in proc.stdout
    assert git(repo, "rev-parse", "--verify", "refs/heads/gitreg")
    files = set(git(repo, "ls-tree", "-r", "--name-only", "gitreg").splitlines())
    assert {".dvc/config", "gitreg.yaml", "dvc.yaml"} <= files
    assert "schema:" in git(repo, "show", "gitreg:gitreg.yaml")
    assert "artifacts:" in git(repo, "show", "gitreg:dvc.yaml")
    embedded = repo / ".git" / "gitreg" / "remote"
    config = git(repo, "show", "gitreg:.dvc/config")
    assert "remote = gitreg" in config
    assert str(embedded) not in config  # this machine's path is never committed
    assert embedded.is_dir()
    assert str(embedded) in proc.stdout
    # the user's checkout is untouched
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    assert (repo / ".git" / "index").read_bytes() == index
    assert git(repo, "status", "--porcelain") == ""
    assert sorted(p.name for p in repo.iterdir()) == [".git", "README.md"]


def test_init_subprocess_in_repo_without_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "empty", commit=False)
    proc = run_exe(repo, "init")
    assert proc.returncode == 0, proc.stderr
    assert git(repo, "show", "gitreg:gitreg.yaml")
    assert git(repo, "show", "gitreg:.dvc/config")
    assert "artifacts:" in git(repo, "show", "gitreg:dvc.yaml")
    assert (repo / ".git" / "gitreg" / "remote").is_dir()
    # HEAD is still the unborn main branch, nothing was staged
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    unborn = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=repo, capture_output=True
    )
    assert unborn.returncode != 0
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "for-each-ref", "--format=%(refname)") == "refs/heads/gitreg"


def test_init_twice_is_harmless(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    assert run_exe(repo, "init").returncode == 0
    before = registry_state(repo)
    sha = git(repo, "rev-parse", "gitreg")
    proc = run_exe(repo, "init")
    assert proc.returncode == 0, proc.stderr
    assert "already initialised" in proc.stdout
    assert "there is one copy of your bytes until you set a remote" in proc.stdout
    assert git(repo, "rev-parse", "gitreg") == sha
    assert registry_state(repo) == before


def test_init_with_branch_is_used_later(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    proc = run_exe(repo, "init", "--branch", "ml-registry")
    assert proc.returncode == 0, proc.stderr
    assert "'ml-registry'" in proc.stdout
    assert git(repo, "config", "--get", "gitreg.branch") == "ml-registry"
    refs = git(repo, "for-each-ref", "--format=%(refname)", "refs/heads").splitlines()
    assert sorted(refs) == ["refs/heads/main", "refs/heads/ml-registry"]
    assert "schema:" in git(repo, "show", "ml-registry:gitreg.yaml")

    # the Python client finds the configured branch by itself
    from gitreg import Client

    c = Client(repo)
    assert c.branch == "ml-registry"
    saved = c.save_artifact(b"payload", "blob")
    files = git(repo, "ls-tree", "-r", "--name-only", "ml-registry").splitlines()
    assert any(f.startswith("artifacts/blob/") for f in files)
    assert (
        subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "refs/heads/gitreg"], cwd=repo
        ).returncode
        != 0
    )

    # and so do later commands in fresh processes
    listed = run_exe(repo, "artifacts", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["version"], r["id"]) for r in rows] == [("blob", "1", str(saved.id))]
    again = run_exe(repo, "init")
    assert again.returncode == 0 and "'ml-registry' already initialised" in again.stdout


def test_init_with_remote_url(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    remote = tmp_path / "dvc-remote"
    proc = run_exe(repo, "init", "--remote", str(remote), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data == {
        "branch": "gitreg",
        "remote": str(remote),
        "created": True,
        "single_copy": False,
    }
    config = git(repo, "show", "gitreg:.dvc/config")
    assert f"url = {remote}" in config
    assert "remote = gitreg" in config
    assert not (repo / ".git" / "gitreg" / "remote").exists()


def test_init_with_cloud_remote_url_and_option(runner: CliRunner, repo: Path) -> None:
    res = ok(
        invoke(
            runner,
            repo,
            "init",
            "--remote",
            "s3://bucket/models",
            "-o",
            "endpointurl=http://127.0.0.1:9",
        )
    )
    assert "s3://bucket/models" in res.stdout
    config = git(repo, "show", "gitreg:.dvc/config")
    assert "url = s3://bucket/models" in config
    assert "endpointurl = http://127.0.0.1:9" in config


def test_init_bad_option_is_usage_error(runner: CliRunner, repo: Path) -> None:
    res = invoke(runner, repo, "init", "-o", "no-equals-sign")
    assert res.exit_code == 2
    assert "KEY=VALUE" in res.stderr
    assert "Traceback" not in res.stderr
    assert git(repo, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


def test_init_outside_git_repo_subprocess(tmp_path: Path) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    probe = subprocess.run(["git", "rev-parse", "--git-dir"], cwd=outside, capture_output=True)
    if probe.returncode == 0:  # pragma: no cover - tmp dir inside some repo
        pytest.skip("the temporary directory is inside a git repository")
    proc = run_exe(outside, "init")
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gitreg: error:")
    assert "not inside a git repository" in lines[0]
    assert "Traceback" not in proc.stderr
    assert list(outside.iterdir()) == []


def test_query_outside_git_repo_via_dash_c(runner: CliRunner, tmp_path: Path) -> None:
    outside = tmp_path / "nowhere"
    outside.mkdir()
    assert_user_error(invoke(runner, outside, "models"), "not inside a git repository")


def test_init_via_runner_twice(runner: CliRunner, repo: Path) -> None:
    first = as_json(invoke(runner, repo, "init", "--json"))
    assert first["created"] is True and first["branch"] == "gitreg"
    sha = git(repo, "rev-parse", "gitreg")
    second = as_json(invoke(runner, repo, "init", "--json"))
    assert second["created"] is False
    assert second["remote"] == first["remote"]
    assert git(repo, "rev-parse", "gitreg") == sha


def test_init_again_reports_configured_remote(
    runner: CliRunner, repo: Path, tmp_path: Path
) -> None:
    """Regression: a plain re-init used to report the embedded default remote."""
    remote = tmp_path / "elsewhere"
    ok(invoke(runner, repo, "init", "--remote", str(remote)))
    again = as_json(invoke(runner, repo, "init", "--json"))
    assert f"url = {remote}" in git(repo, "show", "gitreg:.dvc/config")
    assert again["remote"] == str(remote)


def test_init_with_new_remote_updates_config(runner: CliRunner, repo: Path, tmp_path: Path) -> None:
    ok(invoke(runner, repo, "init"))
    remote = tmp_path / "moved"
    res = as_json(invoke(runner, repo, "init", "--remote", str(remote), "--json"))
    assert res["created"] is False and res["remote"] == str(remote)
    assert f"url = {remote}" in git(repo, "show", "gitreg:.dvc/config")


def test_global_branch_option(runner: CliRunner, repo: Path) -> None:
    ok(invoke(runner, repo, "--branch", "side", "init"))
    assert git(repo, "config", "--get", "gitreg.branch") == "side"
    from gitreg import Client

    Client(repo).save_artifact("x", "on-side")
    rows = as_json(invoke(runner, repo, "artifacts", "--json"))
    assert [r["name"] for r in rows] == ["on-side"]
    rows = as_json(invoke(runner, repo, "--branch", "side", "artifacts", "--json"))
    assert [r["name"] for r in rows] == ["on-side"]


# ------------------------------------------------------------------- artifacts


def test_artifacts_table(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    out = ok(invoke(runner, repo, "artifacts")).stdout
    for name in ("weights", "dataset", "note", "2024-01"):
        assert name in out
    assert str(populated["file_v1"].id)[:8] in out
    assert str(populated["note"].id)[:8] in out


def test_artifacts_json(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    rows = as_json(invoke(runner, repo, "artifacts", "--json"))
    assert isinstance(rows, list)
    by_key = {(r["name"], r["version"]): r for r in rows}
    assert set(by_key) == {
        ("weights", "1"),
        ("weights", "2"),
        ("dataset", "2024-01"),
        ("note", "1"),
    }
    w1 = by_key[("weights", "1")]
    assert w1["id"] == str(populated["file_v1"].id)
    assert w1["size"] == populated["weights_src"].stat().st_size
    assert w1["materializer"] == "path"
    assert w1["type"] == "data"
    assert w1["md5"] == populated["file_v1"].md5
    d = by_key[("dataset", "2024-01")]
    assert d["nfiles"] == 3
    assert d["md5"].endswith(".dir")
    assert d["size"] == sum(len(b) for b in tree_bytes(populated["folder_src"]).values())
    n = by_key[("note", "1")]
    assert n["tags"] == ["greeting"]
    assert n["data_type"] == "builtins.str"
    # oldest first per name
    names = [(r["name"], r["version"]) for r in rows if r["name"] == "weights"]
    assert names == [("weights", "1"), ("weights", "2")]


def test_artifacts_filters(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    rows = as_json(invoke(runner, repo, "artifacts", "--name", "weights", "--json"))
    assert [r["version"] for r in rows] == ["1", "2"]
    rows = as_json(invoke(runner, repo, "artifacts", "--tag", "greeting", "--json"))
    assert [r["name"] for r in rows] == ["note"]
    rows = as_json(invoke(runner, repo, "artifacts", "--model", "clf@1.0.0", "--json"))
    assert sorted((r["name"], r["version"]) for r in rows) == [
        ("dataset", "2024-01"),
        ("weights", "1"),
    ]
    rows = as_json(invoke(runner, repo, "artifacts", "--model", "clf", "--json"))
    assert len(rows) == 2


def test_artifacts_empty_registry(runner: CliRunner, client: Any, repo: Path) -> None:
    assert as_json(invoke(runner, repo, "artifacts", "--json")) == []
    ok(invoke(runner, repo, "artifacts"))


def test_artifact_show(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    latest = as_json(invoke(runner, repo, "artifact", "show", "weights", "--json"))
    assert latest["version"] == "2"
    assert latest["id"] == str(populated["file_v2"].id)
    v1 = as_json(invoke(runner, repo, "artifact", "show", "weights@1", "--json"))
    assert v1 == populated["client"].get_artifact_version("weights", "1").to_dict()
    assert v1["id"] == str(populated["file_v1"].id)
    assert v1["uri"].endswith(f"/files/md5/{v1['md5'][:2]}/{v1['md5'][2:]}")
    by_id = as_json(
        invoke(runner, repo, "artifact", "show", str(populated["file_v1"].id), "--json")
    )
    assert by_id["id"] == v1["id"]
    by_prefix = as_json(
        invoke(runner, repo, "artifact", "show", str(populated["folder"].id)[:8], "--json")
    )
    assert (by_prefix["name"], by_prefix["version"]) == ("dataset", "2024-01")
    text = ok(invoke(runner, repo, "artifact", "show", "weights@1")).stdout
    assert "weights@1" in text
    assert str(populated["file_v1"].id) in text
    assert populated["file_v1"].md5 in text


def test_artifact_get_file(
    runner: CliRunner, populated: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "w.bin"
    out.parent.mkdir()
    res = ok(invoke(runner, repo, "artifact", "get", "weights@1", "-o", str(out)))
    assert str(out) in res.stdout
    assert out.read_bytes() == populated["weights_src"].read_bytes()
    latest = tmp_path / "latest.bin"
    ok(invoke(runner, repo, "artifact", "get", "weights", "-o", str(latest)))
    assert latest.read_bytes() == b"second version"
    # the user's checkout is untouched by a download
    assert git(repo, "status", "--porcelain") == ""


def test_artifact_get_folder(
    runner: CliRunner, populated: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "copy"
    ok(invoke(runner, repo, "artifact", "get", "dataset@2024-01", "-o", str(out)))
    assert out.is_dir()
    assert tree_bytes(out) == tree_bytes(populated["folder_src"])
    # an existing empty folder is accepted for a folder artifact
    empty = tmp_path / "empty"
    empty.mkdir()
    ok(invoke(runner, repo, "artifact", "get", str(populated["folder"].id), "-o", str(empty)))
    assert tree_bytes(empty) == tree_bytes(populated["folder_src"])


def test_artifact_get_value_artifact_bytes(
    runner: CliRunner, populated: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    """A value artifact is downloaded as the stored bytes (whose md5 is the recorded one)."""
    import hashlib

    out = tmp_path / "note.bin"
    ok(invoke(runner, repo, "artifact", "get", "note", "-o", str(out)))
    assert hashlib.md5(out.read_bytes()).hexdigest() == populated["note"].md5
    assert out.stat().st_size == populated["note"].size


def test_artifact_get_json(
    runner: CliRunner, populated: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "w.json.bin"
    data = as_json(invoke(runner, repo, "artifact", "get", "weights@1", "-o", str(out), "--json"))
    assert data["name"] == "weights"
    assert data["version"] == "1"
    assert data["id"] == str(populated["file_v1"].id)
    assert data["md5"] == populated["file_v1"].md5
    assert data["size"] == out.stat().st_size
    assert out.read_bytes() == populated["weights_src"].read_bytes()


def test_artifact_get_json_reports_output_path(
    runner: CliRunner, populated: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    """Regression: 'path' used to be overwritten by the registry data path."""
    out = tmp_path / "w.bin"
    data = as_json(invoke(runner, repo, "artifact", "get", "weights@1", "-o", str(out), "--json"))
    assert data["path"] == str(out)
    assert data["data_path"].startswith("artifacts/weights/")


def test_artifact_get_refuses_existing_path(
    runner: CliRunner, populated: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    existing = tmp_path / "exists.bin"
    existing.write_bytes(b"keep me")
    assert_user_error(
        invoke(runner, repo, "artifact", "get", "weights@1", "-o", str(existing)), "already exists"
    )
    assert existing.read_bytes() == b"keep me"
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("keep")
    assert_user_error(
        invoke(runner, repo, "artifact", "get", "dataset", "-o", str(full)), "already exists"
    )
    assert tree_bytes(full) == {"x": b"keep"}


def test_artifact_get_needs_out(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    res = invoke(runner, repo, "artifact", "get", "weights")
    assert res.exit_code == 2
    assert "--out" in res.stderr
    assert "Traceback" not in res.stderr


def test_artifact_get_into_missing_parent_is_one_line_error(
    runner: CliRunner, populated: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    assert_user_error(
        invoke(runner, repo, "artifact", "get", "weights", "-o", str(tmp_path / "no" / "dir" / "f"))
    )


@pytest.mark.parametrize(
    "args, needle",
    [
        (["artifact", "show", "missing"], "artifact 'missing' not found"),
        (["artifact", "show", "weights@9"], "version '9' not found"),
        (["artifact", "show", "a/b"], "invalid artifact name 'a/b'"),
        (["artifact", "show", "weights@a/b"], "invalid version 'a/b'"),
        (["artifact", "show", "@1"], "invalid artifact name"),
        (["artifact", "get", "missing", "-o", "unused-out"], "artifact 'missing' not found"),
        (["artifact", "get", "a/b", "-o", "unused-out"], "invalid artifact name"),
        (["artifacts", "--name", "a/b"], "invalid artifact name"),
        (["artifacts", "--model", "nope@1", "--json"], "model 'nope' not found"),
        (["model", "show", "missing"], "model 'missing' not found"),
        (["model", "show", "clf@9.9.9"], "version '9.9.9' not found"),
        (["model", "show", "a/b"], "invalid model name 'a/b'"),
        (["link", "missing@1", "clf@1.0.0"], "artifact 'missing' version '1' not found"),
        (["link", "weights@7", "clf@1.0.0"], "version '7' not found"),
        (["link", "weights@1", "a/b@1"], "invalid model name 'a/b'"),
        (["link", "weights@1", "clf@a/b"], "invalid version 'a/b'"),
        (["link", "a/b@1", "clf@1.0.0"], "invalid artifact name 'a/b'"),
        (["link", "weights@1", "clf@5"], "not found"),
        (["link", "weights@1", "other@latest"], "not found"),
    ],
)
def test_user_errors(
    runner: CliRunner,
    populated: dict[str, Any],
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    needle: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = registry_state(repo)
    assert_user_error(invoke(runner, repo, *args), needle)
    assert registry_state(repo) == before
    assert not (tmp_path / "unused-out").exists()


def test_link_without_model_version_is_usage_error(
    runner: CliRunner, populated: dict[str, Any], repo: Path
) -> None:
    before = registry_state(repo)
    res = invoke(runner, repo, "link", "weights@1", "clf")
    assert res.exit_code in (1, 2)
    assert "MODEL@VERSION" in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""
    assert registry_state(repo) == before


def test_model_show_empty_version_message(
    runner: CliRunner, populated: dict[str, Any], repo: Path
) -> None:
    """Regression: `clf@` on an existing model used to say "model 'clf' not found"."""
    line = assert_user_error(invoke(runner, repo, "model", "show", "clf@"))
    assert "model 'clf' not found" not in line
    assert "version" in line


def test_model_show_invalid_version_states_alphabet(
    runner: CliRunner, populated: dict[str, Any], repo: Path
) -> None:
    """Regression: model version specs are validated like artifact versions."""
    assert_user_error(invoke(runner, repo, "model", "show", "clf@a/b"), "invalid version 'a/b'")


def test_queries_on_uninitialised_repo(runner: CliRunner, repo: Path) -> None:
    assert as_json(invoke(runner, repo, "artifacts", "--json")) == []
    assert as_json(invoke(runner, repo, "models", "--json")) == []
    assert_user_error(invoke(runner, repo, "artifact", "show", "x"), "not found")
    assert_user_error(invoke(runner, repo, "model", "show", "x"), "not found")
    # reading never creates the registry branch
    assert git(repo, "for-each-ref", "--format=%(refname)") == "refs/heads/main"


# ----------------------------------------------------------------------- models


def test_models(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    from gitreg import Model

    populated["client"].link_artifact_to_model(populated["note"].id, Model("clf", "2.0.0"))
    rows = as_json(invoke(runner, repo, "models", "--json"))
    assert [r["name"] for r in rows] == ["clf"]
    clf = rows[0]
    assert clf["versions"] == 2
    assert clf["latest"] == "2.0.0"
    assert clf["stages"] == {}
    assert clf["id"] == str(populated["client"].get_model("clf").id)
    text = ok(invoke(runner, repo, "models")).stdout
    assert "clf" in text and "2.0.0" in text


def test_model_show_versions(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    from gitreg import Model

    populated["client"].link_artifact_to_model(populated["note"].id, Model("clf", "2.0.0"))
    data = as_json(invoke(runner, repo, "model", "show", "clf", "--json"))
    assert data["name"] == "clf"
    assert [(v["name"], v["number"]) for v in data["versions"]] == [("1.0.0", 1), ("2.0.0", 2)]
    assert all(v["model"] == "clf" for v in data["versions"])
    text = ok(invoke(runner, repo, "model", "show", "clf")).stdout
    assert "model clf" in text and "1.0.0" in text and "2.0.0" in text


def test_model_show_version_lists_links(
    runner: CliRunner, populated: dict[str, Any], repo: Path
) -> None:
    data = as_json(invoke(runner, repo, "model", "show", "clf@1.0.0", "--json"))
    assert data["model"] == "clf" and data["name"] == "1.0.0" and data["number"] == 1
    links = {(lk["artifact"], lk["version"]): lk for lk in data["links"]}
    assert set(links) == {("weights", "1"), ("dataset", "2024-01")}
    assert links[("weights", "1")]["kind"] == "model"
    assert links[("weights", "1")]["artifact_id"] == str(populated["file_v1"].id)
    assert links[("dataset", "2024-01")]["kind"] == "data"
    assert data["metadata"] == {}
    # by number and by 'latest' too
    assert as_json(invoke(runner, repo, "model", "show", "clf@1", "--json"))["id"] == data["id"]
    assert (
        as_json(invoke(runner, repo, "model", "show", "clf@latest", "--json"))["id"] == data["id"]
    )
    text = ok(invoke(runner, repo, "model", "show", "clf@1.0.0")).stdout
    assert "clf@1.0.0" in text
    assert "linked artifacts" in text
    assert "weights" in text and "dataset" in text and "2024-01" in text
    assert str(populated["file_v1"].id)[:8] in text


def test_model_show_metadata(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    from gitreg import Model

    m = Model("clf", "1.0.0")
    m.bind(populated["client"])
    m.log_metadata({"accuracy": 0.9})
    data = as_json(invoke(runner, repo, "model", "show", "clf@1.0.0", "--json"))
    assert data["metadata"]["accuracy"] == 0.9


def test_models_empty(runner: CliRunner, client: Any, repo: Path) -> None:
    assert as_json(invoke(runner, repo, "models", "--json")) == []


# ------------------------------------------------------------------------ link


def test_link_text_and_effect(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    from gitreg import Client, Model

    res = ok(invoke(runner, repo, "link", "note@1", "serve@0.1"))
    assert res.stdout.strip() == "Linked note@1 to serve@0.1 as data"
    mv = Client(repo).get_model_version("serve", "0.1")
    assert mv.number == 1
    art = Model("serve", "0.1").get_artifact("note")
    assert art is not None and art.id == populated["note"].id
    assert git(repo, "status", "--porcelain") == ""


def test_link_json(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    data = as_json(invoke(runner, repo, "link", "weights@2", "clf@1.0.0", "--json"))
    assert data.pop("created").endswith("Z")
    assert data == {
        "model": "clf",
        "model_version": "1.0.0",
        "artifact": "weights",
        "version": "2",
        "artifact_id": str(populated["file_v2"].id),
        "kind": "data",
    }
    shown = as_json(invoke(runner, repo, "model", "show", "clf@1.0.0", "--json"))
    assert ("weights", "2") in {(lk["artifact"], lk["version"]) for lk in shown["links"]}


def test_link_latest_by_id_and_kind(
    runner: CliRunner, populated: dict[str, Any], repo: Path
) -> None:
    from gitreg import Model

    latest = as_json(invoke(runner, repo, "link", "weights", "prod@v1", "--json"))
    assert latest["version"] == "2"
    by_id = as_json(
        invoke(
            runner,
            repo,
            "link",
            str(populated["folder"].id),
            "prod@v1",
            "--kind",
            "model",
            "--json",
        )
    )
    assert by_id["artifact"] == "dataset" and by_id["kind"] == "model"
    dep = as_json(
        invoke(runner, repo, "link", "note@1", "prod@v1", "--kind", "deployment", "--json")
    )
    assert dep["kind"] == "deployment"
    m = Model("prod", "v1")
    assert m.get_model_artifact("dataset") is not None
    assert m.get_deployment_artifact("note") is not None
    assert m.get_data_artifact("weights") is not None
    # a model link is listed in dvc.yaml's artifacts
    assert "prod" in git(repo, "show", "gitreg:dvc.yaml")


def test_link_existing_version_by_number(
    runner: CliRunner, populated: dict[str, Any], repo: Path
) -> None:
    data = as_json(invoke(runner, repo, "link", "note@1", "clf@1", "--json"))
    assert data["model_version"] == "1.0.0"


def test_link_twice_is_idempotent(runner: CliRunner, populated: dict[str, Any], repo: Path) -> None:
    ok(invoke(runner, repo, "link", "note@1", "clf@1.0.0"))
    first = as_json(invoke(runner, repo, "model", "show", "clf@1.0.0", "--json"))["links"]
    sha = git(repo, "rev-parse", "gitreg")
    ok(invoke(runner, repo, "link", "note@1", "clf@1.0.0"))
    assert as_json(invoke(runner, repo, "model", "show", "clf@1.0.0", "--json"))["links"] == first
    assert git(repo, "rev-parse", "gitreg") == sha


def test_fsck_clean_after_cli_writes(
    runner: CliRunner, populated: dict[str, Any], repo: Path, tmp_path: Path
) -> None:
    ok(invoke(runner, repo, "link", "note@1", "x@1.0"))
    ok(invoke(runner, repo, "artifact", "get", "dataset", "-o", str(tmp_path / "d")))
    git(repo, "fsck", "--no-dangling")


def test_traceback_flag_shows_the_whole_error_for_bug_reports(repo: Path) -> None:
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("gitreg")
    plain = subprocess.run(
        [str(exe), "-C", str(repo), "artifact", "show", "missing"], capture_output=True, text=True
    )
    full = subprocess.run(
        [str(exe), "-C", str(repo), "--traceback", "artifact", "show", "missing"],
        capture_output=True,
        text=True,
    )
    assert plain.returncode == 1 and full.returncode == 1
    assert plain.stderr.startswith("gitreg: error: artifact 'missing' not found")
    assert "Traceback" not in plain.stderr
    assert "Traceback (most recent call last)" in full.stderr
    assert "gitreg.errors.ArtifactNotFoundError: artifact 'missing' not found" in full.stderr
