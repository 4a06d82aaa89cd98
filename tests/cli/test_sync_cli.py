"""`gitreg push`, `pull`, `merge` and `remote set` from the command line: two clones of a bare
`origin` sharing one local-folder DVC remote, as a small team would work."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import assert_one_line_error, git, make_repo, registry_state

from gitreg.cli.main import cli

WIDE = {"COLUMNS": "200"}


def run(runner: CliRunner, repo: Path, *args: str) -> Result:
    res = runner.invoke(cli, ["-C", str(repo), *args], env=WIDE)
    assert res.exit_code == 0, (args, res.exit_code, res.stdout, res.stderr, res.exception)
    assert "Traceback" not in res.stdout + res.stderr
    return res


def run_json(runner: CliRunner, repo: Path, *args: str) -> Any:
    return json.loads(run(runner, repo, *args, "--json").stdout)


def save(runner: CliRunner, repo: Path, name: str, content: str) -> str:
    """`gitreg artifact add` of a new file; the version it got."""
    f = repo.parent / f"{repo.name}-{content}.txt"
    f.write_text(content)
    return str(run_json(runner, repo, "artifact", "add", str(f), "--name", name)["version"])


def remote_tags(origin: Path) -> dict[str, str]:
    """{tag name: tag object} as `git ls-remote --tags` reports them."""
    out = git(origin, "ls-remote", "--tags", str(origin))
    pairs = (line.split("\t") for line in out.splitlines())
    return {ref.removeprefix("refs/tags/"): sha for sha, ref in pairs if not ref.endswith("^{}")}


@pytest.fixture
def team(
    tmp_path: Path, bare_remote: Path, cli_runner: CliRunner
) -> tuple[CliRunner, Path, Path, Path]:
    """(runner, clone A with a registry using a shared DVC folder, origin, that folder)."""
    shared = tmp_path / "shared-dvc"
    shared.mkdir()
    a = make_repo(tmp_path / "a")
    git(a, "remote", "add", "origin", str(bare_remote))
    git(a, "push", "-q", "origin", "main")
    run(cli_runner, a, "init", "--remote", str(shared))
    return cli_runner, a, bare_remote, shared


def clone(origin: Path, path: Path) -> Path:
    git(path.parent, "clone", "-q", "-b", "main", str(origin), path.name)
    return path


def test_push_says_what_it_sent_and_a_clone_reads_then_pulls_it(
    team: tuple[CliRunner, Path, Path, Path], tmp_path: Path
) -> None:
    runner, a, origin, shared = team
    assert save(runner, a, "data", "first") == "1"
    run(runner, a, "model", "register", "churn", "--version", "v1")
    run(runner, a, "link", "data@1", "churn@v1")
    run(runner, a, "stage", "churn@v1", "production")

    pushed = run(runner, a, "push").stdout
    assert pushed == ("Pushed 5 registry commit(s), 1 object(s) and 2 tag(s) to origin/gitreg\n"), (
        pushed
    )
    assert sorted(remote_tags(origin)) == ["churn#production#1", "churn@v0.0.1"]
    assert run(runner, a, "push").stdout == "Everything up to date on origin\n"

    b = clone(origin, tmp_path / "b")
    # before any pull: the remote-tracking branch is read, and the bytes come from the
    # shared DVC folder
    models = run_json(runner, b, "models")
    assert [(m["name"], m["latest"]) for m in models] == [("churn", "v1")]
    out = tmp_path / "got"
    run(runner, b, "artifact", "get", "data@1", "-o", str(out))
    assert out.read_text() == "first"

    pulled = run(runner, b, "pull").stdout
    assert pulled == "Pulled 5 registry commit(s) from origin\n", pulled  # tags came with the clone
    assert git(b, "rev-parse", "refs/heads/gitreg") == git(a, "rev-parse", "refs/heads/gitreg")
    listed = {t["name"]: t for t in run_json(runner, b, "tags")["tags"]}
    assert sorted(listed) == sorted(remote_tags(origin))
    for name, sha in remote_tags(origin).items():  # the very tag objects the remote holds
        assert git(b, "rev-parse", f"refs/tags/{name}") == sha
    assert run(runner, b, "pull").stdout == "Already up to date with origin\n"

    run(runner, a, "model", "register", "churn", "--version", "v2")
    assert "and 1 tag(s) to origin/gitreg" in run(runner, a, "push").stdout
    pulled = run(runner, b, "pull").stdout
    assert pulled == "Pulled 1 registry commit(s) and 1 tag(s) from origin\n", pulled
    assert sorted(t["name"] for t in run_json(runner, b, "tags")["tags"]) == sorted(
        remote_tags(origin)
    )
    assert shared.is_dir() and any((shared / "files" / "md5").iterdir())


def test_two_clones_save_the_same_artifact_and_the_second_push_is_told(
    team: tuple[CliRunner, Path, Path, Path], tmp_path: Path
) -> None:
    runner, a, origin, _ = team
    save(runner, a, "data", "base")
    run(runner, a, "push")
    b = clone(origin, tmp_path / "b")
    run(runner, b, "pull")

    assert save(runner, a, "data", "from-a") == "2"
    assert save(runner, b, "data", "from-b") == "2"
    assert "Pushed 1 registry commit(s)" in run(runner, b, "push").stdout
    second = run(runner, a, "push").stdout.splitlines()
    assert second[0] == "Renumbered: artifact data 2 is now data 3", second
    assert second[1].startswith("Pushed 1 registry commit(s), 1 object(s)")

    # the same once more, in JSON for scripts: A is up to date now, B is not
    assert save(runner, a, "data", "a-again") == "4"
    assert save(runner, b, "data", "b-again") == "3"
    sent_a = run_json(runner, a, "push")
    assert (sent_a["sent"], sent_a["objects"], sent_a["renames"]) == (1, 1, [])
    assert sent_a["remote"] == "origin" and sent_a["branch"] == "gitreg"
    sent_b = run_json(runner, b, "push")
    assert sent_b["sent"] == 1
    assert sent_b["renames"] == [{"kind": "artifact", "name": "data", "old": "3", "new": "5"}]
    assert sent_b["head"] == git(origin, "rev-parse", "refs/heads/gitreg")

    got = run_json(runner, a, "pull")
    assert (got["received"], got["sent"], got["renames"]) == (1, 0, [])  # B's last one
    assert got["head"] == sent_b["head"]
    versions = [v["version"] for v in run_json(runner, a, "artifacts", "--name", "data")]
    assert sorted(versions, key=int) == ["1", "2", "3", "4", "5"]
    assert run_json(runner, b, "pull")["received"] == 0


def test_remote_set_copies_every_object_and_validate_remote_passes_after(
    team: tuple[CliRunner, Path, Path, Path], tmp_path: Path
) -> None:
    runner, a, _, shared = team
    save(runner, a, "data", "one")
    save(runner, a, "other", "two")
    new = tmp_path / "new-dvc"

    res = run(runner, a, "remote", "set", str(new))
    assert res.stdout == f"Remote set to {new} (2 object(s) copied)\n", res.stdout
    assert sorted(p.name for p in (new / "files" / "md5").rglob("*") if p.is_file()) == sorted(
        p.name for p in (shared / "files" / "md5").rglob("*") if p.is_file()
    )
    checked = run(runner, a, "validate", "--remote").stdout
    assert checked.startswith("OK:") and "2 objects checked in the remote" in checked
    again = run_json(runner, a, "remote", "set", str(new))
    assert again == {"url": str(new), "objects": 2, "missing": []}


def test_remote_set_with_a_bad_url_is_one_line_and_changes_nothing(
    team: tuple[CliRunner, Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, a, _, _ = team
    save(runner, a, "data", "one")
    before = registry_state(a)

    res = runner.invoke(cli, ["-C", str(a), "remote", "set", "foo://bar"])
    assert_one_line_error(res, "foo://bar", "nothing was changed")
    assert registry_state(a) == before

    # a remote that cannot be written (no credentials): one line too, not a traceback
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(a / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(a / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    args = ["remote", "set", "s3://no-such-bucket/x", "-o", "endpointurl=http://127.0.0.1:9"]
    res = runner.invoke(cli, ["-C", str(a), *args])
    assert_one_line_error(res, "s3://no-such-bucket/x", "credentials")
    assert registry_state(a) == before

    res = runner.invoke(cli, ["-C", str(a), "remote", "set", "/tmp/x", "-o", "nokey"])
    assert res.exit_code == 2 and "is not KEY=VALUE" in res.stderr
    assert registry_state(a) == before


def test_merge_of_a_proposal_prints_its_renames_and_a_second_merge_adds_nothing(
    team: tuple[CliRunner, Path, Path, Path],
) -> None:
    runner, a, _, _ = team
    save(runner, a, "data", "base")
    git(a, "branch", "proposals/x", "gitreg")
    proposal = ["--branch", "proposals/x"]
    run(runner, a, *proposal, "model", "register", "churn", "--version", "v1")
    assert save(runner, a, "data", "main-side") == "2"  # on the registry branch
    f = a.parent / "proposed.txt"
    f.write_text("proposed")
    run(runner, a, *proposal, "artifact", "add", str(f), "--name", "data")
    run(runner, a, *proposal, "link", "data@2", "churn@v1")

    merged = run(runner, a, "merge", "proposals/x").stdout.splitlines()
    assert merged == [
        "Renumbered: artifact data 2 is now data 3",
        "Merged 3 registry commit(s) from proposals/x",
    ], merged
    links = run_json(runner, a, "model", "show", "churn@v1")["links"]
    assert [(x["artifact"], x["version"]) for x in links] == [("data", "3")]

    # merging it again: the versions it holds are there already, under their new numbers
    assert run(runner, a, "merge", "proposals/x").stdout == (
        "Already up to date with proposals/x\n"
    )
    again = run_json(runner, a, "merge", "proposals/x")
    assert (again["received"], again["renames"]) == (0, [])
    versions = run_json(runner, a, "artifacts", "--name", "data")
    assert sorted(v["version"] for v in versions) == ["1", "2", "3"]
    assert len({v["id"] for v in versions}) == 3
    assert run(runner, a, "validate").stdout.startswith("OK:")


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["push"], ["[REMOTE]", "DVC remote first", "is now", "--json"]),
        (["pull"], ["[REMOTE]", "replayed", "--json"]),
        (["merge"], ["BRANCH", "proposals/x", "replayed", "--json"]),
        (["remote", "set"], ["URL", "copied there first", "KEY=VALUE", "--json"]),
        (["remote"], ["DVC remote", "set"]),
    ],
)
def test_help_of_each_team_command(
    cli_runner: CliRunner, command: list[str], words: list[str]
) -> None:
    res = cli_runner.invoke(cli, [*command, "--help"], env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.stdout
    for word in words:
        assert word in res.stdout, (word, res.stdout)


def test_the_command_list_gives_each_team_command_a_whole_sentence(
    cli_runner: CliRunner,
) -> None:
    res = cli_runner.invoke(cli, ["--help"], env={"COLUMNS": "100"})
    rows = {line.split()[0]: line for line in res.stdout.splitlines() if line.startswith("  ")}
    for name in ("push", "pull", "merge", "remote"):
        assert not rows[name].endswith("..."), rows[name]
        assert rows[name].endswith("."), rows[name]
