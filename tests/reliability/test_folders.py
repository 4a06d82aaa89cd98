"""Folders: one rule for symlinks (followed when they resolve inside the saved folder,
refused otherwise) and for names (refused at save when a DVC listing cannot hold them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import make_tree

from gitreg import Client
from gitreg.errors import MaterializerError

FILES = {"weights.bin": b"weights", "sub/config.json": b"{}"}


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def assert_refused(client: Client, folder: Path, *words: str) -> None:
    """The save fails with a message holding `words`, and leaves no trace: no version,
    nothing in the cache or the embedded remote."""
    gitreg_dir = Path(str(client.root)) / ".git" / "gitreg"
    with pytest.raises(MaterializerError) as e:
        client.save_artifact(folder, "folder")
    for word in words:
        assert word in str(e.value)
    assert client.list_artifact_versions() == []
    assert not [p for p in gitreg_dir.rglob("files/md5/*/*") if p.is_file()]


def test_symlinks_that_resolve_inside_the_folder_are_followed(
    client: Client, tmp_path: Path
) -> None:
    folder = make_tree(tmp_path / "model", FILES)
    os.symlink("weights.bin", folder / "latest.bin")
    os.symlink("sub", folder / "current")  # a folder link: its files appear under it too
    os.symlink(folder / "sub" / "config.json", folder / "sub" / "absolute.json")
    saved = client.save_artifact(folder, "model")
    loaded = Path(client.load_artifact(saved.id))
    assert files_of(loaded) == {
        **FILES,
        "latest.bin": b"weights",
        "current/config.json": b"{}",
        "current/absolute.json": b"{}",
        "sub/absolute.json": b"{}",
    }
    assert not any(p.is_symlink() for p in loaded.rglob("*"))  # links load as plain files


def test_a_symlink_to_outside_the_folder_is_refused(client: Client, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_bytes(b"not part of the folder")
    folder = make_tree(tmp_path / "model", FILES)
    os.symlink("../../secret.txt", folder / "sub" / "leak.txt")
    assert_refused(client, folder, str(folder / "sub" / "leak.txt"), "points outside", "inside")


def test_a_folder_symlink_to_outside_is_refused(client: Client, tmp_path: Path) -> None:
    make_tree(tmp_path / "elsewhere", {"big.bin": b"x"})
    folder = make_tree(tmp_path / "model", FILES)
    os.symlink(tmp_path / "elsewhere", folder / "data")
    assert_refused(client, folder, str(folder / "data"), "points outside")


def test_a_dangling_symlink_is_refused(client: Client, tmp_path: Path) -> None:
    folder = make_tree(tmp_path / "model", FILES)
    os.symlink("missing.bin", folder / "gone.bin")
    assert_refused(client, folder, str(folder / "gone.bin"), "dangles")


def test_a_symlink_loop_is_refused(client: Client, tmp_path: Path) -> None:
    folder = make_tree(tmp_path / "model", FILES)
    os.symlink("..", folder / "sub" / "up")
    assert_refused(client, folder, str(folder / "sub" / "up"), "loop")


@pytest.mark.parametrize(
    ("name", "problem"),
    [("back\\slash.txt", "backslash"), (os.fsdecode(b"latin1-\xe9.txt"), "not valid UTF-8")],
)
def test_a_name_a_dvc_listing_cannot_hold_is_refused_at_save(
    client: Client, tmp_path: Path, name: str, problem: str
) -> None:
    folder = make_tree(tmp_path / "model", FILES)
    try:
        (folder / "sub" / name).write_bytes(b"x")
    except (OSError, UnicodeError):
        pytest.skip("this file system cannot hold the name")
    assert_refused(client, folder, repr(f"sub/{name}"), problem, "rename it")


def test_names_that_round_trip_are_kept(client: Client, tmp_path: Path) -> None:
    names = {"sp ace.txt": b"1", "\u00e9t\u00e9.txt": b"2", "new\nline": b"3", "a:b*c?": b"4"}
    folder = make_tree(tmp_path / "model", names)
    loaded = Path(client.load_artifact(client.save_artifact(folder, "model").id))
    assert files_of(loaded) == names
