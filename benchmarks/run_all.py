"""Run every benchmark, one fresh process each, and print their tables one after another.

python benchmarks/run_all.py            # full sizes (takes several minutes)
python benchmarks/run_all.py --quick    # smoke run of each
python benchmarks/run_all.py --only save_link reads
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("import", "save_link", "reads", "client", "scale", "history", "large_file", "dir")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="pass --quick to each benchmark")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    p.add_argument("--tmp", default=None, metavar="DIR", help="passed on as --tmp")
    p.add_argument(
        "--only",
        nargs="+",
        choices=BENCHMARKS,
        default=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only these ({', '.join(BENCHMARKS)})",
    )
    args = p.parse_args()

    extra = ["--strict"] if args.strict else []
    if args.quick:
        extra.append("--quick")
    if args.tmp:
        extra += ["--tmp", args.tmp]

    failed: list[str] = []
    for name in args.only:
        script = HERE / f"bench_{name}.py"
        start = time.perf_counter()
        rc = subprocess.run([sys.executable, str(script), *extra], check=False).returncode
        print(f"# bench_{name}: exit {rc}, {time.perf_counter() - start:.1f} s\n", flush=True)
        if rc != 0:
            failed.append(f"bench_{name} (exit {rc})")
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
