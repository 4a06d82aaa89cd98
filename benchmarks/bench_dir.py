"""Saving and loading a folder of many small files (DESIGN.md, "Performance targets").

A folder of N small files (10,000 by default, 1-4 KiB of random bytes each, in 100
subfolders) is saved with `client.save_artifact(Path(folder), "data")` and loaded with
`client.load_artifact("data")`, first with the local cache (`.git/gitreg/cache`) removed,
then again with it in place. The baseline is the DVC CLI on the same folder in its own
scratch repository, each side with its own local remote folder: `dvc add data` + `dvc push`
for the save, and `dvc pull` after removing the workspace copy and `.dvc/cache` for the
load. The loaded folders are compared file by file, byte by byte, with the original.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
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
    run_cmd,
    scratch,
    time_cmd,
    timed,
)

TARGET_SAVE_RATIO = 2.0  # save_artifact / (dvc add + dvc push)
TARGET_LOAD_RATIO = 2.0  # load_artifact with no cache / dvc pull with no cache
SUBFOLDERS = 100
MIN_SIZE, MAX_SIZE = 1024, 4096
CACHE = Path(".git", "gitreg", "cache")


def dvc_cmd() -> str:
    """The `dvc` console script installed beside this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / "dvc"
    if beside.exists():
        return str(beside)
    found = shutil.which("dvc")
    if found is None:
        raise SystemExit("bench_dir: the dvc command is needed for the baseline")
    return found


def write_folder(root: Path, nfiles: int, seed: int = 0) -> int:
    """`nfiles` files of 1-4 KiB of random bytes spread over subfolders; total bytes."""
    rng = random.Random(seed)
    ndirs = max(1, min(SUBFOLDERS, nfiles))
    total = 0
    for i in range(nfiles):
        sub = root / f"d{i % ndirs:03d}"
        if i < ndirs:
            sub.mkdir(parents=True)
        size = rng.randint(MIN_SIZE, MAX_SIZE)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(size))
        total += size
    return total


def files_under(root: Path) -> dict[str, Path]:
    """Every file under `root`, by path relative to it."""
    found: dict[str, Path] = {}
    for dirpath, _, filenames in os.walk(root):
        for fn in filenames:
            full = Path(dirpath, fn)
            found[full.relative_to(root).as_posix()] = full
    return found


def difference(original: Path, copy: Path) -> str | None:
    """None if `copy` holds the same files with the same bytes as `original`, else why not."""
    if not copy.is_dir():
        return f"{copy} is not a folder"
    want, got = files_under(original), files_under(copy)
    if want.keys() != got.keys():
        missing, extra = sorted(want.keys() - got.keys()), sorted(got.keys() - want.keys())
        parts = [
            f"{len(names)} files {what}" + (f" (e.g. {names[0]})" if names else "")
            for names, what in ((missing, "missing"), (extra, "extra"))
        ]
        return ", ".join(parts)
    for rel, path in want.items():
        if path.read_bytes() != got[rel].read_bytes():
            return f"{rel} differs"
    return None


