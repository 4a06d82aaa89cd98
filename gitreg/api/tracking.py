"""How a running pipeline tells step outputs from literals, and what keys the step cache.

A step output is handed to the next step as the same object; Python shares small ints and
short strings between unrelated code, so those get an identity of their own (a subclass)
while the pipeline runs.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable
from typing import Any


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


def track(value: Any) -> Any:
    """A step output as the pipeline sees it: primitives get an identity of their own
    (Python shares `3` or `"a"` between unrelated code), so a later step can tell that
    its argument is this artifact and not a literal."""
    wrapper = _TRACKED.get(type(value))
    return value if wrapper is None else wrapper(value)


def untrack(value: Any) -> Any:
    base = _UNTRACKED.get(type(value))
    return value if base is None else base(value)


def shared_constant(value: Any) -> bool:
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
