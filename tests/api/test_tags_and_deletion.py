"""Tags added and removed after the fact, listings filtered by them, and deletion as ZenML
offers it: each change is one registry commit, so git history keeps what was there."""

import subprocess
from pathlib import Path

import pytest
from helpers import registry_state

from gitreg import (
    ArtifactNotFoundError,
    Client,
    InvalidNameError,
    Model,
    ModelNotFoundError,
    UsageError,
    link_artifact_to_model,
    save_artifact,
)


def commits(repo: Path) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--count", "gitreg"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def test_artifact_version_tags_change_in_one_commit_and_listings_follow(repo: Path) -> None:
    save_artifact(1, "data", tags=["raw"])
    save_artifact(2, "data")
    n = commits(repo)
    av = Client().update_artifact_version("data", "2", add_tags=["gold", "raw"])
    assert commits(repo) == n + 1
    assert av.tags == ["gold", "raw"]
    assert [a.version for a in Client().list_artifact_versions(tag="raw")] == ["1", "2"]
    Client().update_artifact_version(str(av.id), remove_tags=["raw"])
    assert [a.version for a in Client().list_artifact_versions(tag="raw")] == ["1"]
    assert Client().get_artifact_version("data", "2").tags == ["gold"]
    assert Client().validate().ok


def test_artifact_model_and_model_version_tags(repo: Path) -> None:
    save_artifact(1, "counts")
    art = Client().update_artifact("counts", add_tags=["shared"])
    assert art.tags == ["shared"]
    assert Client().update_artifact("counts", remove_tags=["shared"]).tags == []
    Model("churn", "v1", tags=["first"]).log_metadata({"a": 1})
    Model("other", "v1").log_metadata({"a": 1})
    m = Client().update_model("churn", add_tags=["tabular"], license="MIT")
    assert (m.tags, m.license) == (["first", "tabular"], "MIT")
    assert [x.name for x in Client().list_models(tag="tabular")] == ["churn"]
    Client().create_model_version("churn", "v2")
    mv = Client().update_model_version("churn", "v2", add_tags=["candidate"], stage="staging")
    assert (mv.tags, mv.stage) == (["candidate"], "staging")
    assert [v.name for v in Client().list_model_versions("churn", tag="candidate")] == ["v2"]
    assert [v.name for v in Client().list_model_versions("churn", stage="staging")] == ["v2"]
    Client().update_model_version("churn", "v2", remove_tags=["candidate"])
    assert Client().list_model_versions("churn", tag="candidate") == []
    assert Client().validate().ok


def test_bad_tag_and_renames_are_refused_and_change_nothing(repo: Path) -> None:
    save_artifact(1, "data")
    Model("m", "v1").log_metadata({"a": 1})
    before = registry_state(repo)
    with pytest.raises(InvalidNameError, match="tag"):
        Client().update_artifact_version("data", add_tags=["no spaces"])
    with pytest.raises(UsageError, match="cannot change: create a model with the new name"):
        Client().update_model("m", name="n")
    with pytest.raises(UsageError, match="version names are immutable"):
        Client().update_model_version("m", "v1", name="v2")
    with pytest.raises(UsageError, match="save the versions under the new name"):
        Client().update_artifact("data", new_name="data2")
    assert registry_state(repo) == before


def test_delete_artifact_version_removes_it_and_its_links(repo: Path) -> None:
    a1 = save_artifact(1, "ckpt")
    a2 = save_artifact(2, "ckpt")
    link_artifact_to_model(a1.id, Model("mdl", "v1"))
    link_artifact_to_model(a2.id, Model("mdl", "v1"))
    n = commits(repo)
    Client().delete_artifact_version("ckpt", "2")
    assert commits(repo) == n + 1
    with pytest.raises(ArtifactNotFoundError):
        Client().get_artifact_version(str(a2.id))
    assert Client().get_artifact_version("ckpt").version == "1"  # latest moves back
    assert [lk.version for lk in Client().list_links("mdl", "v1")] == ["1"]
    assert Client().validate().ok
    # the record stays in git history
    assert Client(at="gitreg~1").get_artifact_version("ckpt", "2").load() == 2
    Client().delete_artifact_version(str(a1.id))
    assert Client().list_artifact_versions("ckpt") == []
    assert "ckpt" not in Client().list_artifacts()
    assert Client().validate().ok


def test_delete_model_version_and_model(repo: Path) -> None:
    av = save_artifact("w", "weights", artifact_type="model")
    link_artifact_to_model(av.id, Model("gone", "v1"))
    Model("gone", "v2").set_stage("production")
    v2 = Client().get_model_version("gone", "v2")
    Client().delete_model_version(v2.id)
    model = Client().get_model("gone")
    assert [v.name for v in model.versions] == ["v1"]
    assert model.latest_version_name == "v1" and model.stages == {}
    assert model.version_count == 1
    with pytest.raises(ModelNotFoundError):
        Client().get_model_version("gone", "v2")
    assert Client().validate().ok
    Client().delete_model("gone")
    with pytest.raises(ModelNotFoundError):
        Client().get_model("gone")
    assert Client().get_artifact_version("weights").load() == "w"  # artifacts stay
    assert Client().validate().ok
    assert Client(at="gitreg~1").get_model_version("gone", "v1").name == "v1"


def test_deleting_what_does_not_exist_is_an_error_and_changes_nothing(repo: Path) -> None:
    save_artifact(1, "data")
    before = registry_state(repo)
    with pytest.raises(ModelNotFoundError):
        Client().delete_model("nope")
    with pytest.raises(ModelNotFoundError, match="no model version has this id"):
        Client().delete_model_version("0123abcd")
    with pytest.raises(ArtifactNotFoundError):
        Client().delete_artifact_version("data", "7")
    assert registry_state(repo) == before
