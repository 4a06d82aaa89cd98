"""`@step` and `@pipeline`: run functions on this machine with a model context.

Outputs of a step become artifact versions linked to the step's model version (the step's
own `model=`, else the pipeline's). A step called outside a pipeline is a one-step run.
Each run is a manifest on the registry branch; steps are cached by code, parameters and
input artifact versions.
"""

import contextvars
import functools
import hashlib
import inspect
import json
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
from gitreg.errors import GitregError

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class _Run:
    """State of one pipeline run while it executes."""

    name: str
    model: Model | None
    enable_cache: bool | None
    info: PipelineRunInfo
    manifest: Any  # RunFile
    client: Any
    models: dict[tuple[str, str | None], Model] = field(default_factory=dict)
    produced: dict[int, tuple[Any, str]] = field(default_factory=dict)  # id(obj) -> (obj, art id)
    invocations: dict[str, int] = field(default_factory=dict)
    is_pipeline: bool = True

    def invocation_name(self, step: str) -> str:
        """ZenML's names for repeated calls of one step in a run: `s`, `s_2`, `s_3`, ..."""
        n = self.invocations[step] = self.invocations.get(step, 0) + 1
        return step if n == 1 else f"{step}_{n}"

    def resolve(self, model: Model | None) -> Model | None:
        """One Model object per (name, version) in a run, so `version=None` makes one version."""
        if model is None:
            return None
        key = (model.name, model.version)
        if key not in self.models:
            m = Model(model.name, model.version, model.description, model.tags)
            m._client = self.client
            self.models[key] = m
        return self.models[key]

    def remember(self, obj: Any, art_id: str) -> None:
        self.produced[id(obj)] = (obj, art_id)

    def artifact_of(self, obj: Any) -> str | None:
        found = self.produced.get(id(obj))
        return found[1] if found is not None and found[0] is obj else None


class _TrackedInt(int):
    __slots__ = ()


class _TrackedFloat(float):
    __slots__ = ()


class _TrackedStr(str):
    __slots__ = ()


class _TrackedBytes(bytes):
    __slots__ = ()


_TRACKED = {int: _TrackedInt, float: _TrackedFloat, str: _TrackedStr, bytes: _TrackedBytes}
_UNTRACKED = {v: k for k, v in _TRACKED.items()}


def _track(value: Any) -> Any:
    """A step output as the pipeline sees it: primitives get an identity of their own
    (Python shares `3` or `"a"` between unrelated code), so a later step can tell that
    its argument is this artifact and not a literal."""
    wrapper = _TRACKED.get(type(value))
    return value if wrapper is None else wrapper(value)


def _untrack(value: Any) -> Any:
    base = _UNTRACKED.get(type(value))
    return value if base is None else base(value)


def _shared_constant(value: Any) -> bool:
    """True for values Python shares between unrelated code (None, True, small ints,
    identifier-like strings, empty containers): their identity cannot say they came from a
    step, so they count as parameters."""
    if value is None or isinstance(value, bool):
        return True
    if type(value) is int:
        return -5 <= value <= 256
    if type(value) in (str, bytes):
        return len(value) <= 1 or (isinstance(value, str) and value.isidentifier())
    return type(value) in (tuple, frozenset) and not value


_run: contextvars.ContextVar["_Run | None"] = contextvars.ContextVar("gitreg_run", default=None)


def _outputs(fn: Callable[..., Any]) -> list[tuple[str | None, ArtifactConfig | None]]:
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


