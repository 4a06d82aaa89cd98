"""gc: only objects no registry commit (branch, proposal branch, tag) references are removed;
everything reachable still loads afterwards."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest
from helpers import git, make_tree

from gitreg import Client
from gitreg.errors import GarbageCollectionError, RegistryNotInitializedError, UsageError


def remote_files(root: Path) -> set[str]:
    base = root / "files" / "md5"
    return {p.parent.name + p.name for p in base.rglob("*") if p.is_file()}


def orphan(client: Client, data: bytes) -> str:
    """An object pushed to the remote with no manifest (a crash between push and commit)."""
    store = client.registry.data()
    obj = store.add_bytes(data)
    store.push(obj)
    return obj.md5


@pytest.fixture
def reg(repo: Path, dvc_remote: Path) -> Client:
    client = Client(repo)
    client.init(str(dvc_remote))
    return client


def loads_everything(client: Client, names: list[str]) -> None:
    for name in names:
        for v in client.list_artifact_versions(name):
            client.load_artifact(name, v.version)


def test_gc_removes_an_orphan_and_keeps_what_history_references(
    reg: Client, repo: Path, dvc_remote: Path, tmp_path: Path
) -> None:
    reg.save_artifact({"a": 1}, "config")
    reg.save_artifact({"a": 2}, "config")
    folder = make_tree(tmp_path / "folder", {"x.txt": b"x", "sub/y.bin": b"y" * 100})
    reg.save_artifact(folder, "data")
    lost = orphan(reg, b"pushed, but its manifest never landed")
    before = remote_files(dvc_remote)
    assert lost in before

    report = reg.gc(older_than=0)

    assert [o.oid for o in report.removed_remote] == [lost]
    assert report.removed_remote_bytes == len(b"pushed, but its manifest never landed")
    assert [o.oid for o in report.removed_cache] == [lost]
    assert remote_files(dvc_remote) == before - {lost}
    assert report.refs == ["refs/heads/gitreg"]
    # a fresh cache: every version comes back from the remote
    shutil.rmtree(repo / ".git" / "gitreg" / "cache")
    fresh = Client(repo)
    loads_everything(fresh, ["config", "data"])
    assert (fresh.load_artifact("data") / "sub" / "y.bin").read_bytes() == b"y" * 100
    assert fresh.validate(remote=True).ok
    assert reg.gc(older_than=0).nothing_to_do  # a second gc has nothing to do


def test_dry_run_removes_nothing(reg: Client, dvc_remote: Path) -> None:
    reg.save_artifact("kept", "a")
    lost = orphan(reg, b"orphan")
    before = remote_files(dvc_remote)
    report = reg.gc(dry_run=True, older_than=0)
    assert report.dry_run and [o.oid for o in report.removed_remote] == [lost]
    assert remote_files(dvc_remote) == before
    assert reg.gc(dry_run=True, older_than=0).removed_remote  # still there to remove


def test_young_orphans_are_kept_until_older_than(reg: Client, dvc_remote: Path) -> None:
    lost = orphan(reg, b"maybe a save in progress")
    report = reg.gc()  # default: two weeks
    assert report.nothing_to_do and report.kept_recent == 2  # in the remote and the cache
    path = dvc_remote / "files" / "md5" / lost[:2] / lost[2:]
    three_weeks_ago = time.time() - 21 * 86400
    os.utime(path, (three_weeks_ago, three_weeks_ago))
    report = reg.gc()
    assert [o.oid for o in report.removed_remote] == [lost]
    assert report.kept_recent == 1  # the cache's copy is still young
    assert not path.exists()


def test_a_deleted_version_keeps_its_bytes_while_history_holds_it(reg: Client, repo: Path) -> None:
    reg.save_artifact("first", "a")
    reg.save_artifact("second", "a")
    reg.delete_artifact_version("a", "1")
    assert git(repo, "log", "-1", "--format=%s", "gitreg") == "gitreg: delete artifact a@1"
    report = reg.gc(older_than=0)
    assert report.nothing_to_do
    assert Client(repo, at="gitreg~1").load_artifact("a", "1") == "first"


def test_a_proposal_branch_keeps_its_objects_until_it_is_deleted(
    reg: Client, repo: Path, dvc_remote: Path
) -> None:
    reg.save_artifact("on the branch", "a")
    git(repo, "branch", "proposal", "gitreg")
    proposal = Client(repo, branch="proposal")
    only_there = proposal.save_artifact("only on the proposal", "b")
    git(repo, "branch", "not-a-registry", "main")  # refs that are not registries are ignored

    report = reg.gc(older_than=0)
    assert report.nothing_to_do
    assert report.refs == ["refs/heads/gitreg", "refs/heads/proposal"]
    assert proposal.load_artifact("b") == "only on the proposal"

    git(repo, "branch", "-D", "proposal")
    report = reg.gc(older_than=0)
    assert [o.oid for o in report.removed_remote] == [only_there.md5]
    assert only_there.md5 not in remote_files(dvc_remote)
    assert reg.load_artifact("a") == "on the branch"
    assert reg.validate(remote=True).ok


def test_a_tag_keeps_what_its_commit_references(reg: Client, repo: Path) -> None:
    reg.save_artifact("main", "a")
    git(repo, "branch", "proposal", "gitreg")
    art = Client(repo, branch="proposal").save_artifact("tagged", "b")
    git(repo, "tag", "-a", "release", "-m", "release", "proposal")
    git(repo, "branch", "-D", "proposal")
    assert reg.gc(older_than=0).nothing_to_do
    assert Client(repo, at="release").load_artifact("b") == "tagged"
    git(repo, "tag", "-d", "release")
    assert [o.oid for o in reg.gc(older_than=0).removed_remote] == [art.md5]


def test_a_merged_side_branch_is_kept_through_the_merge(reg: Client, repo: Path) -> None:
    reg.save_artifact("main", "a")
    git(repo, "branch", "side", "gitreg")
    side = Client(repo, branch="side").save_artifact("side only", "b")
    Client(repo, branch="side").delete_artifact_version("b", side.version)
    # a merge that keeps the registry branch's tree: the side is reachable only as a parent
    tree = git(repo, "rev-parse", "gitreg^{tree}")
    merge = git(repo, "commit-tree", tree, "-p", "gitreg", "-p", "side", "-m", "merge side")
    git(repo, "update-ref", "refs/heads/gitreg", merge)
    git(repo, "branch", "-D", "side")
    assert reg.gc(older_than=0).nothing_to_do
    assert Client(repo, at="gitreg^2~1").load_artifact("b") == "side only"


def test_an_orphan_folder_goes_with_its_files_and_shared_files_stay(
    reg: Client, repo: Path, dvc_remote: Path, tmp_path: Path
) -> None:
    kept = reg.save_artifact(make_tree(tmp_path / "kept", {"same.txt": b"shared"}), "kept")
    git(repo, "branch", "proposal", "gitreg")
    folder = make_tree(tmp_path / "gone", {"same.txt": b"shared", "own.txt": b"own"})
    gone = Client(repo, branch="proposal").save_artifact(folder, "gone")
    git(repo, "branch", "-D", "proposal")
    removed = {o.oid for o in reg.gc(older_than=0).removed_remote}
    own = hashlib.md5(b"own").hexdigest()
    assert removed == {gone.md5, own}
    assert (reg.load_artifact("kept") / "same.txt").read_bytes() == b"shared"
    assert kept.md5 in remote_files(dvc_remote)


def test_an_unreadable_folder_listing_stops_gc_before_it_removes_anything(
    reg: Client, repo: Path, dvc_remote: Path, tmp_path: Path
) -> None:
    art = reg.save_artifact(make_tree(tmp_path / "f", {"a.txt": b"a"}), "f")
    lost = orphan(reg, b"would be removed")
    for root in (dvc_remote, repo / ".git" / "gitreg" / "cache"):
        (root / "files" / "md5" / art.md5[:2] / art.md5[2:]).unlink()
    before = remote_files(dvc_remote)
    with pytest.raises(GarbageCollectionError, match="gc removed nothing") as e:
        reg.gc(older_than=0)
    assert e.value.md5 == art.md5
    assert remote_files(dvc_remote) == before and lost in before


def test_gc_needs_a_writable_initialised_registry(repo: Path, reg: Client) -> None:
    reg.save_artifact("x", "a")
    with pytest.raises(UsageError, match="read-only"):
        Client(repo, at="gitreg").gc()
    with pytest.raises(UsageError, match="older_than"):
        reg.gc(older_than=-1)
    with pytest.raises(RegistryNotInitializedError):
        Client(repo, branch="nothing-here").gc()


def test_gc_on_an_s3_remote(repo: Path, s3_server: str, s3_bucket: str) -> None:
    import boto3

    client = Client(repo)
    client.init(f"s3://{s3_bucket}/store", {"endpointurl": s3_server})
    art = client.save_artifact({"kept": True}, "config")
    lost = orphan(client, b"orphan in s3")
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")

    def keys() -> set[str]:
        return {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])}

    assert client.gc().kept_recent == 2  # LastModified says it is young
    assert client.gc(dry_run=True, older_than=0).removed_remote[0].oid == lost
    report = client.gc(older_than=0)
    assert [o.oid for o in report.removed_remote] == [lost]
    assert keys() == {f"store/files/md5/{art.md5[:2]}/{art.md5[2:]}"}
    assert Client(repo).validate(remote=True).ok
