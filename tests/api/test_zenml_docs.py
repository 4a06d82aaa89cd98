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
