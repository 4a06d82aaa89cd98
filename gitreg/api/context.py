"""The active client and the step context (per thread / task, via contextvars)."""

from __future__ import annotations

import contextvars
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitreg.errors import StepContextError, UsageError

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
class PipelineInfo:
    name: str


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
    output_names: list[str] = field(default_factory=list)
    output_metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    output_tags: dict[str, list[str]] = field(default_factory=dict)

    @property
    def pipeline(self) -> PipelineInfo:
        return PipelineInfo(self.pipeline_run.name)

    @property
    def step_name(self) -> str:
        return self.step_run.name

    def _output(self, call: str, output_name: str | None) -> str:
        if output_name is None:
            if len(self.output_names) == 1:
                return self.output_names[0]
            problem = f"step {self.step_run.name!r} has {len(self.output_names)} outputs"
        elif output_name in self.output_names:
            return output_name
        else:
            problem = f"step {self.step_run.name!r} has no output {output_name!r}"
        shown = ", ".join(self.output_names) or "none"
        raise UsageError(call, f"{problem}: pass output_name= one of {shown}")

    def add_output_metadata(self, metadata: dict[str, Any], output_name: str | None = None) -> None:
        """Metadata for one of this step's outputs, stored with it when the step returns."""
        from gitreg import names

        key = self._output("add_output_metadata()", output_name)
        self.output_metadata.setdefault(key, {}).update(names.metadata(dict(metadata)))

    def add_output_tags(self, tags: list[str], output_name: str | None = None) -> None:
        """Tags for one of this step's outputs, stored with it when the step returns."""
        from gitreg import names

        key = self._output("add_output_tags()", output_name)
        self.output_tags.setdefault(key, []).extend(names.tag(t) for t in tags)

    def get_output_artifact_uri(self, output_name: str | None = None) -> str:
        self._output("get_output_artifact_uri()", output_name)
        raise UsageError(
            "get_output_artifact_uri()",
            "gitreg has no artifact store path to write to before an output is saved: return "
            "the value (a file or folder as pathlib.Path) and read .uri of the saved version",
        )

    def get_output_materializer(
        self,
        output_name: str | None = None,
        custom_materializer_class: Any = None,
        data_type: Any = None,
    ) -> Any:
        self._output("get_output_materializer()", output_name)
        raise UsageError(
            "get_output_materializer()",
            "gitreg materializes outputs itself when the step returns: return the object "
            "(register a custom Materializer with gitreg.register_materializer)",
        )


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
