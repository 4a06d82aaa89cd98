"""Manifest schemas rebuilt for a pydantic-core other than the one `_generated.py` was made
with: built from the pydantic models once (importing pydantic, ~0.3 s), then kept in the
user's cache (`$XDG_CACHE_HOME/gitreg` or `~/.cache/gitreg`) for later processes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

# bump when what is pickled changes shape, so older cache files are not read
_CACHE_FORMAT = "1"


class _SchemaUnpickler:
    """Unpickles only what rebuilt schemas hold: records, gitreg's enums, plain containers."""

    ALLOWED = {"list", "dict", "set", "frozenset", "tuple"}

    @classmethod
    def load(cls, f: Any) -> Any:
        import pickle

        class Restricted(pickle.Unpickler):
            def find_class(self, module: str, name: str) -> Any:
                if module in ("gitreg.manifest._generated", "gitreg.enums") or (
                    module == "builtins" and name in cls.ALLOWED
                ):
                    return super().find_class(module, name)
                raise pickle.UnpicklingError(f"{module}.{name} is not allowed here")

        return Restricted(f).load()


def cache_path(core_version: str) -> str | None:
    """Where schemas rebuilt for `core_version` are kept; None if there is no safe place."""
    import hashlib
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256(f"{_CACHE_FORMAT} {core_version}".encode())
    for name in ("models.py", "_generated.py"):
        try:
            with open(os.path.join(here, name), "rb") as f:
                digest.update(f.read())
        except OSError:  # e.g. a zipped install: nothing to key a cache on
            return None
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):  # the XDG spec: ignore a relative value
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # no home directory: not the current one either
        return None
    return os.path.join(base, "gitreg", f"schemas-{digest.hexdigest()[:20]}.pickle")


def read_cache(path: str) -> Mapping[type, Any] | None:
    import os

    from gitreg.manifest import _generated

    try:
        with open(path, "rb") as f:
            if hasattr(os, "getuid") and os.fstat(f.fileno()).st_uid != os.getuid():
                return None  # someone else's file: not trusted
            cached = _SchemaUnpickler.load(f)
    except Exception:  # missing, damaged or refused: rebuild
        return None
    if type(cached) is not dict or cached.keys() != _generated.SCHEMAS.keys():
        return None
    return cached


def rebuilt_schemas(core_version: str) -> Mapping[type, Any]:
    """The schemas for another pydantic-core, rebuilt from the models (importing pydantic)
    once and then kept in the user's cache, so later processes start as fast as with the
    generated ones."""
    import pickle

    from gitreg.stores.files import replace_file

    path = cache_path(core_version)
    cached = read_cache(path) if path else None
    if cached is not None:
        log.debug("manifest schemas for pydantic-core %s from %s", core_version, path)
        return cached
    from gitreg.manifest import _generated
    from gitreg.manifest.codegen import compile_schemas

    log.info(
        "pydantic-core %s is not %s, which gitreg's manifest schemas were generated with: "
        "rebuilding them from gitreg.manifest.models%s",
        core_version,
        _generated.PYDANTIC_CORE_VERSION,
        f" (once; kept in {path})" if path else "",
    )
    schemas = compile_schemas()
    if path is None:
        return schemas
    try:
        replace_file(path, pickle.dumps(schemas, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as e:  # a read-only home, or something in a schema that cannot pickle
        log.debug("could not keep the rebuilt schemas in %s: %s", path, e)
    return schemas
