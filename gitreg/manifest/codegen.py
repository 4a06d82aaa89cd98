"""Compile the pydantic models of `models.py` into `_generated.py`.

    python -m gitreg.manifest.codegen           # rewrite gitreg/manifest/_generated.py
    python -m gitreg.manifest.codegen --check   # exit 1 if it is out of date

For each model, `_generated.py` holds a plain `Record` subclass (the same name, fields and
properties) and the model's pydantic-core schema with every class in it replaced by its
record class. Run it after editing `models.py` or upgrading pydantic; the file records the
pydantic-core version it was made with, and gitreg rebuilds the schemas in memory (the same
`compile_schemas`) when another version is installed.
"""

from __future__ import annotations

import enum
import inspect
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

TARGET = Path(__file__).with_name("_generated.py")

# module-level names `_generated.py` may refer to, besides its own record classes
_IMPORTS = (
    "from typing import TYPE_CHECKING, Any, Literal\n\n"
    "from gitreg.enums import ArtifactType, LinkKind\n"
    "from gitreg.manifest.record import Record\n"
)


def _model_classes() -> list[Any]:
    """The pydantic models to compile, in definition order (nested ones before their users)."""
    from pydantic import BaseModel

    from gitreg.manifest import models

    return [
        v
        for k, v in vars(models).items()
        if isinstance(v, type)
        and issubclass(v, BaseModel)
        and v.__module__ == models.__name__
        and not k.startswith("_")  # private bases (_Model, _Versioned) are not files
    ]


def _core_schema(model: Any) -> Any:
    model.model_rebuild()
    return model.__pydantic_core_schema__


def _transform(node: Any, classes: dict[type, type]) -> Any:
    """The schema with pydantic-only keys dropped and model classes swapped for records."""
    if isinstance(node, dict):
        out = {}
        is_schema = "type" in node
        for k, v in node.items():
            if is_schema and k == "metadata":  # json-schema hooks (callables), not validation
                continue
            if is_schema and k in ("ref", "schema_ref") and isinstance(v, str):
                v = re.sub(r":\d+$", "", v)  # drop the id() pydantic appends
            if is_schema and k == "default":  # a field's default value: kept as it is
                out[k] = v
            elif k == "fields" and isinstance(v, dict):  # field names, which may be "metadata"
                out[k] = {name: _transform(f, classes) for name, f in v.items()}
            else:
                out[k] = _transform(v, classes)
        return out
    if isinstance(node, list):
        return [_transform(v, classes) for v in node]
    if isinstance(node, type) and node in classes:
        return classes[node]
    return node


def compile_schemas(records: Any = None) -> dict[type, Any]:
    """Record class -> pydantic-core schema, built from the pydantic models now."""
    if records is None:
        from gitreg.manifest import _generated as records
    classes: dict[type, type] = {}
    for model in _model_classes():
        record = getattr(records, model.__name__, None)
        if record is None:
            raise RuntimeError(
                f"gitreg.manifest._generated has no {model.__name__}: run "
                "`python -m gitreg.manifest.codegen`"
            )
        classes[model] = record
    return {classes[m]: _transform(_core_schema(m), classes) for m in classes}


# -------------------------------------------------------------------------- source code


def _field_annotations(model: Any) -> dict[str, str]:
    """Field name -> the annotation as written in models.py."""
    out: dict[str, str] = {}
    for name in model.model_fields:
        for klass in model.__mro__:
            ann = inspect.get_annotations(klass)
            if name in ann:
                out[name] = ann[name] if isinstance(ann[name], str) else ann[name].__name__
                break
    return out


def _members(model: Any) -> list[str]:
    """Source of the properties a model defines; anything else a record could not offer
    (methods, classmethods, class variables, computed fields, validators) is refused."""
    out = []
    fields = set(model.model_fields)
    for klass in reversed(model.__mro__):
        if klass.__module__ != model.__module__:
            continue
        for name in inspect.get_annotations(klass):
            if name not in fields:
                raise RuntimeError(f"{klass.__name__}.{name}: only fields can be compiled")
        for name, value in klass.__dict__.items():
            if name.startswith("__") or name in ("model_config", "_abc_impl") or name in fields:
                continue
            src = _plain_property_source(value, klass)
            if src is not None:
                out.append(src)
                continue
            raise RuntimeError(
                f"{klass.__name__}.{name}: records can only have fields and plain @property "
                "members; compute it in the services layer instead"
            )
    return out


