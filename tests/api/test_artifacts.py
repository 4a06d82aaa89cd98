"""save_artifact / load_artifact / link_artifact_to_model end to end, as a user calls them."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from helpers import checkout_state, git, make_tree
from pandas.testing import assert_frame_equal

from gitreg import (
    ArtifactConfig,
    ArtifactType,
    Client,
    Model,
    get_step_context,
    link_artifact_to_model,
    load_artifact,
    pipeline,
    save_artifact,
    step,
)
from gitreg.api import context
from gitreg.errors import ArtifactDataMissingError

DVC = str(Path(sys.executable).with_name("dvc"))


class Point:
    """A user class with no materializer of its own (goes through cloudpickle)."""

    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y

    def __eq__(self, other: object) -> bool:
        return type(other) is Point and (other.x, other.y) == (self.x, self.y)


class TrainConfig(pydantic.BaseModel):
    lr: float
    layers: list[int]
    name: str = "default"


def tree_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)).replace(os.sep, "/"): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


FOLDER = {
    "train.csv": b"a,b\n1,2\n",
    "images/cat.png": bytes(range(200)),
    "images/nested/dog.png": b"\x89PNG dog",
    "README": b"",
}


def fresh_process_view() -> None:
    """Forget in-memory clients, as a new Python process would."""
    context.forget_active_clients()


# --------------------------------------------------------------------------- save


def test_save_returns_what_was_stored(repo: Path) -> None:
    t0 = datetime.now(timezone.utc)
    art = save_artifact({"k": [1, 2, 3]}, "response", tags=["t1"], user_metadata={"owner": "me"})
    assert isinstance(art.id, uuid.UUID) and art.id.version == 4
    assert (art.name, art.version) == ("response", "1")
    assert art.type is ArtifactType.DATA
    assert art.data_type == "builtins.dict"
    assert (art.tags, art.user_metadata) == (["t1"], {"owner": "me"})
    assert t0 - timedelta(seconds=1) <= art.created <= datetime.now(timezone.utc)
    remote = repo / ".git" / "gitreg" / "remote"
    assert Path(art.uri) == remote / "files" / "md5" / art.md5[:2] / art.md5[2:]
    stored = Path(art.uri).read_bytes()
    assert hashlib.md5(stored).hexdigest() == art.md5
    assert len(stored) == art.size
    assert art.load() == {"k": [1, 2, 3]}
    assert Client().get_artifact_version(art.id) == art


def test_metadata_with_star_ampersand_and_hash_reads_back(repo: Path) -> None:
    # such text once read as a YAML alias: the artifact was saved, then could not be read
    meta = {"cmd": "ls *.txt # all", "-*0#": "x &y #z", "list": ["*q #r"]}
    art = save_artifact(b"bytes", "starry", user_metadata=meta)
    fresh_process_view()
    got = Client().get_artifact_version("starry")
    assert got.id == art.id and got.user_metadata == meta
    assert Client().validate().ok


def test_save_of_a_model_type_records_it(repo: Path) -> None:
    m = save_artifact(b"weights", "w", artifact_type=ArtifactType.MODEL)
    s = save_artifact(b"svc", "s", artifact_type="service")
    assert (m.type, s.type) == (ArtifactType.MODEL, ArtifactType.SERVICE)
    assert Client().get_artifact_version("w").type is ArtifactType.MODEL


# --------------------------------------------------------------------------- round trips

ROUND_TRIPS: list[tuple[str, Any]] = [
    ("str", "h\u00e9llo \u2603"),
    ("int", 2**70),
    ("float", 0.1 + 0.2),
    ("bool", True),
    ("none", None),
    ("bytes", b"\x00\xffraw"),
    ("dict", {"a": [1, 2.5, None], "b": {"c": "d"}}),
    ("list", [1, "two", [3.0]]),
    ("tuple", (1, "two", (3, 4))),
    ("set", {1, 2, 3}),
    ("point", Point(1.5, -2.0)),
    ("pydantic", TrainConfig(lr=0.01, layers=[64, 32], name="cfg")),
]


def test_load_returns_equal_objects_of_the_same_type(repo: Path) -> None:
    arrays = np.arange(12, dtype=np.float32).reshape(3, 4)
    frame = pd.DataFrame(
        {"i": [1, 2, 3], "f": [0.5, np.nan, 2.0], "s": ["x", "y", None]}, index=[10, 20, 30]
    )
    saved = {name: save_artifact(obj, f"rt-{name}") for name, obj in ROUND_TRIPS}
    saved["numpy"] = save_artifact(arrays, "rt-numpy")
    saved["pandas"] = save_artifact(frame, "rt-pandas")

    fresh_process_view()
    for name, obj in ROUND_TRIPS:
        loaded = load_artifact(f"rt-{name}")
        assert type(loaded) is type(obj), name
        assert loaded == obj, name
        assert load_artifact(saved[name].id) == obj, name
    tuple_back = load_artifact("rt-tuple")
    assert type(tuple_back[2]) is tuple
    got = load_artifact("rt-numpy")
    assert type(got) is np.ndarray and got.dtype == np.float32
    np.testing.assert_array_equal(got, arrays)
    got_frame = load_artifact("rt-pandas")
    assert type(got_frame) is pd.DataFrame
    assert_frame_equal(got_frame, frame)


def test_a_path_file_and_a_path_folder_round_trip(repo: Path, tmp_path: Path) -> None:
    src_file = tmp_path / "weights.bin"
    data = random.Random(2).randbytes(5000)
    src_file.write_bytes(data)
    src_dir = make_tree(tmp_path / "dataset", FOLDER)
    f = save_artifact(src_file, "weights-file")
    d = save_artifact(src_dir, "dataset-folder")
    assert f.size == len(data) and f.md5 == hashlib.md5(data).hexdigest()
    assert d.md5.endswith(".dir") and d.nfiles == len(FOLDER)

    fresh_process_view()
    got_file = load_artifact("weights-file")
    assert isinstance(got_file, Path)
    assert got_file.name == "weights.bin" and got_file.read_bytes() == data
    got_dir = load_artifact("dataset-folder")
    assert isinstance(got_dir, Path) and got_dir.is_dir()
    assert tree_of(got_dir) == FOLDER
    assert src_file.read_bytes() == data and tree_of(src_dir) == FOLDER  # sources untouched


# --------------------------------------------------------------------------- DVC


def test_dvc_get_returns_the_saved_bytes(repo: Path, tmp_path: Path, dvc_remote: Path) -> None:
    # a shared remote: the embedded one's path is this clone's and is never committed
    Client(repo).init(str(dvc_remote))
    src_file = tmp_path / "model.pkl"
    data = random.Random(9).randbytes(4096)
    src_file.write_bytes(data)
    f = save_artifact(src_file, "dvc-file")
    d = save_artifact(make_tree(tmp_path / "dataset", FOLDER), "dvc-folder")
    procs = [
        subprocess.Popen(
            [DVC, "get", str(repo), art.data_path, "--rev", "gitreg", "-o", out],
            cwd=tmp_path,
            # DVC keeps a SQLite index in a machine-wide site cache; two dvc
            # processes at once (these two, or another xdist worker's) can get
            # "database is locked" from DVC itself, so each gets its own.
            env={
                **os.environ,
                "DVC_NO_ANALYTICS": "1",
                "DVC_NO_UPDATER": "1",
                "DVC_SITE_CACHE_DIR": str(tmp_path / f"dvc-site-{out}"),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for art, out in ((f, "got-file"), (d, "got-folder"))
    ]
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0, out.decode()
    assert (tmp_path / "got-file").read_bytes() == data
    assert tree_of(tmp_path / "got-folder") == FOLDER


def test_the_registry_branch_holds_dvc_pointers(repo: Path) -> None:
    art = save_artifact(b"pointer me", "pointed")
    from ruamel.yaml import YAML

    pointer = YAML(typ="safe").load(git(repo, "show", f"gitreg:{art.data_path}.dvc"))
    (out,) = pointer["outs"]
    assert (out["md5"], out["size"], out["hash"]) == (art.md5, art.size, "md5")
    assert out["path"] == Path(art.data_path).name
    assert pointer["meta"]["gitreg"]["id"] == str(art.id)
    assert "[core]" in git(repo, "show", "gitreg:.dvc/config")


# --------------------------------------------------------------------------- offline


def test_a_cached_artifact_loads_with_the_remote_unreachable(repo: Path, tmp_path: Path) -> None:
    art = save_artifact({"offline": True}, "cached")
    folder = save_artifact(make_tree(tmp_path / "dataset", FOLDER), "cached-folder")
    gitreg_dir = repo / ".git" / "gitreg"
    shutil.move(gitreg_dir / "remote", tmp_path / "remote-away")

    fresh_process_view()
    assert load_artifact("cached") == {"offline": True}
    assert tree_of(load_artifact(folder.id)) == FOLDER

    # with neither the cache nor the remote, the error says what is missing and where
    shutil.move(gitreg_dir / "cache", tmp_path / "cache-away")
    fresh_process_view()
    # the embedded remote: the message says how to share bytes between clones
    with pytest.raises(ArtifactDataMissingError, match=f"{art.md5}.*gitreg remote set URL"):
        load_artifact("cached")
    shutil.move(tmp_path / "remote-away", gitreg_dir / "remote")
    assert load_artifact("cached") == {"offline": True}  # the remote is back: fetched again
    assert art.load() == {"offline": True}


# --------------------------------------------------------------------------- the checkout


def test_saving_from_a_dirty_checkout_leaves_it_untouched(repo: Path) -> None:
    (repo / "train.py").write_text("print('v1')\n")
    (repo / ".gitignore").write_text("outputs/\n")
    git(repo, "add", "train.py", ".gitignore")
    git(repo, "commit", "-q", "-m", "code")
    (repo / "train.py").write_text("print('v2, unstaged')\n")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    (repo / "outputs").mkdir()
    (repo / "outputs" / "model.bin").write_bytes(b"\x01" * 1000)  # ignored
    (repo / "notes.txt").write_text("untracked\n")
    before = checkout_state(repo)

    a = save_artifact({"epoch": 1}, "metrics")
    b = save_artifact(repo / "outputs" / "model.bin", "model-bin", artifact_type="model")
    link_artifact_to_model(b.id, model=Model("dirty", "v1"))
    Model("dirty", "v1").set_stage("staging")
    Model("dirty", "v1").log_metadata({"acc": 0.5})
    assert load_artifact(a.id) == {"epoch": 1}
    assert load_artifact("model-bin").read_bytes() == b"\x01" * 1000

    assert checkout_state(repo) == before
    assert not (repo / ".dvc").exists()
    assert subprocess.run(["git", "fsck", "--no-dangling"], cwd=repo).returncode == 0


def test_works_in_a_repo_with_no_commits(empty_repo: Path) -> None:
    (empty_repo / "work.py").write_text("x = 1\n")
    before = checkout_state(empty_repo)
    art = save_artifact([1, 2, 3], "early")
    link_artifact_to_model(art.id, model=Model("early-model", "v1"))
    fresh_process_view()
    assert load_artifact("early") == [1, 2, 3]
    assert Model("early-model", "v1").get_artifact("early") == art
    assert checkout_state(empty_repo) == before


# --------------------------------------------------------------------------- steps


def test_inside_a_step_saves_and_links_go_to_the_steps_model(repo: Path) -> None:
    outside = save_artifact("made before the step", "outside")
    seen: dict[str, Any] = {}

    @step(model=Model("stepper", version="v1"))
    def train() -> Annotated[dict, "step-output"]:
        seen["model"] = get_step_context().model.name
        save_artifact([1, 2], "inside")
        link_artifact_to_model(outside.id)  # no model=: the step's
        return {"trained": True}

    assert train() == {"trained": True}
    assert seen["model"] == "stepper"
    m = Model("stepper", "v1")
    assert m.load_artifact("inside") == [1, 2]
    assert m.get_artifact("outside") == outside
    assert m.load_artifact("step-output") == {"trained": True}
    names = sorted(a.name for a in Client().list_artifact_versions(model="stepper"))
    assert names == ["inside", "outside", "step-output"]
    assert Client().list_model_versions("stepper")[0].name == "v1"  # one version, reused


def test_a_step_model_overrides_the_pipelines(repo: Path) -> None:
    @step
    def load_data() -> Annotated[list, "rows"]:
        return [1, 2, 3]

    @step(model=Model("special", version="s1"))
    def train(
        rows: list,
    ) -> Annotated[str, ArtifactConfig("trained_model", is_model_artifact=True)]:
        return f"model on {len(rows)} rows"

    @pipeline(model=Model("main-model", version="m1"))
    def training() -> None:
        train(load_data())

    training()
    assert Model("main-model", "m1").load_artifact("rows") == [1, 2, 3]
    assert Model("main-model", "m1").get_artifact("trained_model") is None
    special = Model("special", "s1")
    assert special.get_model_artifact("trained_model").load() == "model on 3 rows"  # type: ignore[union-attr]
    assert special.get_artifact("rows") is None  # inputs are lineage, not links
