"""A damaged repository (a truncated pack, a lost .idx, a lost object) gives one
`gitreg: error:` line that says what is damaged and how to recover, and what is saved
elsewhere in the registry stays readable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import git

from gitreg import Client

GITREG = str(Path(sys.executable).with_name("gitreg"))


def _cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GITREG, "-C", str(repo), *args], capture_output=True, text=True)


def _pack_of(repo: Path, sha: str) -> Path:
    """The pack file holding object `sha` (gitreg writes one small pack per commit)."""
    for idx in sorted((repo / ".git" / "objects" / "pack").glob("*.idx")):
        with idx.open("rb") as f:
            listed = subprocess.run(
                ["git", "show-index"], stdin=f, capture_output=True, text=True
            ).stdout
        if sha in listed:
            return idx.with_suffix(".pack")
    raise AssertionError(f"{sha} is in no pack")


@pytest.fixture
def damaged_setup(repo: Path) -> tuple[Path, str]:
    c = Client(repo)
    c.save_artifact({"v": 1}, "safe")
    c.save_artifact({"v": 2}, "hurt")  # its manifests and trees are in one small pack
    blob = git(repo, "rev-parse", "gitreg:" + c.get_artifact_version("hurt").manifest_path)
    c.save_artifact({"v": 3}, "later")  # the tip (and the root tree) in another pack
    return repo, blob


@pytest.mark.parametrize("damage", ["truncated pack", "lost idx", "lost pack"])
def test_one_damaged_object_gives_one_line_and_spares_the_rest(
    damaged_setup: tuple[Path, str], damage: str
) -> None:
    repo, blob = damaged_setup
    pack = _pack_of(repo, blob)
    if damage == "truncated pack":
        pack.chmod(0o644)
        with pack.open("r+b") as f:
            f.truncate(40)
    elif damage == "lost idx":
        pack.with_suffix(".idx").unlink()
    else:
        pack.with_suffix(".idx").unlink()
        pack.unlink()
    shown = _cli(repo, "artifact", "show", "hurt")
    assert shown.returncode == 1 and shown.stdout == ""
    lines = shown.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gitreg: error: "), shown.stderr
    assert "missing or damaged" in lines[0] and "git fsck" in lines[0]
    assert "git index-pack" in lines[0] and "gitreg validate" in lines[0]
    safe = _cli(repo, "artifact", "show", "safe", "--json")  # the rest stays readable
    assert safe.returncode == 0, safe.stderr
    assert Client(repo).load_artifact("safe") == {"v": 1}
    assert Client(repo).load_artifact("later") == {"v": 3}
    listed = _cli(repo, "artifacts", "--json")
    assert listed.returncode == 0 and '"safe"' in listed.stdout
    assert "gitreg: warning: skipping" in listed.stderr and "Traceback" not in listed.stderr
    report = _cli(repo, "validate")
    assert report.returncode == 1 and "missing or damaged" in report.stdout
