"""Running steps here, in order: one run manifest per pipeline call (a step called alone is
a one-step run), each step's outputs saved and linked to its model version, the step
cache consulted first."""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gitreg.api import tracking
from gitreg.api.context import (
    PipelineRunInfo,
    StepContext,
    StepRunInfo,
    active_client,
    enter_step,
    leave_step,
)
from gitreg.api.external_artifact import ExternalArtifact
from gitreg.api.model import Model
from gitreg.api.responses import (
    ArtifactVersionResponse,
    ModelVersionResponse,
    PipelineRunResponse,
)
from gitreg.errors import ManifestError, UsageError

if TYPE_CHECKING:
    from gitreg.api.client import Client
    from gitreg.api.decorators import Step
    from gitreg.manifest.schema import CacheEntry, RunFile, StepRunEntry

log = logging.getLogger("gitreg.run")


def _configure_logging() -> None:
    """One line per step on stderr, as ZenML prints them, unless the program set up
    logging itself; `GITREG_LOGGING_VERBOSITY=WARNING` (or setting the level of logger
    `gitreg.run`) silences them."""
    if log.level != logging.NOTSET:
        return
    level = logging.getLevelName(os.environ.get("GITREG_LOGGING_VERBOSITY", "INFO").upper())
    log.setLevel(level if isinstance(level, int) else logging.INFO)
    if not log.hasHandlers():
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)


@dataclass
class Run:
    """State of one pipeline run while it executes."""

    name: str
    model: Model | None
    enable_cache: bool | None
    info: PipelineRunInfo
    manifest: RunFile
    client: Client
    models: dict[tuple[str, str | None], Model] = field(default_factory=dict)
    invocations: dict[str, int] = field(default_factory=dict)
    is_pipeline: bool = True
    unsaved_cache: dict[str, CacheEntry] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def invocation_name(self, step: str, id: str | None = None) -> str:
        """ZenML's names for repeated calls of one step in a run: `s`, `s_2`, `s_3`, ...,
        or the `id=` the call gave."""
        if id is not None:
            if id in self.invocations:
                raise UsageError(
                    f"step id {id!r}", "is already used in this run: give each call its own id"
                )
            self.invocations[id] = 1
            return id
        n = self.invocations[step] = self.invocations.get(step, 0) + 1
        return step if n == 1 else f"{step}_{n}"

    def resolve(self, model: Model | None) -> Model | None:
        """One Model object per (name, version) in a run, so `version=None` makes one version."""
        if model is None:
            return None
        key = (model.name, model.version)
        if key not in self.models:
            m = Model(
                model.name,
                model.version,
                model.description,
                model.tags,
                license=model.license,
                audience=model.audience,
                use_cases=model.use_cases,
                limitations=model.limitations,
                trade_offs=model.trade_offs,
                ethics=model.ethics,
                save_models_to_registry=model.save_models_to_registry,
            )
            self.models[key] = m.bind(self.client)
        return self.models[key]

    def response(self) -> PipelineRunResponse:
        return PipelineRunResponse(self.manifest, self.client)

    def save(self, cache: dict[str, CacheEntry] | None = None) -> None:
        from gitreg.services import runs

        runs.save_run(self.client.registry, self.manifest, cache)

    def start(self, model: Model | None) -> None:
        """Write the run manifest, with `model`'s version fetched or created in the same
        commit (ZenML: the run's model version exists before any step runs)."""
        from gitreg.services import runs

        if model is None or model.resolved is not None:
            self.save()
            return
        req = model.request(code=self.manifest.code)
        mv = runs.save_run(self.client.registry, self.manifest, version=req)
        assert mv is not None
        model.adopt(ModelVersionResponse(mv, self.client))


class StepArtifact:
    """A step's output inside a pipeline (ZenML's `StepArtifact`): what a step call returns
    there, to be passed to other steps. `.load()` gives the value."""

    __slots__ = ("artifact_id", "invocation", "output_name", "value")

    def __init__(self, invocation: str, output_name: str, artifact_id: str, value: Any) -> None:
        self.invocation = invocation
        self.output_name = output_name
        self.artifact_id = artifact_id
        self.value = value

    def load(self) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"StepArtifact(step={self.invocation!r}, output={self.output_name!r})"


current_run: contextvars.ContextVar[Run | None] = contextvars.ContextVar("gitreg_run", default=None)


@dataclass
class PipelineContext:
    """What a pipeline's body can see while it runs (ZenML's `get_pipeline_context()`)."""

    name: str
    model: Model | None
    enable_cache: bool | None
    run_id: str
    extra: dict[str, Any] = field(default_factory=dict)


def get_pipeline_context() -> PipelineContext:
    """The context of the pipeline whose body is running."""
    from gitreg.errors import StepContextError

    run = current_run.get()
    if run is None or not run.is_pipeline:
        raise StepContextError(
            "get_pipeline_context() works only inside a running @pipeline: call it from the "
            "pipeline's body (in a step, use get_step_context())"
        )
    return PipelineContext(
        run.name, run.resolve(run.model), run.enable_cache, run.info.id, dict(run.extra)
    )