def _json_value(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _source_hash(fn: Callable[..., Any]) -> str:
    try:
        src = inspect.getsource(fn).encode()
    except (OSError, TypeError):
        src = fn.__code__.co_code
    return hashlib.md5(src).hexdigest()


def _value_hash(value: Any) -> str | None:
    try:
        import cloudpickle

        return hashlib.md5(cloudpickle.dumps(value)).hexdigest()
    except Exception:
        return None


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
        self._declared = _outputs(fn)
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        run = _run.get()
        if run is not None:
            return self._execute(run, args, kwargs)
        # a step outside a pipeline is a one-step run
        with _start_run(self.name, None, None, {}, is_pipeline=False) as run:
            return self._execute(run, args, kwargs)

    def _output_names(
        self, run: _Run, invocation: str
    ) -> list[tuple[str, str, ArtifactConfig | None]]:
        """(output key, artifact name, config) per declared output."""
        out = []
        n = len(self._declared)
        for i, (name, config) in enumerate(self._declared):
            key = name or ("output" if n == 1 else f"output_{i}")
            out.append((key, name or f"{run.name}::{invocation}::{key}", config))
        return out

    def _as_seen_by_pipeline(self, run: _Run, result: Any, values: list[Any]) -> Any:
        if not run.is_pipeline or not values:
            return result
        tracked = []
        for value in values:
            t = _track(value)
            if t is not value:
                run.remember(t, run.artifact_of(value) or "")
            tracked.append(t)
        if len(self._declared) == 1:
            return tracked[0]
        return tuple(tracked) if isinstance(result, tuple) else type(result)(tracked)

    def _execute(self, run: _Run, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        from gitreg.manifest.schema import CacheEntry, StepRunEntry, now
        from gitreg.services import runs as run_service

        client = run.client
        reg = client._registry()
        invocation = run.invocation_name(self.name)
        model = run.resolve(self.model or run.model)
        if model is not None:
            model._get_or_create_model_version()  # fails before the body runs
        bound = inspect.signature(self.fn).bind(*args, **kwargs)
        bound.apply_defaults()
        inputs: dict[str, str] = {}
        parameters: dict[str, Any] = {}
        opaque: dict[str, str | None] = {}
        call_args = dict(bound.arguments)
        for arg, value in bound.arguments.items():
            from gitreg.api.responses import ArtifactVersionResponse

            if isinstance(value, ArtifactVersionResponse):
                inputs[arg] = value._record.id
                call_args[arg] = value.load()
                continue
            art_id = None if _shared_constant(value) else run.artifact_of(value)
            call_args[arg] = _untrack(value)  # the body sees plain values
            if art_id is not None:
                inputs[arg] = art_id
            elif _json_value(value):
                parameters[arg] = value
            else:
                opaque[arg] = _value_hash(value)
        entry = StepRunEntry(
            id=str(uuid.uuid4()),
            name=invocation,
            status="running",
            start=now(),
            model=None,
            parameters=parameters,
            inputs=inputs,
            external={
                a: f"{type(bound.arguments[a]).__module__}.{type(bound.arguments[a]).__qualname__}"
                + (f" md5:{h}" if h else "")
                for a, h in opaque.items()
            },
        )
        use_cache = self.enable_cache if self.enable_cache is not None else run.enable_cache
        use_cache = True if use_cache is None else use_cache
        key = None
        if use_cache and all(h is not None for h in opaque.values()):
            material = json.dumps(
                {
                    "step": invocation,
                    "source": _source_hash(self.fn),
                    "parameters": parameters,
                    "inputs": inputs,
                    "opaque": opaque,
                },
                sort_keys=True,
                default=str,
            )
            key = hashlib.md5(material.encode()).hexdigest()
            entry.cache_key = key
        outputs_meta = self._output_names(run, invocation)

        if key is not None:
            hit = run_service.cache_lookup(reg, key)
            if hit is not None:
                return self._from_cache(run, model, entry, hit, outputs_meta)

        ctx = StepContext(
            model=model,
            pipeline_run=run.info,
            step_run=StepRunInfo(invocation, entry.id),
            inputs={a: client.get_artifact_version(i) for a, i in inputs.items()},
            parameters=parameters,
            client=client,
        )
        token = enter_step(ctx)
        try:
            result = self.fn(**call_args)
            values = self._split(result)
            for (out_key, art_name, config), value in zip(outputs_meta, values):
                atype = config.artifact_type if config else None
                if config and config.is_model_artifact:
                    from gitreg.enums import ArtifactType

                    atype = ArtifactType.MODEL
                art = client.save_artifact(
                    value,
                    art_name,
                    version=config.version if config else None,
                    tags=config.tags if config else None,
                    artifact_type=atype,
                    run_metadata=config.run_metadata if config else None,
                    link=False,
                )
                if model is not None:
                    client.link_artifact_to_model(
                        art._record.id,
                        model,
                        is_model_artifact=bool(config and config.is_model_artifact),
                        is_deployment_artifact=bool(config and config.is_deployment_artifact),
                    )
                entry.outputs[out_key] = art._record.id
                run.remember(value, art._record.id)
            entry.status = "completed"
            return self._as_seen_by_pipeline(run, result, values)
        except BaseException as e:
            entry.status = "failed"
            entry.error = f"{type(e).__name__}: {e}"[:2000]
            raise
        finally:
            leave_step(token)
            entry.end = now()
            entry.saved = [a._record.id for a in ctx.saved]
            entry.metadata = dict(ctx.metadata)
            if model is not None and model._record is not None:
                entry.model = f"{model.name}@{model._record.name}"
            cache = {}
            if entry.status == "completed" and key is not None:
                cache[key] = CacheEntry(
                    step=invocation, run=run.info.id, outputs=dict(entry.outputs)
                )
            run.manifest.steps.append(entry)
            run_service.save_run(reg, run.manifest, cache)

    def _split(self, result: Any) -> list[Any]:
        n = len(self._declared)
        if n == 0:
            return []
        if n == 1:
            return [result]
        values = list(result) if isinstance(result, (tuple, list)) else [result]
        if len(values) != n:
            raise GitregError(f"step {self.name!r} declares {n} outputs but returned {len(values)}")
        return values

    def _from_cache(
        self,
        run: _Run,
        model: Model | None,
        entry: Any,
        hit: Any,
        outputs_meta: list[tuple[str, str, ArtifactConfig | None]],
    ) -> Any:
        from gitreg.manifest.schema import now
        from gitreg.services import runs as run_service

        client = run.client
        values = []
        for out_key, _, _ in outputs_meta:
            art_id = hit.outputs.get(out_key)
            if art_id is None:
                raise GitregError(f"cache entry of step {self.name!r} lacks output {out_key!r}")
            value = client.load_artifact(art_id)
            if model is not None:
                client.link_artifact_to_model(art_id, model)
            run.remember(value, art_id)
            values.append(value)
            entry.outputs[out_key] = art_id
        entry.status = "cached"
        entry.cached_from = hit.run
        entry.end = now()
        if model is not None and model._record is not None:
            entry.model = f"{model.name}@{model._record.name}"
        run.manifest.steps.append(entry)
        run_service.save_run(client._registry(), run.manifest)
        log.info("step %s: reused outputs of run %s", self.name, hit.run)
        if not values:
            return None
        result = values[0] if len(values) == 1 else tuple(values)
        return self._as_seen_by_pipeline(run, result, values)


class _start_run:
    """Context manager: a run manifest written at start and end."""

    def __init__(
        self,
        name: str,
        model: Model | None,
        enable_cache: bool | None,
        parameters: dict[str, Any],
        is_pipeline: bool = True,
    ) -> None:
        self.args = (name, model, enable_cache, parameters)
        self.is_pipeline = is_pipeline

    def __enter__(self) -> _Run:
        from gitreg.manifest.schema import RunFile, now
        from gitreg.services import runs as run_service

        name, model, enable_cache, parameters = self.args
        client = active_client()
        reg = client._registry()
        reg.ensure_initialized()
        run_id = str(uuid.uuid4())
        manifest = RunFile(
            id=run_id,
            pipeline=name,
            status="running",
            start=now(),
            parameters={k: v for k, v in parameters.items() if _json_value(v)},
            code=run_service.code_ref(reg),
            model=None if model is None else f"{model.name}@{model.version or '(new)'}",
        )
        self.run = _Run(name, model, enable_cache, PipelineRunInfo(name, run_id), manifest, client)
        self.run.is_pipeline = self.is_pipeline
        resolved = self.run.resolve(model)
        if resolved is not None:
            # as ZenML: the run's model version exists (or the run fails) before any step runs
            rec = resolved._get_or_create_model_version()
            manifest.model = f"{resolved.name}@{rec.name}"
        run_service.save_run(reg, manifest)
        self.token = _run.set(self.run)
        return self.run

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        from gitreg.manifest.schema import now
        from gitreg.services import runs as run_service

        _run.reset(self.token)
        run = self.run
        status = "failed" if exc_type is not None else "completed"
        run.info.status = status
        run.manifest.status = status
        run.manifest.end = now()
        resolved = run.resolve(run.model)
        if resolved is not None and resolved._record is not None:
            run.manifest.model = f"{resolved.name}@{resolved._record.name}"
        elif not run.is_pipeline and run.manifest.steps:
            run.manifest.model = run.manifest.steps[0].model  # a one-step run: its step's
        run_service.save_run(run.client._registry(), run.manifest)


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
        bound = inspect.signature(self.fn).bind(*args, **kwargs)
        bound.apply_defaults()
        with _start_run(self.name, self.model, self.enable_cache, dict(bound.arguments)):
            return self.fn(*args, **kwargs)

    def with_options(self, **options: Any) -> "Pipeline":
        return Pipeline(
            self.fn,
            options.get("name", self.name),
            options.get("model", self.model),
            options.get("enable_cache", self.enable_cache),
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
