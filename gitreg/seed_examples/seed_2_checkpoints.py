"""The seed's second block: checkpoints saved from a step and linked to its model.

Lines before the block fill what the seed leaves out (a real scikit-learn classifier with
`train(epoch)`, a real DataFrame, `epochs`); the block itself is unchanged apart from
zenml -> gitreg. Needs `pip install -e ".[ml]"`. Run it inside any git repository.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.linear_model import SGDClassifier

rng = np.random.default_rng(0)
epochs = range(3)


class EpochTrainer(SGDClassifier):
    """A classifier trained one epoch at a time."""

    def train(self, epoch: int) -> "EpochTrainer":
        self.partial_fit(features, labels, classes=[0, 1])
        return self


features = rng.normal(size=(64, 3))
labels = (features[:, 0] + features[:, 1] > 0).astype(int)
model = EpochTrainer(random_state=0)

# --- the seed's block
from gitreg import step, Model
from gitreg.artifacts.utils import save_artifact
import pandas as pd
from typing_extensions import Annotated
from gitreg.artifacts.artifact_config import ArtifactConfig

@step(model=Model(name="MyModel", version="1.2.42"))
def trainer(
    trn_dataset: pd.DataFrame,
) -> Annotated[
    ClassifierMixin, ArtifactConfig("trained_model")
]:  # this configuration will be applied to `model` output
    """Step running slow training."""
    ...

    for epoch in epochs:
        checkpoint = model.train(epoch)
        # this will save each checkpoint in `training_checkpoint` artifact
        # with distinct version e.g. `1.2.42_0`, `1.2.42_1`, etc.
        # Checkpoint artifacts will be linked to `MyModel` version `1.2.42`
        # implicitly.
        save_artifact(
            data=checkpoint,
            name="training_checkpoint",
            version=f"1.2.42_{epoch}",
        )

    ...

    return model

# --- added after the block: run it
if __name__ == "__main__":
    trainer(pd.DataFrame(features, columns=["a", "b", "c"]))
    linked = Model(name="MyModel", version="1.2.42")
    print("trained_model:", linked.get_model_artifact("trained_model"))
    print("last checkpoint:", linked.get_artifact("training_checkpoint"))
