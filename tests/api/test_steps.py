"""`@step` and `@pipeline`: runs, output naming, model versions, links, step context and
metadata, as a user of ZenML's Model Control Plane API would notice them.

Steps and pipelines are defined at module level (their annotations resolve against this
module); each test runs them in a fresh git repository (the `repo` fixture).
"""

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import pytest
from helpers import git, registry_state

from gitreg import (
    ArtifactConfig,
    ArtifactType,
    Client,
    GitregError,
    Model,
    get_step_context,
    log_metadata,
    pipeline,
    save_artifact,
    step,
)
from gitreg.api.responses import ArtifactVersionResponse
from gitreg.enums import LinkKind
from gitreg.errors import ModelNotFoundError, StepContextError

CALLS: Counter[str] = Counter()
ORDER: list[str] = []
SEEN: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _reset_module_state() -> None:
    CALLS.clear()
    ORDER.clear()
    SEEN.clear()


def links_of(model: str, version: str) -> dict[str, tuple[str, LinkKind]]:
    """artifact name@version -> (artifact id, link kind) of one model version."""
    links = Client().list_links(model, version)
    return {f"{lk.artifact}@{lk.version}": (str(lk.artifact_id), lk.kind) for lk in links}


def linked_ids(model: str, version: str) -> set[str]:
    return {i for i, _ in links_of(model, version).values()}


def all_linked_ids() -> set[str]:
    c = Client()
    out: set[str] = set()
    for m in c.list_models():
        for v in c.list_model_versions(m.name):
            out |= linked_ids(m.name, v.name)
    return out


def version_names(model: str) -> list[str]:
    return [v.name for v in Client().list_model_versions(model)]


def artifact_names() -> list[str]:
    return sorted({a.name for a in Client().list_artifact_versions()})


def last_run() -> Any:
    return Client().list_runs()[-1]


# --------------------------------------------------------------------------- steps


@step
def load_data() -> list[int]:
    CALLS["load_data"] += 1
    ORDER.append("load_data")
    return [1, 2, 3]


@step()
def total(data: list[int]) -> int:
    CALLS["total"] += 1
    ORDER.append("total")
    SEEN["total_input"] = data
    return sum(data)


@step(enable_cache=False)
def double(x: int) -> int:
    ORDER.append("double")
    return 2 * x


@pipeline
def plain_pipeline() -> int:
    return double(total(load_data()))


@step(name="renamed_step", enable_cache=False)
def original_name() -> str:
    return "hello"


@pipeline(name="custom_pipe", model=Model("decorated"), enable_cache=False)
def decorated_pipeline() -> None:
    original_name()


