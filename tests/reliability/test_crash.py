"""Crashes: a writer killed with SIGKILL at any point leaves a valid registry that still
holds everything it reported as saved, and the next writer needs no repair.

Every crash point of `gitreg.faults` (hash, cached, push, pushed, pack, packed, locked) is
hit at 15 different occurrences (N = 1..15): 105 real `kill -9`s of real processes. Each
point gets its own repository and its 15 kill runs go one after the other in it, so each
run starts from whatever the previous killed run left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rel_helpers import (
    BRANCH_REF,
    GIT_ENV,
    PYTHON,
    ObjectChecker,
    cli,
    digest,
    fsck,
    make_repo,
)

from gitreg import Client, Model
from gitreg.faults import POINTS

N_VALUES = range(1, 16)

# One kill run: saves small objects (dict, str, bytes; distinct content) and files of a few
# hundred KB, links each to a model version, and prints a line after each call returns.
WRITER = r"""
import hashlib, json, os, random, sys, uuid
from pathlib import Path
from gitreg import Client, Model

run, workdir = int(sys.argv[1]), Path(sys.argv[2])
rng = random.Random(run)

def digest(obj):
    if isinstance(obj, Path):
        return hashlib.md5(obj.read_bytes()).hexdigest()
    if isinstance(obj, (bytes, bytearray)):
        return hashlib.md5(bytes(obj)).hexdigest()
    return hashlib.md5(json.dumps(obj, sort_keys=True).encode()).hexdigest()

client = Client()
# even runs link to a named version (get-or-create), odd runs to a new numbered one
model = Model("crashmodel", f"run{run}" if run % 2 == 0 else None)
for i in range(40):
    nonce = uuid.uuid4().hex
    small = [
        {"run": run, "i": i, "nonce": nonce, "values": [1.5, None, True]},
        f"run {run} item {i} {nonce}",
        f"run {run} item {i} {nonce}".encode() * 3,
    ][i % 3]
    a = client.save_artifact(small, "crash-small")
    print("SAVED", a.id, digest(small), a.name, a.version, flush=True)
    f = workdir / f"run{run}-item{i}.bin"
    f.write_bytes(nonce.encode() + os.urandom(rng.randrange(200_000, 300_000)))
    b = client.save_artifact(f, "crash-file", artifact_type="model" if i % 2 else None)
    print("SAVED", b.id, digest(f), b.name, b.version, flush=True)
    for art in (a, b):
        client.link_artifact_to_model(art, model)
        print("LINKED", art.id, model.name, model.version, flush=True)
