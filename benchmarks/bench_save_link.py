"""save + link of a small object outside a step (DESIGN.md, "Performance targets").

Each iteration is `client.save_artifact({"epoch": i, "loss": 0.1}, "ckpt")` followed by
`client.link_artifact_to_model(a.id, model)`, with one `Model("bench", "1.0.0")` created
up front. Reports the median and p90 per save + link, save and link alone, flatness (the
median of iterations 11-110 against the last 100) and `.git` growth per save.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _common import (
    Row,
    git,
    git_size_kib,
    make_repo,
    median,
    ms,
    parser,
    percentile,
    progress,
    report,
    scratch,
)

TARGET_MEDIAN_MS = 3.0
TARGET_FLAT_RATIO = 1.5
TARGET_GROWTH_KIB = 5.0
WINDOW = 100  # iterations per flatness window
SKIP = 10  # the early window starts after this many iterations


def windows(n: int) -> tuple[slice, slice]:
    """The early window (iterations 11-110) and the late one (the last 100), 0-based."""
    w = min(WINDOW, max(1, (n - SKIP) // 2))
    return slice(SKIP, SKIP + w), slice(n - w, n)


def count_objects(repo: Path) -> int:
    fields = dict(line.split(": ", 1) for line in git(repo, "count-objects", "-v").splitlines())
    return int(fields["count"]) + int(fields["in-pack"])


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="iterations (default 10,000; quick: 200)")
    args = p.parse_args()
    n: int = args.n or (200 if args.quick else 10_000)
    if n < SKIP + 2:
        p.error(f"--n must be at least {SKIP + 2}")

    from gitreg import Client, Model

    with scratch(args.tmp) as tmp:
        repo = make_repo(Path(tmp) / "repo")
        client = Client(repo)
        client.init()
        model = Model("bench", "1.0.0")
        size_before = git_size_kib(repo)
        objects_before = count_objects(repo)

        save_s: list[float] = []
        link_s: list[float] = []
        total_s: list[float] = []
        clock = time.perf_counter
        start = clock()
        for i in range(n):
            t0 = clock()
            a = client.save_artifact({"epoch": i, "loss": 0.1}, "ckpt")
            t1 = clock()
            client.link_artifact_to_model(a.id, model)
            t2 = clock()
            save_s.append(t1 - t0)
            link_s.append(t2 - t1)
            total_s.append(t2 - t0)
            if (i + 1) % 1000 == 0:
                recent = ms(median(total_s[-1000:]))
                progress(
                    f"bench_save_link: {i + 1}/{n} done, {clock() - start:.1f} s, "
                    f"median of the last 1,000: {recent:.2f} ms"
                )

        growth_kib = (git_size_kib(repo) - size_before) / n
        objects_per_save = (count_objects(repo) - objects_before) / n
        linked = len(client.list_artifact_versions(model=Model("bench", "1.0.0")))
        if linked != n:
            progress(f"bench_save_link: WARNING: {linked} artifacts linked, expected {n}")

    early, late = windows(n)
    early_med = ms(median(total_s[early]))
    late_med = ms(median(total_s[late]))
    e_lo, e_hi = early.start + 1, early.stop
    l_lo, l_hi = late.start + 1, late.stop
    rows = [
        Row("save + link, median", ms(median(total_s)), "ms", TARGET_MEDIAN_MS),
        Row("save + link, p90", ms(percentile(total_s, 90)), "ms"),
        Row("save alone, median", ms(median(save_s)), "ms"),
        Row("link alone, median", ms(median(link_s)), "ms"),
        Row(f"save + link, median of iterations {e_lo}-{e_hi}", early_med, "ms"),
        Row(f"save + link, median of iterations {l_lo}-{l_hi}", late_med, "ms"),
        Row("flatness: late / early median", late_med / early_med, "x", TARGET_FLAT_RATIO),
        Row(
            ".git growth per save (size + size-pack + pool)",
            growth_kib,
            "KiB",
            TARGET_GROWTH_KIB,
            "<",
        ),
        Row("git objects written per save + link", objects_per_save),
        Row("total wall time", sum(total_s), "s"),
    ]
    return report("bench_save_link", f"n={n}", rows, args.strict)


if __name__ == "__main__":
    sys.exit(main())
