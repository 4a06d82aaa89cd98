"""Heavy dependencies are imported lazily, so `import gitreg` and `gitreg --help` stay fast."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = "('dvc','dvc_data','pandas','numpy','rich','git')"


def test_public_imports_do_not_load_heavy_modules(tmp_path: Path) -> None:
    code = (
        "import gitreg, sys; from gitreg import Model, Client, save_artifact; "
        f"print(sorted(m for m in {HEAVY} if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_cli_module_import_is_light(tmp_path: Path) -> None:
    code = (
        f"import sys; import gitreg.cli.main; print(sorted(m for m in {HEAVY} if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_gitreg_help_subprocess(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("gitreg")
    if not exe.exists():  # pragma: no cover
        pytest.skip("the gitreg console script is not installed")
    proc = subprocess.run(
        [str(exe), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: gitreg")
    assert "init" in proc.stdout and "artifacts" in proc.stdout
    assert proc.stderr == ""
