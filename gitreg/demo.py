"""`gitreg demo`: the seed document's three examples, run in a scratch repository.

No `from __future__ import annotations` here: step return annotations must be real objects.
"""

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DemoResult:
    repo: str
    branch: str
    artifacts: list[Any] = field(default_factory=list)
    model_versions: list[Any] = field(default_factory=list)
    links: dict[tuple[str, str], list[Any]] = field(default_factory=dict)


def _seed_examples() -> None:
    """The seed's code with `zenml` -> `gitreg`, plus only the lines it leaves out."""
    # --- block 1: a model configured on a pipeline
    from gitreg import Model, pipeline

    model = Model(name="my_model", version="1.0.0")

    @pipeline(model=model)
    def my_pipeline(): ...

    my_pipeline()

    # --- block 2: checkpoints saved and linked from a step (needs pandas + scikit-learn)
    try:
        import numpy as np
        import pandas as pd
        from sklearn.base import ClassifierMixin
        from sklearn.linear_model import SGDClassifier
    except ImportError:  # pragma: no cover - the demo still runs blocks 1 and 3
        pass
    else:
        from typing import Annotated

        from gitreg import step
        from gitreg.artifacts.artifact_config import ArtifactConfig
        from gitreg.artifacts.utils import save_artifact

        rng = np.random.default_rng(0)
        frame = pd.DataFrame(rng.normal(size=(64, 3)), columns=["a", "b", "c"])
        frame["label"] = (frame["a"] + frame["b"] > 0).astype(int)
        epochs = range(3)

        class EpochTrainer(SGDClassifier):
            def train(self, epoch: int) -> SGDClassifier:
                self.partial_fit(frame[["a", "b", "c"]], frame["label"], classes=[0, 1])
                return self

        model = EpochTrainer(random_state=0)

        @step(model=Model(name="MyModel", version="1.2.42"))
        def trainer(
            trn_dataset: pd.DataFrame,
        ) -> Annotated[ClassifierMixin, ArtifactConfig("trained_model")]:
            for epoch in epochs:
                checkpoint = model.train(epoch)
                save_artifact(
                    data=checkpoint,
                    name="training_checkpoint",
                    version=f"1.2.42_{epoch}",
                )
            return model

        trainer(frame)

    # --- block 3: linking explicitly, inside and outside a step
    from gitreg import link_artifact_to_model, save_artifact, step
    from gitreg.client import Client

    save_artifact(data=[1, 2, 3], name="existing_artifact")

    @step
    def f_() -> None:
        new_artifact = save_artifact(data="Hello, World!", name="manual_artifact")
        link_artifact_to_model(
            artifact_version_id=new_artifact.id,
            model=Model(name="MyModel", version="0.0.42"),
        )

    existing_artifact = Client().get_artifact_version(name_id_or_prefix="existing_artifact")
    link_artifact_to_model(
        artifact_version_id=existing_artifact.id,
        model=Model(name="MyModel", version="0.2.42"),
    )
    f_()


def run_demo(directory: str | None = None) -> DemoResult:
    from gitreg.api.client import Client

    repo = os.path.abspath(directory) if directory else tempfile.mkdtemp(prefix="gitreg-demo-")
    os.makedirs(repo, exist_ok=True)
    if not os.path.exists(os.path.join(repo, ".git")):
        subprocess.run(["git", "init", "-q", repo], check=True)
    old = os.getcwd()
    os.chdir(repo)
    try:
        _seed_examples()
        client = Client(repo)
        result = DemoResult(repo=repo, branch=client.branch)
        result.artifacts = client.list_artifact_versions()
        for m in client.list_models():
            for mv in client.list_model_versions(m.name):
                result.model_versions.append(mv)
                result.links[(m.name, mv.name)] = client._registry().links(m.name, mv.name)
        return result
    finally:
        os.chdir(old)
