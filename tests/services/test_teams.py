"""Teams: clones of one repository (served by `git daemon` on 127.0.0.1) with one S3 DVC
remote (moto's server) write at once, push at once, and the remote ends with the union."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import git, make_repo

from gitreg import Client, Model
from gitreg.errors import SyncConflictError

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A bare repository served read-write by `git daemon`; yields its git:// URL."""
    base = tmp_path / "served"
    base.mkdir()
    subprocess.run(["git", "init", "-q", "--bare", str(base / "reg.git")], check=True)
    port = _free_port()
    daemon = subprocess.Popen(
        [
            "git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr",
            f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}", str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"git://127.0.0.1:{port}/reg.git"
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["git", "ls-remote", url], capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "git daemon did not start"
            time.sleep(0.05)
        yield url
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from gitreg import Client, Model
    i, n, barrier = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    c = Client(".")
    a1 = c.save_artifact(f"clone{i}-1", "churn-data")
    a2 = c.save_artifact(f"clone{i}-2", "churn-data")
    mv = c.create_model_version("churn")
    c.create_model_version("churn", f"exp-{i}")
    c.link_artifact_to_model(a1.id, Model("churn", mv.name))
    c.log_model_version_metadata(mv, {"clone": i})
    c.set_model_version_stage("churn", mv.name, "production", force=True)
    (barrier / f"ready-{i}").touch()
    while len(list(barrier.iterdir())) < n:  # every clone has written: push at once
        time.sleep(0.01)
    result = c.push()
    print(json.dumps({"renames": [str(r) for r in result.renames], "sent": result.sent}))
    """
)


def _setup(tmp_path: Path, served: str, s3_server: str, s3_bucket: str) -> Path:
    origin = make_repo(tmp_path / "origin")
    c = Client(origin)
    c.init(f"s3://{s3_bucket}/store", {"endpointurl": s3_server})
    c.save_artifact("base", "churn-data")
    c.create_model_version("churn")
    git(origin, "remote", "add", "origin", served)
    git(origin, "push", "-q", "origin", "main")
    result = c.push()
    assert result.sent == 3 and result.objects == 1
    return origin


def _clone(served: str, path: Path) -> Path:
    git(path.parent, "clone", "-q", served, path.name)
    return path


def test_clones_writing_at_once_end_with_the_union(
    tmp_path: Path, served: str, s3_server: str, s3_bucket: str
) -> None:
    _setup(tmp_path, served, s3_server, s3_bucket)
    n = 3
    clones = [_clone(served, tmp_path / f"clone{i}") for i in range(n)]
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(i), str(n), str(barrier)],
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, clone in enumerate(clones)
    ]
    outputs, errors = [], []
    for p in procs:
        out, err = p.communicate(timeout=120)
        errors.append(err if p.returncode else "")
        outputs.append(json.loads(out.strip().splitlines()[-1]) if p.returncode == 0 else {})
    assert not any(errors), errors
    # collisions were renumbered, and the clones were told
    renames = [r for o in outputs for r in o["renames"]]
    assert any(r.startswith("artifact churn-data ") for r in renames), renames
    assert any(r.startswith("model churn ") for r in renames), renames

    remote_tip = git(clones[0], "ls-remote", served, "refs/heads/gitreg").split()[0]
    for clone in clones:  # no local branch disagrees with the remote
        git(clone, "fetch", "-q", "origin")
        local = git(clone, "rev-parse", "refs/heads/gitreg")
        git(clone, "merge-base", "--is-ancestor", local, remote_tip)

    fresh = _clone(served, tmp_path / "fresh")
    reader = Client(fresh)  # a fresh clone reads the remote-tracking branch before any pull
    assert len(reader.list_artifact_versions("churn-data")) == 1 + 2 * n
    assert reader.pull().received > 0  # the local branch starts at the remote tip
    reader = Client(fresh)
    versions = reader.list_artifact_versions("churn-data")
    assert sorted(int(v.version) for v in versions) == list(range(1, 2 + 2 * n))
    loaded = sorted(reader.load_artifact_version(v) for v in versions)  # bytes from S3
    assert loaded == sorted(["base"] + [f"clone{i}-{k}" for i in range(n) for k in (1, 2)])
    mvs = reader.list_model_versions("churn")
    names = {mv.name for mv in mvs}
    assert {f"exp-{i}" for i in range(n)} <= names and len(mvs) == 1 + 2 * n
    by_clone = {}
    for mv in mvs:
        meta = reader.model_version_metadata(mv)
        if "clone" in meta:
            by_clone[meta["clone"]] = mv
    assert sorted(by_clone) == list(range(n))
    for i, mv in by_clone.items():  # each link still loads the bytes its clone linked
        (link,) = reader.list_links("churn", mv.name)
        assert reader.load_artifact_version(reader.get_artifact_version(link.artifact_id)) == (
            f"clone{i}-1"
        )
    stages = [mv.stage for mv in reader.list_model_versions("churn")]
    assert stages.count("production") == 1 and stages.count("archived") == n - 1
    report = reader.validate(remote=True)  # also: every gitreg tag matches the manifests
    assert report.ok, report.problems
    # the remote holds one version tag per model version and one production assign tag
    # whose holder is the production version, as the registry says
    remote_tags = [
        line.split("\t")[1].removeprefix("refs/tags/")
        for line in git(clones[0], "ls-remote", served, "refs/tags/*").splitlines()
        if not line.endswith("^{}")
    ]
    assert len([t for t in remote_tags if t.startswith("churn@v")]) == len(mvs)
    assert sorted(t.name for t in reader.list_tags()) == sorted(remote_tags)
    assert [t for t in remote_tags if t.startswith("churn#production#")]


def test_the_same_explicit_version_on_two_clones_stops_the_second_push(
    tmp_path: Path, served: str, s3_server: str, s3_bucket: str
) -> None:
    _setup(tmp_path, served, s3_server, s3_bucket)
    a, b = _clone(served, tmp_path / "a"), _clone(served, tmp_path / "b")
    ours = Client(a).save_artifact("from a", "churn-data", version="gold")
    theirs = Client(b).save_artifact("from b", "churn-data", version="gold")
    Client(a).push()
    before_remote = git(a, "ls-remote", served, "refs/heads/gitreg").split()[0]
    before_local = git(b, "rev-parse", "refs/heads/gitreg")
    with pytest.raises(SyncConflictError) as err:
        Client(b).push()
    e = err.value
    assert (e.kind, e.name, e.version) == ("artifact", "churn-data", "gold")
    assert {e.ours, e.theirs} == {str(ours.id), str(theirs.id)}
    assert "churn-data@gold" in str(e) and str(ours.id) in str(e)
    # nothing changed, nothing lost: both sides keep their version
    assert git(a, "ls-remote", served, "refs/heads/gitreg").split()[0] == before_remote
    assert git(b, "rev-parse", "refs/heads/gitreg") == before_local
    assert Client(b).load_artifact("churn-data", "gold") == "from b"
    assert Client(a).load_artifact("churn-data", "gold") == "from a"


def test_the_embedded_remote_is_not_committed_and_a_clone_is_told_what_to_do(
    tmp_path: Path, served: str
) -> None:
    origin = make_repo(tmp_path / "origin")
    c = Client(origin)
    c.init()
    art = c.save_artifact("local bytes", "thing")
    assert str(origin) not in git(origin, "show", "gitreg:.dvc/config")
    git(origin, "remote", "add", "origin", served)
    c.push()
    clone = _clone(served, tmp_path / "clone")
    with pytest.raises(Exception, match=r"gitreg remote set URL") as err:
        Client(clone).load_artifact("thing")
    assert str(art.md5) in str(err.value)


def test_remote_set_copies_every_object_then_switches(
    tmp_path: Path, repo: Path, dvc_remote: Path
) -> None:
    c = Client(repo)
    c.init()
    first = c.save_artifact("one", "a")
    c.save_artifact({"two": 2}, "b")
    c.delete_artifact_version(str(first.id))  # still referenced by the branch's history
    switch = c.set_remote(str(dvc_remote))
    assert switch.objects == 2 and not switch.missing
    assert f"url = {dvc_remote}" in git(repo, "show", "gitreg:.dvc/config")
    report = Client(repo).validate(remote=True)
    assert report.ok, report.problems
    assert (dvc_remote / "files" / "md5" / first.md5[:2] / first.md5[2:]).is_file()


def test_remote_set_with_a_bad_url_changes_nothing(repo: Path) -> None:
    c = Client(repo)
    c.init()
    c.save_artifact("one", "a")
    before = git(repo, "rev-parse", "gitreg")
    with pytest.raises(Exception, match="could not reach the remote"):
        c.set_remote("nosuchscheme://bucket/x")
    assert git(repo, "rev-parse", "gitreg") == before


def test_merge_a_proposal_after_the_branch_moved(repo: Path) -> None:
    main = Client(repo)
    main.init()
    base = main.save_artifact("base", "data")
    mv = main.create_model_version("m")
    main.link_artifact_to_model(base.id, Model("m", mv.name))
    proposal = Client(repo, branch="proposals/x")
    git(repo, "branch", "proposals/x", "gitreg")
    p_art = proposal.save_artifact("proposed", "data")
    p_mv = proposal.create_model_version("m")
    proposal.link_artifact_to_model(p_art.id, Model("m", p_mv.name))
    proposal.set_model_version_stage("m", p_mv.name, "staging")
    m_art = main.save_artifact("moved", "data")  # the registry branch moved meanwhile
    m_mv = main.create_model_version("m")
    main.link_artifact_to_model(m_art.id, Model("m", m_mv.name))
    main.set_model_version_stage("m", m_mv.name, "staging")
    # a proposal's versions are not registered for GTO until it is merged
    assert sorted(t.name for t in main.list_tags()) == ["m#staging#1", "m@v0.0.1", "m@v0.0.2"]

    result = main.merge("proposals/x")
    assert [str(r) for r in result.renames] == [
        "artifact data 2 is now data 3",
        "model m 2 is now m 3",
    ]
    merged = Client(repo)
    assert merged.validate().ok, merged.validate().problems
    versions = {
        v.version: merged.load_artifact_version(v) for v in merged.list_artifact_versions("data")
    }
    assert versions == {"1": "base", "2": "moved", "3": "proposed"}
    (link,) = merged.list_links("m", "3")
    assert merged.load_artifact_version(merged.get_artifact_version(link.artifact_id)) == "proposed"
    stages = {v.name: v.stage for v in merged.list_model_versions("m")}
    assert stages == {"1": None, "2": "archived", "3": "staging"}  # the later change wins
    tags = {t.name: t for t in merged.list_tags()}
    assert "m@v0.0.3" in tags  # the merged version is tagged, its staging move too
    assigns = [t for t in tags.values() if t.stage == "staging" and t.assign]
    newest = max(assigns, key=lambda t: int(t.name.rpartition("#")[2]))
    assert newest.commit == tags["m@v0.0.3"].commit  # GTO reads: version 3 is in staging


def _git_merge(repo: Path, tmp_path: Path, branch: str) -> None:
    """A plain `git merge` of `branch` into the registry branch, in a worktree of it."""
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt), "gitreg")
    git(wt, "merge", "-q", "--no-ff", "-m", "merge proposal", branch)
    git(repo, "worktree", "remove", str(wt))


def test_plain_git_merge_of_a_proposal_only_it_changed(repo: Path, tmp_path: Path) -> None:
    main = Client(repo)
    main.init()
    main.save_artifact("base", "data")
    git(repo, "branch", "proposals/y", "gitreg")
    proposal = Client(repo, branch="proposals/y")
    art = proposal.save_artifact("proposed", "data")
    proposal.link_artifact_to_model(art.id, Model("m", "v1"))
    _git_merge(repo, tmp_path, "proposals/y")
    merged = Client(repo)
    assert merged.validate().ok, merged.validate().problems
    assert merged.load_artifact("data") == "proposed"


def test_plain_git_merge_when_both_sides_wrote_other_models(repo: Path, tmp_path: Path) -> None:
    """Both sides moved, on different models and artifacts: git merges the files cleanly
    and the result is a valid registry holding both sides."""
    main = Client(repo)
    main.init()
    git(repo, "branch", "proposals/z", "gitreg")
    proposal = Client(repo, branch="proposals/z")
    p_art = proposal.save_artifact("proposed", "p-data", artifact_type="model")
    proposal.link_artifact_to_model(p_art.id, Model("p-model", "1.0.0"))
    m_art = main.save_artifact("moved", "m-data", artifact_type="model")
    main.link_artifact_to_model(m_art.id, Model("m-model", "1.0.0"))
    _git_merge(repo, tmp_path, "proposals/z")
    merged = Client(repo)
    assert merged.validate().ok, merged.validate().problems
    assert merged.load_artifact("p-data") == "proposed"
    assert merged.load_artifact("m-data") == "moved"
    assert sorted(m.name for m in merged.list_models()) == ["m-model", "p-model"]


def test_plain_git_merge_of_a_stage_move_while_the_branch_added_a_version(
    repo: Path, tmp_path: Path
) -> None:
    """model.yaml changed on both sides (a stage there, a new version here): gitreg's merge
    driver merges it field by field, so plain `git merge` gives what `gitreg merge` gives."""
    main = Client(repo)
    main.init()
    art = main.save_artifact("one", "weights", artifact_type="model")
    main.link_artifact_to_model(art.id, Model("clf", "1.0.0"))
    git(repo, "branch", "proposals/promote", "gitreg")
    Client(repo, branch="proposals/promote").set_model_version_stage("clf", "1.0.0", "production")
    art2 = main.save_artifact("two", "weights", artifact_type="model")
    main.link_artifact_to_model(art2.id, Model("clf", "2.0.0"))
    _git_merge(repo, tmp_path, "proposals/promote")
    merged = Client(repo)
    assert merged.validate().ok, merged.validate().problems
    versions = {v.name: v.stage for v in merged.list_model_versions("clf")}
    assert versions == {"1.0.0": "production", "2.0.0": None}
    assert merged.get_model("clf").latest_version_name == "2.0.0"
    # dvc.yaml follows the production version, as if the stage move had been made here
    assert "versions/c/4/1" in git(repo, "show", "gitreg:dvc.yaml")


def test_plain_git_merge_stops_where_gitreg_merge_must_renumber(repo: Path, tmp_path: Path) -> None:
    """Both sides saved version 2 of one artifact: one file cannot renumber, so git stops
    with a conflict (the registry branch unchanged) and `gitreg merge` does it."""
    main = Client(repo)
    main.init()
    assert "merge-file" in git(repo, "config", "merge.gitreg.driver")  # init registered it
    main.save_artifact("base", "data")
    git(repo, "branch", "proposals/clash", "gitreg")
    Client(repo, branch="proposals/clash").save_artifact("theirs", "data")
    main.save_artifact("ours", "data")
    before = git(repo, "rev-parse", "gitreg")
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt), "gitreg")
    proc = subprocess.run(
        ["git", "merge", "--no-ff", "-m", "m", "proposals/clash"], cwd=wt, capture_output=True
    )
    assert proc.returncode != 0 and b"CONFLICT" in proc.stdout
    git(wt, "merge", "--abort")
    git(repo, "worktree", "remove", str(wt))
    assert git(repo, "rev-parse", "gitreg") == before
    result = main.merge("proposals/clash")
    assert [str(r) for r in result.renames] == ["artifact data 2 is now data 3"]
    loaded = {v.version: main.load_artifact_version(v) for v in main.list_artifact_versions("data")}
    assert loaded == {"1": "base", "2": "ours", "3": "theirs"}


def test_merge_renumbers_a_model_named_links(repo: Path) -> None:
    """A model may be called `links`: its version files are not read as link files."""
    main = Client(repo)
    main.init()
    main.create_model_version("links")
    git(repo, "branch", "proposals/l", "gitreg")
    Client(repo, branch="proposals/l").create_model_version("links")
    main.create_model_version("links")
    result = main.merge("proposals/l")
    assert [str(r) for r in result.renames] == ["model links 2 is now links 3"]
    merged = Client(repo)
    assert merged.validate().ok, merged.validate().problems
    assert sorted(v.name for v in merged.list_model_versions("links")) == ["1", "2", "3"]


STEP_RUN = """
from typing import Annotated
from gitreg import Model, step

@step(model=Model("m"))
def train() -> Annotated[int, "w"]:
    return 7

train()
"""


def test_merge_renumbers_a_run_that_created_its_model_version(repo: Path) -> None:
    """A run's start creates its model version in the run's own commit: a merge that
    renumbers the version rewrites the run's references to it too."""
    main = Client(repo)
    main.init()
    main.create_model_version("m")
    git(repo, "branch", "proposals/run", "gitreg")
    git(repo, "config", "gitreg.branch", "proposals/run")
    subprocess.run([sys.executable, "-c", STEP_RUN], cwd=repo, check=True)  # m@2 there
    git(repo, "config", "--unset", "gitreg.branch")
    main.create_model_version("m")  # m@2 here
    result = main.merge("proposals/run")
    assert [str(r) for r in result.renames] == ["model m 2 is now m 3"]
    merged = Client(repo)
    run = next(r for r in merged.list_runs() if r.pipeline == "train")
    assert run.model == "m@3" and [s.model for s in run.steps] == ["m@3"]
    assert Model("m", "3").bind(merged).load_artifact("w") == 7
    assert merged.validate().ok, merged.validate().problems
