"""What keys the step cache: parameters as JSON, code and opaque values by hash."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any


def json_value(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def source_hash(fn: Callable[..., Any]) -> str:
    try:
        src = inspect.getsource(fn).encode()
    except (OSError, TypeError):
        src = fn.__code__.co_code
    return hashlib.md5(src).hexdigest()


def value_hash(value: Any) -> str | None:
    try:
        import cloudpickle

        return hashlib.md5(cloudpickle.dumps(value)).hexdigest()
    except Exception:
        return None
