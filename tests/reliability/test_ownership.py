"""gitreg writes only to its own registry branch: an existing branch of the same name that is
not a registry is refused, and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import git, registry_state

from gitreg import Client, Model, RegistryError, save_artifact
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


def test_core_shared_repository_is_honoured_for_what_gitreg_creates(repo: Path) -> None:
    import os
    import stat

    git(repo, "config", "core.sharedRepository", "group")
    old = os.umask(0o022)  # without the setting, nothing gitreg makes is group-writable
    try:
        client = Client(repo)
        art = client.save_artifact({"a": 1}, "x")
        client.link_artifact_to_model(art, Model("m", "v1"))
    finally:
        os.umask(old)
    created = [p for p in (repo / ".git" / "gitreg").rglob("*") if p.is_dir()]
    created.append(repo / ".git" / "gitreg")
    assert created
    for folder in created:
        mode = folder.stat().st_mode
        assert mode & stat.S_IWGRP and mode & stat.S_IXGRP and mode & stat.S_ISGID, folder
    reflog = repo / ".git" / "logs" / "refs" / "heads" / "gitreg"
    assert reflog.stat().st_mode & stat.S_IWGRP  # the next member appends to it
    assert Client(repo).load_artifact("x") == {"a": 1}
