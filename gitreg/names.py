"""Validation of what users pass in (names, versions, stages, metadata): done once, at the
boundary."""

from __future__ import annotations

import re
from typing import Any

_PART = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_NAME_RE = re.compile(_PART)
_ARTIFACT_RE = re.compile(rf"{_PART}(?:::{_PART})*")
_UUID_RE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
_HEX_RE = re.compile(r"[0-9a-f-]{4,36}")

ALPHABET = (
    "use 1-128 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit "
    "(no '/', whitespace, '@', '#', '~^:?*[\\' or '..')"
)
ARTIFACT_ALPHABET = ALPHABET + "; artifact names may join such parts with '::'"


def _check(kind: str, value: object, pattern: re.Pattern[str], alphabet: str) -> str:
    from gitreg.errors import InvalidNameError

    if not isinstance(value, str):
        raise InvalidNameError(kind, value, f"expected a string, got {type(value).__name__}")
    if not value:
        raise InvalidNameError(kind, value, "it is empty; " + alphabet)
    if pattern.fullmatch(value) is None:
        raise InvalidNameError(kind, value, alphabet)
    for part in value.split("::"):
        if ".." in part or part.endswith(".") or part.endswith(".lock"):
            raise InvalidNameError(
                kind,
                value,
                "'..', a trailing '.' and a '.lock' suffix are not allowed; " + alphabet,
            )
    return value


def model_name(value: object) -> str:
    return _check("model name", value, _NAME_RE, ALPHABET)


def artifact_name(value: object) -> str:
    return _check("artifact name", value, _ARTIFACT_RE, ARTIFACT_ALPHABET)


def version(value: object, kind: str = "version") -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            from gitreg.errors import InvalidNameError

            raise InvalidNameError(kind, value, "numbers start at 1")
        value = str(value)
    return _check(kind, value, _NAME_RE, ALPHABET)


def stage(value: object) -> str:
    v = getattr(value, "value", value)
    return _check("stage", v, _NAME_RE, ALPHABET)


def tag(value: object) -> str:
    return _check("tag", value, _NAME_RE, ALPHABET)


def looks_like_id(value: str) -> bool:
    """True for a full UUID (with or without dashes)."""
    return _UUID_RE.fullmatch(value) is not None


def looks_like_id_prefix(value: str) -> bool:
    return _HEX_RE.fullmatch(value) is not None and any(c.isdigit() or c in "abcdef" for c in value)


def is_number(value: str) -> bool:
    return value.isdigit() and value == str(int(value)) and int(value) > 0


def normalize_id(value: str) -> str | None:
    """The canonical dashed lowercase form of a full UUID, or None if `value` is not one."""
    v = value.strip().lower()
    if not looks_like_id(v):
        return None
    h = v.replace("-", "")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


MAX_METADATA_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_METADATA_BYTES = 256 << 10


def metadata(value: Any, what: str = "metadata") -> dict[str, Any]:
    """Refuse, before anything is written, metadata a manifest cannot hold faithfully."""
    from gitreg.errors import InvalidMetadataError

    if not isinstance(value, dict):
        raise InvalidMetadataError(what, f"expected a dict, got {type(value).__name__}")

    def walk(v: Any, depth: int) -> None:
        if depth > MAX_METADATA_DEPTH:
            raise InvalidMetadataError(what, f"nested deeper than {MAX_METADATA_DEPTH} levels")
        if isinstance(v, dict):
            for k, item in v.items():
                if not isinstance(k, str):
                    raise InvalidMetadataError(what, f"key {k!r} is not a str")
                text(k)
                walk(item, depth + 1)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item, depth + 1)
        elif isinstance(v, str):
            text(v)
        elif not (v is None or isinstance(v, (int, float, bool))):
            raise InvalidMetadataError(what, f"{type(v).__name__} value {v!r:.60} is not allowed")

    def text(v: str) -> None:
        # a lone surrogate is not Unicode text: YAML (and UTF-8) cannot hold it
        if _SURROGATE.search(v):
            raise InvalidMetadataError(what, f"{v!r:.60} holds a lone surrogate (not valid text)")

    walk(value, 0)
    import json

    size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
    if size > MAX_METADATA_BYTES:
        raise InvalidMetadataError(what, f"{size} bytes is over the {MAX_METADATA_BYTES} limit")
    return value
