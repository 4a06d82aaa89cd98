"""Pipeline runs as ZenML users see them: the call returns the run, one log line per step,
runs read back by id, and lineage that follows the wiring rather than object identity."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from gitreg import Client, Model, RunNotFoundError, UsageError, pipeline, step


@step
def make_three() -> int:
    return 3


@step
def make_word() -> str:
    return "a"


@step
def add_one(x: int) -> int:
    return x + 1


@step
def shout(word: str) -> str:
    return word.upper()


@pipeline(enable_cache=False)
def wired() -> None:
    add_one(make_three())  # 3 is a cached small int in CPython: identity cannot tell
    shout(make_word())  # "a" is interned: identity cannot tell either


@pipeline(enable_cache=False)
def literal_equal_to_output() -> None:
    make_three()
    add_one(3)  # equal to the output above, but a literal
    make_word()
    shout("a")


@step
def _private_step() -> int:
    return 1


@pipeline(enable_cache=False)
def _private_pipeline() -> None:
    _private_step()


@step
def boom(x: int) -> int:
    raise RuntimeError("boom")


@pipeline(enable_cache=False)
def failing() -> None:
    boom(make_three())


@pipeline(model=Model("run_model"))
def cached_pipeline() -> None:
    add_one(make_three())


def test_small_int_and_short_string_passed_between_steps_are_inputs(repo: Path) -> None:
    run = wired()
    steps = run.steps
    assert steps["add_one"].inputs["x"].id == steps["make_three"].output.id
    assert steps["shout"].inputs["word"].id == steps["make_word"].output.id
    assert steps["add_one"].parameters == {} and steps["shout"].parameters == {}
    assert steps["add_one"].output.load() == 4
    assert steps["shout"].output.load() == "A"


def test_a_literal_equal_to_an_output_is_a_parameter(repo: Path) -> None:
    steps = literal_equal_to_output().steps
    assert steps["add_one"].parameters == {"x": 3}
    assert steps["add_one"].inputs == {}
    assert steps["shout"].parameters == {"word": "a"}
    assert steps["shout"].inputs == {}


def test_pipeline_call_returns_the_run_and_client_reads_it_back(repo: Path) -> None:
    run = wired()
    assert run.status == "completed"
    assert run.name == "wired"
    assert list(run.steps) == ["make_three", "add_one", "make_word", "shout"]
    assert all(s.status == "completed" for s in run.steps.values())
    assert run.outputs["add_one"]["output"][0].load() == 4
    again = Client().get_pipeline_run(str(run.id)[:8])
    assert again.id == run.id
    assert list(again.steps) == list(run.steps)
    assert [r.id for r in Client().list_pipeline_runs()] == [run.id]
    assert Client().list_pipeline_runs(pipeline_name="other") == []


def test_unknown_run_id_is_a_not_found_error(repo: Path) -> None:
    wired()
    with pytest.raises(RunNotFoundError, match="deadbeef"):
        Client().get_pipeline_run("deadbeef")


def test_underscore_names_give_valid_default_artifact_names(repo: Path) -> None:
    run = _private_pipeline()
    assert run.steps["_private_step"].output.name == "private_pipeline::private_step::output"


def test_failed_step_is_logged_and_the_run_is_failed(
    repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gitreg"), pytest.raises(RuntimeError):
        failing()
    lines = [r.getMessage() for r in caplog.records if r.name == "gitreg.run"]
    assert "Step make_three has started." in lines
    assert "Step make_three has finished." in lines
    assert "Step boom failed: RuntimeError: boom" in lines
    run = Client().list_pipeline_runs()[-1]
    assert run.status == "failed"
    assert run.steps["boom"].status == "failed"


def test_cached_steps_say_so(repo: Path, caplog: pytest.LogCaptureFixture) -> None:
    cached_pipeline()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="gitreg"):
        run = cached_pipeline()
    lines = [r.getMessage() for r in caplog.records if r.name == "gitreg.run"]
    assert any(line.startswith("Using cached version of step make_three") for line in lines)
    assert {s.status for s in run.steps.values()} == {"cached"}
    assert run.model_version is not None and run.model_version.model_name == "run_model"


SCRIPT = """
from gitreg import pipeline, step

@step
def one() -> int:
    return 1

@pipeline
def p() -> None:
    one()

p()
"""


@pytest.mark.parametrize("verbosity", [None, "WARNING"])
def test_a_terminal_run_prints_one_line_per_step_unless_silenced(
    repo: Path, verbosity: str | None
) -> None:
    import os

    env = dict(os.environ)
    env.pop("GITREG_LOGGING_VERBOSITY", None)
    if verbosity:
        env["GITREG_LOGGING_VERBOSITY"] = verbosity
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    if verbosity:
        assert proc.stderr == ""
    else:
        assert "Step one has started." in proc.stderr
        assert "Step one has finished." in proc.stderr
    assert proc.stdout == ""


@step
def total(xs: list[int]) -> int:
    return sum(xs)


@pipeline(enable_cache=False)
def outputs_in_a_list() -> None:
    total([make_three(), make_three()])


def test_step_outputs_inside_a_container_are_refused_with_what_to_do(repo: Path) -> None:
    with pytest.raises(UsageError, match="pass each step output as an argument of its own"):
        outputs_in_a_list()
    run = Client().list_pipeline_runs()[-1]
    assert run.status == "failed"
    assert "total" not in run.steps  # the body never ran
