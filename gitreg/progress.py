"""Byte progress bars on stderr (rich, imported only when a bar is drawn) and the one size
format (IEC: KiB, MiB, GiB) that bars and the CLI print.

The library never prints; the exception is this bar, drawn on stderr only when it is a
terminal (or `GITREG_PROGRESS=1` forces it, e.g. under a test or `script`), so a long
save or load from Python shows what it is doing as `gitreg artifact get` does.
"""

from __future__ import annotations

import os
import sys
from typing import Any

#: a save of a file larger than this shows a bar when called from Python in a terminal
LARGE = 64 * 1024 * 1024

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def human_size(n: int | float) -> str:
    """`512 bytes`, `10.0 KiB`, `1.5 GiB`: powers of 1024, one decimal."""
    if n < 1024:
        return f"{int(n)} bytes"
    for unit in _UNITS:
        n /= 1024
        if n < 1024 or unit == _UNITS[-1]:
            break
    return f"{n:.1f} {unit}"


def wanted() -> bool:
    """Whether a bar would be seen: stderr is a terminal, or GITREG_PROGRESS=1 forces it
    (GITREG_PROGRESS=0 turns bars off)."""
    forced = os.environ.get("GITREG_PROGRESS")
    if forced is not None:
        return forced == "1"
    return sys.stderr.isatty()


class Bar:
    """A context manager and a `Progress` callback (bytes done so far, added per call):
    a bar on stderr when `wanted()`, else nothing at all. With `unit` (e.g. "objects") it
    is a running count of things instead of bytes."""

    def __init__(self, description: str, total: int | None = None, unit: str | None = None) -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Bar:
        if wanted():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, ProgressColumn
            from rich.text import Text

            class _Bytes(ProgressColumn):
                def render(self, task: Any) -> Text:
                    done = human_size(task.completed)
                    total = "?" if task.total is None else human_size(task.total)
                    return Text(f"{done}/{total}", style="progress.download")

            class _Speed(ProgressColumn):
                def render(self, task: Any) -> Text:
                    speed = task.finished_speed or task.speed
                    shown = "?" if speed is None else human_size(speed)
                    return Text(f"{shown}/s", style="progress.data.speed")

            console = Console(stderr=True, force_terminal=True if not sys.stderr.isatty() else None)
            columns: tuple[Any, ...] = (BarColumn(), _Bytes(), _Speed())
            if self.unit is not None:
                columns = (f"{{task.completed:,.0f}} {self.unit}",)
            self._bar = Progress(
                "[progress.description]{task.description}",
                *columns,
                console=console,
                transient=sys.stderr.isatty(),  # a forced bar stays, to be read afterwards
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