print("DONE", flush=True)
"""


def _run_writer(repo: Path, point: str, n: int, run: int, workdir: Path) -> tuple[int, list[str]]:
    env = {**os.environ, **GIT_ENV, "GITREG_CRASH_AT": f"{point}:{n}"}
    proc = subprocess.run(
        [PYTHON, "-c", WRITER, str(run), str(workdir)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != -9:
        raise AssertionError(
            f"{point}:{n} run {run} was not killed (rc {proc.returncode}): {proc.stderr[-2000:]}"
        )
    return proc.returncode, proc.stdout.splitlines()


def _check_after_kill(
    client: Client,
    repo: Path,
    point: str,
    n: int,
    lines: list[str],
    saved: dict[str, tuple[str, str, str]],
    linked: set[tuple[str, str, str]],
    checkers: list[ObjectChecker],
) -> None:
    where = f"after kill at {point}:{n}"
    new_saved = {}
    for line in lines:
        parts = line.split()
        if parts[0] == "SAVED":
            new_saved[parts[1]] = (parts[2], parts[3], parts[4])
        elif parts[0] == "LINKED":
            linked.add((parts[1], parts[2], parts[3]))
        else:
            raise AssertionError(f"{where}: unexpected output {line!r}")
    saved.update(new_saved)

    # `client` lives for the whole series: its parse cache is keyed by blob sha, so it only
    # saves re-parsing manifests that did not change (the final check uses fresh processes)
    report = client.validate(remote=True)
    assert report.ok, f"{where}: validate --remote failed: " + "; ".join(map(str, report.problems))

    # everything reported as saved is there with its bytes (this run's: load; older: pointer)
    listed = {str(a.id): a for a in client.list_artifact_versions()}
    for art_id, (_, name, version) in saved.items():
        rec = listed.get(art_id)
        assert rec is not None, (
            f"{where}: {name}@{version} ({art_id}) was reported saved but is gone"
        )
        assert (rec.name, rec.version) == (name, version), where
    for art_id, (md5, _, _) in new_saved.items():
        assert digest(client.load_artifact(art_id)) == md5, f"{where}: wrong bytes for {art_id}"
    for art_id, model, version in linked:
        links = client.list_links(model, version)
        assert art_id in {str(link.artifact_id) for link in links}, f"{where}: link {art_id} lost"

    # no partial object in the remote (or the cache) under an object's name
    for checker in checkers:
        bad = checker.bad_objects()
        assert not bad, f"{where}: partial or corrupt objects: {bad}"

    # a lock or anything else left by the dead writer does not block the next save
    t0 = time.monotonic()
    probe = client.save_artifact(f"probe after {point}:{n}", "probe")
    client.link_artifact_to_model(probe, Model("probe-model", "v1"))
    assert time.monotonic() - t0 < 5, f"{where}: the next save waited for a stale lock"
    assert not (repo / ".git" / (BRANCH_REF + ".lock")).exists(), where

    result = fsck(repo)
    assert result.returncode == 0, f"{where}: git fsck: {result.stdout}{result.stderr}"


def _kill_series(point: str, base: Path) -> int:
    """15 kill runs at `point` in one repository; returns how many runs were killed."""
    repo = make_repo(base / f"repo-{point}")
    workdir = base / f"files-{point}"
    workdir.mkdir()
    client = Client(repo)
    client.init()
    gitreg_dir = repo / ".git" / "gitreg"
    checkers = [ObjectChecker(gitreg_dir / "remote"), ObjectChecker(gitreg_dir / "cache")]
    saved: dict[str, tuple[str, str, str]] = {}
    linked: set[tuple[str, str, str]] = set()
    kills = 0
    for run, n in enumerate(N_VALUES):
        rc, lines = _run_writer(repo, point, n, run, workdir)
        kills += rc == -9
        _check_after_kill(client, repo, point, n, lines, saved, linked, checkers)
        for f in workdir.iterdir():  # the source files are not needed any more
            f.unlink()

    # the real CLI agrees, and everything reported saved loads from the remote alone
    result = cli(repo, "validate", "--remote")
    assert result.returncode == 0, (
        f"gitreg validate --remote ({point}): {result.stdout}{result.stderr}"
    )
    shutil.rmtree(gitreg_dir / "cache")
    client = Client(repo)
    for md5, name, version in saved.values():
        assert digest(client.load_artifact(name, version)) == md5, f"{point}: {name}@{version}"
    # a model's auto-numbers stay unique through the crashes
    numbers = [v.number for v in client.list_model_versions("crashmodel")]
    assert len(numbers) == len(set(numbers)), f"{point}: model numbers reused: {numbers}"
    versions = [int(a.version) for a in client.list_artifact_versions("crash-file")]
    assert len(versions) == len(set(versions)), f"{point}: artifact numbers reused"
    return kills


def test_kill_9_at_every_crash_point_leaves_a_valid_registry(
    tmp_path: Path, reliability_counts
) -> None:
    assert set(POINTS) == {"hash", "cached", "push", "pushed", "pack", "packed", "locked"}
    from gitreg.materializers import registry

    registry.for_object(object())  # load the built-in materializers before the threads start
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {p: pool.submit(_kill_series, p, tmp_path) for p in POINTS}
        kills = {p: f.result() for p, f in futures.items()}
    assert all(k == len(N_VALUES) for k in kills.values()), kills
    reliability_counts.add("kill points", sum(kills.values()))


@pytest.mark.parametrize("point", ["locked"])
def test_lock_left_by_a_killed_writer_is_recovered_by_a_fresh_process(
    tmp_path: Path, point: str, reliability_counts
) -> None:
    """The ref lock of a writer killed while holding it names a dead pid: the next writer
    in another process removes it at once instead of waiting or failing."""
    repo = make_repo(tmp_path / "repo")
    Client(repo).init()
    env = {**os.environ, **GIT_ENV, "GITREG_CRASH_AT": f"{point}:1"}
    script = "from gitreg import Client; Client().save_artifact('x', 'a')"
    proc = subprocess.run([PYTHON, "-c", script], cwd=repo, env=env, capture_output=True)
    assert proc.returncode == -9
    lock = repo / ".git" / (BRANCH_REF + ".lock")
    assert lock.exists() and lock.read_text().startswith("gitreg pid=")
    before = Client(repo).list_artifact_versions()
    assert before == []  # the killed save was never committed
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            PYTHON,
            "-c",
            "from gitreg import Client; print(Client().save_artifact('y', 'a').version)",
        ],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"
    assert time.monotonic() - t0 < 5
    assert not lock.exists()
    assert fsck(repo).returncode == 0
    reliability_counts.add("kill points")
