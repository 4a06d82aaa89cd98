"""The one loader and dumper of registry YAML.

Loading is ruamel.yaml's safe loader (its C one when ruamel.yaml.clib is installed) behind
cheap guards against hostile input: a size limit, a nesting limit, no anchors or aliases.
Dumping is a small emitter for the plain data manifests hold (dicts in the order given,
lists, str, int, float, bool, None): deterministic block style, and much faster than a
general emitter on the save path. Its output reads back through the loader as written
(tests/manifest/test_yaml_roundtrip.py).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.tokens import AliasToken, AnchorToken

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


def _pure_yaml() -> Any:
    """ruamel's pure-Python safe loader: the fallback, and for the rare paths below (one
    per call: a YAML object holds the state of the document it reads)."""
    return YAML(typ="safe", pure=True)


_SafeLoader: Any = None
try:
    from ruamel.yaml import CSafeLoader
except ImportError:  # no ruamel.yaml.clib: the pure-Python loader reads alone
    pass
else:

    class _SafeLoader(CSafeLoader):  # type: ignore[misc,no-redef]
        # its resolver has YAML 1.2's rules but names no version, so its float constructor
        # would warn about YAML 1.1's syntax ("1e-05" has no dot in its mantissa)
        processing_version = (1, 2)


def _load(text: str) -> Any:
    if _SafeLoader is None:
        return _pure_yaml().load(text)
    loader = _SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def loads(data: bytes, path: str) -> Any:
    """Parse one manifest; any failure is a ManifestError naming `path:line`."""
    if len(data) > MAX_BYTES:
        at = data.count(b"\n", 0, MAX_BYTES) + 1  # where the limit is crossed
        raise ManifestError(path, f"file is {len(data)} bytes, over the {MAX_BYTES} limit", at)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        at = data.count(b"\n", 0, e.start) + 1
        raise ManifestError(path, f"not UTF-8 ({e.reason})", at) from None
    _check_depth(text, path)
    if "&" in text or "*" in text:
        # anchors and aliases are never written by gitreg; refusing them stops alias bombs
        _reject_aliases(text, path)
    try:
        return _load(text)
    except Exception as e:  # ruamel's errors, and the ValueError of e.g. `!!int x`
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ManifestError(path, f"invalid YAML: {problem}", line) from None


def line_of(data: bytes, loc: tuple[str | int, ...]) -> int | None:
    """The line (1-based) of the key or item at `loc` (keys and indexes, as pydantic names
    a field) in a YAML document, or of the deepest part of it that is there (the document's
    first line if none is)."""
    try:
        node = _pure_yaml().compose(data.decode("utf-8"))
    except Exception:  # not readable YAML: loads() says where
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, MappingNode):
            pair = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, SequenceNode) and type(part) is int and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


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
    try:
        for token in _pure_yaml().scan(text):
            if isinstance(token, (AnchorToken, AliasToken)):
                line = token.start_mark.line + 1
                raise ManifestError(path, "YAML anchors and aliases are not allowed", line)
    except ManifestError:
        raise
    except Exception:  # not YAML: the loader says where
        return
