"""`gitreg artifacts` and `gitreg artifact show|get`: artifact versions."""

from __future__ import annotations

import pathlib

import click

from gitreg.cli import output
from gitreg.cli.common import at_option, client_of, json_option, split_ref, when


@click.command("artifacts")
@at_option
@click.option("--name", default=None, help="Only versions of this artifact.")
@click.option("--model", default=None, help="Only artifacts linked to MODEL[@VERSION].")
@click.option("--tag", default=None, help="Only versions with this tag.")
@json_option
@click.pass_context
def artifacts_cmd(
    ctx: click.Context, name: str | None, model: str | None, tag: str | None, as_json: bool
) -> None:
    """List artifact versions."""
    m = None
    if model:
        from gitreg.api.model import Model

        mname, mver = split_ref(model)
        m = Model(mname, mver or "latest")
    rows = client_of(ctx).list_artifact_versions(name=name, model=m, tag=tag)
    if as_json:
        output.emit_json([a.to_dict() for a in rows])
        return
    output.table(
        None,
        ["name", "version", "type", "data type", "size", "created", "id"],
        [
            (a.name, a.version, a.type.value, a.data_type, output.human_size(a.size),
             when(a.created), str(a.id)[:8])
            for a in rows
        ],
        empty="no artifact versions",
    )  # fmt: skip


@click.group()
def artifact() -> None:
    """Show or download one artifact version."""


@artifact.command("show")
@at_option
@click.argument("ref", metavar="NAME[@VERSION]|ID")
@json_option
@click.pass_context
def artifact_show(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Show one artifact version (latest when no version is given)."""
    name, version = split_ref(ref)
    a = client_of(ctx).get_artifact_version(name, version)
    data = a.to_dict()
    if as_json:
        output.emit_json(data)
    else:
        output.fields(f"{a.name}@{a.version}", data)


@artifact.command("get")
@at_option
@click.argument("ref", metavar="NAME[@VERSION]|ID")
@click.option("-o", "--out", "out", required=True, metavar="PATH", help="Where to write the bytes.")
@json_option
@click.pass_context
def artifact_get(ctx: click.Context, ref: str, out: str, as_json: bool) -> None:
    """Write an artifact version's stored bytes (a file or a folder) to PATH."""
    name, version = split_ref(ref)
    client = client_of(ctx)
    a = client.get_artifact_version(name, version)
    with output.Progress(f"{a.name}@{a.version}", a.size) as progress:
        client.export_artifact_version(a, out, progress)
    if as_json:
        output.emit_json({**a.to_dict(), "path": out})
    else:
        output.line(f"Wrote {a.name}@{a.version} ({output.human_size(a.size)}) to {out}")


@artifact.command("delete")
@click.argument("ref", metavar="NAME@VERSION|ID")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def artifact_delete(ctx: click.Context, ref: str, yes: bool) -> None:
    """Delete an artifact version and its links: one registry commit, so `gitreg log` and
    `--at` still show it; its bytes stay in the remote until `gitreg gc`."""
    client = client_of(ctx)
    name, version = split_ref(ref)
    av = client.get_artifact_version(name, version)
    if not yes:
        click.confirm(f"Delete {av.name}@{av.version}?", abort=True)
    client.delete_artifact_version(str(av.id))
    output.line(f"Deleted {av.name}@{av.version}")


@artifact.command("add")
@click.argument("path", type=click.Path(exists=True, path_type=pathlib.Path))
@click.option("--name", required=True, help="The artifact's name.")
@click.option("--version", default=None, help="A version name (default: the next number).")
@click.option("-t", "--tag", "tags", multiple=True, help="A tag (repeat for more).")
@click.option(
    "--type",
    "artifact_type",
    type=click.Choice(["data", "model", "service", "data_analysis", "base"]),
    default=None,
)
@json_option
@click.pass_context
def artifact_add(
    ctx: click.Context,
    path: pathlib.Path,
    name: str,
    version: str | None,
    tags: tuple[str, ...],
    artifact_type: str | None,
    as_json: bool,
) -> None:
    """Save a file or a folder as a new artifact version (`save_artifact(Path(PATH))`), with
    a progress bar in a terminal."""
    size = path.stat().st_size if path.is_file() else None
    with output.Progress(name, size) as progress:
        a = client_of(ctx).save_artifact(
            path, name, version, list(tags), artifact_type=artifact_type, progress=progress
        )
    if as_json:
        output.emit_json(a.to_dict())
    else:
        output.line(f"Saved {a.name}@{a.version} ({output.human_size(a.size)})")
