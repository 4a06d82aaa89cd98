"""`gitreg link` and `gitreg lineage`: what is linked to a model version, what produced what."""

from __future__ import annotations

import click

from gitreg.cli import output
from gitreg.cli.common import at_option, client_of, json_option, split_ref


@click.command()
@click.argument("artifact_ref", metavar="ARTIFACT[@VERSION]|ID")
@click.argument("model_ref", metavar="MODEL@VERSION")
@click.option(
    "--kind",
    type=click.Choice(["data", "model", "deployment"]),
    default=None,
    help="Link kind (default: from the artifact type).",
)
@json_option
@click.pass_context
def link(
    ctx: click.Context, artifact_ref: str, model_ref: str, kind: str | None, as_json: bool
) -> None:
    """Link an artifact version to a model version (a new version name is created)."""
    from gitreg.api.model import Model

    client = client_of(ctx)
    aname, aver = split_ref(artifact_ref)
    art = client.get_artifact_version(aname, aver)
    mname, mver = split_ref(model_ref)
    if mver is None:
        raise click.UsageError("give the model version as MODEL@VERSION")
    rec = client.link_artifact_to_model(
        art.id,
        Model(mname, mver),
        is_model_artifact=kind == "model",
        is_deployment_artifact=kind == "deployment",
    )
    if as_json:
        output.emit_json(rec.to_dict())
    else:
        output.line(
            f"Linked {rec.artifact}@{rec.version} to {rec.model_name}@{rec.model_version} "
            f"as {rec.kind.value}"
        )


@click.command()
@click.argument("ref", metavar="NAME[@VERSION]|ID")
@click.option(
    "--model", "is_model", is_flag=True, help="REF names a model version, not an artifact."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["tree", "mermaid", "json"]),
    default="tree",
    show_default=True,
)
@at_option
@json_option
@click.pass_context
def lineage(ctx: click.Context, ref: str, is_model: bool, fmt: str, as_json: bool) -> None:
    """What produced an artifact or model version, and what that consumed, up to the roots.
    A name that is a model and not an artifact needs no --model."""
    name, version = split_ref(ref)
    node = client_of(ctx).lineage(name, version, model=is_model or None)
    if as_json:
        fmt = "json"
    if fmt == "mermaid":
        from gitreg.services.lineage import to_mermaid

        output.line("```mermaid\n" + to_mermaid(node) + "```")
    elif fmt == "json":
        import dataclasses

        output.emit_json(dataclasses.asdict(node))
    else:
        output.tree(node)