def _plain_property_source(value: Any, klass: type) -> str | None:
    """The source of a getter-only @property that uses no name of models.py that records
    do not have; None for anything else."""
    if not isinstance(value, property) or value.fget is None or value.fset or value.fdel:
        return None
    src = textwrap.dedent(inspect.getsource(value.fget))
    if not src.startswith("@property\ndef "):
        return None
    module = vars(sys.modules[klass.__module__])
    known = {n.strip() for line in re.findall(r"import (.+)", _IMPORTS) for n in line.split(",")}
    known |= {m.__name__ for m in _model_classes()}
    if not all(n in known or n not in module for n in value.fget.__code__.co_names):
        return None
    return src


def _py(node: Any, names: dict[type, str], shared: dict[type, Any] | None = None) -> str:
    """Python source of a schema value; classes by name, and the schema of a nested record
    by the name of its own schema when it is the same (`shared`: record -> its schema)."""
    shared = shared or {}

    def py(v: Any) -> str:
        return _py(v, names, shared)

    if isinstance(node, enum.Enum):
        return f"{type(node).__name__}.{node.name}"
    if isinstance(node, dict):
        cls = node.get("cls") if node.get("type") == "model" else None
        if cls in shared and shared[cls] == node:
            return _schema_name(names[cls])
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in node.items()) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(py(v) for v in node) + "]"
    if isinstance(node, type):
        if node in names:
            return names[node]
        if node.__module__ == "builtins":  # e.g. default_factory=list
            return node.__name__
        if issubclass(node, enum.Enum) and node.__module__ == "gitreg.enums":
            return node.__name__
    if node is None or isinstance(node, (str, int, float, bool)):
        return repr(node)
    raise TypeError(f"cannot write {node!r} into generated code")


def _schema_name(record: str) -> str:
    return f"_{record}_schema"


def render() -> str:
    """The text of `_generated.py` for the models and pydantic-core installed now."""
    import pydantic_core

    models = _model_classes()

    class _Names:  # stand-ins so the schemas name record classes, resolved in _py
        pass

    stand_ins = {m: type(m.__name__, (_Names,), {}) for m in models}
    names = {s: s.__name__ for s in stand_ins.values()}
    parts = [
        '"""GENERATED by `python -m gitreg.manifest.codegen` from models.py: do not edit."""\n',
        "from __future__ import annotations\n",
        _IMPORTS,
        f'PYDANTIC_CORE_VERSION = "{pydantic_core.__version__}"\n',
    ]
    for m in models:
        body = [f"    {_docstring(m)}\n"] if m.__doc__ else []
        annotations = _field_annotations(m)
        body += [f"    {k}: {v}\n" for k, v in annotations.items()]
        body.append(f"    _fields = frozenset({sorted(annotations)!r})\n")
        params = ", ".join(
            f"{k}: {v}" + ("" if m.model_fields[k].is_required() else " = ...")
            for k, v in annotations.items()
        )
        body.append(  # the signature mypy checks construction against
            f"\n    if TYPE_CHECKING:\n\n        def __init__(self, *, {params}) -> None: ...\n"
        )
        for src in _members(m):
            body.append("\n" + textwrap.indent(src, "    "))
        parts.append(f"\nclass {m.__name__}(Record):\n" + "".join(body))
    # each schema once, in model order: a nested record's schema is defined before its users
    shared: dict[type, Any] = {}
    for m in models:
        compiled = _transform(_core_schema(m), stand_ins)
        code = _py(compiled, names, shared)
        parts.append(f"\n{_schema_name(m.__name__)}: Any = {code}\n")
        shared[stand_ins[m]] = compiled
    table = ", ".join(f"{m.__name__}: {_schema_name(m.__name__)}" for m in models)
    parts.append(f"\nSCHEMAS: dict[type, Any] = {{{table}}}\n")
    return _format("\n".join(parts))


def _docstring(model: Any) -> str:
    doc = inspect.getdoc(model) or ""
    return f'"""{doc}"""' if "\\" not in doc and '"' not in doc else repr(doc)


def _format(source: str) -> str:
    """The repo's own formatter, so `ruff format --check` passes on the generated file."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
            input=source,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", None) or e
        raise RuntimeError(f"could not format the generated code with ruff: {detail}") from e
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m gitreg.manifest.codegen",
        description=f"Compile gitreg/manifest/models.py into {TARGET.name}.",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file is out of date; write nothing"
    )
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if TARGET.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{TARGET} is out of date: run python -m gitreg.manifest.codegen\n")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
