"""gitreg and git's own maintenance on one repository: the pack count stays under
`gc.autoPackLimit` (so a user's `git commit` never starts a background `git gc` because of
gitreg), a pack not yet on any ref survives `git repack -a -d`, and saves run while another
process commits on the user's branch and runs `git gc --auto`, `git repack -ad` and
`git pack-refs --all` lose nothing."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

from rel_helpers import GIT_ENV, PYTHON, fsck, git, make_repo

from gitreg import Client, Model
from gitreg.errors import StorageError
from gitreg.stores.git import GitStore, Put


def pack_count(repo: Path) -> int:
    fields = dict(line.split(": ") for line in git(repo, "count-objects", "-v").splitlines())
    return int(fields["packs"])


def keeps(repo: Path) -> list[Path]:
    return sorted((repo / ".git" / "objects" / "pack").glob("*.keep"))


def test_the_pack_count_stays_under_gc_autopacklimit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    client = Client(repo)
    client.init()
    model = Model("packs", "v1")
    most = 0
    for i in range(300):  # 600 commits: a save and a link each
        a = client.save_artifact({"i": i}, "packs")
        client.link_artifact_to_model(a, model)
        most = max(most, pack_count(repo))
        assert not keeps(repo)  # each pack's .keep is gone once its commit is on the branch
    assert most < 50  # git's default gc.autoPackLimit
    # what git would do on the user's next commit: nothing, there is nothing to pack
    before = sorted(p.name for p in (repo / ".git" / "objects" / "pack").iterdir())
    subprocess.run(["git", "gc", "--auto", "-q"], cwd=repo, check=True)
    assert sorted(p.name for p in (repo / ".git" / "objects" / "pack").iterdir()) == before
    assert Client(repo).load_artifact("packs", 300) == {"i": 299}
    assert fsck(repo).returncode == 0
    # the roll-ups kept git's commit-graph up to date, and wrote no dumb-HTTP info/refs
    assert (repo / ".git" / "objects" / "info" / "commit-graphs").is_dir()
    assert subprocess.run(["git", "commit-graph", "verify"], cwd=repo).returncode == 0
    assert not (repo / ".git" / "info" / "refs").exists()


def test_a_lower_gc_autopacklimit_is_honoured(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "config", "gc.autoPackLimit", "8")
    store = GitStore(repo)
    head = None
    for i in range(100):
        head = store.commit([Put(f"d/{i}", str(i).encode())], f"c{i}", head)
        assert pack_count(repo) <= 8
    assert GitStore(repo).snapshot().read("d/42") == b"42"
    assert fsck(repo).returncode == 0


KILLED = """
import sys
from gitreg.stores.git import GitStore, Put
store = GitStore(sys.argv[1])
store.commit([Put("killed", b"after its pack, before its ref")], "killed", store.head())
"""


def test_a_pack_no_ref_reaches_yet_survives_git_repack_until_its_writer_is_gone(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo")
    store = GitStore(repo)
    head = store.commit([Put("f", b"1")], "1", None)
    proc = subprocess.run(  # killed between writing its pack and updating the ref
        [PYTHON, "-c", KILLED, str(repo)],
        env={**os.environ, "GITREG_CRASH_AT": "packed:1"},
        capture_output=True,
    )
    assert proc.returncode == -9, proc.stderr
    [keep] = keeps(repo)
    assert keep.read_text().startswith("gitreg pid=")  # like `git index-pack --keep=<msg>`
    git(repo, "repack", "-a", "-d", "-q")  # would delete an unkept pack of unreachable objects
    assert keep.with_suffix(".idx").exists() and keep.with_suffix(".pack").exists()

    store.roll_up_at = 1  # the next roll-up removes the .keep of the dead writer
    store.commit([Put("f", b"2")], "2", head)
    assert not keeps(repo)
    assert GitStore(repo).snapshot().read("f") == b"2"
    assert fsck(repo).returncode == 0


MAINTENANCE = r"""
import subprocess, sys, os
repo, stop = sys.argv[1], sys.argv[2]
commands = [
    ["git", "commit", "-q", "--allow-empty", "-m", "user work"],
    ["git", "gc", "--auto", "-q"],
    ["git", "commit", "-q", "--allow-empty", "-m", "more user work"],
    # a real gc (pack-refs, reflog expire, repack -a -d, prune), pruning at once: git calls
    # that unsafe beside a writer, as it removes temp files (tmp_*) of any age
    ["git", "-c", "gc.auto=1", "-c", "gc.autoPackLimit=1", "-c", "gc.pruneExpire=now",
     "gc", "--auto", "-q"],
    ["git", "repack", "-a", "-d", "-q"],
    ["git", "pack-refs", "--all"],
]
runs = failures = 0
while not os.path.exists(stop):
    for cmd in commands:
        p = subprocess.run(cmd, cwd=repo, capture_output=True)
        runs += 1
        failures += p.returncode != 0  # e.g. gc meeting a ref lock gitreg holds
print(runs, failures, flush=True)
"""


def test_saves_survive_gits_maintenance_running_alongside(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "config", "gc.autoDetach", "false")  # nothing may outlive the test
    client = Client(repo)
    client.init()
    model = Model("stress", "v1")
    stop = tmp_path / "stop"
    maint = subprocess.Popen(
        [PYTHON, "-c", MAINTENANCE, str(repo), str(stop)],
        env={**os.environ, **GIT_ENV},
        stdout=subprocess.PIPE,
        text=True,
    )
    saved: list[tuple[str, int, dict[str, object]]] = []
    linked: set[str] = set()
    refused = 0
    try:
        deadline = time.monotonic() + 20
        while len(saved) < 300 and time.monotonic() < deadline:
            content = {"i": len(saved), "nonce": uuid.uuid4().hex}
            try:
                a = client.save_artifact(content, "stress")
                saved.append((str(a.id), int(a.version), content))
                client.link_artifact_to_model(a, model)
                linked.add(str(a.id))
            except StorageError as e:  # a temp file pruned away: reported, nothing changed
                assert "tmp_" in str(e.__cause__), e
                refused += 1
    finally:
        stop.touch()
        out, _ = maint.communicate(timeout=120)
    runs, failed = map(int, out.split())
    summary = f"{len(saved)} saves, {refused} refused; {runs} git runs, {failed} failed"
    assert len(saved) >= 100 and refused < len(saved) / 4 and runs >= 12, summary

    fresh = Client(repo)  # everything reported saved or linked is there
    version = fresh.get_model_version("stress", "v1")
    for art_id, number, content in saved:
        assert fresh.load_artifact(art_id) == content
        found = version.get_artifact("stress", str(number))
        assert (found is not None and str(found.id) == art_id) == (art_id in linked)
    numbers = [n for _, n, _ in saved]
    assert numbers == sorted(set(numbers))
    proc = fsck(repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = fresh.validate()
    assert report.ok, report.problems
    assert int(git(repo, "rev-list", "--count", "main")) > 1  # the user's commits landed too
    assert not keeps(repo)