@step
def split(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


@step
def add(a: int, b: int) -> int:
    return a + b


@pipeline(enable_cache=False)
def tuple_pipeline(n: int = 7) -> None:
    a, b = split(n)
    add(a, b)


@step
def named_output() -> Annotated[str, "my_named_artifact"]:
    return "named"


@step
def named_pair() -> tuple[Annotated[int, "left"], Annotated[int, "right"]]:
    return 10, 20


@step
def configured() -> Annotated[
    dict[str, int],
    ArtifactConfig(
        name="configured_model",
        version="v-1",
        tags=["tag-a", "tag-b"],
        run_metadata={"accuracy": 0.93},
        artifact_type=ArtifactType.MODEL,
    ),
]:
    return {"weights": 3}


@step
def positional_config() -> Annotated[list[str], ArtifactConfig("trained_model")]:
    return ["w"]


@pipeline(model=Model("naming"), enable_cache=False)
def naming_pipeline() -> None:
    named_output()
    named_pair()
    configured()
    positional_config()


@step
def produce_a() -> int:
    return 100


@step
def produce_b() -> str:
    return "b"


@pipeline(model=Model("shared"), enable_cache=False)
def shared_model_pipeline() -> None:
    produce_a()
    produce_b()


@pipeline(model=Model("named", "v1"), enable_cache=False)
def named_version_pipeline() -> None:
    produce_a()


@step(model=Model("step_model"), enable_cache=False)
def own_model_step() -> str:
    SEEN["own_model"] = get_step_context().model.name
    return "own"


@step(enable_cache=False)
def pipeline_model_step() -> str:
    SEEN["pipeline_model"] = get_step_context().model.name
    return "pipe"


@pipeline(model=Model("pipe_model"), enable_cache=False)
def override_pipeline() -> None:
    own_model_step()
    pipeline_model_step()


@step(model=Model("producer_model"), enable_cache=False)
def make_features() -> list[int]:
    return [5, 6]


@step(model=Model("consumer_model"), enable_cache=False)
def fit_on(features: list[int]) -> int:
    return len(features)


@step(enable_cache=False)
def report_on(features: list[int]) -> str:
    return f"{len(features)} features"


@pipeline(enable_cache=False)
def inputs_pipeline() -> None:
    features = make_features()
    fit_on(features)
    report_on(features)


class Estimator:
    """A minimal estimator: fit and predict make the cloudpickle materializer call it a model."""

    def fit(self, x: Any) -> "Estimator":
        return self

    def predict(self, x: Any) -> Any:
        return x


@step(model=Model(name="MyModel", version="1.2.42"), enable_cache=False)
def trainer(trn_dataset: list[int]) -> Annotated[Estimator, ArtifactConfig("trained_model")]:
    model = Estimator()
    for epoch in range(3):
        save_artifact(data={"epoch": epoch}, name="training_checkpoint", version=f"1.2.42_{epoch}")
    return model


@step(model=Model("skl"), enable_cache=False)
def sklearn_step() -> Any:
    from sklearn.dummy import DummyClassifier

    return DummyClassifier()


@step(model=Model("crash_model", "c1"), enable_cache=False)
def crashing_step(x: int) -> int:
    save_artifact(data=[1], name="before_crash", version="a")
    save_artifact(data=[2], name="before_crash", version="b")
    raise ValueError("boom in the step")


@pipeline(enable_cache=False)
def crashing_pipeline() -> None:
    crashing_step(produce_a())


@step(model=Model("ctx_model", "c1"), enable_cache=False)
def context_step(data: list[int], k: int = 3) -> int:
    ctx = get_step_context()
    SEEN["ctx"] = ctx
    SEEN["model"] = (ctx.model.name, ctx.model.version)
    SEEN["run"] = (ctx.pipeline_run.id, ctx.pipeline_run.name)
    SEEN["step"] = (ctx.step_run.name, ctx.step_run.id)
    SEEN["inputs"] = dict(ctx.inputs)
    return k


@pipeline(enable_cache=False)
def context_pipeline() -> None:
    context_step(load_data())


@step(enable_cache=False)
def model_number_step() -> int:
    m = get_step_context().model
    SEEN.setdefault("numbers", []).append(m.number)
    return 1


@pipeline(model=Model("numbered"), enable_cache=False)
def model_number_pipeline() -> None:
    model_number_step()


@step(enable_cache=False)
def metadata_step() -> int:
    log_metadata({"loss": 0.5, "epochs": 1})
    log_metadata({"loss": 0.25})
    return 1


@pipeline(enable_cache=False)
def metadata_pipeline() -> None:
    metadata_step()


@step(model=Model("meta_model", "m1"), enable_cache=False)
def metadata_targets_step() -> Annotated[int, "meta_art"]:
    log_metadata({"acc": 0.1, "f1": 0.2}, model=Model("meta_model", "m1"))
    log_metadata({"acc": 0.3}, model_name="meta_model", model_version="m1")
    log_metadata({"from_infer": True}, infer_model=True)
    return 1


@pipeline(enable_cache=False)
def metadata_targets_pipeline() -> None:
    metadata_targets_step()


@step
def one() -> int:
    return 1


@step
def times(k: int) -> int:
    return k * 3


@pipeline(enable_cache=False)
def literal_pipeline() -> None:
    one()
    times(1)


@step
def flag_true() -> bool:
    return True


@step
def greet(name: str, loud: bool = False) -> str:
    return name.upper() if loud else name


@pipeline(enable_cache=False)
def literal_flag_pipeline() -> None:
    flag_true()
    greet("bob", loud=True)


@step
def small_output() -> int:
    return 3


@step
def consume_small(x: int) -> int:
    return x + 1000


@pipeline(enable_cache=False)
def small_output_pipeline() -> None:
    consume_small(small_output())


@step(enable_cache=False)
def work_body() -> int:
    CALLS["work_body"] += 1
    return 3


@step(enable_cache=False)
def wrong_arity() -> tuple[int, int]:
    return 1, 2, 3  # type: ignore[return-value]


@step(model=Model("kinds"), enable_cache=False)
def kinds_step() -> tuple[
    Annotated[int, ArtifactConfig("as_model", is_model_artifact=True)],
    Annotated[int, ArtifactConfig("as_service", artifact_type=ArtifactType.SERVICE)],
    Annotated[int, ArtifactConfig("as_data_analysis", artifact_type="data_analysis")],
]:
    return 1, 2, 3


@step(model=Model("kinds"), enable_cache=False)
def deployment_step() -> Annotated[
    int, ArtifactConfig("as_deployment", is_deployment_artifact=True)
]:
    return 4


@step(enable_cache=False)
def side_effect_only(x: int) -> None:
    ORDER.append(f"side_effect_only({x})")


# --------------------------------------------------------------------------- 1. decorators


def test_pipeline_runs_steps_in_order_and_passes_outputs(repo: Path) -> None:
    result = plain_pipeline()
    assert ORDER == ["load_data", "total", "double"]
    assert SEEN["total_input"] == [1, 2, 3]  # the earlier step's output was passed on
    # as ZenML: the pipeline call returns the run
    assert result.status == "completed"
    assert result.steps["double"].output.load() == 12
    c = Client()
    assert artifact_names() == [
        "plain_pipeline::double::output",
        "plain_pipeline::load_data::output",
        "plain_pipeline::total::output",
    ]
    assert c.load_artifact("plain_pipeline::load_data::output") == [1, 2, 3]
    assert c.load_artifact("plain_pipeline::total::output") == 6
    assert c.load_artifact("plain_pipeline::double::output") == 12
    run = last_run()
    assert run.pipeline == "plain_pipeline"
    assert run.status == "completed"
    assert [s.name for s in run.steps] == ["load_data", "total", "double"]
    assert all(s.status == "completed" for s in run.steps)


def test_decorators_with_arguments_name_model_and_cache(repo: Path) -> None:
    decorated_pipeline()
    decorated_pipeline()  # enable_cache=False: runs again, makes new versions
    versions = Client().list_artifact_versions("custom_pipe::renamed_step::output")
    assert [a.version for a in versions] == ["1", "2"]
    assert [a.load() for a in versions] == ["hello", "hello"]
    run = last_run()
    assert run.pipeline == "custom_pipe"
    assert [s.name for s in run.steps] == ["renamed_step"]
    assert [s.status for s in run.steps] == ["completed"]  # not "cached"
    assert version_names("decorated") == ["1", "2"]
    assert linked_ids("decorated", "2") == {str(versions[1].id)}


def test_step_outside_a_pipeline_is_a_one_step_run(repo: Path) -> None:
    assert total([4, 5]) == 9
    runs = Client().list_runs()
    assert len(runs) == 1
    run = runs[0]
    assert (run.pipeline, run.status) == ("total", "completed")
    assert [s.name for s in run.steps] == ["total"]
    art = Client().get_artifact_version("total::total::output")
    assert art.load() == 9
    assert run.steps[0].outputs == {"output": str(art.id)}
    assert run.steps[0].parameters == {"data": [4, 5]}


def test_step_with_model_outside_a_pipeline_links_its_output(repo: Path) -> None:
    assert own_model_step() == "own"
    art = Client().get_artifact_version("own_model_step::own_model_step::output")
    assert version_names("step_model") == ["1"]
    assert linked_ids("step_model", "1") == {str(art.id)}
    own_model_step()
    assert version_names("step_model") == ["1", "2"]  # each call is a run: a new version


def test_a_one_step_run_with_a_model_is_three_commits(repo: Path) -> None:
    """The run's start creates its version, the output is saved and linked in one commit,
    and the run's end is the third; the version records the run's code commit."""
    own_model_step()  # initialises the registry
    before = int(git(repo, "rev-list", "--count", "gitreg"))
    own_model_step()
    messages = git(repo, "log", "--format=%s", "gitreg~3..gitreg").splitlines()[::-1]
    assert int(git(repo, "rev-list", "--count", "gitreg")) == before + 3
    assert messages[0].endswith("running; create model version step_model@2")
    assert messages[1] == (
        "gitreg: save artifact own_model_step::own_model_step::output@2; "
        "link own_model_step::own_model_step::output@2 to step_model@2"
    )
    assert messages[2].endswith("completed")
    run = last_run()
    mv = Client().get_model_version("step_model", "2")
    assert run.model == "step_model@2" and mv.code == run.code


def test_step_without_outputs_saves_nothing(repo: Path) -> None:
    assert side_effect_only(3) is None
    assert ORDER == ["side_effect_only(3)"]
    assert Client().list_artifact_versions() == []
    entry = last_run().steps[0]
    assert (entry.status, entry.outputs, entry.parameters) == ("completed", {}, {"x": 3})


def test_pipeline_with_options(repo: Path) -> None:
    variant = decorated_pipeline.with_options(name="variant", model=Model("variant_model"))
    variant()
    assert last_run().pipeline == "variant"
    assert artifact_names() == ["variant::renamed_step::output"]
    assert version_names("variant_model") == ["1"]
    assert Client().list_models()[0].name == "variant_model"  # not the decorator's model


def test_wrong_number_of_outputs_is_an_error(repo: Path) -> None:
    with pytest.raises(GitregError, match="declares 2 outputs but returned 3"):
        wrong_arity()
    assert last_run().status == "failed"


# --------------------------------------------------------------------------- 2. naming


def test_single_output_is_named_pipeline_step_output(repo: Path) -> None:
    plain_pipeline()
    run = last_run()
    c = Client()
    for s in run.steps:
        assert list(s.outputs) == ["output"]
        assert (
            c.get_artifact_version(s.outputs["output"]).name == f"plain_pipeline::{s.name}::output"
        )


def test_tuple_outputs_are_numbered_and_passed_separately(repo: Path) -> None:
    tuple_pipeline(1001)  # beyond the small ints Python shares
    c = Client()
    assert c.load_artifact("tuple_pipeline::split::output_0") == 500
    assert c.load_artifact("tuple_pipeline::split::output_1") == 501
    assert c.load_artifact("tuple_pipeline::add::output") == 1001
    split_entry, add_entry = last_run().steps
    assert set(split_entry.outputs) == {"output_0", "output_1"}
    assert add_entry.inputs == {
        "a": split_entry.outputs["output_0"],
        "b": split_entry.outputs["output_1"],
    }


def test_annotated_names_and_artifact_config(repo: Path) -> None:
    naming_pipeline()
    c = Client()
    assert c.load_artifact("my_named_artifact") == "named"
    assert (c.load_artifact("left"), c.load_artifact("right")) == (10, 20)
    cfg = c.get_artifact_version("configured_model")
    assert cfg.version == "v-1"
    assert cfg.tags == ["tag-a", "tag-b"]
    assert cfg.run_metadata == {"accuracy": 0.93}
    assert cfg.type is ArtifactType.MODEL
    assert cfg.load() == {"weights": 3}
    assert c.load_artifact("trained_model") == ["w"]  # ArtifactConfig("trained_model"), positional
    assert not any(n.startswith("naming_pipeline::") for n in artifact_names())
    links = links_of("naming", "1")
    assert set(links) == {
        "my_named_artifact@1",
        "left@1",
        "right@1",
        "configured_model@v-1",
        "trained_model@1",
    }
    assert links["configured_model@v-1"][1] is LinkKind.MODEL
    assert links["my_named_artifact@1"][1] is LinkKind.DATA
    outputs = {s.name: s.outputs for s in last_run().steps}
    assert set(outputs["named_pair"]) == {"left", "right"}
    assert set(outputs["named_output"]) == {"my_named_artifact"}


def test_fixed_artifact_version_cannot_be_saved_twice(repo: Path) -> None:
    naming_pipeline()
    with pytest.raises(GitregError, match=r"configured_model.*v-1"):
        naming_pipeline()  # enable_cache=False and ArtifactConfig(version="v-1") again
    assert last_run().status == "failed"


# --------------------------------------------------------------------------- 3. model versions


def test_unversioned_model_makes_one_version_per_run_shared_by_steps(repo: Path) -> None:
    shared_model_pipeline()
    assert version_names("shared") == ["1"]
    c = Client()
    a1 = c.get_artifact_version("shared_model_pipeline::produce_a::output")
    b1 = c.get_artifact_version("shared_model_pipeline::produce_b::output")
    assert linked_ids("shared", "1") == {str(a1.id), str(b1.id)}
    assert last_run().model == "shared@1"
    assert {s.model for s in last_run().steps} == {"shared@1"}

    shared_model_pipeline()
    assert version_names("shared") == ["1", "2"]
    a2 = c.get_artifact_version("shared_model_pipeline::produce_a::output")
    b2 = c.get_artifact_version("shared_model_pipeline::produce_b::output")
    assert a2.version == "2"
    assert linked_ids("shared", "2") == {str(a2.id), str(b2.id)}
    assert linked_ids("shared", "1") == {str(a1.id), str(b1.id)}  # untouched
    assert last_run().model == "shared@2"


def test_named_model_version_is_created_once_and_reused(repo: Path) -> None:
    named_version_pipeline()
    named_version_pipeline()
    assert version_names("named") == ["v1"]
    arts = Client().list_artifact_versions("named_version_pipeline::produce_a::output")
    assert len(arts) == 2
    assert linked_ids("named", "v1") == {str(a.id) for a in arts}


@pytest.mark.parametrize("spec", [7, "7", "latest", "production", "staging"])
def test_fetch_only_model_versions_that_do_not_exist_raise(repo: Path, spec: object) -> None:
    p = pipeline(name="fetch_only", model=Model("ghost", spec), enable_cache=False)(
        lambda: produce_a()
    )
    with pytest.raises(ModelNotFoundError) as info:
        p()
    assert isinstance(info.value, GitregError)
    msg = str(info.value)
    assert "ghost" in msg and "not found" in msg
    assert "only fetch" in msg  # says why and what to do instead
    assert Client().list_models() == []


def test_fetch_only_version_missing_when_model_exists(repo: Path) -> None:
    shared_model_pipeline()
    p = pipeline(name="fetch_prod", model=Model("shared", "production"))(lambda: produce_a())
    with pytest.raises(ModelNotFoundError, match="'shared' version 'production' not found"):
        p()
    assert version_names("shared") == ["1"]


def test_missing_model_version_fails_before_any_step_runs(repo: Path) -> None:
    Client().init()
    p = pipeline(name="doomed", model=Model("ghost", 7))(lambda: work_body())
    before = registry_state(repo)
    with pytest.raises(ModelNotFoundError):
        p()
    assert CALLS["work_body"] == 0
    assert Client().list_artifact_versions() == []
    assert registry_state(repo)[2] == before[2]


def test_step_model_overrides_pipeline_model_for_that_step_only(repo: Path) -> None:
    override_pipeline()
    assert SEEN == {"own_model": "step_model", "pipeline_model": "pipe_model"}
    c = Client()
    own = c.get_artifact_version("override_pipeline::own_model_step::output")
    pipe = c.get_artifact_version("override_pipeline::pipeline_model_step::output")
    assert linked_ids("step_model", "1") == {str(own.id)}
    assert linked_ids("pipe_model", "1") == {str(pipe.id)}
    steps = {s.name: s.model for s in last_run().steps}
    assert steps == {"own_model_step": "step_model@1", "pipeline_model_step": "pipe_model@1"}


# --------------------------------------------------------------------------- 4. links


def test_every_output_is_linked_including_tuple_outputs(repo: Path) -> None:
    p = pipeline(name="linked_tuple", model=Model("tm"), enable_cache=False)(lambda: add(*split(5)))
    p()
    names = {k.split("@")[0] for k in links_of("tm", "1")}
    assert names == {
        "linked_tuple::split::output_0",
        "linked_tuple::split::output_1",
        "linked_tuple::add::output",
    }


def test_artifact_config_kinds_choose_the_link_kind(repo: Path) -> None:
    kinds_step()
    links = links_of("kinds", "1")
    assert links["as_model@1"][1] is LinkKind.MODEL
    assert links["as_service@1"][1] is LinkKind.DEPLOYMENT
    assert links["as_data_analysis@1"][1] is LinkKind.DATA
    c = Client()
    assert c.get_artifact_version("as_model").type is ArtifactType.MODEL
    assert c.get_artifact_version("as_data_analysis").type is ArtifactType.DATA_ANALYSIS
    mv = c.get_model_version("kinds", 1)
    assert mv.get_model_artifact("as_model").load() == 1
    assert mv.get_deployment_artifact("as_service").load() == 2


def test_is_deployment_artifact_output_is_a_deployment_link(repo: Path) -> None:
    deployment_step()
    assert links_of("kinds", "1")["as_deployment@1"][1] is LinkKind.DEPLOYMENT
    assert Client().get_model_version("kinds", 1).get_deployment_artifact("as_deployment")


def test_seed_trainer_links_checkpoints_and_model_output(repo: Path) -> None:
    trainer([1, 2, 3])
    links = links_of("MyModel", "1.2.42")
    assert set(links) == {
        "training_checkpoint@1.2.42_0",
        "training_checkpoint@1.2.42_1",
        "training_checkpoint@1.2.42_2",
        "trained_model@1",
    }
    assert links["trained_model@1"][1] is LinkKind.MODEL  # detected: it has fit and predict
    assert links["training_checkpoint@1.2.42_1"][1] is LinkKind.DATA
    assert Client().load_artifact("training_checkpoint", "1.2.42_2") == {"epoch": 2}
    entry = last_run().steps[0]
    assert len(entry.saved) == 3
    assert {Client().get_artifact_version(i).version for i in entry.saved} == {
        "1.2.42_0",
        "1.2.42_1",
        "1.2.42_2",
    }


@pytest.mark.slow  # importing scikit-learn takes seconds
def test_sklearn_estimator_output_is_a_model_link(repo: Path) -> None:
    pytest.importorskip("sklearn")
    sklearn_step()
    art = Client().get_artifact_version("sklearn_step::sklearn_step::output")
    assert art.type is ArtifactType.MODEL
    assert links_of("skl", "1") == {f"{art.name}@1": (str(art.id), LinkKind.MODEL)}
    assert type(art.load()).__name__ == "DummyClassifier"


def test_inputs_are_recorded_but_not_linked(repo: Path) -> None:
    inputs_pipeline()
    c = Client()
    features = c.get_artifact_version("inputs_pipeline::make_features::output")
    fitted = c.get_artifact_version("inputs_pipeline::fit_on::output")
    report = c.get_artifact_version("inputs_pipeline::report_on::output")
    steps = {s.name: s for s in last_run().steps}
    assert steps["fit_on"].inputs == {"features": str(features.id)}
    assert steps["report_on"].inputs == {"features": str(features.id)}
    assert steps["fit_on"].parameters == {}
    assert linked_ids("producer_model", "1") == {str(features.id)}
    assert linked_ids("consumer_model", "1") == {str(fitted.id)}  # its input is not linked
    assert str(report.id) not in all_linked_ids()  # a step without a model links nothing
    assert steps["report_on"].model is None


def test_external_artifact_input_is_recorded_not_linked(repo: Path) -> None:
    existing = save_artifact([9, 9], name="external_data")
    fit_on(existing)
    entry = last_run().steps[0]
    assert entry.inputs == {"features": str(existing.id)}
    out = Client().get_artifact_version("fit_on::fit_on::output")
    assert out.load() == 2  # the step got the loaded object
    assert linked_ids("consumer_model", "1") == {str(out.id)}


def test_failing_step_fails_the_run_and_keeps_saved_artifacts(repo: Path) -> None:
    with pytest.raises(ValueError, match="boom in the step"):
        crashing_pipeline()
    run = last_run()
    assert run.status == "failed"
    assert run.end is not None
    entry = {s.name: s for s in run.steps}["crashing_step"]
    assert entry.status == "failed"
    assert entry.error == "ValueError: boom in the step"
    assert entry.outputs == {}
    c = Client()
    assert c.load_artifact("before_crash", "a") == [1]
    assert c.load_artifact("before_crash", "b") == [2]
    assert set(links_of("crash_model", "c1")) == {"before_crash@a", "before_crash@b"}
    assert len(entry.saved) == 2
    assert "crashing_pipeline::crashing_step::output" not in artifact_names()


# --------------------------------------------------------------------------- 5. context


def test_step_context_exposes_model_run_step_and_inputs(repo: Path) -> None:
    context_pipeline()
    run = last_run()
    entry = {s.name: s for s in run.steps}["context_step"]
    assert SEEN["model"] == ("ctx_model", "c1")
    assert SEEN["run"] == (run.id, "context_pipeline")
    assert SEEN["step"] == ("context_step", entry.id)
    inputs = SEEN["inputs"]
    assert set(inputs) == {"data"}  # `k` is a parameter, not an input
    assert isinstance(inputs["data"], ArtifactVersionResponse)
    assert inputs["data"].name == "context_pipeline::load_data::output"
    assert str(inputs["data"].id) == entry.inputs["data"]
    assert inputs["data"].load() == [1, 2, 3]
    assert SEEN["ctx"].parameters == {"k": 3}


def test_get_step_context_outside_a_step_raises(repo: Path) -> None:
    with pytest.raises(StepContextError, match="inside a running @step") as info:
        get_step_context()
    assert isinstance(info.value, GitregError)
    context_pipeline()
    with pytest.raises(StepContextError):  # and again once the step has finished
        get_step_context()


def test_step_context_model_is_this_runs_new_version(repo: Path) -> None:
    Client().create_model_version("numbered")  # version 1 exists from earlier work
    model_number_pipeline()
    assert SEEN["numbers"] == [2]
    assert version_names("numbered") == ["1", "2"]
    out = Client().get_artifact_version("model_number_pipeline::model_number_step::output")
    assert linked_ids("numbered", "2") == {str(out.id)}
    assert linked_ids("numbered", "1") == set()


def test_step_context_model_number_on_the_first_run(repo: Path) -> None:
    Client().init()
    model_number_pipeline()
    assert SEEN["numbers"] == [1]
    assert version_names("numbered") == ["1"]


def test_log_metadata_without_target_attaches_to_the_step(repo: Path) -> None:
    metadata_pipeline()
    entry = last_run().steps[0]
    assert entry.metadata == {"loss": 0.25, "epochs": 1}  # latest value per key


def test_log_metadata_without_target_outside_a_step_is_refused(repo: Path) -> None:
    Client().init()
    with pytest.raises(GitregError, match="needs a target outside a step"):
        log_metadata({"x": 1})
    with pytest.raises(GitregError, match="infer_model"):
        log_metadata({"x": 1}, infer_model=True)


def test_log_metadata_on_model_versions_latest_wins(repo: Path) -> None:
    metadata_targets_pipeline()
    meta = Model("meta_model", "m1").run_metadata
    assert meta == {"acc": 0.3, "f1": 0.2, "from_infer": True}
    assert Client().get_model_version("meta_model", "m1").run_metadata == meta
    assert last_run().steps[0].metadata == {}  # targeted calls do not land on the step
    log_metadata({"f1": 0.9}, model_name="meta_model", model_version="m1")  # outside a step
    assert Model("meta_model", "m1").run_metadata["f1"] == 0.9


def test_log_metadata_on_artifact_versions_latest_wins(repo: Path) -> None:
    metadata_targets_pipeline()
    art = Client().get_artifact_version("meta_art")
    log_metadata({"rows": 10, "cols": 2}, artifact_name="meta_art", artifact_version="1")
    log_metadata({"rows": 20}, artifact_version_id=art.id)
    assert Client().get_artifact_version("meta_art", "1").run_metadata == {"rows": 20, "cols": 2}
    log_metadata({"rows": 30}, artifact_version_id=str(art.id))
    assert art.run_metadata == {"rows": 30, "cols": 2}


def test_literal_argument_is_a_parameter_not_an_input(repo: Path) -> None:
    literal_pipeline()
    entry = {s.name: s for s in last_run().steps}["times"]
    assert entry.parameters == {"k": 1}
    assert entry.inputs == {}


def test_literal_true_and_short_string_are_parameters(repo: Path) -> None:
    literal_flag_pipeline()
    entry = {s.name: s for s in last_run().steps}["greet"]
    assert entry.parameters == {"name": "bob", "loud": True}
    assert entry.inputs == {}
    assert Client().load_artifact("literal_flag_pipeline::greet::output") == "BOB"


def test_small_int_output_passed_on_is_an_input(repo: Path) -> None:
    small_output_pipeline()
    steps = {s.name: s for s in last_run().steps}
    assert steps["consume_small"].inputs == {"x": steps["small_output"].outputs["output"]}
    node = Client().lineage("small_output_pipeline::consume_small::output")
    assert [c.label for c in node.children[0].children] == [
        "x <- small_output_pipeline::small_output::output@1"
    ]


def test_logged_metadata_overrides_artifact_config_run_metadata(repo: Path) -> None:
    naming_pipeline()
    log_metadata({"accuracy": 0.95, "note": "re-scored"}, artifact_name="configured_model")
    art = Client().get_artifact_version("configured_model", "v-1")
    assert art.run_metadata == {"accuracy": 0.95, "note": "re-scored"}


def test_log_metadata_with_model_name_only_makes_no_new_version(client: Client) -> None:
    client.create_model_version("solo")
    try:
        log_metadata({"a": 1}, model_name="solo")
    except GitregError:
        pass
    assert version_names("solo") == ["1"]
