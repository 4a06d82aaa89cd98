"""History reads on a registry of 10,000 commits (DESIGN.md, "Performance targets").

Builds the registry in-process through gitreg's own API: each round saves an artifact
version of "a" and links it to a version of model "m" (a new model version every 10
rounds, which is then put in stage "production"), so commits are saves, links and stage
moves, until the branch holds N commits. Then times `gitreg log m`, `diff` of two adjacent
states and a point-in-time read (`--at gitreg~N/2`: list the model's versions, load an
artifact linked then), each in-process with a fresh `Client` and as a one-shot CLI in a
fresh process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    Row,
    ensure_bytecode,
    git,
    gitreg_cmd,
    make_repo,
    median,
    ms,
    output_of,
    parser,
    progress,
    report,
    scratch,
    time_cmd,
    timed,
)

TARGET_MS = 1000.0
PER_MODEL_VERSION = 10  # rounds (save + link) per model version


def build(client: Any, n: int) -> None:
    """Commit saves, links and stage moves until the registry branch has `n` commits."""
    from gitreg import Model

    repo = client.root

    def count() -> int:
        return int(git(repo, "rev-list", "--count", "gitreg"))

    i, start, commits = 0, time.perf_counter(), count()
    while commits < n:
        version = f"v{i // PER_MODEL_VERSION + 1}"
        art = client.save_artifact({"round": i}, "a")
        client.link_artifact_to_model(art.id, Model("m", version).bind(client))
        if i % PER_MODEL_VERSION == PER_MODEL_VERSION - 1:
            client.set_model_version_stage("m", version, "production", force=True)
        i += 1
        if i % 10 == 0 or n - commits < 40:  # counted by git, not by guessing per call
            commits = count()
        if i % 1000 == 0:
            progress(f"bench_history: {commits}/{n} commits, {time.perf_counter() - start:.1f} s")


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="commits (default 10,000; quick: 100)")
    p.add_argument("--runs", type=int, default=None, help="timed runs of each (default 5; quick 2)")
    p.add_argument(
        "--keep",
        default=None,
        metavar="DIR",
        help="build the registry in DIR and keep it; a later run with the same DIR and N "
        "reuses it (the build of 10,000 commits takes minutes)",
    )
    args = p.parse_args()
    n: int = args.n or (100 if args.quick else 10_000)
    runs: int = args.runs or (2 if args.quick else 5)

    from gitreg import Client, Model
    from gitreg.services.registry import close_registries

    with scratch(args.tmp) as tmp:
        kept = Path(args.keep) / f"history-{n}" if args.keep else None
        reused = kept is not None and (kept / ".git").exists()
        repo = kept if reused and kept else make_repo(kept or Path(tmp) / "repo")
        client = Client(repo)
        client.init()
        build_s = timed(lambda: build(client, n))  # nothing to do on a reused registry
        commits = int(git(repo, "rev-list", "--count", "gitreg"))
        half = f"gitreg~{commits // 2}"
        old = Client(repo, at=half)
        old_version = old.list_model_versions("m")[-1].name
        expected = Model("m", old_version).bind(old).load_artifact("a")

        def fresh() -> Any:
            close_registries()  # a new Client shares the process's caches otherwise
            return Client(repo)

        def log_m() -> object:
            return fresh().history("m")

        def diff_adjacent() -> object:
            return fresh().diff(f"gitreg~{commits // 2 + 1}", half)

        def point_in_time() -> object:
            close_registries()
            at = Client(repo, at=half)
            at.list_model_versions("m")
            return Model("m", old_version).bind(at).load_artifact("a")

        if point_in_time() != expected or not log_m() or not diff_adjacent():
            progress("bench_history: WARNING: a read returned something unexpected")
        inproc = {
            name: [timed(fn) for _ in range(runs)]
            for name, fn in (("log", log_m), ("diff", diff_adjacent), ("at", point_in_time))
        }

        compiled = ensure_bytecode()
        base = [*gitreg_cmd(), "-C", str(repo)]
        commands = {
            "log": [*base, "log", "m"],
            "diff": [*base, "diff", f"gitreg~{commits // 2 + 1}", half],
            "at": [*base, "model", "show", f"m@{old_version}", "--at", half],
        }
        # the same commands on a registry of a few commits: what start-up alone costs
        small = make_repo(Path(tmp) / "small")
        small_client = Client(small)
        small_client.init()
        build(small_client, 6)
        small_base = [*gitreg_cmd(), "-C", str(small)]
        small_commands = {
            "log": [*small_base, "log", "m"],
            "diff": [*small_base, "diff", "gitreg~2", "gitreg~1"],
            "at": [*small_base, "model", "show", "m@v1", "--at", "gitreg~1"],
        }
        for cmd in [*commands.values(), *small_commands.values()]:
            output_of(cmd)  # checked once (it must succeed), untimed
        cli: dict[str, list[float]] = {k: [] for k in commands}
        cli_small: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(runs):  # alternately, so both see the same machine
            for key in commands:
                cli[key].append(time_cmd(commands[key]))
                cli_small[key].append(time_cmd(small_commands[key]))
        python_s = [time_cmd([sys.executable, "-c", "pass"]) for _ in range(runs)]
        help_s = [time_cmd([*gitreg_cmd(), "--help"]) for _ in range(runs)]

    labels = {
        "log": "log m",
        "diff": f"diff of two adjacent states ({half})",
        "at": f"point-in-time read at {half}: list versions + load",
    }
    rows = [
        Row(f"building {commits} commits (saves, links, stage moves)", build_s, "s")
        if not reused
        else Row(f"building {commits} commits", "reused from --keep"),
    ]
    if not reused:
        rows.append(Row("per commit, mean", ms(build_s / max(commits, 1)), "ms"))
    for key, label in labels.items():
        rows.append(Row(f"{label}, in-process, fresh Client (median)",
                        ms(median(inproc[key])), "ms", TARGET_MS))  # fmt: skip
    rows.append(Row("baseline: python -c pass (median)", ms(median(python_s)), "ms"))
    rows.append(Row("baseline: gitreg --help, fresh process (median)", ms(median(help_s)), "ms"))
    cli_labels = {
        "log": "gitreg log m",
        "diff": "gitreg diff A B (adjacent)",
        "at": f"gitreg model show m@{old_version} --at {half}",
    }
    for key, label in cli_labels.items():
        rows.append(Row(f"{label}, fresh process (median)", ms(median(cli[key])), "ms", TARGET_MS))
        rows.append(Row("  the same on a registry of 6 commits", ms(median(cli_small[key])), "ms"))
    params = f"n={commits} commits, {runs} runs each; " + compiled
    return report("bench_history", params, rows, args.strict)


if __name__ == "__main__":
    sys.exit(main())
