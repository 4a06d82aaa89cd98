"""The only place that prints: tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from gitreg.progress import Bar as Progress
from gitreg.progress import human_size

__all__ = ["Progress", "human_size"]  # shared with the API's bars


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _console() -> Any:
    """rich's console; piped to another program, lines are as long as their content (rich
    would cut them at 80 columns, and `p::b::output_0` would read `p::b::outpu…`)."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=100_000)


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    empty: str | None = None,
) -> None:
    """A table; with no rows, the line `empty` (default: "TITLE: none") instead."""
    from rich.markup import escape
    from rich.table import Table

    if not rows:
        line(empty or f"{title}: none")
        return

    t = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        min_width=len(title) + 2 if title else None,
    )
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*["" if v is None else escape(str(v)) for v in r])
    _console().print(t)


def fields(title: str, data: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    t = Table(
        title=escape(title), title_justify="left", show_header=False, box=None, pad_edge=False
    )
    t.add_column(style="bold")
    t.add_column()
    for k, v in data.items():
        if isinstance(v, (dict, list)):
            v = json.dumps(v, default=str) if v else ""
        t.add_row(k, "" if v is None else escape(str(v)))
    _console().print(t)


def tree(node: Any) -> None:
    """A lineage tree (nodes with .label and .children)."""
    from rich.markup import escape
    from rich.tree import Tree

    def add(parent: Any, n: Any) -> None:
        for child in n.children:
            add(parent.add(escape(child.label)), child)

    root = Tree(escape(node.label))
    add(root, node)
    _console().print(root)


def line(text: str) -> None:
    sys.stdout.write(text + "\n")


def error(message: str) -> None:
    first = message.strip().splitlines()[0] if message.strip() else "error"
    sys.stderr.write(f"gitreg: error: {first}\n")


def warning(message: str) -> None:
    sys.stderr.write(f"gitreg: warning: {message}\n")
