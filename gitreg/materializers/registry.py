"""The materializer registry: a materializer per type, users register their own.

It is the one place that knows every built-in materializer (`register_builtins`); their
modules import numpy, pandas, pyarrow and cloudpickle only for an object that needs them.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from gitreg.errors import MaterializerError
from gitreg.materializers.base import Materializer

_by_type: dict[type, type[Materializer]] = {}
_by_name: dict[str, type[Materializer]] = {}
_builtins_loaded = False


def register_materializer(cls: type[Materializer], *types: type) -> type[Materializer]:
    """Register `cls` for its `associated_types` (or the given types); usable as a decorator."""
    if not cls.name:
        cls.name = f"{cls.__module__}.{cls.__qualname__}"
    for t in types or cls.associated_types:
        _by_type[t] = cls
    _by_name[cls.name] = cls
    return cls


_builtins_lock = threading.Lock()


def register_builtins() -> None:
    """Register every built-in materializer (numpy and pandas lazily, via `matches`)."""
    from gitreg.materializers.binary import BytesMaterializer
    from gitreg.materializers.cloudpickle_objects import CloudpickleMaterializer
    from gitreg.materializers.jsonlike import BuiltinJSONMaterializer
    from gitreg.materializers.numpy_arrays import NumpyMaterializer
    from gitreg.materializers.pandas_frames import PandasMaterializer
    from gitreg.materializers.paths import PathMaterializer
    from gitreg.materializers.pydantic_models import PydanticMaterializer

    # in this order: lazy matchers are tried last registered first
    for cls in (
        BuiltinJSONMaterializer,
        BytesMaterializer,
        PathMaterializer,
        NumpyMaterializer,
        PandasMaterializer,
        CloudpickleMaterializer,
    ):
        register_materializer(cls)
    # pydantic is loaded anyway by then: the manifests are pydantic models
    from pydantic import BaseModel

    register_materializer(PydanticMaterializer, BaseModel)


def _ensure_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    with _builtins_lock:  # threads saving at once must all see the full registry
        if not _builtins_loaded:
            register_builtins()
            _builtins_loaded = True


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """Registrations made inside are undone on exit (e.g. to try a materializer out in a
    test without leaving it registered)."""
    _ensure_builtins()
    by_type, by_name = dict(_by_type), dict(_by_name)
    try:
        yield
    finally:
        _by_type.clear()
        _by_type.update(by_type)
        _by_name.clear()
        _by_name.update(by_name)


def for_object(obj: Any) -> Materializer:
    """The materializer for `obj`: by type (most specific first), then lazy matchers
    (numpy, pandas, ...), then cloudpickle."""
    _ensure_builtins()
    for klass in type(obj).__mro__:
        cls = _by_type.get(klass)
        if cls is not None:
            if cls.name == "builtin-json":
                from gitreg.materializers.jsonlike import json_safe

                if not json_safe(obj):
                    break  # e.g. a dict holding an array: not JSON, try the others
            return cls()
    for cls in reversed(list(_by_name.values())):
        lazy = getattr(cls, "matches", None)
        if lazy is not None and lazy(obj):
            return cls()
    return _by_name["cloudpickle"]()


def by_name(name: str) -> Materializer:
    _ensure_builtins()
    cls = _by_name.get(name)
    if cls is None:
        # a user materializer recorded by import path: import its module
        module, _, qual = name.rpartition(".")
        try:
            import importlib

            obj: Any = importlib.import_module(module)
            for part in qual.split("."):
                obj = getattr(obj, part)
            cls = obj
        except (ImportError, AttributeError, ValueError):
            raise MaterializerError(
                f"materializer {name!r} is not registered: import the module that defines it "
                "and call gitreg.register_materializer() before loading"
            ) from None
    assert cls is not None
    return cls()


def resolve(materializer: Any) -> Materializer:
    """A materializer instance from a class, an instance or a registered name."""
    _ensure_builtins()
    if isinstance(materializer, Materializer):
        return materializer
    if isinstance(materializer, type) and issubclass(materializer, Materializer):
        if not materializer.name:
            register_materializer(materializer)
        return materializer()
    if isinstance(materializer, str):
        return by_name(materializer)
    raise MaterializerError(
        f"materializer must be a Materializer subclass, instance or name, not {materializer!r}"
    )
