"""Pipeline runs as manifests on the registry branch, the step cache, and lineage."""

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import pytest
from helpers import git

from gitreg import ArtifactConfig, Client, GitregError, Model, pipeline, step
from gitreg.errors import RunNotFoundError
from gitreg.manifest.yaml_io import loads
from gitreg.services.lineage import to_mermaid

CALLS: Counter[str] = Counter()
FAIL: dict[str, bool] = {"clean": False}


@pytest.fixture(autouse=True)
def _reset_module_state() -> None:
    CALLS.clear()
    FAIL["clean"] = False


class Opaque:
    """Not JSON: a pipeline parameter that a run manifest cannot record."""


@step
def ingest(rows: int) -> list[int]:
    CALLS["ingest"] += 1
    return list(range(rows))


@step
def clean(data: list[int], threshold: int = 1) -> Annotated[list[int], "clean_data"]:
    CALLS["clean"] += 1
    if FAIL["clean"]:
        raise RuntimeError("clean failed")
    return [x for x in data if x >= threshold]


@step
def train(data: list[int], lr: float) -> Annotated[dict[str, Any], ArtifactConfig("weights")]:
    CALLS["train"] += 1
    return {"n": len(data), "lr": lr}


@pipeline(model=Model("runs_model"))
def training(rows: int = 4, lr: float = 0.1, extra: Any = None) -> None:
    data = ingest(rows)
    cleaned = clean(data)
    train(cleaned, lr)


@pipeline(model=Model("nocache_model"), enable_cache=False)
def training_no_cache(rows: int = 4) -> None:
    train(clean(ingest(rows)), 0.1)


@step(enable_cache=False)
def ingest_uncached(rows: int) -> list[int]:
    CALLS["ingest_uncached"] += 1
    return list(range(rows))


@pipeline
def step_level_off(rows: int = 4) -> None:
    clean(ingest_uncached(rows))


@step(enable_cache=True)
def ingest_cached(rows: int) -> list[int]:
    CALLS["ingest_cached"] += 1
    return list(range(rows))


@pipeline(enable_cache=False)
def step_level_on(rows: int = 4) -> None:
    clean(ingest_cached(rows))


@step
def seed_value() -> int:
    return 1000


@step
def increment(x: int) -> int:
    return x + 1


@pipeline
def twice() -> None:
    increment(increment(seed_value()))


def run_ids_on_branch(repo: Path) -> list[str]:
    files = git(repo, "ls-tree", "-r", "--name-only", "gitreg", "runs/").splitlines()
    return sorted(Path(f).stem for f in files)


def steps_of(run: Any) -> dict[str, Any]:
    return {s.name: s for s in run.steps}


def linked_ids(model: str, version: str) -> set[str]:
    return {str(lk.artifact_id) for lk in Client().list_links(model, version)}


# --------------------------------------------------------------------------- 6. run manifests


def test_runs_are_manifests_on_the_registry_branch(repo: Path) -> None:
    training()
    training(rows=5)
    runs = Client().list_runs()
    assert len(runs) == 2
    assert run_ids_on_branch(repo) == sorted(r.id for r in runs)
    path = f"runs/{runs[0].id[:2]}/{runs[0].id}.yaml"
    doc = loads(git(repo, "show", f"gitreg:{path}").encode(), path)
    assert doc["schema"] == 1
    assert doc["pipeline"] == "training"
    assert doc["status"] == "completed"
    assert [s["name"] for s in doc["steps"]] == ["ingest", "clean", "train"]
    assert {"start", "end", "parameters", "code", "model"} <= set(doc)
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == "main"  # checkout untouched
    assert git(repo, "status", "--porcelain") == ""


def test_run_records_parameters_times_and_model(repo: Path) -> None:
    training(rows=3, lr=0.5, extra=Opaque())
    run = Client().list_runs()[0]
    assert run.parameters == {"rows": 3, "lr": 0.5}  # defaults applied, non-JSON dropped
    assert run.status == "completed"
    assert run.start <= run.end
    for s in run.steps:
        assert s.status == "completed"
        assert run.start <= s.start <= s.end <= run.end
    assert run.model == "runs_model@1"
    assert steps_of(run)["train"].parameters == {"lr": 0.5}
    assert steps_of(run)["ingest"].parameters == {"rows": 3}
    assert steps_of(run)["clean"].parameters == {"threshold": 1}


def test_run_records_inputs_and_outputs_by_artifact_version_id(repo: Path) -> None:
    training()
    c = Client()
    run = c.list_runs()[0]
    steps = steps_of(run)
    raw = c.get_artifact_version("training::ingest::output")
    cleaned = c.get_artifact_version("clean_data")
    weights = c.get_artifact_version("weights")
    assert steps["ingest"].inputs == {}
    assert steps["ingest"].outputs == {"output": str(raw.id)}
    assert steps["clean"].inputs == {"data": str(raw.id)}
    assert steps["clean"].outputs == {"clean_data": str(cleaned.id)}
    assert steps["train"].inputs == {"data": str(cleaned.id)}
    assert steps["train"].outputs == {"weights": str(weights.id)}
    assert weights.producer is not None
    assert (weights.producer["run"], weights.producer["step"]) == (run.id, "train")


