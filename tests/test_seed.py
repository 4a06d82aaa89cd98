"""The seed document's code blocks, run as written (zenml -> gitreg, lines added only before).

The seed lives in the shared folder beside the repository (`../shared/seeds/`); a copy is kept
in tests/data/seed.md for clones without it. The live file is preferred, and the copy must
equal it whenever both exist.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

SEED_NAME = "linking-model-binaries-data-to-models.md"
LIVE_SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / SEED_NAME
COPY_SEED = Path(__file__).resolve().parent / "data" / "seed.md"


def seed_text() -> str:
    if LIVE_SEED.exists():
        return LIVE_SEED.read_text(encoding="utf-8")
    return COPY_SEED.read_text(encoding="utf-8")


def code_blocks() -> list[str]:
    blocks = re.findall(r"^```python\n(.*?)^```", seed_text(), flags=re.M | re.S)
    return [b.replace("zenml", "gitreg") for b in blocks]


def run_block(index: int, before: str = "", after: str = "") -> dict[str, Any]:
    """Exec `before`, then seed block `index` unchanged, then `after`, in a fresh namespace."""
    block = code_blocks()[index]
    source = f"{before}\n{block}\n{after}\n"
    assert block in source
    namespace: dict[str, Any] = {"__name__": f"gitreg_seed_block_{index + 1}"}
    exec(compile(source, f"<seed block {index + 1}>", "exec"), namespace)
    return namespace


def test_seed_copy_matches_live() -> None:
    assert COPY_SEED.exists(), "tests/data/seed.md is missing: copy the seed there"
    if not LIVE_SEED.exists():
        pytest.skip("the shared seed folder is not beside this clone")
    assert COPY_SEED.read_bytes() == LIVE_SEED.read_bytes()


def test_seed_has_three_blocks_that_keep_their_ellipses() -> None:
    blocks = code_blocks()
    assert len(blocks) == 3
    assert all("zenml" not in b for b in blocks)
    assert all("from gitreg" in b for b in blocks)
    assert "    ..." in blocks[0]
    assert blocks[1].count("    ...") == 2
    assert 'ArtifactConfig("trained_model")' in blocks[1]


# --------------------------------------------------------------------------- block 1


def test_block1_pipeline_model_version_exists(repo: Path) -> None:
    from gitreg import Client

    run_block(0, after="my_pipeline()")
    mv = Client().get_model_version("my_model", "1.0.0")
    assert (mv.model_name, mv.name, mv.number) == ("my_model", "1.0.0", 1)


def test_block1_runs_and_links_step_outputs(repo: Path) -> None:
    """Block 1 runs as written; a step added to the pipeline links its output to my_model@1.0.0."""
    from gitreg import Client, step

    ns = run_block(0, after="my_pipeline()")

    @step
    def produce() -> int:
        return 7

    pipeline_model = ns["model"]
    from gitreg import pipeline

    @pipeline(model=pipeline_model)
    def with_step() -> None:
        produce()

    with_step()
    mv = Client().get_model_version("my_model", "1.0.0")
    art = mv.get_artifact("with_step::produce::output")
    assert art is not None and art.load() == 7


# --------------------------------------------------------------------------- block 2

BLOCK2_BEFORE = """
import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.linear_model import SGDClassifier

rng = np.random.default_rng(0)
df = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
df["label"] = (df["a"] > df["b"]).astype(int)
epochs = range(3)


class EpochTrainer(SGDClassifier):
    def train(self, epoch):
        self.partial_fit(df[["a", "b"]], df["label"], classes=[0, 1])
        return self


model = EpochTrainer(random_state=0)
"""


def test_block2_checkpoints_and_trained_model(repo: Path) -> None:
    from gitreg import Client, Model

    ns = run_block(1, before=BLOCK2_BEFORE, after="result = trainer(df)")
    assert ns["result"] is ns["model"]
    client = Client()
    versions = [a.version for a in client.list_artifact_versions(name="training_checkpoint")]
    assert versions == ["1.2.42_0", "1.2.42_1", "1.2.42_2"]

    mv = client.get_model_version("MyModel", "1.2.42")
    assert mv.number == 1
    links = {(lk.artifact, lk.version): lk for lk in client.list_links("MyModel", "1.2.42")}
    for epoch in range(3):
        assert ("training_checkpoint", f"1.2.42_{epoch}") in links
    m = Model("MyModel", "1.2.42")
    assert m.get_artifact("training_checkpoint", "1.2.42_1") is not None
    assert m.get_artifact("training_checkpoint").version == "1.2.42_2"

    trained = m.get_model_artifact("trained_model")
    assert trained is not None
    assert trained.type.value == "model"
    assert links[("trained_model", trained.version)].kind.value == "model"

    # what was stored is a working classifier
    loaded = trained.load()
    from sklearn.base import ClassifierMixin

    assert isinstance(loaded, ClassifierMixin)
    df = ns["df"]
    assert list(loaded.predict(df[["a", "b"]])) == list(ns["model"].predict(df[["a", "b"]]))
    checkpoint = client.load_artifact("training_checkpoint", "1.2.42_0")
    assert hasattr(checkpoint, "coef_")

    # the input DataFrame is lineage, not a linked artifact
    assert {name for name, _ in links} == {"training_checkpoint", "trained_model"}


# --------------------------------------------------------------------------- block 3

BLOCK3_BEFORE = """
from gitreg import save_artifact

save_artifact(data={"rows": 3}, name="existing_artifact")
"""


def test_block3_links_inside_and_outside_a_step(repo: Path) -> None:
    from gitreg import Client, Model

    ns = run_block(2, before=BLOCK3_BEFORE, after="f_()")
    client = Client()

    existing = client.get_artifact_version("existing_artifact")
    assert existing.id == ns["existing_artifact"].id
    m_outside = Model("MyModel", "0.2.42")
    linked = m_outside.get_artifact("existing_artifact")
    assert linked is not None and linked.id == existing.id
    assert linked.load() == {"rows": 3}

    mv = client.get_model_version("MyModel", "0.0.42")
    manual = mv.get_artifact("manual_artifact")
    assert manual is not None
    assert manual.load() == "Hello, World!"
    got = Model(name="MyModel", version="0.0.42").get_artifact("manual_artifact")
    assert got is not None and got.id == manual.id

    # manual_artifact was created inside the step (it has a producer) and is linked only there
    assert manual.producer is not None and manual.producer.get("step") == "f_"
    assert m_outside.get_artifact("manual_artifact") is None
    assert Model("MyModel", "0.0.42").get_artifact("existing_artifact") is None

    # version order: 0.2.42 was created first (outside the step), then 0.0.42
    names = [(v.name, v.number) for v in client.list_model_versions("MyModel")]
    assert names == [("0.2.42", 1), ("0.0.42", 2)]


def test_all_blocks_in_one_repo_keep_fsck_clean(repo: Path) -> None:
    from helpers import git

    from gitreg import Client

    run_block(0, after="my_pipeline()")
    run_block(1, before=BLOCK2_BEFORE, after="trainer(df)")
    run_block(2, before=BLOCK3_BEFORE, after="f_()")
    client = Client()
    assert [v.name for v in client.list_model_versions("MyModel")] == ["1.2.42", "0.2.42", "0.0.42"]
    git(repo, "fsck", "--no-dangling")
    assert git(repo, "status", "--porcelain") == ""
