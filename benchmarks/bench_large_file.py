"""Saving and loading one large file (DESIGN.md, "Performance targets").

A file of random bytes (512 MiB by default) is saved with `client.save_artifact(Path(f),
"big")`, saved again with the same content and loaded with `client.load_artifact("big")`.
Each is compared with a baseline run alternately with it in the same process, three times
each, median taken: `md5sum F` + `cp F DEST` for the first save, `md5sum F` alone for the
second (it should cost no more than hashing) and `cp F DEST` alone for the load (a copy).
Nothing is dropped from the page cache; dirty pages are flushed (`sync`) before each timing.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    Row,
    make_repo,
    median,
    parser,
    progress,
    remove_tree,
    report,
    scratch,
    time_cmd,
    timed,
)

TARGET_SAVE_RATIO = 1.1  # save_artifact / (md5sum + cp)
TARGET_RESAVE_RATIO = 1.1  # saving unchanged content / md5sum
TARGET_LOAD_RATIO = 1.25  # load_artifact / cp ("about a copy")
MIB = 1 << 20


def write_random_file(path: Path, mib: int) -> None:
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(MIB))


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def alternate(
    rounds: int,
    baseline: Callable[[int], float],
    measured: Callable[[int], float],
    label: str,
    prepare: Callable[[int], None] | None = None,
) -> tuple[float, float]:
    """Median seconds of `baseline` and `measured`, run alternately `rounds` times each.

    `prepare(i)` runs untimed before round `i`; dirty pages are flushed before each timing.
    """
    base: list[float] = []
    ours: list[float] = []
    for i in range(rounds):
        if prepare is not None:
            prepare(i)
        os.sync()
        base.append(baseline(i))
        os.sync()
        ours.append(measured(i))
        progress(
            f"bench_large_file: {label} round {i + 1}/{rounds}: {base[-1]:.3f} s vs {ours[-1]:.3f} s"
        )
    return median(base), median(ours)


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--mib", type=int, default=None, help="file size in MiB (default 512; quick: 16)"
    )
    p.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds per measure (default 3)"
    )
    args = p.parse_args()
    mib: int = args.mib or (16 if args.quick else 512)
    rounds: int = args.rounds

    from gitreg import Client

    with scratch(args.tmp) as tmp_str:
        tmp = Path(tmp_str)
        src = tmp / "big.bin"
        dest = tmp / "copy.bin"
        progress(f"bench_large_file: writing {mib} MiB of random bytes to {src}")
        write_random_file(src, mib)

        # warm up: imports and first-use setup are not what is measured here
        warm = Client(make_repo(tmp / "warmup"))
        warm.init()
        small = tmp / "small.bin"
        small.write_bytes(os.urandom(4096))
        warm.load_artifact(warm.save_artifact(small, "small").id)
        remove_tree(tmp / "warmup")

        # 1. first save, each round in a fresh repository, against md5sum + cp
        clients: list[Any] = []

        def md5_and_cp(_: int) -> float:
            t = time_cmd(["md5sum", src]) + time_cmd(["cp", src, dest])
            remove(dest)
            return t

        def fresh_repo(i: int) -> None:
            if clients:  # keep only the newest repository (disk space)
                remove_tree(tmp / f"repo{i - 1}")
                clients.clear()
            client = Client(make_repo(tmp / f"repo{i}"))
            client.init()
            clients.append(client)

        def first_save(_: int) -> float:
            return timed(lambda: clients[0].save_artifact(src, "big"))

        base_save, save = alternate(rounds, md5_and_cp, first_save, "save", fresh_repo)
        client = clients[0]

        # 2. the same content again, against md5sum alone
        base_md5, resave = alternate(
            rounds,
            lambda _: time_cmd(["md5sum", src]),
            lambda _: timed(lambda: client.save_artifact(src, "big")),
            "save again",
        )

        # 3. load the (cached, unchanged) artifact, against cp alone
        sizes: list[int] = []

        def cp_alone(_: int) -> float:
            t = time_cmd(["cp", src, dest])
            remove(dest)
            return t

        def load(_: int) -> float:
            out: list[Path] = []
            t = timed(lambda: out.append(client.load_artifact("big")))
            path = Path(out[0])
            sizes.append(path.stat().st_size)
            remove(path)
            try:
                path.parent.rmdir()  # the fresh temp dir the copy was made in
            except OSError:
                pass
            return t

        base_cp, load_s = alternate(rounds, cp_alone, load, "load")
        if any(s != mib * MIB for s in sizes):
            progress(f"bench_large_file: WARNING: loaded sizes {sizes}, expected {mib * MIB}")

    rows = [
        Row("baseline: md5sum + cp", base_save, "s"),
        Row("save_artifact(Path)", save, "s"),
        Row("save / (md5sum + cp)", save / base_save, "x", TARGET_SAVE_RATIO),
        Row("baseline: md5sum", base_md5, "s"),
        Row("save_artifact, same content again", resave, "s"),
        Row("save again / md5sum", resave / base_md5, "x", TARGET_RESAVE_RATIO),
        Row("baseline: cp", base_cp, "s"),
        Row("load_artifact (cached, unchanged)", load_s, "s"),
        Row("load / cp", load_s / base_cp, "x", TARGET_LOAD_RATIO),
        Row("save_artifact throughput", mib / save, "MiB/s"),
    ]
    return report(
        "bench_large_file", f"{mib} MiB, median of {rounds} alternating rounds", rows, args.strict
    )


if __name__ == "__main__":
    sys.exit(main())
