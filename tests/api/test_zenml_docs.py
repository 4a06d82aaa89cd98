"""ZenML's documented code blocks, in the docs' own words with `zenml` -> `gitreg` (only
setup lines added before each), asserting what each page says happens.

Blocks that cannot run as printed are left out and listed in docs/zenml.md (e.g. "Attach
metadata to an artifact" block 1 has `-> Annotated[...],:`); where gitreg deliberately
differs (no stacks, finished runs not edited), the test asserts the documented UsageError.
"""

from pathlib import Path
from typing import Any

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


def cli(repo: Path, command: str, stdin: str | None = None) -> str:
    """A documented `zenml ...` command line, run as the gitreg command README maps it to."""
    import shlex

    from click.testing import CliRunner

    from gitreg.cli.main import cli as gitreg_cli

    res = CliRunner().invoke(
        gitreg_cli, ["-C", str(repo), *shlex.split(command)], input=stdin, env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0, (res.stdout, res.stderr)
    return res.stdout


# -- use-the-model-control-plane/register-a-model.md ----------------------------------------
# "Explicit CLI registration": zenml model register iris_logistic_regression --license=...
# --description=...
def test_register_a_model_from_the_cli(repo: Path) -> None:
    cli(repo, "model register iris_logistic_regression --license=... --description=...")
    m = Client().get_model("iris_logistic_regression")
    assert (m.license, m.description, m.versions) == ("...", "...", [])


# "Implicit registration by ZenML"
IMPLICIT_REGISTRATION = """
from gitreg import pipeline
from gitreg import Model

@pipeline(
    enable_cache=False,
    model=Model(
        name="demo",
        license="Apache",
        description="Show case Model Control Plane.",
    ),
)
def train_and_promote_model():
    ...
"""


def test_running_a_pipeline_with_a_model_registers_it(repo: Path) -> None:
    ns: dict[str, Any] = {}
    exec(IMPLICIT_REGISTRATION, ns)
    ns["train_and_promote_model"]()
    # the page: running the pipeline creates a new model version
    m = Client().get_model("demo")
    assert (m.license, m.description) == ("Apache", "Show case Model Control Plane.")
    assert [v.name for v in Client().list_model_versions("demo")] == ["1"]


# -- use-the-model-control-plane/model-versions.md, "Autonumbering of versions" ------------
AUTONUMBERING = """
from gitreg import Model

earlier_version = Model(
    name="my_model",
    version="really_good_version"
).number # == 5

updated_version = Model(
    name="my_model",
    version="even_better_version"
).number # == 6
"""


def test_named_versions_get_the_next_number(repo: Path) -> None:
    for _ in range(4):
        Client().create_model_version("my_model")
    ns: dict[str, Any] = {}
    exec(AUTONUMBERING, ns)
    assert (ns["earlier_version"], ns["updated_version"]) == (5, 6)


# -- use-the-model-control-plane/associate-a-pipeline-with-a-model.md -----------------------
ASSOCIATE_NEW_VERSION = """
from gitreg import pipeline
from gitreg import Model

@pipeline(
    model=Model(
        name="ClassificationModel",  # Give your models unique names
        tags=["MVP", "Tabular"]  # Use tags for future filtering
    )
)
def my_pipeline():
    ...
"""

# the same page, second block: attach to an existing version
ASSOCIATE_LATEST = """
from gitreg import pipeline
from gitreg import Model
from gitreg.enums import ModelStages

@pipeline(
    model=Model(
        name="ClassificationModel",  # Give your models unique names
        tags=["MVP", "Tabular"],  # Use tags for future filtering
        version=ModelStages.LATEST  # Alternatively use a stage: [STAGING, PRODUCTION]]
    )
)
def my_pipeline():
    ...
"""


def test_a_pipeline_with_a_model_makes_a_version_per_run_or_uses_latest(repo: Path) -> None:
    ns: dict[str, Any] = {}
    exec(ASSOCIATE_NEW_VERSION, ns)
    ns["my_pipeline"]()
    ns["my_pipeline"]()  # "In case the model already exists, this will create a new version"
    assert [v.name for v in Client().list_model_versions("ClassificationModel")] == ["1", "2"]
    assert Client().get_model("ClassificationModel").tags == ["MVP", "Tabular"]
    exec(ASSOCIATE_LATEST, ns)
    run = ns["my_pipeline"]()  # attaches to the existing latest version
    assert [v.name for v in Client().list_model_versions("ClassificationModel")] == ["1", "2"]
    assert run.model_version is not None and run.model_version.name == "2"


# -- use-the-model-control-plane/load-artifacts-from-model.md, second block ----------------
LOAD_FROM_MODEL_WITH_CLIENT = """
from gitreg.client import Client

@pipeline
def do_predictions():
    # model name and version are directly passed into client method
    model = Client().get_model_version("iris_classifier", ModelStages.PRODUCTION)
    inference_data = load_data()
    predict(
        # Here, we load in the `trained_model` from a trainer step
        model=model.get_model_artifact("trained_model"),
        data=inference_data,
    )
"""


def test_load_artifacts_from_model_with_client_methods(repo: Path) -> None:
    ns: dict[str, Any] = {"__name__": "test"}
    exec(TRAINING_SETUP, ns)
    exec(LOAD_ARTIFACTS_FROM_MODEL, ns)  # defines predict (not run: __name__ is not main)
    exec(LOAD_FROM_MODEL_WITH_CLIENT, ns)
    run = ns["do_predictions"]()
    production = Client().get_model_version("iris_classifier", "production")
    assert run.steps["predict"].inputs["model"] == production.get_model_artifact("trained_model")
    assert list(run.steps["predict"].output.load()) == [0, 0, 1, 1]


# -- use-the-model-control-plane/promote-a-model.md, "Promotion via Python SDK" -------------
PROMOTE_WITH_SDK = """
from gitreg import Client

MODEL_NAME = "iris_logistic_regression"
from gitreg.enums import ModelStages

model = Model(name=MODEL_NAME, version="1.2.3")
model.set_stage(stage=ModelStages.PRODUCTION)

# get latest model and set it as Staging
# (if there is current Staging version it will get Archived)
latest_model = Model(name=MODEL_NAME, version=ModelStages.LATEST)
latest_model.set_stage(stage=ModelStages.STAGING)
"""


def test_promote_a_model_with_the_sdk(repo: Path) -> None:
    client = Client()
    client.create_model_version("iris_logistic_regression", "1.2.3")
    client.create_model_version("iris_logistic_regression", "1.2.4")
    client.update_model_version("iris_logistic_regression", "1.2.3", stage="staging")
    exec("from gitreg import Model\n" + PROMOTE_WITH_SDK, {})
    assert client.get_model_version("iris_logistic_regression", "production").name == "1.2.3"
    assert client.get_model_version("iris_logistic_regression", "staging").name == "1.2.4"


# "Promotion via CLI": zenml model version update iris_logistic_regression --stage=...
# (gitreg names the version, as ZenML's own command does: NAME VERSION)
def test_promote_a_model_from_the_cli(repo: Path) -> None:
    Client().create_model_version("iris_logistic_regression", "1.2.3")
    out = cli(repo, "model version update iris_logistic_regression 1.2.3 --stage=production")
    assert "production" in out
    assert Client().get_model_version("iris_logistic_regression", "production").name == "1.2.3"


# -- use-the-model-control-plane/load-a-model-in-code.md, "Load the attached model" --------
LOAD_ATTACHED_MODEL = """
from gitreg import step, pipeline, get_step_context

@step
def my_step():
    # Get model from active step context
    mv = get_step_context().model

    # Get metadata
    print(mv.run_metadata["metadata_key"].value)

    # Directly fetch an artifact that is attached to the model
    output = mv.get_artifact("my_dataset", "my_version")
    output.run_metadata["accuracy"].value
"""


def test_load_the_attached_model_in_a_step(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gitreg import log_artifact_metadata, pipeline

    ds = save_artifact([1, 2], "my_dataset", version="my_version")
    log_artifact_metadata({"accuracy": 0.9}, "my_dataset", "my_version")
    Client().link_artifact_to_model(ds.id, Model("my_model", "v1"))
    Model("my_model", "v1").log_metadata({"metadata_key": "the value"})
    ns: dict[str, Any] = {}
    exec(LOAD_ATTACHED_MODEL, ns)

    @pipeline(model=Model(name="my_model", version="v1"))
    def my_pipeline() -> None:
        ns["my_step"]()

    assert my_pipeline().status == "completed"
    assert capsys.readouterr().out == "the value\n"


# "Load any model" (the second block, with its missing `:` added and ModelStages imported):
# a version that is not there raises a KeyError, as the page's `except KeyError` expects
def test_a_missing_staging_version_is_a_key_error(repo: Path) -> None:
    from gitreg.enums import ModelStages

    Client().create_model_version("iris", "v1")
    try:
        staging_zenml_model = Client().get_model_version(
            model_name_or_id="iris",
            model_version_name_or_number_or_id=ModelStages.STAGING,
        )
    except KeyError:
        staging_zenml_model = None
    assert staging_zenml_model is None


# -- use-the-model-control-plane/delete-a-model.md ----------------------------------------
# zenml model delete <MODEL_NAME> <MODEL_VERSION_NAME>, then zenml model delete <MODEL_NAME>
def test_delete_a_model_version_then_the_model_from_the_cli(repo: Path) -> None:
    Client().create_model_version("churn", "v1")
    Client().create_model_version("churn", "v2")
    cli(repo, "model delete churn@v1", stdin="y\n")
    assert [v.name for v in Client().list_model_versions("churn")] == ["v2"]
    cli(repo, "model delete churn", stdin="y\n")
    assert Client().list_models() == []


# -- track-metrics-metadata/attach-metadata-to-an-artifact.md, "Grouping Metadata in the
# Dashboard": the block runs where the page's first block does, inside the producing step
GROUPING_METADATA = """
from gitreg.metadata.metadata_types import StorageSize

log_artifact_metadata(
    metadata={
        "model_metrics": {
            "accuracy": 0.95,
            "precision": 0.92,
            "recall": 0.90
        },
        "data_details": {
            "dataset_size": StorageSize(1500000),
            "feature_columns": ["age", "income", "score"]
        }
    }
)
"""


def test_grouped_artifact_metadata_is_stored_as_nested_groups(repo: Path) -> None:
    from typing import Annotated

    from gitreg import log_artifact_metadata, step

    @step
    def process_data_step() -> Annotated[list, "processed_data"]:
        exec(GROUPING_METADATA, {"log_artifact_metadata": log_artifact_metadata})
        return [1]

    process_data_step()
    meta = Client().get_artifact_version("processed_data").run_metadata
    assert meta["model_metrics"] == {"accuracy": 0.95, "precision": 0.92, "recall": 0.90}
    assert meta["data_details"] == {
        "dataset_size": 1500000,
        "feature_columns": ["age", "income", "score"],
    }


def test_grouping_block_outside_a_step_needs_an_artifact_name(repo: Path) -> None:
    from gitreg import UsageError, log_artifact_metadata

    with pytest.raises(UsageError, match="needs artifact_name= outside a step"):
        exec(GROUPING_METADATA, {"log_artifact_metadata": log_artifact_metadata})


# -- track-metrics-metadata/attach-metadata-to-steps.md, second block ---------------------
STEP_METADATA_AFTERWARDS = """
from gitreg import log_step_metadata
# run some step

# subsequently log the metadata for the step
log_step_metadata(
    metadata={
        "some_metadata": {"a_number": 3}
    },
    pipeline_name_id_or_prefix="my_pipeline",
    step_name="my_step",
    run_id="my_step_run_id"
)
"""


def test_step_metadata_after_the_run_is_refused(repo: Path) -> None:
    # deliberate: a finished run's manifest is the record of what happened (docs/zenml.md)
    from gitreg import UsageError

    with pytest.raises(UsageError, match="works only inside the running step"):
        exec(STEP_METADATA_AFTERWARDS, {})


def test_step_metadata_inside_the_step_is_on_the_step_run(repo: Path) -> None:
    from gitreg import log_step_metadata, pipeline, step

    @step
    def my_step() -> None:
        log_step_metadata(metadata={"evaluation_metrics": {"accuracy": 0.5}})

    @pipeline
    def my_pipeline() -> None:
        my_step()

    run = my_pipeline()
    assert run.steps["my_step"].run_metadata == {"evaluation_metrics": {"accuracy": 0.5}}


# -- track-metrics-metadata/fetch-metadata-within-steps.md --------------------------------
STEP_CONTEXT = """
from gitreg import step, get_step_context

@step
def my_step():
    step_context = get_step_context()
    pipeline_name = step_context.pipeline.name
    run_name = step_context.pipeline_run.name
    step_name = step_context.step_run.name
"""

OUTPUT_URI = """
@step
def my_step():
    step_context = get_step_context()
    # Get the URI where the output will be saved.
    uri = step_context.get_output_artifact_uri()

    # Get the materializer that will be used to save the output.
    materializer = step_context.get_output_materializer()
"""


def test_the_step_context_names_pipeline_run_and_step(repo: Path) -> None:
    from gitreg import pipeline

    ns: dict[str, Any] = {}
    exec(STEP_CONTEXT, ns)  # the block reads the three names and returns nothing

    @pipeline
    def my_pipeline() -> None:
        ns["my_step"]()

    run = my_pipeline()
    assert run.status == "completed" and list(run.steps) == ["my_step"]


def test_the_output_uri_and_materializer_are_refused_with_what_to_do(repo: Path) -> None:
    # deliberate: no artifact store path (docs/zenml.md)
    from gitreg import UsageError, get_step_context, step

    ns: dict[str, Any] = {"step": step, "get_step_context": get_step_context}
    exec(OUTPUT_URI, ns)
    with pytest.raises(UsageError, match="no artifact store path"):
        ns["my_step"]()


# -- track-metrics-metadata/fetch-metadata-within-pipeline.md ------------------------------
PIPELINE_CONTEXT = """
from gitreg import get_pipeline_context, pipeline

...

@pipeline(
    extra={
        "complex_parameter": [
            ("sklearn.tree", "DecisionTreeClassifier"),
            ("sklearn.ensemble", "RandomForestClassifier"),
        ]
    }
)
def my_pipeline():
    context = get_pipeline_context()

    after = []
    search_steps_prefix = "hp_tuning_search_"
    for i, model_search_configuration in enumerate(
        context.extra["complex_parameter"]
    ):
        step_name = f"{search_steps_prefix}{i}"
        cross_validation(
            model_package=model_search_configuration[0],
            model_class=model_search_configuration[1],
            id=step_name
        )
        after.append(step_name)
    select_best_model(
        search_steps_prefix=search_steps_prefix,
        after=after,
    )
"""

PIPELINE_CONTEXT_SETUP = """
from typing import Annotated
from gitreg import step

@step
def cross_validation(model_package: str, model_class: str) -> Annotated[str, "score"]:
    return f"{model_package}.{model_class}"

@step
def select_best_model(search_steps_prefix: str) -> Annotated[str, "best"]:
    return search_steps_prefix
"""


def test_pipeline_extra_and_step_ids_and_after(repo: Path) -> None:
    ns: dict[str, Any] = {}
    exec(PIPELINE_CONTEXT_SETUP, ns)
    exec(PIPELINE_CONTEXT, ns)
    run = ns["my_pipeline"]()
    # the page: one step run per configuration, named by its id, then select_best_model
    assert list(run.steps) == ["hp_tuning_search_0", "hp_tuning_search_1", "select_best_model"]
    assert (
        run.steps["hp_tuning_search_1"].output.load() == "sklearn.ensemble.RandomForestClassifier"
    )


# -- handle-data-artifacts/load-artifacts-into-memory.md ----------------------------------
LOAD_INTO_MEMORY = """
from typing import Annotated
from gitreg import step, pipeline
from gitreg.client import Client
import pandas as pd
from sklearn.base import ClassifierMixin


@step
def predict(
    model1: ClassifierMixin,
    model2: ClassifierMixin,
    model1_metric: float,
    model2_metric: float,
    data: pd.DataFrame,
) -> Annotated[pd.Series, "predictions"]:
    # compare which model performs better on the fly
    if model1_metric < model2_metric:
        predictions = pd.Series(model1.predict(data))
    else:
        predictions = pd.Series(model2.predict(data))
    return predictions

@step
def load_data() -> pd.DataFrame:
    # load inference data
    ...

@pipeline
def do_predictions():
    # get specific artifact version
    model_42 = Client().get_artifact_version("trained_model", version="42")
    metric_42 = model_42.run_metadata["MSE"].value

    # get latest artifact version
    model_latest = Client().get_artifact_version("trained_model")
    metric_latest = model_latest.run_metadata["MSE"].value

    inference_data = load_data()
    predict(
        model1=model_42,
        model2=model_latest,
        model1_metric=metric_42,
        model2_metric=metric_latest,
        data=inference_data,
    )

if __name__ == "__main__":
    do_predictions()
"""

CONSTANT_MODELS = """
from gitreg import log_artifact_metadata, save_artifact

class Constant:
    def __init__(self, value):
        self.value = value

    def predict(self, data):
        return [self.value]

for number in range(1, 44):
    save_artifact(Constant(number), "trained_model")
    log_artifact_metadata({"MSE": 1.0 if number == 42 else 2.0}, "trained_model", str(number))
"""


def test_load_artifacts_into_memory_picks_the_better_model(repo: Path) -> None:
    ns: dict[str, Any] = {"__name__": "__main__"}
    exec(CONSTANT_MODELS, ns)
    exec(LOAD_INTO_MEMORY, ns)
    # version 42 has the lower MSE, so its predictions are the ones saved
    assert list(Client().get_artifact_version("predictions").load()) == [42]


# -- handle-data-artifacts/registering-existing-data.md, first block -----------------------
REGISTER_EXISTING_FOLDER = """
import os
from uuid import uuid4
from pathlib import Path
from typing import Any

from gitreg.client import Client
from gitreg import register_artifact

prefix = Client().active_stack.artifact_store.path
"""


def test_registering_inside_the_artifact_store_is_refused(repo: Path) -> None:
    # deliberate: no stacks, no artifact store path (docs/zenml.md)
    from gitreg import UsageError

    with pytest.raises(UsageError, match="no stacks or artifact store path"):
        exec(REGISTER_EXISTING_FOLDER, {})


# the same block from its "produce a folder" line on, with a local prefix
REGISTER_EXISTING_REST = """
test_file_name = "test_file.txt"
preexisting_folder = os.path.join(prefix,f"my_test_folder_{uuid4()}")
preexisting_file = os.path.join(preexisting_folder,test_file_name)

# produce a folder with a file inside artifact store boundaries
os.mkdir(preexisting_folder)
with open(preexisting_file,"w") as f:
    f.write("test")

# create artifact from the preexisting folder
register_artifact(
    folder_or_file_uri=preexisting_folder,
    name="my_folder_artifact"
)

# consume artifact as a folder
temp_artifact_folder_path = Client().get_artifact_version(name_id_or_prefix="my_folder_artifact").load()
assert isinstance(temp_artifact_folder_path, Path)
assert os.path.isdir(temp_artifact_folder_path)
with open(os.path.join(temp_artifact_folder_path,test_file_name),"r") as f:
    assert f.read() == "test"
"""


def test_register_an_existing_local_folder(repo: Path, tmp_path: Path) -> None:
    ns: dict[str, Any] = {"prefix": str(tmp_path)}
    exec("import os\nfrom uuid import uuid4\nfrom pathlib import Path\n"
         "from gitreg.client import Client\nfrom gitreg import register_artifact\n", ns)  # fmt: skip
    exec(REGISTER_EXISTING_REST, ns)  # the page's own asserts run
    assert Client().get_artifact_version("my_folder_artifact").version == "1"


# -- handle-data-artifacts/tagging.md ------------------------------------------------------
TAGGING_ARTIFACTS = """
from gitreg import step, ArtifactConfig

@step
def training_data_loader() -> (
    Annotated[pd.DataFrame, ArtifactConfig(tags=["sklearn", "pre-training"])]
):
    ...
"""


def test_artifact_config_tags_every_created_version(repo: Path) -> None:
    ns: dict[str, Any] = {}
    exec("from typing import Annotated\nimport pandas as pd\n", ns)
    exec(TAGGING_ARTIFACTS, ns)
    ns["training_data_loader"]()
    (version,) = Client().list_artifact_versions(tag="pre-training")
    assert version.tags == ["sklearn", "pre-training"]


# the page's CLI tab: zenml artifacts update iris_dataset -t sklearn; zenml artifacts
# versions update iris_dataset raw_2023 -t sklearn
def test_tag_artifacts_from_the_cli(repo: Path) -> None:
    save_artifact([1], "iris_dataset", version="raw_2023")
    cli(repo, "tag artifact iris_dataset sklearn")
    cli(repo, "tag artifact iris_dataset@raw_2023 sklearn")
    assert Client().get_artifact("iris_dataset").tags == ["sklearn"]
    assert Client().get_artifact_version("iris_dataset", "raw_2023").tags == ["sklearn"]


# -- user-guide/starter-guide/manage-artifacts.md ------------------------------------------
# "Giving names to your artifacts" and "Versioning artifacts manually" (auto-numbering)
GIVING_NAMES = """
from typing_extensions import Annotated
import pandas as pd
from sklearn.datasets import load_iris

from gitreg import pipeline, step

# Using Annotated to name our dataset
@step
def training_data_loader() -> Annotated[pd.DataFrame, "iris_dataset"]:
    \"\"\"Load the iris dataset as pandas dataframe.\"\"\"
    iris = load_iris(as_frame=True)
    return iris.get("frame")


@pipeline
def feature_engineering_pipeline():
    training_data_loader()


if __name__ == "__main__":
    feature_engineering_pipeline()
"""


def test_named_outputs_are_versioned_one_two(repo: Path) -> None:
    exec(GIVING_NAMES, {"__name__": "__main__"})
    ns: dict[str, Any] = {"__name__": "again"}
    exec(GIVING_NAMES, ns)
    # a second run of unchanged code would be cached (as in ZenML): run it uncached
    ns["feature_engineering_pipeline"].with_options(enable_cache=False)()
    versions = Client().list_artifact_versions("iris_dataset")
    assert [v.version for v in versions] == ["1", "2"]
    assert len(versions[-1].load()) == 150


# "Versioning artifacts manually"
MANUAL_VERSION = """
from gitreg import step, ArtifactConfig

@step
def training_data_loader() -> (
    Annotated[
        pd.DataFrame,
        # Add `ArtifactConfig` to control more properties of your artifact
        ArtifactConfig(
            name="iris_dataset",
            version="raw_2023"
        ),
    ]
):
    ...
"""


def test_a_custom_version_can_be_made_once(repo: Path) -> None:
    from gitreg import VersionExistsError

    ns: dict[str, Any] = {}
    exec("from typing import Annotated\nimport pandas as pd\n", ns)
    exec(MANUAL_VERSION, ns)
    from gitreg import pipeline

    @pipeline(enable_cache=False)  # a cached second run would store nothing
    def p() -> None:
        ns["training_data_loader"]()

    p()
    assert Client().get_artifact_version("iris_dataset", "raw_2023").version == "raw_2023"
    # the page: "the above step can only be run once successfully"
    with pytest.raises(VersionExistsError, match="raw_2023"):
        p()


# "Add metadata and tags to artifacts" (the last of its three steps is the one left bound)
METADATA_AND_TAGS = """
from gitreg import step, get_step_context, ArtifactConfig
from typing_extensions import Annotated


# below we annotate output with `ArtifactConfig` giving it a name,
# run_metadata and tags. As a result, the created artifact
# `artifact_name` will get configured with metadata and tags
@step
def annotation_approach() -> (
    Annotated[
        str,
        ArtifactConfig(
            name="artifact_name",
            run_metadata={"metadata_key": "metadata_value"},
            tags=["tag_name"],
        ),
    ]
):
    return "string"


# below we annotate output using functional approach with
# run_metadata and tags. As a result, the created artifact
# `artifact_name` will get configured with metadata and tags
@step
def annotation_approach() -> Annotated[str, "artifact_name"]:
    step_context = get_step_context()
    step_context.add_output_metadata(
        output_name="artifact_name", metadata={"metadata_key": "metadata_value"}
    )
    step_context.add_output_tags(output_name="artifact_name", tags=["tag_name"])
    return "string"


# below we combine both approaches, so the artifact will get
# metadata and tags from both sources
@step
def annotation_approach() -> (
    Annotated[
        str,
        ArtifactConfig(
            name="artifact_name",
            run_metadata={"metadata_key": "metadata_value"},
            tags=["tag_name"],
        ),
    ]
):
    step_context = get_step_context()
    step_context.add_output_metadata(
        output_name="artifact_name", metadata={"metadata_key2": "metadata_value2"}
    )
    step_context.add_output_tags(output_name="artifact_name", tags=["tag_name2"])
    return "string"
"""


def test_metadata_and_tags_from_config_and_context_combine(repo: Path) -> None:
    ns: dict[str, Any] = {}
    exec(METADATA_AND_TAGS, ns)
    ns["annotation_approach"]()
    av = Client().get_artifact_version("artifact_name")
    assert av.run_metadata == {"metadata_key": "metadata_value", "metadata_key2": "metadata_value2"}
    assert sorted(av.tags) == ["tag_name", "tag_name2"]


# "Consuming external artifacts within a pipeline"
EXTERNAL_ARTIFACT = """
import numpy as np
from gitreg import ExternalArtifact, pipeline, step

@step
def print_data(data: np.ndarray):
    print(data)

@pipeline
def printing_pipeline():
    # One can also pass data directly into the ExternalArtifact
    # to create a new artifact on the fly
    data = ExternalArtifact(value=np.array([0]))

    print_data(data=data)


if __name__ == "__main__":
    printing_pipeline()
"""


def test_an_external_value_is_saved_and_passed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(EXTERNAL_ARTIFACT, {"__name__": "__main__"})
    assert capsys.readouterr().out == "[0]\n"
    (external,) = [a for a in Client().list_artifact_versions() if a.name.startswith("ext")]
    assert external.name.startswith("external_") and list(external.load()) == [0]


# "Consuming artifacts produced by other pipelines"
OTHER_PIPELINES = """
from uuid import UUID
import pandas as pd
from gitreg import step, pipeline
from gitreg.client import Client


@step
def trainer(dataset: pd.DataFrame):
    ...

@pipeline
def training_pipeline():
    client = Client()
    # Fetch by ID
    dataset_artifact = client.get_artifact_version(
        name_id_or_prefix=UUID("3a92ae32-a764-4420-98ba-07da8f742b76")
    )

    # Fetch by name alone - uses the latest version of this artifact
    dataset_artifact = client.get_artifact_version(name_id_or_prefix="iris_dataset")

    # Fetch by name and version
    dataset_artifact = client.get_artifact_version(
        name_id_or_prefix="iris_dataset", version="raw_2023"
    )

    # Pass into any step
    trainer(dataset=dataset_artifact)


if __name__ == "__main__":
    training_pipeline()
"""


def test_fetching_by_an_id_the_registry_never_gave_is_not_found(repo: Path) -> None:
    # the page's id is one of its own registry's: here it names nothing
    from gitreg import ArtifactNotFoundError

    save_artifact([1], "iris_dataset", version="raw_2023")
    with pytest.raises(ArtifactNotFoundError, match="3a92ae32-a764-4420-98ba-07da8f742b76"):
        exec(OTHER_PIPELINES, {"__name__": "__main__"})
    run = Client().list_pipeline_runs(pipeline_name="training_pipeline")[-1]
    assert run.status == "failed"


def test_fetching_by_name_and_version_inside_a_pipeline(repo: Path) -> None:
    ds = save_artifact([1], "iris_dataset", version="raw_2023")
    ns: dict[str, Any] = {"__name__": "__main__"}
    # the block with its "Fetch by ID" statement left out (the id is the page's registry's)
    start = OTHER_PIPELINES.index("    # Fetch by ID")
    end = OTHER_PIPELINES.index("    # Fetch by name alone")
    exec(OTHER_PIPELINES[:start] + OTHER_PIPELINES[end:], ns)
    run = Client().list_pipeline_runs(pipeline_name="training_pipeline")[-1]
    assert run.steps["trainer"].inputs["dataset"] == ds


# the `.download_files` block
DOWNLOAD_FILES = """
from gitreg.client import Client

client = Client()
artifact = client.get_artifact_version(name_id_or_prefix="iris_dataset")
artifact.download_files("path/to/save.zip")
"""


def test_download_files_writes_a_zip(repo: Path) -> None:
    import os
    import zipfile

    save_artifact({"rows": 3}, "iris_dataset")
    os.makedirs("path/to")
    exec(DOWNLOAD_FILES, {})
    assert zipfile.is_zipfile("path/to/save.zip")


# "Managing artifacts not produced by ZenML pipelines": load_artifact and its Client form
LOAD_ARTIFACT = """
# Loads the latest version
load_artifact("iris_predictions")
"""

LOAD_WITH_CLIENT = """
from gitreg.client import Client

client = Client()
client.get_artifact("iris_predictions").load()
"""


def test_load_artifact_is_short_hand_for_the_client_call(repo: Path) -> None:
    from gitreg import load_artifact

    save_artifact([0], name="iris_predictions")
    save_artifact([1], name="iris_predictions")
    ns: dict[str, Any] = {"load_artifact": load_artifact}
    assert eval(LOAD_ARTIFACT.strip().splitlines()[-1], ns) == [1]
    exec(LOAD_ARTIFACT, ns)
    exec(LOAD_WITH_CLIENT, ns)
    assert eval('client.get_artifact("iris_predictions").load()', ns) == [1]
