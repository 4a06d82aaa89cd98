"""Reads on a model with many versions (DESIGN.md, "Performance targets").

Makes N versions of model "m" with `client.create_model_version("m", None)`, puts the
middle one in stage "production" and links a small artifact to it, then measures: listing
the versions (names and numbers) with a fresh `Client` and with a warm one; resolving
`Model("m", "production")` and loading the linked artifact with a warm client (median of
100); and `gitreg model show m@production` in a fresh process (median of 5), next to a
bare `python -c pass` for scale.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    Row,
    ensure_bytecode,
    gitreg_cmd,
    make_repo,
    median,
    ms,
    output_of,
    parser,
    percentile,
    progress,
    report,
    scratch,
    time_cmd,
    timed,
)

TARGET_LIST_MS = 100.0
TARGET_RESOLVE_LOAD_MS = 3.0
TARGET_CLI_MS = 500.0  # DESIGN.md, revised by the simplification (issue 15)
SMALL = {"weights": [0.1, 0.2, 0.3], "bias": 0.5}


def create_versions(client: Any, n: int) -> list[float]:
    """Seconds per `create_model_version("m", None)`, for n new versions."""
    times: list[float] = []
    start = time.perf_counter()
    for i in range(n):
        times.append(timed(lambda: client.create_model_version("m", None)))
        if (i + 1) % 1000 == 0:
            progress(
                f"bench_reads: {i + 1}/{n} versions, {time.perf_counter() - start:.1f} s, "
                f"median of the last 1,000: {ms(median(times[-1000:])):.2f} ms"
            )
    return times


def list_versions(client: Any) -> list[tuple[str, int]]:
    return [(v.name, v.number) for v in client.list_model_versions("m")]


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="model versions (default 10,000; quick: 50)")
    p.add_argument(
        "--tries", type=int, default=None, help="warm resolve + load tries (default 100; quick: 30)"
    )
    p.add_argument(
        "--cli-runs", type=int, default=None, help="fresh-process CLI runs (default 5; quick: 3)"
    )
    args = p.parse_args()
    n: int = args.n or (50 if args.quick else 10_000)
    tries: int = args.tries or (30 if args.quick else 100)
    cli_runs: int = args.cli_runs or (3 if args.quick else 5)
    list_runs = 3 if args.quick else 5

    from gitreg import Client, Model

    with scratch(args.tmp) as tmp:
        repo = make_repo(Path(tmp) / "repo")
        client = Client(repo)
        client.init()
        create_s = create_versions(client, n)

        chosen = str(n // 2 + 1)  # neither the first nor the latest version
        staged = Model("m", chosen).bind(client)
        staged.set_stage("production")
        art = client.save_artifact(SMALL, "small")
        client.link_artifact_to_model(art.id, staged)

        # listing: a cold Client each time (the process's caches of the repository dropped
        # first: a Client() alone shares them), then a warm one
        from gitreg.services.registry import close_registries

        cold_s: list[float] = []
        for _ in range(list_runs):
            close_registries()
            fresh = Client(repo)
            cold_s.append(timed(lambda c=fresh: list_versions(c)))
        listed = list_versions(client)
        warm_s = [timed(lambda: list_versions(client)) for _ in range(list_runs)]
        if len(listed) != n:
            progress(f"bench_reads: WARNING: listed {len(listed)} versions, expected {n}")

        # resolve Model("m", "production") and load the linked artifact, warm
        def resolve() -> Any:
            m = Model("m", "production").bind(client)
            m.model_version  # noqa: B018 - resolves the stage
            return m

        def resolve_and_load() -> Any:
            return resolve().load_artifact("small")

        loaded = resolve_and_load()  # warm up
        if loaded != SMALL or resolve().model_version != chosen:
            progress(f"bench_reads: WARNING: resolved/loaded {loaded!r}, expected {SMALL!r}")
        resolve_s = [timed(resolve) for _ in range(tries)]
        resolve_load_s = [timed(resolve_and_load) for _ in range(tries)]

        # a one-shot query in a fresh process
        compiled = ensure_bytecode()
        python_s = [time_cmd([sys.executable, "-c", "pass"]) for _ in range(cli_runs)]
        show = [*gitreg_cmd(), "-C", str(repo), "model", "show", "m@production"]
        shown = output_of(show)  # checked once, untimed
        if f"m@{chosen}" not in shown:
            progress(f"bench_reads: WARNING: `model show` printed:\n{shown}")
        cli_s = [time_cmd(show) for _ in range(cli_runs)]

    rows = [
        Row("create_model_version, median", ms(median(create_s)), "ms"),
        Row("create_model_version, last 100 median", ms(median(create_s[-100:])), "ms"),
        Row(f"making {n} versions, total", sum(create_s), "s"),
        Row("list versions, fresh Client (median)", ms(median(cold_s)), "ms", TARGET_LIST_MS),
        Row("list versions, warm (median)", ms(median(warm_s)), "ms", TARGET_LIST_MS),
        Row("resolve m@production, warm (median)", ms(median(resolve_s)), "ms"),
        Row(
            "resolve + load small artifact, warm (median)",
            ms(median(resolve_load_s)),
            "ms",
            TARGET_RESOLVE_LOAD_MS,
        ),
        Row("resolve + load small artifact, warm (p90)", ms(percentile(resolve_load_s, 90)), "ms"),
        Row("baseline: python -c pass (median)", ms(median(python_s)), "ms"),
        Row("gitreg model show m@production (median)", ms(median(cli_s)), "ms", TARGET_CLI_MS),
    ]
    params = (
        f"n={n} versions, {tries} warm tries, {cli_runs} CLI runs, {list_runs} list runs; "
        + compiled
    )
    return report("bench_reads", params, rows, args.strict)


if __name__ == "__main__":
    sys.exit(main())
