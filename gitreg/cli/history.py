"""`gitreg log` and `gitreg diff`: the registry's history, from git."""

from __future__ import annotations

import click

from gitreg.cli import output
from gitreg.cli.common import at_option, client_of, json_option, split_ref


@click.command()
@click.argument("ref", required=False, metavar="[NAME[@VERSION]]")
@click.option("--stage", default=None, help="Only changes of this stage of model NAME.")
@click.option(
    "--artifact",
    "artifact_ref",
    default=None,
    metavar="NAME[@VERSION]",
    help="Only changes of an artifact (version).",
)
@click.option("-n", "limit", type=int, default=50, show_default=True, help="How many changes.")
@at_option
@json_option
@click.pass_context
def log(
    ctx: click.Context,
    ref: str | None,
    stage: str | None,
    artifact_ref: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Who changed what and when: the registry, a model, a model version or a stage.

    Runs of pipelines are listed by `gitreg runs`.
    """
    model, version = split_ref(ref) if ref else (None, None)
    artifact, artifact_version = split_ref(artifact_ref) if artifact_ref else (None, None)
    changes = client_of(ctx).history(
        model,
        version,
        stage=stage,
        artifact=artifact,
        artifact_version=artifact_version,
        limit=limit,
    )
    if as_json:
        output.emit_json([c.__dict__ for c in changes])
        return
    output.table(
        None,
        ["commit", "time", "author", "change"],
        [
            (
                c.commit[:8],
                c.time[:19].replace("T", " "),
                c.author,
                c.message.removeprefix("gitreg: "),
            )
            for c in changes
        ],
        empty="No changes.",
    )


@click.command()
@click.argument("old", required=False, metavar="[A]")
@click.argument("new", required=False, metavar="[B]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown: ready to paste as a pull-request comment, with a mermaid picture.",
)
@json_option
@click.pass_context
def diff(ctx: click.Context, old: str | None, new: str | None, fmt: str, as_json: bool) -> None:
    """What changed from registry state A to B (commits, tags, branches or dates).

    Default: the last change. With A only: from A to the registry branch now. A proposal
    branch against the registry: `gitreg diff gitreg proposals/x`.
    """
    from gitreg.services.history import describe, to_markdown

    d = client_of(ctx).diff(old, new)
    if as_json or fmt == "json":
        output.emit_json(d.to_dict())
    elif fmt == "markdown":
        output.line(to_markdown(d).rstrip("\n"))
    else:
        output.line(f"{(d.old or '(empty)')[:8]} -> {d.new[:8]}")
        for line in describe(d) or ["no registry changes"]:
            output.line(f"  {line}")
