"""The public surface of `gitreg`: what `__all__` promises is importable, lazily, and typed."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import gitreg
from gitreg import errors


def _type_checking_imports() -> set[str]:
    tree = ast.parse(Path(gitreg.__file__).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                names |= {alias.name for alias in stmt.names}
    return names


def test_all_the_lazy_table_and_the_type_checking_imports_agree() -> None:
    assert set(gitreg.__all__) == set(gitreg._EXPORTS) == _type_checking_imports()


def test_every_exported_name_resolves_from_the_module_the_table_names() -> None:
    import importlib

    for name, module in gitreg._EXPORTS.items():
        value = getattr(gitreg, name)
        assert value is getattr(importlib.import_module(module), name), name


def test_dir_lists_the_public_names() -> None:
    assert set(gitreg.__all__) <= set(dir(gitreg))


def test_every_error_class_is_in_errors_and_in_its_tree() -> None:
    classes = [
        obj
        for obj in vars(errors).values()
        if inspect.isclass(obj) and issubclass(obj, errors.GitregError)
    ]
    doc = errors.__doc__ or ""
    for cls in classes:
        assert cls.__module__ == "gitreg.errors"
        assert f" {cls.__name__}" in doc, f"{cls.__name__} is missing from the tree"
    for cls in (errors.NotFoundError, errors.ManifestError, errors.StorageError):
        assert getattr(gitreg, cls.__name__) is cls  # the commonly caught ones: from gitreg


def test_no_error_class_is_defined_outside_errors() -> None:
    root = Path(gitreg.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                getattr(b, "id", "").endswith("Error") for b in node.bases
            ):
                offenders.append(f"{path.relative_to(root)}:{node.name}")
    assert offenders == []


def test_no_bare_gitreg_error_is_raised() -> None:
    root = Path(gitreg.__file__).parent
    bare = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and getattr(node.exc.func, "id", None) == "GitregError"
            ):
                bare.append(f"{path.relative_to(root)}:{node.lineno}")
    assert bare == []
