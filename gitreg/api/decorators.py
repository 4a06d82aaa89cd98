"""`@step` and `@pipeline`: run functions on this machine with a model context.

Outputs of a step become artifact versions linked to the step's model version (the step's
own `model=`, else the pipeline's). A step called outside a pipeline is a one-step run.
Each run is a manifest on the registry branch; steps are cached by code, parameters and
input artifact versions (`runner.py` runs them).
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from collections.abc import Callable
from typing import Any, TypeVar, overload

from gitreg.api import runner
from gitreg.api.artifact_config import ArtifactConfig
from gitreg.api.model import Model
from gitreg.api.responses import PipelineRunResponse

F = TypeVar("F", bound=Callable[..., Any])


def declared_outputs(fn: Callable[..., Any]) -> list[tuple[str | None, ArtifactConfig | None]]:
    """(name, config) for each declared output, from the return annotation."""
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:
        hints = {}
    ret = hints.get("return", inspect.Signature.empty)
    if ret is inspect.Signature.empty:
        raw = inspect.signature(fn).return_annotation
        ret = None if raw in (None, "None") else raw
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


def _name_part(name: str) -> str:
    """A pipeline or step name as a part of a default artifact name, which must start with
    a letter or digit: `_train` gives `train`."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip("._-") or "step"


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
        self.declared = declared_outputs(fn)
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __call__(self, *args: Any, id: str | None = None, after: Any = None, **kwargs: Any) -> Any:
        # ZenML's `id=` names this invocation; `after=` orders steps, which here run in
        # call order anyway
        run = runner.current_run.get()
        if run is not None:
            return runner.execute(self, run, args, kwargs, id)
        # a step outside a pipeline is a one-step run
        with runner.start_run(self.name, self.model, None, {}, is_pipeline=False) as run:
            return runner.execute(self, run, args, kwargs, id)

    def output_names(
        self, pipeline: str, invocation: str
    ) -> list[tuple[str, str, ArtifactConfig | None]]:
        """(output key, artifact name, config) per declared output: ZenML's default name is
        `{pipeline}::{step}::{output}`."""
        out = []
        n = len(self.declared)
        for i, (name, config) in enumerate(self.declared):
            key = name or ("output" if n == 1 else f"output_{i}")
            default = f"{_name_part(pipeline)}::{_name_part(invocation)}::{key}"
            out.append((key, name or default, config))
        return out

    def split(self, result: Any) -> list[Any]:
        """The step's return value as one value per declared output."""
        n = len(self.declared)
        if n == 0:
            return []
        if n == 1:
            return [result]
        values = list(result) if isinstance(result, (tuple, list)) else [result]
        runner.check_outputs(self.name, n, values)
        return values


class Pipeline:
    """A function calling steps; calling it runs them here, in order."""

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str | None,
        model: Model | None,
        enable_cache: bool | None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.model = model
        self.enable_cache = enable_cache
        self.extra = dict(extra or {})
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __call__(self, *args: Any, **kwargs: Any) -> PipelineRunResponse:
        bound = inspect.signature(self.fn).bind(*args, **kwargs)
        bound.apply_defaults()
        with runner.start_run(
            self.name, self.model, self.enable_cache, dict(bound.arguments), extra=self.extra
        ) as run:
            self.fn(*args, **kwargs)
        return run.response()

    def with_options(self, **options: Any) -> Pipeline:
        return Pipeline(
            self.fn,
            options.get("name", self.name),
            options.get("model", self.model),
            options.get("enable_cache", self.enable_cache),
            options.get("extra", self.extra),
        )


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
    return _decorate(Step, fn, name, model, enable_cache)


@overload
def pipeline(fn: F) -> F: ...
@overload
def pipeline(
    fn: None = None,
    *,
    name: str | None = None,
    model: Model | None = None,
    enable_cache: bool | None = None,
    extra: dict[str, Any] | None = None,
) -> Callable[[F], F]: ...
def pipeline(
    fn: Any = None,
    *,
    name: str | None = None,
    model: Model | None = None,
    enable_cache: bool | None = None,
    extra: dict[str, Any] | None = None,
    **_: Any,
) -> Any:
    """Decorate a function as a pipeline, with or without arguments; `extra` is what
    `get_pipeline_context().extra` returns in its body."""
    return _decorate(Pipeline, fn, name, model, enable_cache, extra=extra)


def _decorate(
    kind: type,
    fn: Any,
    name: str | None,
    model: Model | None,
    enable_cache: bool | None,
    **more: Any,
) -> Any:
    """`@step` / `@step(...)`: wrap `fn` now, or return the decorator that will."""
    if fn is not None:
        return kind(fn, name, model, enable_cache, **more)
    return lambda f: kind(f, name, model, enable_cache, **more)
