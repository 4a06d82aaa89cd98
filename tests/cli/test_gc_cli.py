"""`gitreg gc` from the command line: what it says, in text and JSON."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from gitreg import Client


def gitreg(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gitreg.cli.main", "-C", str(repo), *args],
        capture_output=True,
        text=True,
    )


def test_gc_reports_what_it_would_remove_then_removes_it(repo: Path, dvc_remote: Path) -> None:
    client = Client(repo)
    client.init(str(dvc_remote))
    client.save_artifact("kept", "a")
    store = client.registry.data()
    store.push(store.add_bytes(b"orphan bytes"))

    quiet = gitreg(repo, "gc")
    assert quiet.returncode == 0, quiet.stderr
    assert "Nothing to remove" in quiet.stdout and "Kept 2 unreferenced object(s)" in quiet.stdout

    dry = gitreg(repo, "gc", "--dry-run", "--older-than", "now")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("Would remove 1 object(s) (12 bytes) from the remote")

    done = gitreg(repo, "gc", "--older-than", "0", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["remote_removed"] == [hashlib.md5(b"orphan bytes").hexdigest()]
    assert report["remote_bytes"] == 12 and not report["dry_run"]
    assert report["refs"] == ["refs/heads/gitreg"]

    again = gitreg(repo, "gc", "--older-than", "now")
    assert again.stdout.startswith("Nothing to remove: the history of 1 registry ref(s)")
    assert gitreg(repo, "validate", "--remote").returncode == 0


def test_gc_refuses_a_bad_age(repo: Path) -> None:
    Client(repo).init()
    proc = gitreg(repo, "gc", "--older-than", "soon")
    assert proc.returncode == 2
    assert "is not an age" in proc.stderr
