"""Built-in Python values (str, numbers, None, dict, list, tuple, set) as tagged JSON that
round-trips to equal values of the same types."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from gitreg.enums import ArtifactType
from gitreg.errors import MaterializerError
from gitreg.materializers.base import Materializer, type_name

_CONTAINERS = (dict, list, tuple, set, frozenset)
_TAGS = frozenset({"__tuple__", "__set__", "__frozenset__", "__dict__", "__float__"})


def _int_fits(value: int) -> bool:
    """False for ints too long for int<->str conversion (Python's 4300-digit limit)."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    return limit == 0 or abs(value).bit_length() * 0.30103 < limit - 1


def json_safe(obj: Any) -> bool:
    """True if `obj` is built only of exact str/int/float/bool/None/dict/list/tuple/set/frozenset.

    Such objects round-trip through `BuiltinJSONMaterializer` equal and of the same types.
    Subclasses (e.g. namedtuple, OrderedDict, IntEnum), other types and cycles give False.
    """
    active: set[int] = set()

    def walk(value: Any) -> bool:
        t = type(value)
        if t is float or t is str or t is bool or value is None:
            return True
        if t is int:
            return _int_fits(value)
        if t not in _CONTAINERS:
            return False
        if id(value) in active:
            return False  # a cycle
        active.add(id(value))
        try:
            if t is dict:
                return all(walk(k) and walk(v) for k, v in value.items())
            return all(walk(item) for item in value)
        finally:
            active.discard(id(value))

    try:
        return walk(obj)
    except RecursionError:
        return False


def _canonical(encoded: Any) -> str:
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _totally_ordered(values: list[Any]) -> bool:
    """True if `sorted(values)` is deterministic: all str, or all numbers without nan."""
    if all(type(v) is str for v in values):
        return True
    return all(type(v) in (int, bool) or (type(v) is float and not math.isnan(v)) for v in values)


def _encode(obj: Any) -> Any:
    t = type(obj)
    if obj is None or t is str or t is bool or t is int:
        return obj
    if t is float:
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if t is list:
        return [_encode(item) for item in obj]
    if t is tuple:
        return {"__tuple__": [_encode(item) for item in obj]}
    if t is set or t is frozenset:
        items = list(obj)
        if _totally_ordered(items):
            encoded = [_encode(item) for item in sorted(items)]
        else:
            encoded = sorted((_encode(item) for item in items), key=_canonical)
        return {"__set__" if t is set else "__frozenset__": encoded}
    if t is dict:
        if all(type(k) is str for k in obj) and not _TAGS.intersection(obj):
            return {k: _encode(v) for k, v in obj.items()}
        keys = list(obj)
        if _totally_ordered(keys):
            pairs = [[_encode(k), _encode(obj[k])] for k in sorted(keys)]
        else:
            pairs = sorted(
                ([_encode(k), _encode(v)] for k, v in obj.items()),
                key=lambda pair: (_canonical(pair[0]), _canonical(pair[1])),
            )
        return {"__dict__": pairs}
    raise TypeError(f"a {type_name(obj)} cannot be stored as JSON")


def _decode_object(d: dict[str, Any]) -> Any:
    if len(d) == 1:
        ((key, value),) = d.items()
        if key == "__tuple__":
            return tuple(value)
        if key == "__set__":
            return set(value)
        if key == "__frozenset__":
            return frozenset(value)
        if key == "__dict__":
            return {k: v for k, v in value}
        if key == "__float__":
            return float(value)
    return d


def encode_json(obj: Any) -> bytes:
    """Deterministic JSON bytes of a `json_safe` object, tagged so it round-trips exactly."""
    if not json_safe(obj):
        raise MaterializerError(
            f"a {type_name(obj)} that holds objects other than exact str/int/float/bool/None/"
            "dict/list/tuple/set/frozenset (or holds itself) cannot be stored as JSON: "
            "pass materializer='cloudpickle' or register a materializer for it "
            "with gitreg.register_materializer()"
        )
    text = json.dumps(
        _encode(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )
    return text.encode("ascii")


def decode_json(data: bytes) -> Any:
    """The object `encode_json` encoded."""
    return json.loads(data, object_hook=_decode_object)


class BuiltinJSONMaterializer(Materializer):
    """Built-in values (str, numbers, None, dict, list, tuple, set) as one tagged JSON file."""

    name = "builtin-json"
    associated_types = (str, int, float, bool, type(None), dict, list, tuple, set, frozenset)
    artifact_type = ArtifactType.DATA
    file_name = "data.json"

    def to_bytes(self, obj: Any) -> bytes:
        """The JSON bytes (compact, sorted keys: equal objects give equal bytes)."""
        return encode_json(obj)

    def load(self, path: str, data_type: type | None) -> Any:
        """Read the JSON file back into the same types."""
        with open(path, "rb") as f:
            return decode_json(f.read())
