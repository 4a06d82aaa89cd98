"""The benchmark scripts run (smoke sizes): they must not rot between full runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(
    "script",
    [
        "bench_import.py",
        "bench_save_link.py",
        "bench_reads.py",
        "bench_client.py",
        "bench_scale.py",
        "bench_history.py",
    ],
)
def test_benchmark_quick_run_prints_its_table(script: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", "--tmp", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "measure" in proc.stdout and "target" in proc.stdout
    assert "targets missed" in proc.stdout
