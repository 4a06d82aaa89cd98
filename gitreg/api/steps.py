"""`@step` and `@pipeline`: run functions on this machine with a model context.

Outputs of a step become artifact versions and are linked to the step's model version
(the step's own `model=`, else the pipeline's). A step called outside a pipeline runs as
a one-step run.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from gitreg.api.artifact_config import ArtifactConfig
from gitreg.api.context import (
    PipelineRunInfo,
    StepContext,
    StepRunInfo,
    active_client,
    enter_step,
    leave_step,
)
from gitreg.api.model import Model

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class _PipelineRun:
    name: str
    model: Model | None
    info: PipelineRunInfo
    models: dict[tuple[str, str | None], Model] = field(default_factory=dict)

    def resolve(self, model: Model | None) -> Model | None:
        """One Model object per (name, version) in a run, so `version=None` makes one version."""
        if model is None:
            return None
        key = (model.name, model.version)
        if key not in self.models:
            self.models[key] = Model(model.name, model.version, model.description, model.tags)
        return self.models[key]


_run: contextvars.ContextVar[_PipelineRun | None] = contextvars.ContextVar(
    "gitreg_run", default=None
)


def _outputs(fn: Callable[..., Any]) -> list[tuple[str | None, ArtifactConfig | None]]:
    """(name, config) for each declared output, from the return annotation."""
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = getattr(fn, "__annotations__", {})
    ret = hints.get("return", inspect.Signature.empty)
    if ret is None or ret is type(None):
        return []
    items = [ret]
    if typing.get_origin(ret) is tuple:
        args = typing.get_args(ret)
        if args and args[-1] is not Ellipsis:
            items = list(args)
    out: list[tuple[str | None, ArtifactConfig | None]] = []
    for item in items:
        name, config = None, None
        if typing.get_origin(item) is typing.Annotated:
            for meta in typing.get_args(item)[1:]:
                if isinstance(meta, str):
                    name = meta
                elif isinstance(meta, ArtifactConfig):
                    config = meta
                    name = meta.name or name
        out.append((name, config))
    return out


class Step:
    """A function whose outputs are registered artifacts."""

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None,
        model: Model | None,
        enable_cache: bool | None,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.model = model
        self.enable_cache = enable_cache
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        run = _run.get()
        if run is None:
            # a step outside a pipeline is a one-step run
            run = _PipelineRun(self.name, None, PipelineRunInfo(self.name, str(uuid.uuid4())))
            token = _run.set(run)
            try:
                return self._execute(run, args, kwargs)
            finally:
                _run.reset(token)
        return self._execute(run, args, kwargs)

    def _execute(self, run: _PipelineRun, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        client = active_client()
        model = run.resolve(self.model or run.model)
        bound = inspect.signature(self.fn).bind_partial(*args, **kwargs)
        ctx = StepContext(
            model=model,
            pipeline_run=run.info,
            step_run=StepRunInfo(self.name, str(uuid.uuid4())),
            inputs=dict(bound.arguments),
            client=client,
        )
        token = enter_step(ctx)
        try:
            result = self.fn(*args, **kwargs)
            declared = _outputs(self.fn)
            if not declared:
                return result
            values = list(result) if len(declared) > 1 else [result]
            if len(values) != len(declared):
                from gitreg.errors import GitregError

                raise GitregError(
                    f"step {self.name!r} declares {len(declared)} outputs but returned {len(values)}"
                )
            for i, ((name, config), value) in enumerate(zip(declared, values)):
                default = "output" if len(declared) == 1 else f"output_{i}"
                art_name = name or f"{run.name}::{self.name}::{default}"
                atype = config.artifact_type if config else None
                if config and config.is_model_artifact:
                    from gitreg.enums import ArtifactType

                    atype = ArtifactType.MODEL
                client.save_artifact(
                    value,
                    art_name,
                    version=config.version if config else None,
                    tags=config.tags if config else None,
                    artifact_type=atype,
                    run_metadata=config.run_metadata if config else None,
                )
            return result
        finally:
            leave_step(token)


class Pipeline:
    """A function calling steps; calling it runs them here, in order."""

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None,
        model: Model | None,
        enable_cache: bool | None,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.model = model
        self.enable_cache = enable_cache
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        run = _PipelineRun(self.name, self.model, PipelineRunInfo(self.name, str(uuid.uuid4())))
        token = _run.set(run)
        try:
            result = self.fn(*args, **kwargs)
            run.info.status = "completed"
            return result
        except BaseException:
            run.info.status = "failed"
            raise
        finally:
            _run.reset(token)


@overload
def step(fn: F) -> F: ...
@overload
def step(
    fn: None = None,
    *,
    name: str | None = None,
    model: Model | None = None,
    enable_cache: bool | None = None,
) -> Callable[[F], F]: ...
def step(
    fn: Any = None,
    *,
    name: str | None = None,
    model: Model | None = None,
    enable_cache: bool | None = None,
    **_: Any,
) -> Any:
    """Decorate a function as a step, with or without arguments."""
    if fn is not None:
        return Step(fn, name, model, enable_cache)
    return lambda f: Step(f, name, model, enable_cache)


@overload
def pipeline(fn: F) -> F: ...
@overload
def pipeline(
    fn: None = None,
    *,
    name: str | None = None,
    model: Model | None = None,
    enable_cache: bool | None = None,
) -> Callable[[F], F]: ...
def pipeline(
    fn: Any = None,
    *,
    name: str | None = None,
    model: Model | None = None,
    enable_cache: bool | None = None,
    **_: Any,
) -> Any:
    """Decorate a function as a pipeline, with or without arguments."""
    if fn is not None:
        return Pipeline(fn, name, model, enable_cache)
    return lambda f: Pipeline(f, name, model, enable_cache)
