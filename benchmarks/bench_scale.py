"""What a new model version costs once a registry is big: git's roll-ups grow with it.

Creates N model versions (save + link outside a step, each a new version of one model, so
N version tags), then times M more. Each write is a small pack; every ~33 commits git's own
roll-up (`git commit-graph write`, `git repack --geometric=2`) merges them, and its cost
grows with the repository, so the mean per version grows while the median stays flat.
The first M creations of the same run are the fresh registry's figures.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _common import Row, make_repo, median, ms, parser, percentile, progress, report, scratch


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--versions", type=int, default=None, help="N (10,000; quick: 300)")
    p.add_argument("--more", type=int, default=None, help="M timed at the end (300; quick: 60)")
    args = p.parse_args()
    n: int = args.versions or (300 if args.quick else 10_000)
    more: int = args.more or (60 if args.quick else 300)

    from gitreg import Client, Model

    with scratch(args.tmp) as tmp:
        client = Client(make_repo(Path(tmp) / "scale"))
        client.init()
        times: list[float] = []
        start = time.perf_counter()
        for i in range(n + more):
            t0 = time.perf_counter()
            a = client.save_artifact({"i": i}, "w")
            client.link_artifact_to_model(a.id, Model("m"))
            times.append(time.perf_counter() - t0)
            if (i + 1) % 1000 == 0:
                progress(f"bench_scale: {i + 1}/{n + more}, {time.perf_counter() - start:.1f} s")
        tags = len(client.list_tags())
    early, late = times[:more], times[-more:]
    mean_early, mean_late = sum(early) / more, sum(late) / more
    rows = [
        Row(f"first {more} versions, mean", ms(mean_early), "ms"),
        Row(f"first {more} versions, median", ms(median(early)), "ms"),
        Row(f"versions {n + 1}-{n + more}, mean", ms(mean_late), "ms"),
        Row(f"versions {n + 1}-{n + more}, median", ms(median(late)), "ms"),
        Row(f"versions {n + 1}-{n + more}, p99", ms(percentile(late, 99)), "ms"),
        Row("late / first, means", mean_late / mean_early, "x"),
        Row("late / first, medians", median(late) / median(early), "x"),
        Row("version tags at the end", float(tags)),
    ]
    return report("bench_scale", f"N={n}, M={more}", rows, args.strict)


if __name__ == "__main__":
    sys.exit(main())
