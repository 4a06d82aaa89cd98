"""`gitreg push`, `pull`, `merge` and `remote set`: working as a team."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import click

from gitreg.cli import output
from gitreg.cli.common import client_of, json_option, remote_options

if TYPE_CHECKING:
    from gitreg.services.sync import SyncResult


class _Bar:
    """A byte progress bar opened once the total is known (`start`); none for nothing."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar: output.Progress | None = None

    def start(self, total: int) -> None:
        if total:
            self.bar = output.Progress(self.description, total).__enter__()

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar(n)

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _render(result: SyncResult, as_json: bool, verb: str) -> None:
    if as_json:
        doc = dataclasses.asdict(result)
        doc["renames"] = doc.pop("renames")  # last, after "tags", as scripts have seen it
        output.emit_json(doc)
        return
    for r in result.renames:
        output.line(f"Renumbered: {r}")
    tags = f"{len(result.tags)} tag(s)"
    if verb == "push":
        if not result.changed:
            output.line(f"Everything up to date on {result.remote}")
            return
        output.line(
            f"Pushed {result.sent} registry commit(s), {result.objects} object(s) and {tags} "
            f"to {result.remote}/{result.branch}"
        )
    elif not result.received and not result.tags:
        output.line(f"Already up to date with {result.remote}")
    elif verb == "pull":
        also = f" and {tags}" if result.tags else ""  # a `git clone` fetched them already
        output.line(f"Pulled {result.received} registry commit(s){also} from {result.remote}")
    else:
        output.line(f"Merged {result.received} registry commit(s) from {result.remote}")


@click.command(short_help="Publish this clone's registry commits, bytes and tags.")
@click.argument("remote", required=False, metavar="[REMOTE]")
@json_option
@click.pass_context
def push(ctx: click.Context, remote: str | None, as_json: bool) -> None:
    """Publish this clone's registry commits on REMOTE (default: the upstream, or origin).

    Bytes go to the DVC remote first. If others pushed meanwhile, your commits are replayed
    on theirs: auto-numbered versions that collide get the next free number (and you are
    told, e.g. "model churn 3 is now churn 4"); the same explicit version with other content
    stops the push with nothing changed.
    """
    with _Bar("Pushing data") as bar:
        result = client_of(ctx).push(remote, progress=bar, on_objects=bar.start)
    _render(result, as_json, "push")


@click.command(short_help="Bring the remote's registry commits and tags here.")
@click.argument("remote", required=False, metavar="[REMOTE]")
@json_option
@click.pass_context
def pull(ctx: click.Context, remote: str | None, as_json: bool) -> None:
    """Bring REMOTE's registry commits and tags here (default: the upstream, or origin).

    Commits of yours not pushed yet are replayed on top of them (they stay local until
    `gitreg push`); an auto-numbered version that collides gets the next free number.
    """
    _render(client_of(ctx).pull(remote), as_json, "pull")


@click.command(short_help="Merge a proposal branch into the registry branch.")
@click.argument("branch")
@json_option
@click.pass_context
def merge(ctx: click.Context, branch: str, as_json: bool) -> None:
    """Merge the registry branch BRANCH (e.g. proposals/x) into the registry branch.

    Its commits since the two branches parted are replayed here, so the result is what
    writing them on the registry branch would have given, even if it moved meanwhile.
    """
    _render(client_of(ctx).merge(branch), as_json, "merge")


@click.group()
def remote() -> None:
    """The DVC remote that holds the registry's bytes."""


@remote.command("set")
@click.argument("url")
@remote_options
@json_option
@click.pass_context
def remote_set(ctx: click.Context, url: str, options: dict[str, str] | None, as_json: bool) -> None:
    """Switch the registry to the DVC remote URL (s3://..., a shared folder, ...).

    Every object the registry references is copied there first; then the switch is
    committed on the registry branch, so every clone uses it after `gitreg pull`.
    """
    with _Bar("Copying data") as bar:
        switch = client_of(ctx).set_remote(url, options, progress=bar, on_objects=bar.start)
    if as_json:
        output.emit_json(dataclasses.asdict(switch))
        return
    output.line(f"Remote set to {switch.url} ({switch.objects} object(s) copied)")
    if switch.missing:
        output.warning(
            f"{len(switch.missing)} object(s) were not found here: push them from a clone "
            "that has them"
        )


@click.command("merge-file", hidden=True)
@click.argument("base", type=click.Path(dir_okay=False))
@click.argument("ours", type=click.Path(dir_okay=False))
@click.argument("theirs", type=click.Path(dir_okay=False))
@click.argument("path")
def merge_file(base: str, ours: str, theirs: str, path: str) -> None:
    """git's merge driver for the registry's derived files (`gitreg init` registers it):
    merges BASE, OURS and THEIRS of PATH field by field into OURS; exit 1 on a conflict."""
    from gitreg.services import merge_files

    if not merge_files.merge_file(base, ours, theirs, path):
        raise SystemExit(1)
