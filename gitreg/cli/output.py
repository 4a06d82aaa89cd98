"""The only place that prints: tables for people, JSON for scripts, one-line errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


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
    """A table; with no rows, the line `empty` (default: "nothing to list") instead."""
    from rich.table import Table

    if not rows:
        line(empty or (f"{title}: none" if title else "nothing to list"))
        return

    t = Table(
        title=title,
        title_justify="left",
        header_style="bold",
        min_width=len(title) + 2 if title else None,
    )
    for c in columns:
        t.add_column(c)
    from rich.markup import escape

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


def human_size(n: int) -> str:
    """Sizes in decimal units (kB, MB, GB), the ones rich's progress bars and speeds use, so
    every size the CLI prints reads in one system."""
    from rich.filesize import decimal

    return str(decimal(n))


class Progress:
    """A byte progress bar on stderr for long transfers (rich), or nothing for small ones;
    with `unit` (e.g. "objects") a running count of things instead of bytes."""

    def __init__(self, description: str, total: int | None = None, unit: str | None = None) -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                TransferSpeedColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            columns: tuple[Any, ...] = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
            if self.unit is not None:
                columns = (f"{{task.completed:,.0f}} {self.unit}",)
            self._bar = RichProgress(
                "[progress.description]{task.description}", *columns, transient=True
            )
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def __call__(self, n: int) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
