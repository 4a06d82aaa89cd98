"""`dvc.yaml` on the registry branch follows deletions: DVC never keeps fetching the bytes
of a version the registry deleted."""

from __future__ import annotations

from pathlib import Path

from helpers import git
from ruamel.yaml import YAML

from gitreg import ArtifactType, Client, Model


def _entry(repo: Path, name: str) -> str | None:
    doc = YAML(typ="safe").load(git(repo, "show", "gitreg:dvc.yaml"))
    entry = (doc.get("artifacts") or {}).get(name)
    return None if entry is None else str(entry["meta"]["gitreg"]["version"])


def _model_version(client: Client, version: str, content: str) -> None:
    art = client.save_artifact(content, "weights", artifact_type=ArtifactType.MODEL)
    client.link_artifact_to_model(art.id, Model("clf", version))


def _two_versions(repo: Path) -> Client:
    """A registry whose model clf has versions 1.0.0 and 2.0.0, each with a model artifact
    (weights 1 and 2)."""
    client = Client(repo)
    client.init()
    _model_version(client, "1.0.0", "one")
    _model_version(client, "2.0.0", "two")
    return client


def test_deleting_the_production_version_moves_the_entry(repo: Path) -> None:
    client = _two_versions(repo)
    client.set_model_version_stage("clf", "1.0.0", "production")
    assert _entry(repo, "clf") == "1"  # the production version's artifact, not the newest
    client.delete_model_version(client.get_model_version("clf", "1.0.0").id)
    assert _entry(repo, "clf") == "2"  # no production now: the newest model artifact
    assert client.validate().ok


def test_deleting_the_artifact_version_behind_the_entry_moves_or_drops_it(repo: Path) -> None:
    client = _two_versions(repo)
    assert _entry(repo, "clf") == "2"
    client.delete_artifact_version("weights", "2")
    assert _entry(repo, "clf") == "1"
    client.delete_artifact_version("weights", "1")
    assert _entry(repo, "clf") is None  # no model artifact left: no entry to fetch
    assert client.validate().ok


def test_deleting_another_version_leaves_the_entry(repo: Path) -> None:
    client = _two_versions(repo)
    client.set_model_version_stage("clf", "1.0.0", "production")
    before = git(repo, "show", "gitreg:dvc.yaml")
    client.delete_model_version(client.get_model_version("clf", "2.0.0").id)
    assert git(repo, "show", "gitreg:dvc.yaml") == before