def remove_loaded(path: Path) -> None:
    """Remove a loaded copy and the fresh temp dir gitreg made for it."""
    shutil.rmtree(path, ignore_errors=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass


def dvc_repo(path: Path, remote: Path, dvc: str) -> Path:
    """A scratch git repository with DVC set up and a local default remote."""
    make_repo(path)
    run_cmd([dvc, "init", "-q"], cwd=path)
    run_cmd([dvc, "remote", "add", "-d", "store", remote], cwd=path)
    return path


def dvc_round(src: Path, tmp: Path, name: str, dvc: str) -> dict[str, float]:
    """dvc add + dvc push of a copy of `src`, then dvc pull with no cache; seconds."""
    repo = dvc_repo(tmp / name, tmp / f"{name}-remote", dvc)
    shutil.copytree(src, repo / "data")  # DVC tracks a folder inside its workspace
    os.sync()
    add = time_cmd([dvc, "add", "-q", "data"], cwd=repo)
    os.sync()
    push = time_cmd([dvc, "push", "-q"], cwd=repo)
    shutil.rmtree(repo / "data")
    shutil.rmtree(repo / ".dvc" / "cache")
    os.sync()
    pull = time_cmd([dvc, "pull", "-q"], cwd=repo)
    why = difference(src, repo / "data")
    if why is not None:
        progress(f"bench_dir: WARNING: dvc pull did not restore the folder: {why}")
    for leftover in (repo, tmp / f"{name}-remote"):
        remove_tree(leftover)
    return {"add": add, "push": push, "pull": pull}


def gitreg_round(src: Path, tmp: Path, name: str) -> tuple[dict[str, float], list[str]]:
    """save_artifact, load_artifact with no cache, load_artifact again; seconds, and what
    was wrong with the loaded copies (empty when both match `src`)."""
    from gitreg import Client

    repo = make_repo(tmp / name)
    remote = tmp / f"{name}-remote"
    client = Client(repo)
    client.init(remote=str(remote))
    os.sync()
    save = timed(lambda: client.save_artifact(src, "data"))
    shutil.rmtree(repo / CACHE)
    os.sync()
    loaded: list[Any] = []

    def cold_load() -> None:  # a fresh client: nothing of the save is left in memory
        loaded.append(Client(repo).load_artifact("data"))

    cold = timed(cold_load)
    os.sync()
    warm_client = Client(repo)
    warm = timed(lambda: loaded.append(warm_client.load_artifact("data")))
    problems = []
    for label, path in zip(("cold", "warm"), loaded):
        why = difference(src, Path(path))
        if why is not None:
            problems.append(f"{label} load: {why}")
        remove_loaded(Path(path))
    for leftover in (repo, remote):
        remove_tree(leftover)
    return {"save": save, "cold": cold, "warm": warm}, problems


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--files", type=int, default=None, help="number of files (default 10,000; quick: 200)"
    )
    p.add_argument(
        "--rounds", type=int, default=1, help="rounds, each in fresh repositories (default 1)"
    )
    args = p.parse_args()
    nfiles: int = args.files or (200 if args.quick else 10_000)
    rounds: int = args.rounds
    dvc = dvc_cmd()
    os.environ["DVC_NO_ANALYTICS"] = "1"

    with scratch(args.tmp) as tmp_str:
        tmp = Path(tmp_str)
        # gitreg makes its loaded copies in the system temp dir: put them in the scratch dir
        # too, where dvc pull writes its copy, so both write to the same (reused) disk area
        tempfile.tempdir = tmp_str
        # DVC's site cache (state and index databases, one folder per repository) goes in
        # the scratch dir too, rather than piling up in /var/tmp/dvc
        os.environ["DVC_SITE_CACHE_DIR"] = str(tmp / "dvc-site-cache")
        src = tmp / "data"
        progress(f"bench_dir: writing {nfiles} files of 1-4 KiB to {src}")
        total = write_folder(src, nfiles)

        # warm up gitreg on a few files: imports and first-use setup are not measured (each
        # dvc command is a fresh process anyway; `dvc init` etc. warm up its files on disk)
        small = tmp / "small"
        write_folder(small, 20, seed=1)
        gitreg_round(small, tmp, "reg-warmup")
        shutil.rmtree(small)

        dvc_times: list[dict[str, float]] = []
        reg_times: list[dict[str, float]] = []
        problems: list[str] = []
        for i in range(rounds):
            d = dvc_round(src, tmp, f"dvc{i}", dvc)
            dvc_times.append(d)
            progress(
                f"bench_dir: round {i + 1}/{rounds}: dvc add {d['add']:.2f} s, "
                f"push {d['push']:.2f} s, pull {d['pull']:.2f} s"
            )
            g, wrong = gitreg_round(src, tmp, f"reg{i}")
            reg_times.append(g)
            problems += wrong
            progress(
                f"bench_dir: round {i + 1}/{rounds}: gitreg save {g['save']:.2f} s, "
                f"cold load {g['cold']:.2f} s, warm load {g['warm']:.2f} s"
            )

    def med(times: list[dict[str, float]], key: str) -> float:
        return median([t[key] for t in times])

    add_push = median([t["add"] + t["push"] for t in dvc_times])
    pull, save, cold = med(dvc_times, "pull"), med(reg_times, "save"), med(reg_times, "cold")
    if problems:
        progress("bench_dir: loaded folder differs from the original: " + "; ".join(problems))
    same = f"{2 * rounds} of {2 * rounds} loads" if not problems else problems[0]
    rows = [
        Row("folder", f"{nfiles} files, {total / (1 << 20):.1f} MiB"),
        Row("baseline: dvc add", med(dvc_times, "add"), "s"),
        Row("baseline: dvc push", med(dvc_times, "push"), "s"),
        Row("baseline: dvc add + dvc push", add_push, "s"),
        Row("save_artifact(Path(folder))", save, "s"),
        Row("save / (dvc add + push)", save / add_push, "x", TARGET_SAVE_RATIO),
        Row("baseline: dvc pull (no cache)", pull, "s"),
        Row("load_artifact (no cache)", cold, "s"),
        Row("load (no cache) / dvc pull", cold / pull, "x", TARGET_LOAD_RATIO),
        Row("load_artifact (cached)", med(reg_times, "warm"), "s"),
        Row("loaded folder == original", same, target="same files, bytes", ok=not problems),
        Row("save_artifact throughput", nfiles / save, "files/s"),
    ]
    params = f"{nfiles} files" + (f", median of {rounds} rounds" if rounds > 1 else "")
    return report("bench_dir", params, rows, args.strict)


if __name__ == "__main__":
    sys.exit(main())
