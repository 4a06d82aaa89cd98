"""What a ZenML or MLflow user's loops cost (issue 15, item 14), through the public API only.

1. A fresh `Client(repo)` per query against one reused `Client`:
   `Client(repo).get_model_version("m1", v).get_artifact("a").load()` over the versions
   of a model whose every version has one small linked artifact `a`; both alternate per
   query, after one untimed pass of each.
2. `Model("p", "production").load_artifact("ckpt")` (warm, the directory's active client)
   in a registry whose production version has 10 linked `ckpt` versions and in one with
   10,000, alternated.
3. Listing 1,000 versions of a model from a fresh `Client(repo)` and reading, for each,
   `id`, `created`, `stage` and `run_metadata` (each version had one `log_metadata`).
4. Creating 1,000 model versions, each with one small linked artifact, in two ways:
   `client.link_artifact_to_model(client.save_artifact({"i": i}, "w").id, Model("m2"))`
   outside a step, and as ZenML users do, one run of `@step(model=Model("m3"))` returning
   `{"i": i}` as artifact `w3` per version (which also commits a run manifest).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from _common import Row, make_repo, median, ms, parser, percentile, progress, report, scratch, timed

TARGET_FRESH_RATIO = 2.0
TARGET_STAGE_RATIO = 1.5
TARGET_LIST_MS = 50.0  # MLflow's search_model_versions on this machine, as the issue quotes it
TARGET_CREATE_S_PER_1000 = 7.0  # MLflow's, as the issue quotes it


@contextlib.contextmanager
def inside(path: Path) -> Iterator[None]:
    """Run in `path`, as a user in their repository does (`Model(...)` uses its client)."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def new_registry(path: Path) -> Any:
    from gitreg import Client

    client = Client(make_repo(path))
    client.init()
    return client


def save_and_link(client: Any, n: int, artifact: str, model: Any, label: str) -> list[float]:
    """Seconds per save + link, n times; `model()` gives the Model to link to."""
    times: list[float] = []
    start = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        a = client.save_artifact({"i": i}, artifact)
        client.link_artifact_to_model(a.id, model())
        times.append(time.perf_counter() - t0)
        if (i + 1) % 1000 == 0:
            progress(
                f"bench_client: {label}: {i + 1}/{n}, {time.perf_counter() - start:.1f} s, "
                f"median of the last 1,000: {ms(median(times[-1000:])):.2f} ms"
            )
    return times


def train_body(i: int) -> Annotated[dict[str, int], "w3"]:
    return {"i": i}