def _version_of(model: Model | None) -> str | None:
    mv = model.resolved if model is not None else None
    return None if mv is None else f"{mv.model_name}@{mv.name}"


class start_run:
    """Context manager: a run manifest written at start and end."""

    def __init__(
        self,
        name: str,
        model: Model | None,
        enable_cache: bool | None,
        parameters: dict[str, Any],
        is_pipeline: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.args = (name, model, enable_cache, parameters)
        self.is_pipeline = is_pipeline
        self.extra = dict(extra or {})

    def __enter__(self) -> Run:
        from gitreg.manifest.schema import RunFile, now
        from gitreg.services import runs

        name, model, enable_cache, parameters = self.args
        client = active_client()
        reg = client.registry
        reg.ensure_initialized()
        run_id = str(uuid.uuid4())
        manifest = RunFile(
            id=run_id,
            pipeline=name,
            status="running",
            start=now(),
            parameters={k: v for k, v in parameters.items() if tracking.json_value(v)},
            code=runs.code_ref(reg),
            model=None if model is None else f"{model.name}@{model.version or '(new)'}",
        )
        self.run = Run(name, model, enable_cache, PipelineRunInfo(name, run_id), manifest, client)
        self.run.is_pipeline = self.is_pipeline
        self.run.extra = self.extra
        resolved = self.run.resolve(model)
        self.run.start(resolved)
        manifest.model = _version_of(resolved)
        if self.is_pipeline:
            _configure_logging()
            log.info("Initiating a new run for the pipeline: %s (run %s).", name, run_id[:8])
        self.token = current_run.set(self.run)
        return self.run

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        from gitreg.manifest.schema import now

        current_run.reset(self.token)
        run = self.run
        failed = exc_type is not None
        run.info.status = "failed" if failed else "completed"
        run.manifest.status = "failed" if failed else "completed"
        run.manifest.end = now()
        version = _version_of(run.resolve(run.model))
        if version is not None:
            run.manifest.model = version
        elif not run.is_pipeline and run.manifest.steps:
            run.manifest.model = run.manifest.steps[0].model  # a one-step run: its step's
        run.save(run.unsaved_cache)
        if run.is_pipeline:
            log.info("Pipeline run %s %s.", run.info.id[:8], run.manifest.status)


def execute(
    step: Step, run: Run, args: tuple[Any, ...], kwargs: dict[str, Any], id: str | None = None
) -> Any:
    """Run `step`'s body in `run` (or reuse a cached result) and record what it did."""
    from gitreg.manifest.schema import CacheEntry, StepRunEntry, now
    from gitreg.services import runs

    client = run.client
    invocation = run.invocation_name(step.name, id)
    model = run.resolve(step.model or run.model)
    if model is not None:
        model.ensure_version()  # fails before the body runs
    bound = inspect.signature(step.fn).bind(*args, **kwargs)
    bound.apply_defaults()
    inputs: dict[str, str] = {}
    parameters: dict[str, Any] = {}
    opaque: dict[str, str | None] = {}
    call_args = dict(bound.arguments)
    for arg, value in bound.arguments.items():
        # the wiring says what is an artifact: a handle a step call returned, or a stored
        # version passed in; any other value is a parameter, whatever it equals
        if isinstance(value, ExternalArtifact):
            value = _external(client, value)
        if isinstance(value, StepArtifact):
            inputs[arg] = value.artifact_id
            call_args[arg] = value.value
        elif isinstance(value, ArtifactVersionResponse):
            inputs[arg] = str(value.id)
            call_args[arg] = value.load()
        elif _holds_handle(value):
            raise UsageError(
                f"step {step.name!r}",
                f"argument {arg!r} holds step outputs inside a container: pass each step "
                "output as an argument of its own (as ZenML requires)",
            )
        elif tracking.json_value(value):
            parameters[arg] = value
        else:
            opaque[arg] = tracking.value_hash(value)
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
    use_cache = step.enable_cache if step.enable_cache is not None else run.enable_cache
    key = None
    if use_cache is not False and all(h is not None for h in opaque.values()):
        material = json.dumps(
            {
                "step": invocation,
                "source": tracking.source_hash(step.fn),
                "parameters": parameters,
                "inputs": inputs,
                "opaque": opaque,
            },
            sort_keys=True,
            default=str,
        )
        key = hashlib.md5(material.encode()).hexdigest()
        entry.cache_key = key
    outputs = step.output_names(run.name, invocation)

    if key is not None:
        hit = runs.cache_lookup(client.registry, key)
        if hit is not None:
            return _from_cache(step, run, model, entry, hit, [k for k, _, _ in outputs])

    ctx = StepContext(
        model=model,
        pipeline_run=run.info,
        step_run=StepRunInfo(invocation, entry.id),
        inputs={a: client.get_artifact_version(i) for a, i in inputs.items()},
        parameters=parameters,
        client=client,
        output_names=[k for k, _, _ in outputs],
    )
    log.info("Step %s has started.", invocation)
    token = enter_step(ctx)
    try:
        result = step.fn(**call_args)
        values = step.split(result)
        for (out_key, art_name, config), value in zip(outputs, values):
            atype = config.artifact_type if config else None
            if config and config.is_model_artifact:
                from gitreg.enums import ArtifactType

                atype = ArtifactType.MODEL
            tags = [*(config.tags or [] if config else []), *ctx.output_tags.get(out_key, [])]
            meta = dict(config.run_metadata or {}) if config else {}
            meta.update(ctx.output_metadata.get(out_key, {}))
            art = client.save_artifact(
                value,
                art_name,
                version=config.version if config else None,
                tags=tags or None,
                artifact_type=atype,
                run_metadata=meta or None,
                link=False,  # an output, not a manual save: linked to `model` only
                model=model,
                is_model_artifact=bool(config and config.is_model_artifact),
                is_deployment_artifact=bool(config and config.is_deployment_artifact),
            )
            entry.outputs[out_key] = str(art.id)
        entry.status = "completed"
        log.info("Step %s has finished.", invocation)
        return _as_seen_by_pipeline(step, run, invocation, result, values, entry.outputs)
    except BaseException as e:
        entry.status = "failed"
        entry.error = f"{type(e).__name__}: {e}"[:2000]
        log.error("Step %s failed: %s", invocation, entry.error)
        raise
    finally:
        leave_step(token)
        entry.end = now()
        entry.saved = [str(a.id) for a in ctx.saved]
        entry.metadata = dict(ctx.metadata)
        entry.model = _version_of(model)
        cache = {}
        if entry.status == "completed" and key is not None:
            cache[key] = CacheEntry(step=invocation, run=run.info.id, outputs=dict(entry.outputs))
        run.manifest.steps.append(entry)
        if run.is_pipeline:
            run.save(cache)
        else:  # a one-step run: its end, right after this, writes it all in one commit
            run.unsaved_cache.update(cache)


def _from_cache(
    step: Step,
    run: Run,
    model: Model | None,
    entry: StepRunEntry,
    hit: CacheEntry,
    output_keys: list[str],
) -> Any:
    from gitreg.manifest import layout
    from gitreg.manifest.schema import now

    client = run.client
    values = []
    for out_key in output_keys:
        art_id = hit.outputs.get(out_key)
        if art_id is None:
            raise ManifestError(
                layout.cache_entry(entry.cache_key or ""),
                f"the cache entry of step {step.name!r} lacks output {out_key!r}",
            )
        value = client.load_artifact(art_id)
        if model is not None:
            client.link_artifact_to_model(art_id, model)
        values.append(value)
        entry.outputs[out_key] = art_id
    entry.status = "cached"
    entry.cached_from = hit.run
    entry.end = now()
    entry.model = _version_of(model)
    run.manifest.steps.append(entry)
    run.save()
    log.info("Using cached version of step %s (outputs of run %s).", entry.name, hit.run)
    if not values:
        return None
    result = values[0] if len(values) == 1 else tuple(values)
    return _as_seen_by_pipeline(step, run, entry.name, result, values, entry.outputs)


def _as_seen_by_pipeline(
    step: Step,
    run: Run,
    invocation: str,
    result: Any,
    values: list[Any],
    outputs: dict[str, str],
) -> Any:
    """The step's result as the pipeline sees it: one handle per output (ZenML's
    `StepArtifact`), so a later step knows its argument is this output by the wiring."""
    if not run.is_pipeline or not values:
        return result
    handles = [
        StepArtifact(invocation, key, art_id, value)
        for (key, art_id), value in zip(outputs.items(), values)
    ]
    return handles[0] if len(step.declared) == 1 else tuple(handles)


def _holds_handle(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return isinstance(value, (list, tuple, set, dict)) and any(
        isinstance(v, StepArtifact) for v in items
    )


def _external(client: Client, ext: ExternalArtifact) -> ArtifactVersionResponse:
    """The stored version an ExternalArtifact stands for (saved now if it holds a value)."""
    if ext.id is not None or ext.name is not None:
        return client.get_artifact_version(ext.id or ext.name or "", ext.version)
    return client.save_artifact(
        ext.value, f"external_{uuid.uuid4()}", materializer=ext.materializer, link=False
    )


def check_outputs(step_name: str, declared: int, values: list[Any]) -> None:
    if len(values) != declared:
        raise UsageError(
            f"step {step_name!r}",
            f"declares {declared} outputs but returned {len(values)}: return one value per "
            "output in the return annotation",
        )
