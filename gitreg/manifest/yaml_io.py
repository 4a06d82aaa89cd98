"""The one loader and dumper of registry YAML.

Loading uses ruamel.yaml's safe loader (C-accelerated when ruamel.yaml.clib is present).
Dumping uses a small emitter for the plain data manifests hold (dicts in the order given,
lists, str, int, float, bool, None): deterministic block style, and about 20x faster than
a general emitter on the save path. Its output round-trips through the loader (tested).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from gitreg.errors import ManifestError

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./+-]*")
_SPECIAL = {
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
}  # fmt: skip
MAX_BYTES = 1 << 20  # a manifest is small; refuse bombs before parsing
MAX_DEPTH = 64  # nesting of mappings and lists; a deeper document is refused unparsed
# characters YAML does not allow raw (or reads as line breaks), escaped as \uXXXX
_NOT_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _str_scalar(value)
    if kind is int:
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, str):
        return _str_scalar(value)
    raise TypeError(f"cannot write {type(value).__name__} to a manifest")


# Keys, names, versions and kinds repeat from one manifest to the next: remember how each
# short string is written (bounded; cleared when full).
_STR_MEMO: dict[str, str] = {}


def _str_scalar(value: str) -> str:
    out = _STR_MEMO.get(value)
    if out is not None:
        return out
    if _PLAIN.fullmatch(value) and value.lower() not in _SPECIAL and len(value) < 200:
        out = value
    else:
        # JSON's escapes are YAML's; also escape what YAML may not hold raw or would fold
        quoted = json.dumps(value, ensure_ascii=False)
        out = _NOT_PRINTABLE.sub(lambda m: _escape(m.group()), quoted)
    if len(value) < 200:
        if len(_STR_MEMO) >= 4096:
            _STR_MEMO.clear()
        _STR_MEMO[value] = out
    return out


def _emit(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            key = _str_scalar(k) if type(k) is str else _scalar(str(k))
            kind = type(v)
            if kind is str:
                out.append(f"{indent}{key}: {_str_scalar(v)}\n")
            elif kind is dict or kind is list or isinstance(v, (dict, list, tuple)):
                if not v:
                    out.append(
                        f"{indent}{key}: {{}}\n" if isinstance(v, dict) else f"{indent}{key}: []\n"
                    )
                elif isinstance(v, dict):
                    out.append(f"{indent}{key}:\n")
                    _emit(v, indent + "  ", out)
                else:
                    out.append(f"{indent}{key}:\n")
                    _emit(list(v), indent, out)
            else:
                out.append(f"{indent}{key}: {_scalar(v)}\n")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _emit(item, indent + "  ", sub)
                sub[0] = indent + "- " + sub[0][len(indent) + 2 :]
                out.extend(sub)
            elif isinstance(item, (list, tuple)) and item:
                out.append(f"{indent}-\n")
                _emit(list(item), indent + "  ", out)
            elif isinstance(item, dict):
                out.append(f"{indent}- {{}}\n")
            elif isinstance(item, (list, tuple)):
                out.append(f"{indent}- []\n")
            else:
                out.append(f"{indent}- {_scalar(item)}\n")
    else:
        out.append(f"{indent}{_scalar(value)}\n")


def dumps(data: dict[str, Any]) -> bytes:
    if not data:
        return b"{}\n"
    out: list[str] = []
    _emit(data, "", out)
    return "".join(out).encode()


_yaml: Any = None


def _loader() -> Any:
    global _yaml
    if _yaml is None:
        from ruamel.yaml import YAML

        _yaml = YAML(typ="safe")
    return _yaml


def loads(data: bytes, path: str) -> Any:
    """Parse one manifest; any failure is a ManifestError naming `path:line`."""
    if len(data) > MAX_BYTES:
        raise ManifestError(path, f"file is {len(data)} bytes, over the {MAX_BYTES} limit")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ManifestError(path, f"not UTF-8 ({e.reason})") from None
    _check_depth(text, path)
    canonical = _canonical_loads(text, data)  # gitreg's own form: no anchors or aliases
    if canonical is not None:
        return canonical
    if "&" in text or "*" in text:
        # anchors and aliases are never written by gitreg; refusing them stops alias bombs
        _reject_aliases(text, path)
    try:
        return _loader().load(text)
    except Exception as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ManifestError(path, f"invalid YAML: {problem}", line) from None


# -- the canonical form, read without ruamel -------------------------------------------------
_INT = re.compile(r"-?[0-9]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_DECODER = json.JSONDecoder()


def _canonical_loads(text: str, data: bytes) -> Any:
    """`text` parsed if it is exactly what `dumps` writes, else None (ruamel reads it).

    Manifests gitreg wrote are in that form, so most reads skip ruamel (and a one-shot CLI
    query skips importing it). The value is accepted only if writing it again gives the
    same bytes; as `dumps` output reads back through ruamel to the value written (tested),
    the result is what ruamel would have returned.
    """
    if text == "{}\n":
        return {}
    if not text.endswith("\n") or _SURROGATE_ESCAPE.search(text):
        return None  # ruamel refuses lone surrogates: let it say so
    lines = text[:-1].split("\n")
    try:
        value, end = _mapping(lines, 0, "")
    except (ValueError, IndexError):
        return None
    if end != len(lines) or not value or dumps(value) != data:
        return None
    return value


def _token(rest: str) -> tuple[str | None, str]:
    """Split `rest` into a key (or None if it is not `key:`...) and what follows the colon."""
    if rest.startswith('"'):
        key, end = _DECODER.raw_decode(rest)
        if not isinstance(key, str) or rest[end : end + 1] != ":":
            return None, rest
        return key, rest[end + 1 :]
    colon = rest.find(":")
    if colon <= 0 or not _PLAIN.fullmatch(rest[:colon]):
        return None, rest
    return rest[:colon], rest[colon + 1 :]


def _value(text: str) -> Any:
    if text.startswith('"'):
        value, end = _DECODER.raw_decode(text)
        if end != len(text) or not isinstance(value, str):
            raise ValueError(text)
        return value
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if text in _WORDS:
        return _WORDS[text]
    if _INT.fullmatch(text):
        return int(text)
    if text[:1].isdigit() or text[:1] == "-":
        return float(text)
    if _PLAIN.fullmatch(text):
        return text
    raise ValueError(text)


_WORDS: dict[str, Any] = {
    "null": None, "true": True, "false": False,
    ".nan": math.nan, ".inf": math.inf, "-.inf": -math.inf,
}  # fmt: skip


def _is_item(line: str, indent: str) -> bool:
    return line.startswith(indent + "- ") or line == indent + "-"


def _nested(lines: list[str], i: int, indent: str) -> tuple[Any, int]:
    """The block after `key:` on line i-1: a list at the same indent or a deeper mapping."""
    if _is_item(lines[i], indent):
        return _sequence(lines, i, indent)
    return _mapping(lines, i, indent + "  ")


def _mapping(lines: list[str], i: int, indent: str) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while i < len(lines):
        line = lines[i]
        if not line.startswith(indent) or line[len(indent) : len(indent) + 1] in (" ", "-", ""):
            break
        key, rest = _token(line[len(indent) :])
        if key is None:
            raise ValueError(line)
        if rest == "":
            out[key], i = _nested(lines, i + 1, indent)
        elif rest.startswith(" "):
            out[key] = _value(rest[1:])
            i += 1
        else:
            raise ValueError(line)
    return out, i


def _sequence(lines: list[str], i: int, indent: str) -> tuple[list[Any], int]:
    out: list[Any] = []
    item: Any
    while i < len(lines) and _is_item(lines[i], indent):
        rest = lines[i][len(indent) + 2 :]
        if lines[i] == indent + "-":
            item, i = _sequence(lines, i + 1, indent + "  ")
        elif _token(rest)[0] is not None:  # a mapping whose first key shares the "- " line
            lines[i] = indent + "  " + rest
            item, i = _mapping(lines, i, indent + "  ")
        else:
            item = _value(rest)
            i += 1
        out.append(item)
    return out, i


_OPEN_CLOSE = re.compile(r"[\[\]{}]")


def _check_depth(text: str, path: str) -> None:
    """Refuse deep nesting before the parser recurses into it (it can crash the process)."""
    if text.count("[") + text.count("{") > MAX_DEPTH:
        depth = 0
        for m in _OPEN_CLOSE.finditer(text):
            depth += 1 if m.group() in "[{" else -1
            if depth > MAX_DEPTH:
                at = text.count("\n", 0, m.start()) + 1
                raise ManifestError(path, f"nested deeper than {MAX_DEPTH} levels", at)
    for lineno, row in enumerate(text.splitlines(), 1):
        if len(row) - len(row.lstrip(" -")) > 2 * MAX_DEPTH:
            raise ManifestError(path, f"indented deeper than {MAX_DEPTH} levels", lineno)


def _reject_aliases(text: str, path: str) -> None:
    """ManifestError at the first anchor or alias, found by ruamel's scanner (tokens only:
    linear, nothing is composed), so `*` or `&` inside quoted text is no false alarm."""
    from ruamel.yaml import YAML
    from ruamel.yaml.tokens import AliasToken, AnchorToken

    try:
        for token in YAML(typ="safe", pure=True).scan(text):
            if isinstance(token, (AnchorToken, AliasToken)):
                line = token.start_mark.line + 1
                raise ManifestError(path, "YAML anchors and aliases are not allowed", line)
    except ManifestError:
        raise
    except Exception:  # not YAML: the loader says where
        return
