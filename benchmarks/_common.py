"""Shared helpers for the benchmark scripts: timing, scratch repos and the result table.

Each `bench_*.py` script is run directly (`python benchmarks/bench_x.py`), so this module
is imported as a sibling (`from _common import ...`).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


# -- statistics -------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return seconds * 1000.0


# -- timing -----------------------------------------------------------------------------
def timed(fn: Callable[[], object]) -> float:
    """Seconds taken by one call of `fn`."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_cmd(
    args: Sequence[str | os.PathLike[str]], cwd: str | os.PathLike[str] | None = None
) -> None:
    """Run a command, discarding its output; raise with its stderr if it fails."""
    proc = subprocess.run(
        [os.fspath(a) for a in args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    if proc.returncode != 0:
        cmd = " ".join(os.fspath(a) for a in args)
        raise RuntimeError(f"{cmd!r} failed ({proc.returncode}): {proc.stderr.decode().strip()}")


def time_cmd(
    args: Sequence[str | os.PathLike[str]], cwd: str | os.PathLike[str] | None = None
) -> float:
    """Wall-clock seconds of one run of a command (output discarded)."""
    return timed(lambda: run_cmd(args, cwd))


def ensure_bytecode() -> str:
    """Byte-compile the gitreg package, as `pip install` does; returns a note for the report.

    Fresh-process timings would otherwise include compiling gitreg's sources on every run
    when the package is installed in editable mode and PYTHONDONTWRITEBYTECODE is set (as in
    this project's sandbox): ~80 ms that no installed copy pays.
    """
    import compileall

    import gitreg

    package = Path(gitreg.__file__).parent
    compileall.compile_dir(str(package), quiet=1)
    return f"gitreg byte-compiled in {package}"


def gitreg_cmd() -> list[str]:
    """The `gitreg` console script installed beside this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / "gitreg"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("gitreg")
    if found:
        return [found]
    return [sys.executable, "-c", "from gitreg.cli.main import main; main()"]


def output_of(args: Sequence[str | os.PathLike[str]]) -> str:
    """stdout of a command that must succeed."""
    return subprocess.run(
        [os.fspath(a) for a in args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=True,
    ).stdout


# -- scratch git repositories -----------------------------------------------------------
def git(repo: str | os.PathLike[str], *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", os.fspath(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=True,
    )
    return out.stdout.strip()


@contextlib.contextmanager
def scratch(parent: str | None) -> Iterator[str]:
    """A temp dir for scratch repos, removed on exit.

    By default it is made inside one reused `<system temp>/gitreg-bench` folder rather than
    directly in the system temp dir. Dirty pages are written back (`os.sync`) before the
    run and after the removal, so one run's write-back does not land on the next. (On ext4
    without a journal, this VM's root filesystem, each file creation also scans the inodes
    freed in the last ~30 s: a run started right after another removed its repos is slower
    for that half minute; writing back does not change that, only time does.)
    """
    if parent is None:
        root = Path(tempfile.gettempdir()) / "gitreg-bench"
        root.mkdir(exist_ok=True)
        parent = str(root)
    os.sync()
    path = tempfile.mkdtemp(prefix="gitreg-bench-", dir=parent)
    try:
        yield path
    finally:
        remove_tree(Path(path))
        os.sync()


def remove_tree(path: Path) -> None:
    """Remove a folder of scratch repos (gitreg leaves nothing running in them)."""
    shutil.rmtree(path, ignore_errors=True)


def make_repo(path: Path) -> Path:
    """A fresh git repository with one commit on `main`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Bench User")
    git(path, "config", "user.email", "bench@example.com")
    (path / "README.md").write_text("benchmark scratch repository\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "initial")
    return path


def git_size_kib(repo: str | os.PathLike[str]) -> float:
    """`git count-objects -v`: size + size-pack, in KiB."""
    fields: dict[str, str] = {}
    for line in git(repo, "count-objects", "-v").splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return float(int(fields["size"]) + int(fields["size-pack"]))


# -- command line -----------------------------------------------------------------------
def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="short smoke run (well under 20 s)")
    p.add_argument(
        "--tmp",
        default=None,
        metavar="DIR",
        help="where to make scratch repos (default: <system temp>/gitreg-bench)",
    )
    p.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    return p


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the result table -------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One measure. With `limit`, ok means `value <= limit` (or `<` when `op` is "<")."""

    measure: str
    value: float | str
    unit: str = ""
    limit: float | None = None
    op: Literal["<=", "<"] = "<="
    target: str | None = None  # shown instead of the generated "<= limit unit"
    ok: bool | None = None  # overrides the comparison (for non-numeric values)

    def passed(self) -> bool | None:
        if self.ok is not None:
            return self.ok
        if self.limit is None or isinstance(self.value, str):
            return None
        return self.value <= self.limit if self.op == "<=" else self.value < self.limit

    def cells(self) -> tuple[str, str, str, str]:
        value = self.value if isinstance(self.value, str) else _num(self.value)
        if self.unit and not isinstance(self.value, str):
            value = f"{value} {self.unit}" if self.unit != "x" else f"{value}x"
        if self.target is not None:
            target = self.target
        elif self.limit is not None:
            unit = "x" if self.unit == "x" else f" {self.unit}" if self.unit else ""
            target = f"{self.op} {self.limit:g}{unit}"
        else:
            target = "-"
        status = {True: "ok", False: "FAIL", None: ""}[self.passed()]
        return self.measure, value, target, status


def _num(v: float) -> str:
    if v == int(v) and abs(v) >= 10:
        return str(int(v))
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def environment() -> str:
    try:
        from importlib.metadata import version

        gitreg_version = version("gitreg")
    except Exception:
        gitreg_version = "?"
    git_version = subprocess.run(
        ["git", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"gitreg {gitreg_version}, Python {platform.python_version()}, {git_version}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load} (1/5/15 min, at the end)"
    )


def report(title: str, params: str, rows: Sequence[Row], strict: bool = False) -> int:
    """Print the table to stdout; return the exit status (1 with `strict` and a FAIL)."""
    header = ("measure", "value", "target", "ok/FAIL")
    table = [header, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(4)]

    def fmt(line: Sequence[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()

    print(f"{title} ({params})")
    print(f"# {environment()}")
    print(fmt(header))
    print(fmt(["-" * w for w in widths]))
    for line in table[1:]:
        print(fmt(line))
    failed = sum(r.passed() is False for r in rows)
    print(f"{failed} of {sum(r.passed() is not None for r in rows)} targets missed")
    sys.stdout.flush()
    return 1 if strict and failed else 0
