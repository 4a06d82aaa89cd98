"""Concurrency: 8 writer processes x 50 saves + links on one artifact and one model version,
with 2 reader processes listing all the while. No write is lost, no auto-number is handed
out twice, and every listing a reader sees is a consistent state (versions 1..k, each
loadable, every link pointing at an existing version)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rel_helpers import GIT_ENV, PYTHON, fsck, make_repo

from gitreg import Client

WRITERS = 8
SAVES = 50
READERS = 2

WRITER = r"""
import json, os, sys, time
from gitreg import Client, Model
from gitreg.materializers import registry

k, go, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
client = Client()
registry.for_object("warm up")  # imports done before the start line
client.registry.data()
model = Model("conc-model", "v1")
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
out = []
for i in range(n):
    content = f"writer {k} item {i}"
    a = client.save_artifact(content, "shared")
    client.link_artifact_to_model(a, model)
    out.append([a.version, str(a.id), content])
print(json.dumps(out), flush=True)
"""

READER = r"""
import json, os, random, sys, time, traceback
from gitreg import Client, Model

go, stop, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
client = Client()
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
stats = {"listings": 0, "link_listings": 0, "loads": 0, "max_k": 0, "max_links": 0, "errors": []}
verified = {}  # artifact id -> content already checked
last_k = last_links = 0
def fail(msg):
    stats["errors"].append(msg)

while True:
    stopping = os.path.exists(stop)
    try:
        arts = client.list_artifact_versions(name="shared")
        stats["listings"] += 1
        versions = [int(a.version) for a in arts]
        k = len(versions)
        if sorted(versions) != list(range(1, k + 1)):
            fail(f"versions not 1..{k}: {sorted(versions)}")
        if [a.view.meta.seq for a in arts] != list(range(1, k + 1)):
            fail("seq not 1..k")
        if k < last_k:
            fail(f"went back from {last_k} to {k} versions")
        last_k = k
        new = [a for a in arts if str(a.id) not in verified]
        random.shuffle(new)
        for a in new[:25]:
            value = a.load()
            if not (isinstance(value, str) and value.startswith("writer ")):
                fail(f"{a.version} loaded {value!r}")
            verified[str(a.id)] = value
            stats["loads"] += 1
        if k:
            latest = client.get_artifact_version("shared")
            if int(latest.version) < k:
                fail(f"latest {latest.version} below {k}")
        linked = client.list_artifact_versions(model=Model("conc-model", "v1"))
        stats["link_listings"] += 1
        if len(linked) < last_links:
            fail(f"links went back from {last_links} to {len(linked)}")
        last_links = len(linked)
        if len({str(a.id) for a in linked}) != len(linked):
            fail("a link listed twice")
        for a in linked:
            if a.name != "shared":
                fail(f"link to {a.name}")
        stats["max_k"] = max(stats["max_k"], k)
        stats["max_links"] = max(stats["max_links"], len(linked))
    except BaseException as e:
        fail("".join(traceback.format_exception(e))[-3000:])
    if stopping:
        break
with open(out_path, "w") as f:
    json.dump(stats, f)
