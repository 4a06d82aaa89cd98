"""Reliability suite: counts what each test tried and prints them at the end of the run.

Tests record counts with the `reliability_counts` fixture (`.add("kill points", 105)`).
Counts go to a JSON file under pytest's base temp dir (one file per process, so xdist
workers add up) and `pytest_terminal_summary` prints one line such as
`reliability: 105 kill points, 400 concurrent saves, 63 hostile inputs`.

This folder is put on `sys.path` here so that the tests can import `rel_helpers`.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

COUNTS_GLOB = "reliability-counts-*.json"
ORDER = [
    "kill points",
    "concurrent saves",
    "concurrent links",
    "reader listings",
    "hostile inputs",
    "hostile manifests",
    "unpicklable objects",
    "corruptions",
    "disk-full/read-only saves",
    "hypothesis examples",
]


class Counts:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.counts: Counter[str] = Counter()

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] += n
        self.path.write_text(json.dumps(self.counts))


_counts: Counts | None = None


@pytest.fixture(scope="session")
def reliability_counts(tmp_path_factory: pytest.TempPathFactory) -> Counts:
    global _counts
    if _counts is None:
        base = tmp_path_factory.getbasetemp()
        _counts = Counts(base / f"reliability-counts-{os.getpid()}.json")
    return _counts


@pytest.fixture(scope="module", autouse=True)
def _temp_files_under_pytest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Loads of file and folder artifacts return copies in fresh temp dirs that nobody
    removes; keep those under pytest's base temp (pruned by pytest) instead of /tmp."""
    import tempfile

    old = tempfile.tempdir
    tempfile.tempdir = str(tmp_path_factory.mktemp("tempfiles"))
    try:
        yield
    finally:
        tempfile.tempdir = old


def _collect(config: pytest.Config) -> Counter[str]:
    total: Counter[str] = Counter()
    factory: Any = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return total
    try:
        base = Path(factory.getbasetemp())
    except Exception:  # pragma: no cover - no temp dir was ever made
        return total
    for f in base.rglob(COUNTS_GLOB):
        try:
            total.update(json.loads(f.read_text()))
        except (OSError, ValueError):
            continue
    return total


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    counts = _collect(config)
    if not counts:
        return
    keys = [k for k in ORDER if k in counts] + sorted(k for k in counts if k not in ORDER)
    line = "reliability: " + ", ".join(f"{counts[k]} {k}" for k in keys)
    terminalreporter.write_sep("-", "reliability counts")
    terminalreporter.write_line(line)
