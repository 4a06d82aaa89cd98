"""Concurrent writers on one repository never lose a write or reuse an auto-number."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpers import git

from gitreg import Client, save_artifact

WRITER = r"""
import json, os, sys, time
from gitreg import Client
from gitreg.materializers import registry

k, go = int(sys.argv[1]), sys.argv[2]
client = Client()
registry.for_object("warm up")  # imports done before the start line
client.registry.data()
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
out = []
for i in range(int(sys.argv[3])):
    a = client.save_artifact(f"writer {k} item {i}", "shared")
    out.append([a.version, str(a.id), f"writer {k} item {i}"])
print(json.dumps(out), flush=True)
"""


def assert_all_versions_present(repo: Path, results: list[list[str]], total: int) -> None:
    versions = sorted(int(v) for v, _, _ in results)
    assert versions == list(range(1, total + 1))  # no number handed out twice, none skipped
    assert len({i for _, i, _ in results}) == total
    c = Client(repo)
    listed = c.list_artifact_versions(name="shared")
    assert len(listed) == total
    assert c.get_artifact_version("shared").version == str(total)
    by_version = {v: content for v, _, content in results}
    for version, artifact_id, content in results:
        assert c.load_artifact("shared", version) == content
        assert str(c.get_artifact_version(artifact_id).id) == artifact_id
    assert {a.version: a.load() for a in listed} == by_version
    fsck = subprocess.run(
        ["git", "fsck", "--no-dangling"], cwd=repo, capture_output=True, text=True
    )
    assert fsck.returncode == 0, fsck.stderr


def test_four_processes_saving_at_once_get_versions_1_to_100(
    client: Client, repo: Path, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(k), str(go), "25"],
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    try:
        for p in procs:  # wait until every writer is warmed up, then start them together
            assert p.stdout is not None
            assert p.stdout.readline().strip() == "ready", p.stderr.read() if p.stderr else ""
        go.write_text("go")
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    results: list[list[str]] = []
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
        mine = json.loads(out.strip().splitlines()[-1])
        numbers = [int(v) for v, _, _ in mine]
        assert numbers == sorted(numbers)  # one writer's saves are numbered in its order
        results += mine
    assert_all_versions_present(repo, results, 100)
    assert int(git(repo, "rev-list", "--count", "gitreg")) == 1 + 100  # init + one per save


def test_four_threads_saving_at_once_get_versions_1_to_40(client: Client, repo: Path) -> None:
    save_artifact("warm up", "warm")
    start = threading.Barrier(4)
    results: list[list[str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        try:
            start.wait()
            for i in range(10):
                a = save_artifact(f"thread {k} item {i}", "shared")
                with lock:
                    results.append([a.version, str(a.id), f"thread {k} item {i}"])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert time.monotonic() - t0 < 60
    assert_all_versions_present(repo, results, 40)
