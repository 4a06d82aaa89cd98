"""`gitreg tags`, `model register --version --source`, `artifact add` of a file and a folder."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner
from helpers import git

from gitreg import Client
from gitreg.cli.main import cli


def run(repo: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, ["-C", str(repo), *args], env={"COLUMNS": "200"})
    return res.exit_code, res.stdout, res.stderr


def test_tags_lists_and_rebuilds(repo: Path) -> None:
    Client().init()
    assert run(repo, "model", "register", "clf", "--version", "1.0.0")[0] == 0
    assert run(repo, "stage", "clf@1.0.0", "production")[0] == 0
    code, out, _ = run(repo, "tags", "--json")
    assert code == 0
    rows = json.loads(out)["tags"]
    assert [(t["name"], t["model"], t["stage"]) for t in rows] == [
        ("clf#production#1", "clf", "production"),
        ("clf@v1.0.0", "clf", None),
    ]
    git(repo, "tag", "-f", "-a", "clf@v1.0.0", "-m", "moved", "gitreg~2")
    code, out, _ = run(repo, "validate")
    assert code == 1 and "run `gitreg tags --rebuild`" in out
    code, out, _ = run(repo, "tags", "--rebuild")
    assert code == 0 and "rebuilt tags: 2 written" in out and "clf@v1.0.0" in out
    assert run(repo, "validate")[0] == 0


def test_model_register_from_a_tag_of_the_code(repo: Path) -> None:
    Client().init()
    git(repo, "tag", "trained-here")
    sha = git(repo, "rev-parse", "HEAD")
    code, out, err = run(
        repo, "model", "register", "m", "--version", "2.0.0", "--source", "trained-here"
    )
    assert code == 0, err
    assert out == f"Registered m@2.0.0 (code {sha[:10]})\n"
    code, out, _ = run(repo, "model", "show", "m@2.0.0")
    assert sha in out
    before = git(repo, "rev-parse", "gitreg")
    code, out, err = run(repo, "model", "register", "m", "--version", "3.0.0", "--source", "nope")
    assert code == 1 and out == "" and len(err.splitlines()) == 1 and "'nope'" in err
    assert git(repo, "rev-parse", "gitreg") == before


def test_artifact_add_a_file_and_a_folder(repo: Path, tmp_path: Path) -> None:
    Client().init()
    f = tmp_path / "w.bin"
    f.write_bytes(b"weights")
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    assert run(repo, "artifact", "add", str(f), "--name", "w")[0] == 0
    assert run(repo, "artifact", "add", str(folder), "--name", "data")[0] == 0
    assert Path(Client().load_artifact("w")).read_bytes() == b"weights"
    loaded = Path(Client().load_artifact("data"))
    assert (loaded / "a.txt").read_text() == "a" and (loaded / "sub" / "b.txt").read_text() == "b"
    assert subprocess.run(["git", "fsck", "--no-dangling"], cwd=repo).returncode == 0
