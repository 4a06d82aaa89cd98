"""gitreg writes only to its own registry branch: an existing branch of the same name that is
not a registry is refused, and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import git, registry_state

from gitreg import Client, RegistryError, save_artifact
from gitreg.errors import NotARegistryError


def test_an_existing_user_branch_named_gitreg_is_never_taken_over(repo: Path) -> None:
    git(repo, "branch", "gitreg")  # the user's own branch, holding their code
    before = registry_state(repo)
    config = git(repo, "config", "--list", "--local")
    with pytest.raises(NotARegistryError) as info:
        save_artifact({"a": 1}, "x")
    assert isinstance(info.value, RegistryError) and info.value.branch == "gitreg"
    assert "is not a gitreg registry" in str(info.value) and "--branch" in str(info.value)
    with pytest.raises(NotARegistryError):
        Client(repo).init()
    assert registry_state(repo) == before
    assert git(repo, "config", "--list", "--local") == config
    assert git(repo, "log", "--format=%s", "gitreg") == "initial"


def test_another_branch_name_works_beside_it(repo: Path) -> None:
    git(repo, "branch", "gitreg")
    client = Client(repo, branch="registry")
    client.init()
    art = client.save_artifact({"a": 1}, "x")
    assert Client(repo).branch == "registry"  # remembered in git config
    assert Client(repo).get_artifact_version("x").id == art.id
    assert git(repo, "log", "--format=%s", "gitreg") == "initial"


def test_the_cli_refuses_in_one_line(repo: Path) -> None:
    import subprocess
    import sys

    git(repo, "branch", "gitreg")
    exe = Path(sys.executable).with_name("gitreg")
    res = subprocess.run([str(exe), "-C", str(repo), "init"], capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr.startswith("gitreg: error: branch 'gitreg' exists and is not a gitreg")
    assert len(res.stderr.strip().splitlines()) == 1
