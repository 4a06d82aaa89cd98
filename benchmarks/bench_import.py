"""Start-up cost of a fresh process (DESIGN.md, "Performance targets").

`python -c "from gitreg import Model, Client, save_artifact"` minus a bare `python -c pass`
(median of 10 fresh processes each, run alternately) and `gitreg --help` (median of 10).
Also lists which heavy modules (dvc, dvc-data, pandas, numpy, rich, ...) each one imports:
the design wants them imported lazily.
"""

from __future__ import annotations

import json
import sys

from _common import (
    Row,
    ensure_bytecode,
    gitreg_cmd,
    median,
    ms,
    output_of,
    parser,
    report,
    time_cmd,
)

TARGET_IMPORT_MS = 150.0
TARGET_HELP_MS = 300.0
IMPORT = "from gitreg import Model, Client, save_artifact"
LAZY = ("dvc", "dvc_data", "pandas", "numpy", "rich")  # DESIGN.md: imported lazily
HEAVY = ("dvc", "dvc_data", "dvc_objects", "pandas", "numpy", "rich", "pydantic", "git", "ruamel")

# Prints, at exit, which HEAVY top-level packages the code before it imported.
_REPORT_MODULES = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: print(json.dumps(sorted({m.split('.')[0] for m in sys.modules}"
    f" & {set(HEAVY)!r})), file=sys.stderr))\n"
)


def heavy_modules(code: str) -> list[str]:
    """HEAVY packages imported by running `code` in a fresh interpreter."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-c", _REPORT_MODULES + code], capture_output=True, text=True, check=False
    )
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "[]"
    return list(json.loads(last))


def lazy_row(measure: str, imported: list[str]) -> Row:
    """ok if none of the modules the design wants imported lazily was imported."""
    return Row(
        measure,
        ", ".join(imported) or "none",
        target=f"none of {', '.join(LAZY)}",
        ok=not set(LAZY) & set(imported),
    )


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--runs", type=int, default=None, help="fresh processes each (default 10; quick: 3)"
    )
    args = p.parse_args()
    runs: int = args.runs or (3 if args.quick else 10)

    py = sys.executable
    compiled = ensure_bytecode()
    help_cmd = [*gitreg_cmd(), "--help"]
    output_of(help_cmd)  # fail early (and warm the page cache) if the CLI is broken
    time_cmd([py, "-c", IMPORT])

    bare: list[float] = []
    imp: list[float] = []
    helps: list[float] = []
    for _ in range(runs):
        bare.append(time_cmd([py, "-c", "pass"]))
        imp.append(time_cmd([py, "-c", IMPORT]))
        helps.append(time_cmd(help_cmd))

    heavy_import = heavy_modules(IMPORT)
    heavy_help = heavy_modules(
        "import sys\nsys.argv = ['gitreg', '--help']\nfrom gitreg.cli.main import main\nmain()"
    )
    rows = [
        Row("baseline: python -c pass", ms(median(bare)), "ms"),
        Row(f"python -c {IMPORT!r}", ms(median(imp)), "ms"),
        Row(
            "import cost (minus python -c pass)",
            ms(median(imp) - median(bare)),
            "ms",
            TARGET_IMPORT_MS,
        ),
        Row("gitreg --help", ms(median(helps)), "ms", TARGET_HELP_MS),
        lazy_row("heavy modules after the import", heavy_import),
        lazy_row("heavy modules after gitreg --help", heavy_help),
    ]
    return report(
        "bench_import", f"median of {runs} fresh processes each; {compiled}", rows, args.strict
    )


if __name__ == "__main__":
    sys.exit(main())