def check(ok: bool, what: str) -> None:
    if not ok:
        progress(f"bench_client: WARNING: {what}")


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--versions", type=int, default=None, help="1: versions (200; quick: 50)")
    p.add_argument("--few", type=int, default=10, help="2: links in the small registry (10)")
    p.add_argument(
        "--links", type=int, default=None, help="2: links in the big one (10,000; quick: 500)"
    )
    p.add_argument("--n", type=int, default=None, help="3, 4: versions (1,000; quick: 200)")
    p.add_argument("--tries", type=int, default=None, help="2: tries of each (100; quick: 30)")
    args = p.parse_args()
    versions: int = args.versions or (50 if args.quick else 200)
    few: int = args.few
    links: int = args.links or (500 if args.quick else 10_000)
    n: int = args.n or (200 if args.quick else 1000)
    tries: int = args.tries or (30 if args.quick else 100)
    list_runs = 3 if args.quick else 5

    from gitreg import Client, Model, step

    with scratch(args.tmp) as tmp:
        # 4. creating n model versions, each with one linked artifact
        repo4 = Path(tmp) / "create"
        client = new_registry(repo4)
        create_s = save_and_link(client, n, "w", lambda: Model("m2"), "4: versions")
        # ... and the ZenML way: one run of a step with a model per version
        train = step(model=Model("m3"))(train_body)
        with inside(repo4):
            step_s = [timed(partial(train, i)) for i in range(n)]
        got = client.get_model_version("m3", n).get_artifact("w3")
        check(got is not None and got.load() == {"i": n - 1}, "4: the step's output is not linked")

        # 3. listing them with every field a user reads, metadata logged once on each
        def log_one(v: int) -> None:
            Model("m2", str(v)).log_metadata({"accuracy": v / n, "v": v})

        with inside(repo4):
            meta_s = [timed(partial(log_one, v)) for v in range(1, n + 1)]

        def read_all(c: Any) -> list[tuple[Any, ...]]:
            return [(v.id, v.created, v.stage, v.run_metadata) for v in c.list_model_versions("m2")]

        def read_names(c: Any) -> list[tuple[str, int]]:
            return [(v.name, v.number) for v in c.list_model_versions("m2")]

        listed = read_all(Client(repo4))
        check(len(listed) == n and listed[-1][3].get("v") == n, f"listed {len(listed)} of {n}")
        list_fresh_s = [timed(lambda: read_all(Client(repo4))) for _ in range(list_runs)]
        list_names_s = [timed(lambda: read_names(Client(repo4))) for _ in range(list_runs)]
        list_warm_s = [timed(lambda: read_all(client)) for _ in range(list_runs)]
        from gitreg.services.registry import close_registries

        def cold_listing() -> float:
            close_registries()  # what a new process starts with: no parsed manifest
            return timed(lambda: read_all(Client(repo4)))

        list_cold_s = [cold_listing() for _ in range(list_runs)]

        # 1. a fresh Client per query against one reused Client
        repo1 = Path(tmp) / "queries"
        client1 = new_registry(repo1)
        save_and_link(client1, versions, "a", lambda: Model("m1"), "1: versions")

        def query(c: Any, v: int) -> Any:
            return c.get_model_version("m1", v).get_artifact("a").load()

        def fresh_query(v: int) -> Any:
            return query(Client(repo1), v)

        check(query(Client(repo1), versions) == {"i": versions - 1}, "1: wrong artifact loaded")
        for v in range(1, versions + 1):  # untimed pass: imports, reused client's reads
            query(Client(repo1), v)
            query(client1, v)
        fresh_s: list[float] = []
        reused_s: list[float] = []
        for v in range(1, versions + 1):
            fresh_s.append(timed(partial(fresh_query, v)))
            reused_s.append(timed(partial(query, client1, v)))

        # 2. resolve the stage and load the latest of few or many linked ckpt versions
        stage_s: dict[int, list[float]] = {few: [], links: []}
        repos2: dict[int, Path] = {}
        build_s: dict[int, list[float]] = {}
        for count in (few, links):
            repos2[count] = Path(tmp) / f"links-{count}"
            c = new_registry(repos2[count])
            c.create_model_version("p", "1.0.0").set_stage("production")
            model = Model("p", "1.0.0")
            build_s[count] = save_and_link(c, count, "ckpt", lambda m=model: m, f"2: {count} links")
        for count, repo in repos2.items():
            with inside(repo):
                got = Model("p", "production").load_artifact("ckpt")
                check(got == {"i": count - 1}, f"2: loaded {got!r} with {count} links")
        for _ in range(tries):
            for count, repo in repos2.items():
                with inside(repo):
                    stage_s[count].append(
                        timed(lambda: Model("p", "production").load_artifact("ckpt"))
                    )

    fresh_med, reused_med = median(fresh_s), median(reused_s)
    few_med, many_med = median(stage_s[few]), median(stage_s[links])
    create_limit = TARGET_CREATE_S_PER_1000 * n / 1000
    create_target = f"<= {create_limit:g} s (MLflow ~7 s per 1,000, quoted)"
    rows = [
        Row(f"1: fresh Client per query, median ({versions} versions)", ms(fresh_med), "ms"),
        Row("1: one reused Client, median", ms(reused_med), "ms"),
        Row("1: fresh / reused", fresh_med / reused_med, "x", TARGET_FRESH_RATIO),
        Row(f"2: Model@production load_artifact, {few} links (median)", ms(few_med), "ms"),
        Row(f"2: the same, {links} links (median)", ms(many_med), "ms"),
        Row(f"2: the same, {links} links (p90)", ms(percentile(stage_s[links], 90)), "ms"),
        Row(f"2: {links} links / {few} links", many_med / few_med, "x", TARGET_STAGE_RATIO),
        Row(f"2: making {links} links (save + link), median", ms(median(build_s[links])), "ms"),
        Row(
            f"3: list {n} versions, id/created/stage/metadata, fresh Client (median)",
            ms(median(list_fresh_s)),
            "ms",
            TARGET_LIST_MS,
            target=f"<= {TARGET_LIST_MS:g} ms (MLflow ~26-50 ms, quoted)",
        ),
        Row("3: the same, reused Client (median)", ms(median(list_warm_s)), "ms"),
        Row(
            "3: the same, cold (the process's caches of the repository dropped first)",
            ms(median(list_cold_s)),
            "ms",
        ),
        Row("3: names and numbers only, fresh Client (median)", ms(median(list_names_s)), "ms"),
        Row("3: log_metadata on a model version, median", ms(median(meta_s)), "ms"),
        Row(
            f"4: create {n} versions, save + link outside a step, total",
            sum(create_s),
            "s",
            create_limit,
            target=create_target,
        ),
        Row("4: the same, per version (median)", ms(median(create_s)), "ms"),
        Row("4: the same, median of the last 100", ms(median(create_s[-100:])), "ms"),
        Row(
            f"4: create {n} versions, one @step(model=...) run each, total",
            sum(step_s),
            "s",
            create_limit,
            target=create_target,
        ),
        Row("4: the same, per version (median)", ms(median(step_s)), "ms"),
        Row("4: the same, median of the last 100", ms(median(step_s[-100:])), "ms"),
    ]
    params = (
        f"1: {versions} versions; 2: {few} vs {links} links, {tries} tries each; "
        f"3, 4: n={n}, {list_runs} list runs"
    )
    return report("bench_client", params, rows, args.strict)


if __name__ == "__main__":
    sys.exit(main())