"""


def _start(script: str, *args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PYTHON, "-c", script, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **GIT_ENV},
    )


def test_eight_writers_and_two_readers_lose_nothing(tmp_path: Path, reliability_counts) -> None:
    repo = make_repo(tmp_path / "repo")
    client = Client(repo)
    client.init()
    # the model version exists before the readers start, so listing its links never fails
    client.create_model_version("conc-model", "v1")
    go, stop = tmp_path / "go", tmp_path / "stop"
    writers = [_start(WRITER, str(k), str(go), str(SAVES), cwd=repo) for k in range(WRITERS)]
    reader_out = [tmp_path / f"reader{r}.json" for r in range(READERS)]
    readers = [_start(READER, str(go), str(stop), str(p), cwd=repo) for p in reader_out]
    procs = writers + readers
    try:
        for p in procs:  # every process warmed up; then all start at once
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            assert line == "ready", p.stderr.read() if p.stderr else line
        t0 = time.monotonic()
        go.write_text("go")
        outputs = [p.communicate(timeout=180) for p in writers]
        elapsed = time.monotonic() - t0
        stop.write_text("stop")
        for p in readers:
            p.communicate(timeout=60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    results: list[list[str]] = []
    for p, (out, err) in zip(writers, outputs):
        assert p.returncode == 0, err
        results += json.loads(out.strip().splitlines()[-1])
    total = WRITERS * SAVES
    assert len(results) == total

    # no auto-number handed out twice, none skipped, no id reused
    versions = sorted(int(v) for v, _, _ in results)
    assert versions == list(range(1, total + 1))
    assert len({i for _, i, _ in results}) == total

    # no write lost: every version and every link is on the branch, with its content
    fresh = Client(repo)
    listed = {a.version: a for a in fresh.list_artifact_versions(name="shared")}
    assert len(listed) == total
    assert fresh.get_artifact_version("shared").version in {str(total), *listed}
    for version, art_id, content in results:
        assert str(listed[version].id) == art_id
        assert listed[version].load() == content
    links = fresh.list_links("conc-model", "v1")
    assert len(links) == total
    assert {str(link.artifact_id) for link in links} == {i for _, i, _ in results}
    assert [v.name for v in fresh.list_model_versions("conc-model")] == ["v1"]

    # readers saw only consistent states and never an exception
    listings = 0
    for r, path in enumerate(reader_out):
        stats = json.loads(path.read_text())
        assert stats["errors"] == [], f"reader {r}: {stats['errors'][:3]}"
        assert stats["listings"] > 1
        assert stats["max_k"] == total  # the last listing, after every writer finished
        assert stats["max_links"] == total
        listings += stats["listings"] + stats["link_listings"]

    result = fsck(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    report = Client(repo).validate(remote=True)
    assert report.ok, [str(p) for p in report.problems]
    reliability_counts.add("concurrent saves", total)
    reliability_counts.add("concurrent links", len(links))
    reliability_counts.add("reader listings", listings)
    print(f"{total} saves + {total} links by {WRITERS} processes in {elapsed:.1f} s")


NUMBERED = r"""
import json, os, sys, time
from gitreg import Client, Model

go, n = sys.argv[1], int(sys.argv[2])
client = Client()
client.registry.data()
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
out = []
for i in range(n):
    a = client.save_artifact(i, "numbered-w")
    m = Model("numbered")  # each link creates the next version, in the link's commit
    client.link_artifact_to_model(a, m)
    out.append([m.version, str(a.id)])
print(json.dumps(out), flush=True)
"""


def test_writers_creating_numbered_versions_by_links_share_out_the_numbers(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo")
    Client(repo).init()
    go, writers, each = tmp_path / "go", 4, 20
    procs = [_start(NUMBERED, str(go), str(each), cwd=repo) for _ in range(writers)]
    try:
        for p in procs:
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            assert line == "ready", p.stderr.read() if p.stderr else line
        go.write_text("go")
        outputs = [p.communicate(timeout=180) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    made: list[list[str]] = []
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
        made += json.loads(out.strip().splitlines()[-1])
    total = writers * each
    assert sorted(int(v) for v, _ in made) == list(range(1, total + 1))  # none twice
    fresh = Client(repo)
    for version, art_id in made:  # each version holds exactly the link that made it
        assert [str(lk.artifact_id) for lk in fresh.list_links("numbered", version)] == [art_id]
    assert len([t for t in fresh.list_tags() if t.model == "numbered"]) == total
    report = fresh.validate()
    assert report.ok, [str(p) for p in report.problems]
    assert fsck(repo).returncode == 0


RACE = r"""
import sys, threading, time
from gitreg.materializers import registry

# widen the window between "builtins loaded" being set and the registration finishing,
# so that the race is hit every time instead of now and then
original = registry.register_builtins
def slow_register_all():
    time.sleep(0.3)
    original()
registry.register_builtins = slow_register_all

errors = []
barrier = threading.Barrier(4)
def worker(obj):
    barrier.wait()
    try:
        registry.for_object(obj)
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=worker, args=(o,)) for o in ("text", 1, {"a": 1}, object())]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors)
sys.exit(1 if errors else 0)
"""


def test_first_saves_from_several_threads_at_once_find_their_materializer(
    reliability_counts,
) -> None:
    proc = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True)
    reliability_counts.add("concurrent saves", 4)
    assert proc.returncode == 0, proc.stdout + proc.stderr
