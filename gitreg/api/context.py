"""The active client and the step context (per thread / task, via contextvars)."""

from __future__ import annotations

import contextvars
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitreg.errors import StepContextError

if TYPE_CHECKING:
    from gitreg.api.client import Client
    from gitreg.api.model import Model

_clients: dict[str, Client] = {}
_step: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar(
    "gitreg_step", default=None
)


def active_client() -> Client:
    """The client of the repository around the current directory (one per directory)."""
    from gitreg.api.client import Client

    cwd = os.getcwd()
    client = _clients.get(cwd)
    if client is None:
        client = _clients[cwd] = Client()
    return client


def forget_active_clients() -> None:
    """Drop the clients `active_client` made (e.g. between tests, or after `os.chdir`)."""
    _clients.clear()


@dataclass
class StepRunInfo:
    name: str
    id: str
    status: str = "running"


@dataclass
class PipelineRunInfo:
    name: str
    id: str
    status: str = "running"


@dataclass
class StepContext:
    """What a running step can see: its model, run, step and inputs.

    `inputs` maps argument names to the artifact versions they came from; plain values
    are in `parameters`.
    """

    model: Model | None
    pipeline_run: PipelineRunInfo
    step_run: StepRunInfo
    inputs: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    client: Client | None = None
    saved: list[Any] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def current_step() -> StepContext | None:
    return _step.get()


def get_step_context() -> StepContext:
    ctx = _step.get()
    if ctx is None:
        raise StepContextError(
            "get_step_context() works only inside a running @step: call it from the step's body"
        )
    return ctx


def enter_step(ctx: StepContext) -> contextvars.Token[StepContext | None]:
    return _step.set(ctx)


def leave_step(token: contextvars.Token[StepContext | None]) -> None:
    _step.reset(token)