def test_run_records_code_commit_and_dirty_flag(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    training()
    first = Client().list_runs()[-1]
    assert first.code.commit == head
    assert first.code.branch == "main"
    assert first.code.dirty is False

    (repo / "untracked.txt").write_text("not part of the code\n")
    training(rows=5)
    assert Client().list_runs()[-1].code.dirty is False  # untracked files do not count

    (repo / "README.md").write_text("changed\n")
    training(rows=6)
    assert Client().list_runs()[-1].code.dirty is True

    git(repo, "commit", "-qam", "second")
    training(rows=7)
    last = Client().list_runs()[-1]
    assert last.code.commit == git(repo, "rev-parse", "HEAD") != head
    assert last.code.dirty is False


def test_run_on_a_detached_head_has_no_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    training()
    code = Client().list_runs()[-1].code
    assert code.commit == git(repo, "rev-parse", "HEAD") and code.branch is None


def test_run_in_a_repository_without_commits(empty_repo: Path) -> None:
    training()
    run = Client().list_runs()[0]
    assert run.status == "completed"
    assert run.code.commit is None
    assert run.code.branch == "main"
    assert run.code.dirty is False
    assert git(empty_repo, "branch", "--list", "gitreg") != ""


def test_get_run_by_id_and_prefix(repo: Path) -> None:
    training()
    run = Client().list_runs()[0]
    assert Client().get_run(run.id).id == run.id
    assert Client().get_run(run.id[:8]).id == run.id


def test_unknown_run_is_a_clear_error(client: Client) -> None:
    with pytest.raises(RunNotFoundError, match="gitreg runs") as info:
        client.get_run("deadbeef")
    assert isinstance(info.value, GitregError)


def test_runs_are_listed_oldest_first(repo: Path) -> None:
    for rows in (2, 3, 4):
        training(rows=rows)
    assert [r.parameters["rows"] for r in Client().list_runs()] == [2, 3, 4]


def test_failed_run_is_recorded_as_failed(repo: Path) -> None:
    FAIL["clean"] = True
    with pytest.raises(RuntimeError, match="clean failed"):
        training()
    run = Client().list_runs()[0]
    assert run.status == "failed"
    steps = steps_of(run)
    assert steps["ingest"].status == "completed"
    assert steps["clean"].status == "failed"
    assert steps["clean"].error == "RuntimeError: clean failed"
    assert "train" not in steps
    git(repo, "fsck", "--no-dangling")  # raises if git finds the repository broken


# --------------------------------------------------------------------------- 7. caching


def test_second_identical_run_reuses_every_step(repo: Path) -> None:
    training()
    c = Client()
    before = [str(a.id) for a in c.list_artifact_versions()]
    training()
    assert dict(CALLS) == {"ingest": 1, "clean": 1, "train": 1}  # bodies ran once
    assert [str(a.id) for a in c.list_artifact_versions()] == before  # nothing new saved
    first, second = c.list_runs()
    assert second.status == "completed"
    for name, s in steps_of(second).items():
        assert s.status == "cached"
        assert s.cached_from == first.id
        assert s.outputs == steps_of(first)[name].outputs
    # the reused outputs are linked to the new model version
    assert [v.name for v in c.list_model_versions("runs_model")] == ["1", "2"]
    assert linked_ids("runs_model", "2") == linked_ids("runs_model", "1") == set(before)
    assert second.model == "runs_model@2"


def test_cached_outputs_are_passed_to_later_steps(repo: Path) -> None:
    training()
    FAIL["clean"] = True  # would fail if it ran
    training()
    assert CALLS["clean"] == 1
    assert Client().load_artifact("weights") == {"n": 3, "lr": 0.1}


def test_changed_parameter_reruns_that_step_and_its_dependants(repo: Path) -> None:
    training()
    training(lr=0.2)
    assert dict(CALLS) == {"ingest": 1, "clean": 1, "train": 2}
    steps = steps_of(Client().list_runs()[-1])
    assert steps["ingest"].status == steps["clean"].status == "cached"
    assert steps["train"].status == "completed"
    assert Client().load_artifact("weights") == {"n": 3, "lr": 0.2}

    training(rows=6, lr=0.2)  # a new input upstream re-runs everything downstream
    assert dict(CALLS) == {"ingest": 2, "clean": 2, "train": 3}
    assert Client().load_artifact("weights") == {"n": 5, "lr": 0.2}


def test_pipeline_enable_cache_false_runs_every_step(repo: Path) -> None:
    training_no_cache()
    training_no_cache()
    assert dict(CALLS) == {"ingest": 2, "clean": 2, "train": 2}
    assert len(Client().list_artifact_versions("weights")) == 2
    assert {s.status for r in Client().list_runs() for s in r.steps} == {"completed"}


def test_step_enable_cache_false_runs_that_step(repo: Path) -> None:
    step_level_off()
    step_level_off()
    assert CALLS["ingest_uncached"] == 2
    # its output is a new artifact version, so the step consuming it runs too
    assert CALLS["clean"] == 2


def test_step_enable_cache_true_overrides_the_pipeline(repo: Path) -> None:
    step_level_on()
    step_level_on()
    assert CALLS["ingest_cached"] == 1
    assert CALLS["clean"] == 2  # the pipeline turned caching off for the other steps
    statuses = {s.name: s.status for s in Client().list_runs()[-1].steps}
    assert statuses == {"ingest_cached": "cached", "clean": "completed"}


def test_failed_step_is_not_cached(repo: Path) -> None:
    FAIL["clean"] = True
    with pytest.raises(RuntimeError):
        training()
    FAIL["clean"] = False
    training()
    assert dict(CALLS) == {"ingest": 1, "clean": 2, "train": 1}
    steps = steps_of(Client().list_runs()[-1])
    assert steps["ingest"].status == "cached"
    assert steps["clean"].status == "completed"


def test_cache_entries_live_on_the_registry_branch(repo: Path) -> None:
    training()
    files = git(repo, "ls-tree", "-r", "--name-only", "gitreg", "cache/").splitlines()
    keys = {s.cache_key for s in Client().list_runs()[0].steps}
    assert len(files) == 3
    assert {Path(f).stem for f in files} == keys


# --------------------------------------------------------------------------- lineage


def test_lineage_of_an_artifact_goes_up_to_the_roots(repo: Path) -> None:
    training()
    node = Client().lineage("weights")
    assert (node.kind, node.label) == ("artifact", "weights@1")
    (train_step,) = node.children
    assert train_step.kind == "step"
    assert train_step.label.startswith("step training/train (run ")
    assert train_step.label.endswith(", completed)")
    (data_in,) = train_step.children
    assert data_in.label == "data <- clean_data@1"
    (clean_step,) = data_in.children
    assert clean_step.label.startswith("step training/clean")
    (raw_in,) = clean_step.children
    assert raw_in.label == "data <- training::ingest::output@1"
    (ingest_step,) = raw_in.children
    assert ingest_step.children == []  # ingest took only a parameter: a root


def test_lineage_of_cached_output_names_the_original_run(repo: Path) -> None:
    training()
    training()
    first = Client().list_runs()[0]
    node = Client().lineage("weights")
    assert f"(run {first.id[:8]}, completed)" in node.children[0].label


def test_lineage_of_a_model_version(repo: Path) -> None:
    training()
    node = Client().lineage("runs_model", "latest", model=True)
    assert (node.kind, node.label) == ("model", "model runs_model@1")
    assert [child.label for child in node.children] == [  # in link order
        "[data] training::ingest::output@1",
        "[data] clean_data@1",
        "[data] weights@1",
    ]
    weights = node.children[2]
    (train_step,) = weights.children
    (seen,) = train_step.children
    assert seen.label == "data <- clean_data@1 (see above)"  # shown once, referred to after
    assert seen.children == []


def test_mermaid_edges_point_from_inputs_to_outputs(repo: Path) -> None:
    training()
    text = to_mermaid(Client().lineage("weights"))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes = {}
    for line in lines[1:]:
        if "-->" not in line:
            ident, _, label = line.strip().partition('"')
            nodes[ident.strip("([")] = label.rstrip('"])')
    edges = [tuple(line.strip().split(" --> ")) for line in lines if "-->" in line]
    named = {(nodes[a], nodes[b]) for a, b in edges}
    train_label = next(v for v in nodes.values() if v.startswith("step training/train"))
    clean_label = next(v for v in nodes.values() if v.startswith("step training/clean"))
    assert (train_label, "weights@1") in named
    assert ("data <- clean_data@1", train_label) in named
    assert (clean_label, "data <- clean_data@1") in named
    assert len(edges) == 5  # ingest -> raw -> clean -> cleaned -> train -> weights


def test_lineage_of_a_step_called_twice_in_one_run(repo: Path) -> None:
    twice()
    # ZenML names a step's second call in one run `<step>_2`
    node = Client().lineage("twice::increment_2::output", "1")
    (step_node,) = node.children
    (x,) = step_node.children
    assert x.label == "x <- twice::increment::output@1"
    (first_call,) = x.children
    (seed,) = first_call.children
    assert seed.label == "x <- twice::seed_value::output@1"
