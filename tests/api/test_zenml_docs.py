"""ZenML's documented code blocks, in the docs' own words with `zenml` -> `gitreg` (only
setup lines added before each), asserting what each page says happens.

Blocks that cannot run in any Python as printed are left out and listed in docs/zenml.md
(e.g. "Attach metadata to an artifact" block 1 has `-> Annotated[...],:`, and the
"Attach metadata to a model" step unpacks `accuracy, precision, recall = ...`).
"""

from pathlib import Path

import pytest

from gitreg import Client, Model, save_artifact

# docs/book/how-to/use-the-model-control-plane/register-a-model.md, "Explicit Python SDK
# registration"
REGISTER_A_MODEL = """
from gitreg import Model
from gitreg.client import Client

Client().create_model(
    name="iris_logistic_regression",
    license="Copyright (c) ZenML GmbH 2023",
    description="Logistic regression model trained on the Iris dataset.",
    tags=["regression", "sklearn", "iris"],
)
"""

# docs/book/how-to/track-metrics-metadata/attach-metadata-to-an-artifact.md,
# "Fetching logged metadata"
FETCH_ARTIFACT_METADATA = """
from gitreg.client import Client

client = Client()
artifact = client.get_artifact_version("my_artifact", "my_version")

print(artifact.run_metadata["metadata_key"].value)
"""

# docs/book/how-to/track-metrics-metadata/attach-metadata-to-a-model.md,
# "Fetching logged metadata"
FETCH_MODEL_METADATA = """
from gitreg.client import Client

client = Client()
model = client.get_model_version("my_model", "my_version")

print(model.run_metadata["metadata_key"].value)
"""

# the seed, docs/book/how-to/use-the-model-control-plane/linking-model-binaries-data-to-models.md,
# is run block by block in tests/test_seed.py


def test_register_a_model_with_the_python_sdk(repo: Path) -> None:
    exec(REGISTER_A_MODEL, {})
    # the page: the model is registered with its license, description and tags
    m = Client().get_model("iris_logistic_regression")
    assert m.license == "Copyright (c) ZenML GmbH 2023"
    assert m.description == "Logistic regression model trained on the Iris dataset."
    assert m.tags == ["regression", "sklearn", "iris"]


def test_fetch_artifact_metadata_with_value(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gitreg import log_artifact_metadata

    save_artifact([1, 2], "my_artifact", version="my_version")
    log_artifact_metadata({"metadata_key": 42}, "my_artifact", "my_version")
    exec(FETCH_ARTIFACT_METADATA, {})
    assert capsys.readouterr().out == "42\n"


def test_fetch_model_metadata_with_value(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gitreg import log_model_metadata

    Client().create_model_version("my_model", "my_version")
    log_model_metadata({"metadata_key": "for the retention team"}, model_name="my_model")
    exec(FETCH_MODEL_METADATA, {})
    assert capsys.readouterr().out == "for the retention team\n"
    assert Model("my_model", "my_version").run_metadata == {
        "metadata_key": "for the retention team"
    }


# docs/book/how-to/use-the-model-control-plane/load-artifacts-from-model.md, first block
LOAD_ARTIFACTS_FROM_MODEL = """
from typing_extensions import Annotated
from gitreg import get_pipeline_context, pipeline, Model
from gitreg.enums import ModelStages
import pandas as pd
from sklearn.base import ClassifierMixin


@step
def predict(
    model: ClassifierMixin,
    data: pd.DataFrame,
) -> Annotated[pd.Series, "predictions"]:
    predictions = pd.Series(model.predict(data))
    return predictions

@pipeline(
    model=Model(
        name="iris_classifier",
        # Using the production stage
        version=ModelStages.PRODUCTION,
    ),
)
def do_predictions():
    # model name and version are derived from pipeline context
    model = get_pipeline_context().model
    inference_data = load_data()
    predict(
        # Here, we load in the `trained_model` from a trainer step
        model=model.get_model_artifact("trained_model"),
        data=inference_data,
    )


if __name__ == "__main__":
    do_predictions()
"""

TRAINING_SETUP = """
from typing import Annotated
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from gitreg import Model, pipeline, step

@step
def load_data() -> pd.DataFrame:
    return pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})

@step
def trainer(data: pd.DataFrame) -> Annotated[ClassifierMixin, "trained_model"]:
    return LogisticRegression().fit(data, [0, 0, 1, 1])

@pipeline(model=Model(name="iris_classifier"))
def training():
    trainer(load_data())

training()
Model("iris_classifier", "latest").set_stage("production")
"""


def test_load_artifacts_from_model_in_a_pipeline(repo: Path) -> None:
    ns: dict[str, object] = {"__name__": "__main__"}
    exec(TRAINING_SETUP, ns)
    exec(LOAD_ARTIFACTS_FROM_MODEL, ns)
    # the page: the production version's `trained_model` feeds `predict`, whose output is
    # linked to that same version
    production = Client().get_model_version("iris_classifier", "production")
    predictions = production.get_artifact("predictions")
    assert predictions is not None
    assert list(predictions.load()) == [0, 0, 1, 1]
    run = Client().list_pipeline_runs(pipeline_name="do_predictions")[-1]
    trained = production.get_model_artifact("trained_model")
    assert trained is not None and run.steps["predict"].inputs["model"] == trained
