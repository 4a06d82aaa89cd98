"""Model versions and stages as git tags, read back by the real `gto` and `dvc` CLIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import GIT_ENV, git

from gitreg import Client, Model

BIN = Path(sys.executable).parent
GTO = str(BIN / "gto")
DVC = str(BIN / "dvc")


def run(*args: str, cwd: Path) -> str:
    proc = subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV},
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc.stdout


def gto_json(repo: Path, *args: str) -> Any:
    return json.loads(run(GTO, *args, "--json", "-r", str(repo), cwd=repo))


def dvc_get(repo: Path, name: str, dest: Path, *selector: str) -> bytes:
    run(DVC, "artifacts", "get", str(repo), name, *selector, "-o", str(dest), cwd=dest.parent)
    data = dest.read_bytes()
    dest.unlink()
    return data


def model_file(client: Client, tmp_path: Path, name: str, data: bytes) -> Any:
    src = tmp_path / name
    src.write_bytes(data)
    return client.save_artifact(src, "weights", artifact_type="model")


@pytest.fixture
def reg(repo: Path, tmp_path: Path) -> Client:
    c = Client(repo)
    c.init(remote=str(tmp_path / "dvc-remote"))  # a folder remote: DVC reads its url
    return c


def fsck_ok(repo: Path) -> None:
    proc = subprocess.run(["git", "fsck", "--no-dangling"], cwd=repo, capture_output=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow  # ten runs of the gto and dvc CLIs
def test_gto_and_dvc_see_versions_and_stages(reg: Client, repo: Path, tmp_path: Path) -> None:
    reg.create_model_version("clf", "1.0.0")
    reg.link_artifact_to_model(model_file(reg, tmp_path, "a", b"one").id, Model("clf", "1.0.0"))
    reg.set_model_version_stage("clf", "1.0.0", "production")
    # a version made while 1.0.0 is in production: its tag needs its own dvc.yaml
    reg.create_model_version("clf", "v1.1.0")
    reg.link_artifact_to_model(model_file(reg, tmp_path, "b", b"two").id, Model("clf", "v1.1.0"))
    reg.create_model_version("clf")  # number 3, not SemVer: v0.0.3
    reg.link_artifact_to_model(model_file(reg, tmp_path, "c", b"three").id, Model("clf", "3"))

    show = gto_json(repo, "show")
    assert show["clf"]["version"] == "v1.1.0"
    assert show["clf"]["stage"]["production"] == "v1.0.0"
    assert [v.name for v in reg.list_model_versions("clf")] == ["1.0.0", "v1.1.0", "3"]

    dest = tmp_path / "out"
    assert dvc_get(repo, "clf", dest, "--rev", "v1.0.0") == b"one"
    assert dvc_get(repo, "clf", dest, "--rev", "v1.1.0") == b"two"
    assert dvc_get(repo, "clf", dest, "--stage", "production") == b"one"

    # replacing the production version: the old one leaves it first, dvc follows
    reg.set_model_version_stage("clf", "v1.1.0", "production", force=True)
    assert reg.get_model_version("clf", "1.0.0").stage == "archived"
    show = gto_json(repo, "show")
    assert show["clf"]["stage"]["production"] == "v1.1.0"
    assert show["clf"]["stage"]["archived"] == "v1.0.0"
    versions = {v["version"] for v in gto_json(repo, "show", "clf")}
    assert versions == {"v1.0.0", "v1.1.0", "v0.0.3"}
    assert dvc_get(repo, "clf", dest, "--stage", "production") == b"two"
    history = gto_json(repo, "history", "clf")
    events = [(h["event"], h["version"], h["stage"]) for h in history]
    assert ("unassignment", "v1.0.0", "production") in events
    assert ("assignment", "v1.1.0", "production") in events
    assert reg.validate().ok, [str(p) for p in reg.validate().problems]
    fsck_ok(repo)


def test_every_tag_is_annotated_and_points_at_a_commit(reg: Client, repo: Path) -> None:
    reg.create_model_version("m", "1.0.0")
    reg.set_model_version_stage("m", "1.0.0", "staging")
    out = git(repo, "for-each-ref", "--format=%(objecttype) %(*objecttype)", "refs/tags")
    assert out.splitlines() == ["tag commit", "tag commit"]
    names = [t.name for t in reg.list_tags()]
    assert names == ["m#staging#1", "m@v1.0.0"]


def test_awkward_names_map_to_distinct_gto_names(reg: Client, repo: Path, tmp_path: Path) -> None:
    reg.create_model_version("My.Model", "best")
    reg.create_model_version("my_model", "2024-01")
    reg.create_model_version("Team.Model_V2")
    reg.link_artifact_to_model(model_file(reg, tmp_path, "x", b"x").id, Model("My.Model", "best"))
    reg.link_artifact_to_model(
        model_file(reg, tmp_path, "y", b"y").id, Model("my_model", "2024-01")
    )
    show = gto_json(repo, "show")
    assert {k: v["version"] for k, v in show.items()} == {
        "my-model": "v0.0.1",
        "my-model-2": "v0.0.1",
        "team-model-v2": "v0.0.1",
    }
    dest = tmp_path / "out"
    assert dvc_get(repo, "my-model", dest, "--rev", "v0.0.1") == b"x"
    assert dvc_get(repo, "my-model-2", dest, "--rev", "v0.0.1") == b"y"
    assert {t.model for t in reg.list_tags()} == {"My.Model", "my_model", "Team.Model_V2"}


def test_a_tag_name_two_versions_share_goes_to_the_first(
    reg: Client, repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reg.create_model_version("m", "0.0.2")  # number 1
    reg.create_model_version("m")  # number 2: would be v0.0.2 too
    assert "gets no git tag" in caplog.text
    assert [t.name for t in reg.list_tags()] == ["m@v0.0.2"]
    report = reg.validate()
    assert [str(p) for p in report.problems] == [
        "refs/tags/m@v0.0.2: version m@2 has no tag: its tag name belongs to version "
        "'0.0.2'; rename one of them to tag both"
    ]
    assert gto_json(repo, "show")["m"]["version"] == "v0.0.2"


def test_rebuild_repairs_missing_stray_and_wrong_tags(reg: Client, repo: Path) -> None:
    reg.create_model_version("m", "1.0.0")
    reg.create_model_version("m", "2.0.0")
    reg.set_model_version_stage("m", "2.0.0", "production")
    before = {t.name: t.commit for t in reg.list_tags()}
    git(repo, "tag", "-d", "m@v1.0.0")
    git(repo, "tag", "-a", "m@v9.9.9", "-m", "left over", "gitreg")  # no such version
    git(repo, "tag", "-f", "-a", "m@v2.0.0", "-m", "moved", "gitreg~2")  # wrong commit
    git(repo, "tag", "v1.0")  # a user's tag: not gitreg's
    problems = [str(p) for p in reg.validate().problems]
    for name in ("m@v2.0.0", "m@v9.9.9"):  # a missing tag is not wrong (a crash leaves one)
        assert any(p.startswith(f"refs/tags/{name}: ") for p in problems), problems
    assert all("run `gitreg tags --rebuild`" in p for p in problems)

    result = reg.rebuild_tags()
    assert "m@v1.0.0" in result.created and "m@v2.0.0" in result.created
    assert result.deleted == ["m@v9.9.9"]
    assert {t.name: t.commit for t in reg.list_tags()} == before
    assert git(repo, "tag", "-l", "v1.0") == "v1.0"
    assert reg.validate().ok
    assert gto_json(repo, "show")["m"]["stage"]["production"] == "v2.0.0"
    assert reg.rebuild_tags().created == []  # nothing left to do
    fsck_ok(repo)


def test_deleting_a_version_deletes_its_tags(reg: Client, repo: Path) -> None:
    reg.create_model_version("m", "1.0.0")
    reg.create_model_version("m", "2.0.0")
    reg.set_model_version_stage("m", "2.0.0", "staging")
    reg.delete_model_version(reg.get_model_version("m", "2.0.0").id)
    assert [t.name for t in reg.list_tags()] == ["m@v1.0.0"]
    reg.delete_model("m")
    assert reg.list_tags() == []
    assert reg.validate().ok


def test_pipeline_flow_re_points_the_tag_at_the_model_artifact(
    reg: Client, repo: Path, tmp_path: Path
) -> None:
    """A version made at run start, its model artifact linked later: `dvc artifacts get
    --rev` finds the artifact."""
    mv = reg.create_model_version("p")
    first = git(repo, "rev-list", "-n1", "p@v0.0.1")
    reg.link_artifact_to_model(model_file(reg, tmp_path, "w", b"weights").id, Model("p", mv.name))
    assert git(repo, "rev-list", "-n1", "p@v0.0.1") != first
    assert dvc_get(repo, "p", tmp_path / "out", "--rev", "v0.0.1") == b"weights"
    assert reg.validate().ok


def test_a_version_made_by_its_first_model_link_is_tagged_at_it(
    reg: Client, repo: Path, tmp_path: Path
) -> None:
    """A link (or a save) to `Model(name)` creates the version in the link's own commit:
    its tag names the model artifact at once, on a side commit while another version holds
    production, and `tags --rebuild` finds nothing to change."""
    before = int(git(repo, "rev-list", "--count", "gitreg"))
    m1 = Model("q")
    reg.link_artifact_to_model(model_file(reg, tmp_path, "a", b"one").id, m1)
    assert m1.version == "1"
    assert int(git(repo, "rev-list", "--count", "gitreg")) == before + 2  # save; version + link
    assert git(repo, "rev-list", "-n1", "q@v0.0.1") == git(repo, "rev-parse", "gitreg")
    reg.set_model_version_stage("q", "1", "production")
    src = tmp_path / "b"
    src.write_bytes(b"two")
    m2 = Model("q")
    reg.save_artifact(src, "weights", artifact_type="model", model=m2)  # one commit for all
    assert m2.version == "2"
    assert git(repo, "log", "-1", "--format=%s", "gitreg") == (
        "gitreg: save artifact weights@2; create model version q@2, link weights@2 to q@2"
    )
    side = git(repo, "rev-list", "-n1", "q@v0.0.2")
    assert git(repo, "rev-parse", f"{side}^") == git(repo, "rev-parse", "gitreg")
    dest = tmp_path / "out"
    assert dvc_get(repo, "q", dest, "--rev", "v0.0.2") == b"two"
    assert dvc_get(repo, "q", dest, "--stage", "production") == b"one"
    result = reg.rebuild_tags()
    assert (result.created, result.deleted) == ([], [])
    assert reg.validate().ok
    fsck_ok(repo)


def test_versions_record_the_code_commit(reg: Client, repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    mv = reg.create_model_version("m", "1.0.0")
    assert mv.code is not None
    assert (mv.code.commit, mv.code.branch, mv.code.dirty) == (head, "main", False)
    assert mv.to_dict()["code"] == {"commit": head, "branch": "main", "dirty": False}
    git(repo, "tag", "release-1")
    (repo / "README.md").write_text("changed\n")
    git(repo, "commit", "-qam", "later")
    old = reg.create_model_version("m", "0.9.0", source="release-1")
    assert old.code is not None and old.code.commit == head and not old.code.dirty
