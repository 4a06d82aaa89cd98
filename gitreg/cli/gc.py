"""`gitreg gc`: free the bytes no registry commit references."""

from __future__ import annotations

import re

import click

from gitreg.cli import output
from gitreg.cli.common import client_of, json_option

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")


def _age(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """`2w`, `3d`, `12h`, `30m`, `45s` or `0`/`now` as seconds."""
    if value.strip().lower() == "now":
        return 0.0
    m = _AGE.fullmatch(value.strip().lower())
    if m is None:
        raise click.BadParameter(
            f"{value!r} is not an age: give a number with s, m, h, d or w (e.g. 2w, 12h), or now"
        )
    return float(m.group(1)) * _UNITS[m.group(2) or "s"]


@click.command()
@click.option(
    "--dry-run", "-n", is_flag=True, help="Only say what would be removed; remove nothing."
)
@click.option(
    "--older-than",
    "older_than",
    default="2w",
    show_default=True,
    metavar="AGE",
    callback=_age,
    help="Keep unreferenced objects younger than this (they may belong to a save in "
    "progress): e.g. 2w, 3d, 12h; `now` removes them all (only when nobody is saving).",
)
@json_option
@click.pass_context
def gc(ctx: click.Context, dry_run: bool, older_than: float, as_json: bool) -> None:
    """Remove from the DVC remote and the local cache the objects no registry commit
    references.

    Kept: everything any commit of the registry branch, a proposal branch, a remote-tracking
    registry branch or a gitreg tag points at, so a deleted version's bytes stay while
    history holds it. Freed: pushes whose manifest never landed (a crash, a lost race),
    deleted proposal branches, rewritten history.
    """
    client = client_of(ctx)
    with output.Progress("listing objects", unit="objects") as bar:
        report = client.gc(dry_run=dry_run, older_than=older_than, progress=bar)
    if as_json:
        output.emit_json(
            {
                "dry_run": report.dry_run,
                "remote": report.remote,
                "refs": report.refs,
                "referenced": report.referenced,
                "listed": report.listed,
                "remote_removed": [o.oid for o in report.removed_remote],
                "remote_bytes": report.removed_remote_bytes,
                "cache_removed": [o.oid for o in report.removed_cache],
                "cache_bytes": report.removed_cache_bytes,
                "kept_recent": report.kept_recent,
            }
        )
        return
    if report.nothing_to_do:
        what = (
            f"{report.referenced} object(s), and nothing else is old enough"
            if report.kept_recent
            else "every object in the remote and the local cache"
        )
        output.line(
            f"Nothing to remove: the history of {len(report.refs)} registry ref(s) references {what}"
        )
    else:
        verb = "Would remove" if report.dry_run else "Removed"
        output.line(
            f"{verb} {len(report.removed_remote)} object(s) "
            f"({output.human_size(report.removed_remote_bytes)}) from the remote "
            f"{report.remote} and {len(report.removed_cache)} "
            f"({output.human_size(report.removed_cache_bytes)}) from the local cache"
        )
    if report.kept_recent:
        output.line(
            f"Kept {report.kept_recent} unreferenced object(s) younger than --older-than "
            "(they may belong to a save in progress)"
        )
